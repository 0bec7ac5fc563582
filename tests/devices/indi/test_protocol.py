"""The INDI parser and serialisers on sample messages, as Debian's simulators send them."""

from __future__ import annotations

import base64
import io
import itertools
import os
import tracemalloc
from xml.etree import ElementTree

import pytest

from pyros.devices.indi import protocol
from pyros.devices.indi.protocol import (
    BlobHeader,
    BlobValue,
    DefVector,
    DelProperty,
    DeviceMessage,
    Kind,
    Malformed,
    ProtocolError,
    SetVector,
    State,
    StreamParser,
)

DEF_EOD = b"""<defNumberVector device="Telescope Simulator" name="EQUATORIAL_EOD_COORD"
  label="Eq. Coordinates" group="Main Control" state="Idle" perm="rw" timeout="60"
  timestamp="2026-11-21T06:08:25">
    <defNumber name="RA" label="RA (hh:mm:ss)" format="%010.6m" min="0" max="24" step="0">
0
    </defNumber>
    <defNumber name="DEC" label="DEC (dd:mm:ss)" format="%010.6m" min="-90" max="90" step="0">
90
    </defNumber>
</defNumberVector>
"""
SET_PARK = b"""<setSwitchVector device="Telescope Simulator" name="TELESCOPE_PARK" state="Busy"
  timeout="60" timestamp="2026-11-21T06:09:00" message="Parking is in progress...">
    <oneSwitch name="PARK">On</oneSwitch>
    <oneSwitch name="UNPARK">Off</oneSwitch>
</setSwitchVector>
"""
MESSAGE = b'<message device="Dome Simulator" timestamp="2026-11-21T06:08:25" ' \
          b'message="[INFO] Dome is unparked."/>\n'
DEL = b'<delProperty device="CCD Simulator" name="CCD_COOLER"/>\n'
DEF_WEATHER = b"""<defLightVector device="Weather Simulator" name="WEATHER_STATUS" label="Status"
  group="Main Control" state="Alert" timestamp="2026-11-21T06:08:25">
    <defLight name="WEATHER_RAIN_HOUR" label="Precip (mm)">Alert</defLight>
    <defLight name="WEATHER_TEMPERATURE" label="Temperature (C)">Ok</defLight>
</defLightVector>
"""


def parse(data: bytes, parser: StreamParser | None = None) -> list[protocol.Message]:
    return (parser or StreamParser()).feed(data)


def blob_message(payload: bytes, fmt: str = ".fits", line: int = 72) -> bytes:
    """A setBLOBVector as INDI drivers write it: base64 in lines of ``line`` characters."""
    encoded = base64.b64encode(payload).decode()
    lines = "\n".join(encoded[i:i + line] for i in range(0, len(encoded), line))
    return (f'<setBLOBVector device="CCD Simulator" name="CCD1" state="Ok" '
            f'timestamp="2026-11-21T06:12:29">\n<oneBLOB name="CCD1" size="{len(payload)}" '
            f'enclen="{len(encoded)}" format="{fmt}">\n{lines}\n</oneBLOB>\n'
            f'</setBLOBVector>\n').encode()


class Sinks:
    """Hands out in-memory files for BLOBs and remembers what it was asked."""

    def __init__(self) -> None:
        self.headers: list[BlobHeader] = []
        self.files: list[io.BytesIO] = []

    def __call__(self, header: BlobHeader) -> io.BytesIO:
        self.headers.append(header)
        self.files.append(io.BytesIO())
        return self.files[-1]


# --- parsing ------------------------------------------------------------------------


def test_a_definition_becomes_a_def_vector_with_limits() -> None:
    [message] = parse(DEF_EOD)
    assert isinstance(message, DefVector)
    assert (message.kind, message.device, message.name) == \
        (Kind.NUMBER, "Telescope Simulator", "EQUATORIAL_EOD_COORD")
    assert (message.state, message.perm, message.timeout) == (State.IDLE, "rw", 60.0)
    assert message.values == {"RA": 0.0, "DEC": 90.0}
    dec = message.elements[1]
    assert (dec.label, dec.minimum, dec.maximum, dec.format) == \
        ("DEC (dd:mm:ss)", -90.0, 90.0, "%010.6m")


