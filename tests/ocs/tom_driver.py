"""Runs inside a TOM Toolkit virtual environment (tomtoolkit, its own pins; never among
PyROS's dependencies): a minimal TOM with PyROS as a facility, configured as docs/tom.md
says, driven through the facility's own forms and methods as the TOM's pages do.

    python tom_driver.py submit PORTAL_URL TOKEN START END   → the submitted request ids
    python tom_driver.py follow PORTAL_URL TOKEN REQUEST_ID  → status, products, cancel

Prints one JSON object; the test in test_tom_toolkit.py reads it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import django
from django.conf import settings

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "examples" / "tom"


def configure(portal: str, token: str) -> None:
    """A TOM's settings as tom_setup writes them (tom_common.default_settings), with
    what docs/tom.md tells a TOM user to add."""
    from tom_common import default_settings as tom_defaults

    sys.path.insert(0, str(EXAMPLES))
    defaults = {name: getattr(tom_defaults, name) for name in dir(tom_defaults)
                if name.isupper()}
    defaults.update(
        DEBUG=False,
        SECRET_KEY="tom-driver",
        INSTALLED_APPS=tom_defaults.TOMTOOLKIT_INSTALLED_APPS,
        MIDDLEWARE=tom_defaults.TOMTOOLKIT_MIDDLEWARE,
        SITE_ID=1,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                               "NAME": str(Path(tempfile.mkdtemp()) / "tom.sqlite3")}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        USE_TZ=True, TIME_ZONE="UTC", TARGET_TYPE="SIDEREAL", HOOKS={}, EXTRA_FIELDS=[],
        AUTH_STRATEGY="READ_ONLY", TARGET_PERMISSIONS_ONLY=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        DATA_PRODUCT_TYPES={"fits_file": ("fits_file", "FITS File")},
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        # What docs/tom.md tells a TOM user to write.
        FACILITIES={"PYROS": {"portal_url": portal, "archive_url": portal,
                              "api_key": token, "unit": "COLIBRI-sim"}},
        TOM_FACILITY_CLASSES=["pyros_facility.PyROSFacility"],
    )
    settings.configure(**defaults)
    django.setup()


def target():
    from django.core.management import call_command
    from tom_targets.models import Target

    call_command("migrate", verbosity=0, run_syncdb=True)
    return Target.objects.create(name="SN 2026tom", type="SIDEREAL", ra=150.25, dec=-20.5,
                                 epoch=2000.0)


def form_data(target_id: int, start: str, end: str, **changes: object) -> dict:
    """What the TOM's observation page posts for one configuration, one filter."""
    data = {
        "name": "SN 2026tom follow-up", "proposal": "GRB", "ipp_value": 1.0,
        "start": start, "end": end, "observation_mode": "NORMAL",
        "optimization_type": "TIME", "configuration_repeats": 1,
        "facility": "PYROS", "target_id": target_id,
        "c_1_instrument_type": "VIS", "c_1_configuration_type": "EXPOSE",
        "c_1_ic_1_exposure_time": 60, "c_1_ic_1_exposure_count": 2, "c_1_ic_1_filter": "r",
        "c_1_max_airmass": 2.0, "c_1_min_lunar_distance": 20,
    }
    data.update(changes)
    return data


def submit(portal: str, token: str, start: str, end: str) -> dict:
    from pyros_facility import PyROSFacility, PyROSObservationForm

    facility = PyROSFacility()
    observed = target()
    out: dict = {}
    form = PyROSObservationForm(initial={"target_id": observed.pk, "facility": "PYROS"})
    out["instruments"] = sorted(form.get_instruments())
    out["proposals"] = [list(p) for p in form.proposal_choices()]
    out["filters"] = sorted(code for code, _ in form.all_optical_element_choices())

    wrong = PyROSObservationForm(data=form_data(observed.pk, start, end,
                                                c_1_instrument_type="NIR"))
    out["invalid_is_valid"] = wrong.is_valid()
    out["invalid_errors"] = json.loads(json.dumps(wrong.errors, default=str))

    right = PyROSObservationForm(data=form_data(observed.pk, start, end))
    out["valid_is_valid"] = right.is_valid()
    out["valid_errors"] = json.loads(json.dumps(right.errors, default=str))
    out["validation"] = facility.validate_observation(right.observation_payload())
    out["submitted"] = facility.submit_observation(right.observation_payload())
    return out


def follow(portal: str, token: str, request_id: str) -> dict:
    import requests
    from pyros_facility import PyROSFacility

    facility = PyROSFacility()
    out: dict = {"status": facility.get_observation_status(request_id)}
    products = facility.data_products(request_id)
    out["products"] = [{"id": p["id"], "filename": p["filename"],
                        "created": p["created"].isoformat()} for p in products]
    # What the TOM's save_data_products does with each: a plain GET of its url.
    downloads = [requests.get(p["url"], timeout=30) for p in products]
    out["downloads"] = [[d.status_code, d.content[:6].decode("ascii", "replace")]
                        for d in downloads]
    out["cancelled"] = facility.cancel_observation(request_id)
    out["status_after_cancel"] = facility.get_observation_status(request_id)["state"]
    out["terminal_states"] = facility.get_terminal_observing_states()
    return out


def main() -> None:
    command, portal, token, *rest = sys.argv[1:]
    configure(portal, token)
    result = submit(portal, token, *rest) if command == "submit" else \
        follow(portal, token, *rest)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
