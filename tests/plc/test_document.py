"""The PLC status document: the guide's example parses, every malformed frame is refused
with an error naming the device and the value."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from pyros.plc.document import (
    PlcFrameError,
    PlcLookupError,
    default_document,
    parse_frame,
    parse_status,
)


@pytest.fixture(scope="module")
def wire() -> list[dict]:
    return default_document().to_wire()


def device_of(wire: list[dict], name: str) -> dict:
    return next(d for d in wire[0]["device"] if d["name"] == name)


def value_of(wire: list[dict], device: str, name: str) -> dict:
    return next(v for v in device_of(wire, device)["values"] if v["name"] == name)


def test_the_guides_document_parses():
    status = default_document()
    assert status.from_ == "Beckhoff"
    assert status.site == "OSM-Mexico"
    assert status.version_firmware == "20170809"
    assert status.date == datetime(2017, 3, 3, 13, 45, tzinfo=UTC)  # naive means UTC
    assert [d.name for d in status.devices] == [
        "WXT520", "DRD11", "VantagePro", "MLX90614-1", "LAMP_FLAT_CAGIRE", "SITE",
    ]
    assert status.value("SITE", "PlcMode").value == "auto"
    rain = status.value("WXT520", "RainRate")
    assert (rain.value, rain.unit) == (0.0, "mm/h")
    assert status.value("WXT520", "Pressure").comment == "At site elevation"
    assert status.value("MLX90614-1", "SkyTemperature").value == -15.67
    assert status.value("VantagePro", "WindDirCardinal").value == "SW"
    assert status.value("DRD11", "digital").value == 1
    assert status.value("LAMP_FLAT_CAGIRE", "status").value == "on"
    assert status.device("DRD11").serial_number == "RET6789"


def test_vantage_pro_says_no_so_its_values_are_invalid():
    status = default_document()
    assert status.device("VantagePro").valid is False
    reading = status.reading("VantagePro", "OutsideHumidity")
    assert (reading.value, reading.unit, reading.is_valid) == (65.3, "percent", False)
    assert status.reading("WXT520", "OutsideHumidity").is_valid is True


def test_a_frame_round_trips_through_the_wire_form():
    status = default_document()
    frame = status.to_frame()
    assert "\n" not in frame
    assert '"valid":"no"' in frame  # written back in the PLC's own spelling
    assert parse_frame(frame.encode()) == status


def test_validity_flags_accept_booleans_and_any_case(wire):
    data = copy.deepcopy(wire)
    device_of(data, "WXT520")["valid"] = "NO"
    device_of(data, "DRD11")["valid"] = False
    device_of(data, "VantagePro")["valid"] = True
    status = parse_status(data)
    assert [d.valid for d in status.devices[:3]] == [False, False, True]


def test_a_value_can_be_invalid_on_its_own_and_a_device_has_its_time_stamp(wire):
    data = copy.deepcopy(wire)
    value_of(data, "WXT520", "WindSpeed")["valid"] = "no"
    device_of(data, "WXT520")["timestamp"] = "2017-03-03T13:44:30+01:00"
    status = parse_status(data)
    wind = status.reading("WXT520", "WindSpeed")
    assert wind.is_valid is False
    assert wind.measured_at == datetime(2017, 3, 3, 12, 44, 30, tzinfo=UTC)
    assert status.reading("WXT520", "RainRate").is_valid is True
    # without its own time stamp a device is as old as the document
    assert status.reading("DRD11", "analog").measured_at == status.date


def test_unknown_fields_are_ignored(wire):
    data = copy.deepcopy(wire)
    data[0]["uptime"] = 1234
    device_of(data, "DRD11")["firmware"] = "2.1"
    assert parse_status(data) == default_document()


def test_lookups_name_what_is_missing():
    status = default_document()
    with pytest.raises(PlcLookupError, match=r"no device 'WXT530' \(it has: WXT520, DRD11"):
        status.device("WXT530")
    with pytest.raises(PlcLookupError, match="PLC device 'WXT520' has no value 'Rain'"):
        status.value("WXT520", "Rain")


def _set(device: str, value: str, field: str, new: object):
    def change(data: list[dict]) -> None:
        value_of(data, device, value)[field] = new
    return change


def _drop(device: str, value: str, field: str):
    def change(data: list[dict]) -> None:
        del value_of(data, device, value)[field]
    return change


def _device(device: str, field: str, new: object):
    def change(data: list[dict]) -> None:
        device_of(data, device)[field] = new
    return change


def _rename_device(old: str, new: str):
    def change(data: list[dict]) -> None:
        device_of(data, old)["name"] = new
    return change


@pytest.mark.parametrize(
    ("change", "device", "value", "message"),
    [
        (_set("WXT520", "RainRate", "value", "lots"), "WXT520", "RainRate",
         "unit 'mm/h' needs a number, got 'lots'"),
        (_set("WXT520", "RainRate", "value", None), "WXT520", "RainRate", "not null"),
        (_set("WXT520", "RainRate", "value", [1, 2]), "WXT520", "RainRate", "not list"),
        (_set("WXT520", "RainRate", "value", True), "WXT520", "RainRate", "needs a number"),
        (_set("VantagePro", "WindDirCardinal", "value", 225), "VantagePro", "WindDirCardinal",
         "unit 'string' needs a string"),
        (_set("DRD11", "digital", "value", 2), "DRD11", "digital", "needs 0 or 1"),
        (_drop("MLX90614-1", "SkyTemperature", "unit"), "MLX90614-1", "SkyTemperature",
         "field 'unit': Field required"),
        (_set("DRD11", "analog", "name", ""), "DRD11", "#1", "field 'name'"),
        (_device("DRD11", "valid", "maybe"), "DRD11", None,
         'validity must be "yes" or "no", not \'maybe\''),
        (_device("DRD11", "values", {"analog": 2.3}), "DRD11", None, "should be a list"),
        (_rename_device("DRD11", "WXT520"), None, None, "device names must be unique"),
    ],
)
def test_malformed_frames_are_refused_naming_device_and_value(wire, change, device, value,
                                                               message):
    data = copy.deepcopy(wire)
    change(data)
    with pytest.raises(PlcFrameError) as caught:
        parse_status(data)
    assert message in str(caught.value)
    assert (caught.value.device, caught.value.value) == (device, value)
    if device and device[0] != "#":
        assert f"device '{device}'" in str(caught.value)


def test_repeated_value_names_are_refused(wire):
    data = copy.deepcopy(wire)
    device_of(data, "DRD11")["values"].append(dict(value_of(data, "DRD11", "analog")))
    with pytest.raises(PlcFrameError, match=r"device 'DRD11'.*repeated: analog"):
        parse_status(data)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b'[{"name": "STATUS", "fr', "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"name": "STATUS"}', "JSON array holding one STATUS object"),
        (b"[]", "JSON array holding one STATUS object"),
        (b"[1]", "JSON array holding one STATUS object"),
        (b'[{"name": "CONFIG"}]', "field 'name'"),
    ],
)
def test_frames_that_are_not_status_documents(frame, message):
    with pytest.raises(PlcFrameError, match=message):
        parse_frame(frame)


def test_not_a_number_is_refused():
    frame = default_document().to_frame().replace('"value":-15.67', '"value":NaN')
    with pytest.raises(PlcFrameError, match=r"'MLX90614-1', value 'SkyTemperature'.*finite"):
        parse_frame(frame)


def test_changing_a_value_validates_the_new_document():
    status = default_document()
    wet = status.with_value("WXT520", "RainRate", 12.0)
    assert wet.value("WXT520", "RainRate").value == 12.0
    assert status.value("WXT520", "RainRate").value == 0.0  # documents are immutable
    with pytest.raises(PlcFrameError, match="value 'RainRate'"):
        status.with_value("WXT520", "RainRate", "heavy")
    assert status.with_device_validity("VantagePro", True).reading(
        "VantagePro", "RainRate").is_valid


def test_stamping_sets_the_date_in_utc():
    later = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    assert default_document().stamped(later).date == later
    assert isinstance(json.loads(default_document().stamped(later).to_frame()), list)