def test_a_stream_without_root_yields_each_top_level_element() -> None:
    messages = parse(DEF_EOD + SET_PARK + MESSAGE + DEL + DEF_WEATHER)
    assert [type(m) for m in messages] == [DefVector, SetVector, DeviceMessage, DelProperty,
                                           DefVector]
    park = messages[1]
    assert isinstance(park, SetVector)
    assert park.state is State.BUSY
    assert park.values == {"PARK": True, "UNPARK": False}
    assert park.message == "Parking is in progress..."
    assert messages[2] == DeviceMessage("Dome Simulator", "[INFO] Dome is unparked.",
                                        "2026-11-21T06:08:25")
    assert messages[3] == DelProperty("CCD Simulator", "CCD_COOLER", "")
    weather = messages[4]
    assert isinstance(weather, DefVector)
    assert weather.perm == "ro"
    assert weather.values == {"WEATHER_RAIN_HOUR": State.ALERT, "WEATHER_TEMPERATURE": State.OK}


def test_messages_split_at_every_byte_come_out_the_same() -> None:
    stream = DEF_EOD + SET_PARK + MESSAGE
    parser = StreamParser()
    messages = []
    for i in range(len(stream)):
        messages.extend(parser.feed(stream[i:i + 1]))
    assert messages == parse(stream)


def test_a_message_is_returned_only_once_complete() -> None:
    parser = StreamParser()
    assert parser.feed(SET_PARK[:100]) == []
    [message] = parser.feed(SET_PARK[100:])
    assert isinstance(message, SetVector) and message.name == "TELESCOPE_PARK"


@pytest.mark.parametrize(("text", "value"), [
    ("12.5", 12.5), ("12:30:00", 12.5), ("-0:30:00", -0.5), ("-12 15 36", -12.26),
    ("5;30", 5.5), (" 1e3 ", 1000.0),
])
def test_numbers_may_be_sexagesimal(text: str, value: float) -> None:
    assert protocol.parse_number(text) == pytest.approx(value)


def test_a_meaningless_value_is_reported_and_the_stream_goes_on() -> None:
    bad = b'<setNumberVector device="D" name="N" state="Ok">' \
          b'<oneNumber name="X">twelve</oneNumber></setNumberVector>'
    wrong_state = b'<setNumberVector device="D" name="N" state="Fine">' \
                  b'<oneNumber name="X">1</oneNumber></setNumberVector>'
    messages = parse(bad + wrong_state + SET_PARK)
    assert isinstance(messages[0], Malformed) and "twelve" in messages[0].reason
    assert isinstance(messages[1], Malformed) and messages[1].name == "N"
    assert isinstance(messages[2], SetVector) and messages[2].name == "TELESCOPE_PARK"


def test_unknown_top_level_elements_are_skipped() -> None:
    messages = parse(b'<getProperties version="1.7"/><pingRequest uid="1"/>' + MESSAGE)
    assert [type(m) for m in messages] == [DeviceMessage]


# --- BLOBs --------------------------------------------------------------------------


def test_a_blob_split_across_reads_is_decoded_into_its_file() -> None:
    payload = os.urandom(50_000)
    sinks = Sinks()
    parser = StreamParser(sinks)
    stream = blob_message(payload)
    messages, start = [], 0
    for size in itertools.cycle([7, 997, 3, 4096, 1]):
        if start >= len(stream):
            break
        messages.extend(parser.feed(stream[start:start + size]))
        start += size
    [message] = messages
    assert isinstance(message, SetVector)
    assert message.values["CCD1"] == BlobValue(".fits", len(payload), len(payload), True)
    assert sinks.headers == [BlobHeader("CCD Simulator", "CCD1", "CCD1", ".fits",
                                        len(payload))]
    assert sinks.files[0].getvalue() == payload


def test_a_blob_nobody_wants_is_counted_and_dropped() -> None:
    payload = os.urandom(3000)
    [message] = StreamParser(lambda header: None).feed(blob_message(payload))
    assert isinstance(message, SetVector)
    assert message.values["CCD1"] == BlobValue(".fits", 3000, 3000, False)


