"""The XML and JSON request formats: reading, validation messages, hostile input, and
writing back to an identical request. No database involved."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from pyros import paths
from pyros.config.loader import load_config
from pyros.observations import json_format, xml_format
from pyros.observations.problems import RequestInvalid
from pyros.observations.spec import RequestSpec, check_against_unit
from tests.conftest import TEST_NOW, request_dict

GUIDE_EXAMPLE = (paths.EXAMPLE_CONFIG.parents[3] / "examples" / "guide_request.xml").read_bytes()
FILTERS = load_config(paths.EXAMPLE_CONFIG).filters_by_detector()


def problems_of(call) -> list[str]:
    with pytest.raises(RequestInvalid) as error:
        call()
    return [str(p) for p in error.value.problems]


def test_the_guides_example_reads_with_relative_windows():
    spec, lines = xml_format.parse_xml_request(GUIDE_EXAMPLE, TEST_NOW)
    assert spec.name == "RequestSimulator" and spec.submitted
    sequence = spec.sequences[0]
    assert (sequence.ra, sequence.dec, sequence.duration) == (10.0, 20.0, 200.0)
    assert sequence.start == TEST_NOW + timedelta(days=15)
    assert sequence.end == TEST_NOW + timedelta(days=60000)
    plan = sequence.albums[0].plans[0]
    assert (plan.filter, plan.exposure, plan.nb_images) == ("First infrared filter", 10.0, 5)
    assert lines[("sequences", 0, "albums", 0, "plans", 0)] == 7
    assert check_against_unit(spec, FILTERS, TEST_NOW) == []


def test_absolute_julian_dates_and_iso_windows():
    xml = b"""<request name="r" scientific_program="GRB">
      <sequence name="s" ra="1" dec="2" jd1="2461366.5" end="2026-11-23T00:00:00Z" duration="60">
        <album name="a" detector="Visible camera"><plan name="p" filter="r" duration="5"/></album>
      </sequence></request>"""
    spec, _ = xml_format.parse_xml_request(xml, TEST_NOW)
    assert spec.sequences[0].start == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    assert spec.sequences[0].end == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert spec.sequences[0].albums[0].plans[0].nb_images == 1
    bad = xml.replace(b'jd1="2461366.5"', b'jd1="15"')
    assert any("15.0 is not a Julian date" in p for p in problems_of(
        lambda: xml_format.parse_xml_request(bad, TEST_NOW)))


def test_problems_name_the_line_the_element_and_the_field():
    bad = (GUIDE_EXAMPLE.replace(b'ra="10"', b'ra="361"')
           .replace(b'nb_images="5"', b'nb_images="0"'))
    problems = problems_of(lambda: xml_format.parse_xml_request(bad, TEST_NOW))
    assert problems == [
        "line 5: request 'RequestSimulator' > sequence 1 'Sequence1 (200secs)', field 'ra': "
        "Input should be less than 360",
        "line 7: request 'RequestSimulator' > sequence 1 'Sequence1 (200secs)' > album 1 'alb' "
        "> plan 1 'simulation', field 'nb_images': Input should be greater than or equal to 1",
    ]


@pytest.mark.parametrize(("old", "new", "expected"), [
    (b'jd2="60000"', b'jd2="1"', "the window ends"),
    (b'duration="200" jd1', b'duration="-10" jd1', "field 'duration': Input should be greater"),
    (b'nb_images="5"', b'nb_images="5" colour="red"', "field 'colour': unknown attribute"),
    (b'name="alb"', b'name=""', "field 'name': String should have at least 1 character"),
    (b"<plan ", b"<sequence/><plan ", "unexpected <sequence> inside <album>"),
    (b'scientific_program="GRB"', b"", "field 'scientific_program': required, but missing"),
    (b'<album detector', b'<album>text</album><album detector',
     "text is not allowed here"),
])
def test_invalid_xml_requests(old, new, expected):
    assert old in GUIDE_EXAMPLE
    problems = problems_of(
        lambda: xml_format.parse_xml_request(GUIDE_EXAMPLE.replace(old, new, 1), TEST_NOW))
    assert any(expected in p for p in problems), problems


def test_unit_checks_name_detector_filter_and_window():
    spec = RequestSpec.model_validate(request_dict())
    spec.sequences[0].albums[0].detector = "Spectrograph"
    spec.sequences[0].albums[1].plans[0].filter = "K"
    problems = [str(p) for p in check_against_unit(spec, FILTERS, TEST_NOW + timedelta(days=3))]
    assert len(problems) == 3
    assert "field 'end': the window is already over" in problems[0]
    assert "field 'detector': the unit has no detector 'Spectrograph'" in problems[1]
    assert "album 2 'nir' > plan 1 'J band', field 'filter': 'K' is not a filter" in problems[2]


@pytest.mark.parametrize("hostile", [
    # An external entity: must never be read.
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<request name="&x;" scientific_program="GRB"/>',
    # Entity expansion ("billion laughs").
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;">]><request name="&c;" scientific_program="GRB"/>',
    # A DTD fetched from the network.
    b'<?xml version="1.0"?><!DOCTYPE request SYSTEM "http://127.0.0.1:9/evil.dtd">'
    b'<request name="r" scientific_program="GRB"/>',
])
def test_hostile_xml_is_refused(hostile):
    problems = problems_of(lambda: xml_format.parse_xml_request(hostile, TEST_NOW))
    assert problems == ["file: a DOCTYPE is not allowed in request files"]


def test_huge_and_malformed_files_are_refused():
    huge = b"<request>" + b" " * (xml_format.MAX_FILE_BYTES + 1) + b"</request>"
    assert "too large" in problems_of(lambda: xml_format.parse_xml_request(huge, TEST_NOW))[0]
    assert "not well-formed XML" in problems_of(
        lambda: xml_format.parse_xml_request(b"<request>", TEST_NOW))[0]
    assert "root element must be <request>" in problems_of(
        lambda: xml_format.parse_xml_request(b"<requests/>", TEST_NOW))[0]


def test_xml_and_json_write_back_to_identical_requests():
    spec = RequestSpec.model_validate(request_dict(submitted=True))
    spec.sequences[0].preferred_time = datetime(2026, 11, 22, 6, 30, 15, 250000, tzinfo=UTC)
    from_xml, _ = xml_format.parse_xml_request(xml_format.write_xml_request(spec), TEST_NOW)
    from_json = json_format.parse_json_request(json_format.write_json_request(spec))
    assert from_xml == spec
    assert from_json == spec


def test_json_problems():
    assert "not valid JSON" in problems_of(lambda: json_format.parse_json_request(b"{"))[0]
    assert "must be a JSON object" in problems_of(lambda: json_format.parse_json_request(b"[]"))[0]
    data = request_dict()
    data["sequences"][0]["albums"][1]["plans"][0]["exposure"] = 0
    data["sequences"][0]["dec"] = 95
    data["sequences"][0]["preferred_time"] = "2027-01-01T00:00:00Z"
    problems = problems_of(lambda: json_format.parse_json_request(json.dumps(data).encode()))
    assert any("sequence 1 'first look', field 'dec'" in p for p in problems)
    assert any("plan 1 'J band', field 'exposure'" in p for p in problems)
    data["sequences"][0]["dec"] = 10
    data["sequences"][0]["albums"][1]["plans"][0]["exposure"] = 1
    problems = problems_of(lambda: json_format.parse_json_request(json.dumps(data).encode()))
    assert problems == ["request 'GRB 261121A follow-up' > sequence 1 'first look': "
                        "the preferred time is outside the window"]


def test_one_album_per_detector():
    data = request_dict()
    data["sequences"][0]["albums"][1]["detector"] = "Visible camera"
    problems = problems_of(lambda: json_format.spec_from_data(data))
    assert problems == ["request 'GRB 261121A follow-up' > sequence 1 'first look': "
                        "one album per detector: Visible camera used twice"]


@pytest.mark.parametrize(("ra", "dec", "expected"), [
    ("12:34:56.7", "+12:34:56", (188.73625, 12.582222)),
    ("12 34 56.7", "+12 34 56", (188.73625, 12.582222)),
    ("12h34m56.7s", "12d34m56s", (188.73625, 12.582222)),
    ("12h34m", "-00 30 00", (188.5, -0.5)),
    ("188.5", "-5.25", (188.5, -5.25)),
    (188.5, -5.25, (188.5, -5.25)),
])
def test_sexagesimal_coordinates_in_json_and_xml(ra, dec, expected):
    data = request_dict()
    data["sequences"][0].update(ra=ra, dec=dec)
    sequence = json_format.spec_from_data(data).sequences[0]
    assert (round(sequence.ra, 5), round(sequence.dec, 6)) == expected
    xml = GUIDE_EXAMPLE.replace(b'ra="10" dec="20"', f'ra="{ra}" dec="{dec}"'.encode())
    spec, _ = xml_format.parse_xml_request(xml, TEST_NOW)
    assert (round(spec.sequences[0].ra, 5), round(spec.sequences[0].dec, 6)) == expected


@pytest.mark.parametrize(("ra", "dec", "message"), [
    ("25:00:00", "0", "a sexagesimal right ascension is in hours, below 24"),
    ("12:61:00", "0", "minutes and seconds must be below 60"),
    ("-01:00:00", "0", "a right ascension is not negative"),
    ("ten", "0", "'ten' is not a right ascension"),
    ("10", "north", "'north' is not a declination"),
    ("10", "+91:00:00", "Input should be less than or equal to 90"),
])
def test_bad_sexagesimal_coordinates_say_why(ra, dec, message):
    data = request_dict()
    data["sequences"][0].update(ra=ra, dec=dec)
    assert any(message in p for p in problems_of(lambda: json_format.spec_from_data(data)))


def test_iso_times_without_a_zone_are_utc():
    data = request_dict()
    data["sequences"][0].update(start="2026-11-22T00:00:00", end="2026-11-22T06:30")
    sequence = json_format.spec_from_data(data).sequences[0]
    assert sequence.start == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    assert sequence.end == datetime(2026, 11, 22, 6, 30, tzinfo=UTC)
    data["sequences"][0].update(start="2026-11-22T01:00:00+01:00")
    assert json_format.spec_from_data(data).sequences[0].start == \
        datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def test_every_problem_in_one_pass_a_bad_dec_does_not_hide_a_bad_filter():
    data = request_dict()
    data["sequences"][0]["dec"] = 95
    data["sequences"][0]["albums"][0]["plans"][0]["filter"] = "Halpha"
    data["sequences"][0]["albums"][1]["detector"] = "UV camera"
    problems = problems_of(lambda: json_format.spec_from_data(data, FILTERS))
    assert any("field 'dec'" in p for p in problems)
    assert any("'Halpha' is not a filter of detector 'Visible camera'" in p for p in problems)
    assert any("the unit has no detector 'UV camera'" in p for p in problems)
    xml = (GUIDE_EXAMPLE.replace(b'dec="20"', b'dec="95"')
           .replace(b'filter="First infrared filter"', b'filter="Halpha"'))
    problems = problems_of(lambda: xml_format.parse_xml_request(xml, TEST_NOW, FILTERS))
    assert problems == [
        "line 5: request 'RequestSimulator' > sequence 1 'Sequence1 (200secs)', field 'dec': "
        "Input should be less than or equal to 90",
        "line 7: request 'RequestSimulator' > sequence 1 'Sequence1 (200secs)' > album 1 'alb' "
        "> plan 1 'simulation', field 'filter': 'Halpha' is not a filter of detector "
        "'Visible camera' (filters: Clear, g, r, i, z, First infrared filter)"]
