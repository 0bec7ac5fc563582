"""PyROS as a facility of a TOM Toolkit project (tomtoolkit 3.x): copy this file into
your TOM (e.g. ``custom_code/pyros_facility.py``), add it to ``TOM_FACILITY_CLASSES``
and give ``FACILITIES['PYROS']`` (docs/tom.md in PyROS).

PyROS speaks the part of the LCO Observatory Control System API that the TOM Toolkit's
generic OCS facility uses, so these are the three small subclasses every OCS facility
of tom_base has: the settings, the form, the facility.
"""

from tom_observations.facilities.ocs import OCSFacility, OCSFullObservationForm, OCSSettings


class PyROSSettings(OCSSettings):
    default_settings = {
        **OCSSettings.default_settings,
        # PyROS writes the unit's name in TELESCOP: what marks a FITS file as PyROS's.
        "unit": "",
    }

    def __init__(self, facility_name="PYROS"):
        super().__init__(facility_name=facility_name)

    def get_unconfigured_settings(self):
        return [key for key in ("portal_url", "archive_url", "api_key")
                if not self.get_setting(key)]

    def get_fits_facility_header_keyword(self):
        return "TELESCOP"

    def get_fits_facility_header_value(self):
        return self.get_setting("unit")


class PyROSObservationForm(OCSFullObservationForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("facility_settings", PyROSSettings())
        super().__init__(*args, **kwargs)


class PyROSFacility(OCSFacility):
    name = "PYROS"
    observation_forms = {"ALL": PyROSObservationForm}

    def __init__(self, facility_settings=None):
        super().__init__(facility_settings=facility_settings or PyROSSettings())