def test_a_large_blob_is_never_held_in_memory() -> None:
    payload = os.urandom(6_000_000)
    stream = blob_message(payload)
    chunks = [stream[i:i + 65536] for i in range(0, len(stream), 65536)]
    parser = StreamParser(lambda header: None)
    tracemalloc.start()
    try:
        for chunk in chunks:
            parser.feed(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"parsing a 6 MB image took {peak} bytes"


def test_bad_base64_fails_only_that_vector() -> None:
    bad = b'<setBLOBVector device="CCD Simulator" name="CCD1" state="Ok">' \
          b'<oneBLOB name="CCD1" size="3" format=".fits">QUJ#</oneBLOB></setBLOBVector>'
    messages = StreamParser(Sinks()).feed(bad + MESSAGE)
    assert isinstance(messages[0], Malformed) and "base64" in messages[0].reason
    assert isinstance(messages[1], DeviceMessage)


# --- hostile input ------------------------------------------------------------------


@pytest.mark.parametrize("hostile", [
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b'<message device="x" message="&lol2;"/>',
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<setTextVector device="D" name="T"><oneText name="A">&xxe;</oneText></setTextVector>',
    b'<setTextVector device="D" name="T"><oneText name="A">&xxe;</oneText></setTextVector>',
    b'<?xml version="1.0"?><message device="x" message="hi"/>',
    b'<setTextVector device="D" name="T"><oneText name="A"><b><c/></b></oneText>'
    b'</setTextVector>',
    b'</indi><message device="x" message="second root"/>',
], ids=["entity-expansion", "external-entity", "undefined-entity", "xml-declaration",
        "too-deep", "closing-the-root"])
def test_hostile_xml_is_refused_and_the_stream_stays_refused(hostile: bytes) -> None:
    parser = StreamParser()
    with pytest.raises(ProtocolError):
        parser.feed(hostile)
    with pytest.raises(ProtocolError):
        parser.feed(MESSAGE)


def test_an_endless_text_is_refused() -> None:
    parser = StreamParser()
    parser.feed(b'<setTextVector device="D" name="T"><oneText name="A">')
    with pytest.raises(ProtocolError, match="longer than"):
        for _ in range(20):
            parser.feed(b"x" * 65536)


def test_predefined_entities_and_character_references_are_fine() -> None:
    [message] = parse(b'<setTextVector device="D" name="T" state="Ok"><oneText name="A">'
                      b'a &lt;b&gt; &amp; &#233;</oneText></setTextVector>')
    assert isinstance(message, SetVector)
    assert message.values == {"A": "a <b> & \u00e9"}


# --- what a client sends ------------------------------------------------------------


def test_new_vectors_are_well_formed_and_escaped() -> None:
    number = ElementTree.fromstring(protocol.new_vector(
        Kind.NUMBER, "Telescope Simulator", "EQUATORIAL_EOD_COORD", {"RA": 10.25, "DEC": -5}))
    assert number.tag == "newNumberVector"
    assert number.attrib == {"device": "Telescope Simulator", "name": "EQUATORIAL_EOD_COORD"}
    assert [(e.tag, e.get("name"), float(e.text or "")) for e in number] == \
        [("oneNumber", "RA", 10.25), ("oneNumber", "DEC", -5.0)]
    switch = ElementTree.fromstring(protocol.new_vector(
        Kind.SWITCH, "Dome", "DOME_SHUTTER", {"SHUTTER_OPEN": True, "SHUTTER_CLOSE": False}))
    assert [e.text for e in switch] == ["On", "Off"]
    text = ElementTree.fromstring(protocol.new_vector(
        Kind.TEXT, 'A "quoted" <dev>', "FITS_HEADER", {"FITS_OBJECT": "M31 & <friends>"}))
    assert text.get("device") == 'A "quoted" <dev>'
    assert text[0].text == "M31 & <friends>"


def test_orders_a_client_cannot_send_are_refused() -> None:
    with pytest.raises(ValueError):
        protocol.new_vector(Kind.SWITCH, "D", "S", {"X": "On"})
    with pytest.raises(ValueError):
        protocol.new_vector(Kind.NUMBER, "D", "N", {"X": True})
    with pytest.raises(ValueError):
        protocol.new_vector(Kind.LIGHT, "D", "L", {"X": "Ok"})
    with pytest.raises(ValueError):
        protocol.new_vector(Kind.NUMBER, "D", "N", {})
    with pytest.raises(ValueError):
        protocol.enable_blob("D", "Sometimes")


def test_get_properties_and_enable_blob() -> None:
    everything = ElementTree.fromstring(protocol.get_properties())
    assert everything.attrib == {"version": "1.7"}
    one = ElementTree.fromstring(protocol.get_properties("CCD Simulator", "CCD1"))
    assert one.attrib == {"version": "1.7", "device": "CCD Simulator", "name": "CCD1"}
    blob = ElementTree.fromstring(protocol.enable_blob("CCD Simulator", "Also", "CCD1"))
    assert (blob.tag, blob.attrib, blob.text) == \
        ("enableBLOB", {"device": "CCD Simulator", "name": "CCD1"}, "Also")
