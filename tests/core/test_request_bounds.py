"""Numbers no date can hold, in request files (issue 17, points 1 and 5): relative Julian
dates of 1e308, inf or nan, absolute ones out of the calendar, ISO windows at the edges
of ``datetime``, NaN and Infinity in JSON. Each is a RequestInvalid naming the field,
never an OverflowError (a 500 on the API and the import page, a traceback on the
command line). No database: tests/web/test_request_file_bounds.py sends the same
files through the API, the import page and the command line."""

from __future__ import annotations

import json

import pytest

from pyros import paths
from pyros.observations import json_format, xml_format
from pyros.observations.problems import RequestInvalid
from tests.conftest import TEST_NOW, request_dict

GUIDE_EXAMPLE = (paths.EXAMPLE_CONFIG.parents[3] / "examples" / "guide_request.xml").read_bytes()


def xml_problems(data: bytes) -> list[str]:
    with pytest.raises(RequestInvalid) as error:
        xml_format.parse_xml_request(data, TEST_NOW)
    return [str(p) for p in error.value.problems]


def json_problems(data: bytes) -> list[str]:
    with pytest.raises(RequestInvalid) as error:
        json_format.parse_json_request(data)
    return [str(p) for p in error.value.problems]


@pytest.mark.parametrize(("value", "expected"), [
    (b"1e308", "1e+308 days from now is out of range (at most 100000 days either way)"),
    (b"-1e308", "-1e+308 days from now is out of range"),
    (b"1e400", "'1e400' is not a finite number"),
    (b"inf", "'inf' is not a finite number"),
    (b"-Infinity", "'-Infinity' is not a finite number"),
    (b"nan", "'nan' is not a finite number"),
    (b"200000", "200000 days from now is out of range"),
    (b"fifteen", "'fifteen' is not a number"),
    (b"9" * 400, "'" + "9" * 40 + "...' is not a finite number"),
])
def test_relative_julian_dates_out_of_any_calendar_are_refused(value, expected):
    problems = xml_problems(GUIDE_EXAMPLE.replace(b'jd1="15"', b'jd1="' + value + b'"'))
    assert len(problems) == 1
    assert "field 'jd1': " + expected in problems[0], problems


@pytest.mark.parametrize(("jd1", "expected"), [
    (b"1e308", "field 'jd1': 1e+308 is not a Julian date"),
    (b"nan", "field 'jd1': 'nan' is not a finite number"),
    (b"2999999", "field 'jd1': 2999999.0 is not a Julian date from 1900 to 3000"),  # 3501
    (b"2415020.4", "field 'jd1': 2415020.4 is not a Julian date from 1900 to 3000"),
])
def test_absolute_julian_dates_out_of_range_are_refused(jd1, expected):
    absolute = (GUIDE_EXAMPLE.replace(b'relative="1"', b'relative="0"')
                .replace(b'jd1="15"', b'jd1="' + jd1 + b'"')
                .replace(b'jd2="60000"', b'jd2="2999999.5"'))
    problems = xml_problems(absolute)
    assert any(expected in p for p in problems), problems


def test_the_guides_far_relative_window_still_reads():
    """The guide's example ends its window 60,000 days ahead: the bound leaves it be."""
    spec, _ = xml_format.parse_xml_request(GUIDE_EXAMPLE, TEST_NOW)
    assert spec.sequences[0].end.year == 2191


@pytest.mark.parametrize(("start", "expected"), [
    ("0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00+01:00 is out of range (from 1900 to "
                                  "3000)"),
    ("9999-12-31T23:59:59-01:00", "is out of range"),
    ("9999-12-31T23:59:59Z", "9999-12-31 is out of range"),
    (1e308, "dates after 9999 are not supported"),
])
def test_iso_windows_at_the_edges_of_datetime_are_refused(start, expected):
    data = request_dict()
    data["sequences"][0]["start"] = start
    problems = json_problems(json.dumps(data).encode())
    assert any("field 'start'" in p and expected in p for p in problems), problems


@pytest.mark.parametrize(("field", "literal"), [
    ("duration", "NaN"), ("ra", "Infinity"), ("dec", "-Infinity"), ("max_airmass", "NaN"),
    ("duration", "1e999"), ("priority", "1" + "0" * 300),
])
def test_json_non_finite_and_huge_numbers_are_refused(field, literal):
    """Python's json module reads NaN, Infinity and 1e999 (as inf); the spec refuses them."""
    data = request_dict()
    data["sequences"][0][field] = "@@"
    problems = json_problems(json.dumps(data).replace('"@@"', literal).encode())
    assert any(f"field '{field}'" in p for p in problems), problems


def test_json_integers_of_thousands_of_digits_and_deep_nesting_are_refused():
    data = request_dict()
    data["sequences"][0]["priority"] = "@@"
    huge = json.dumps(data).replace('"@@"', "1" + "0" * 5000).encode()
    [problem] = json_problems(huge)
    assert problem.startswith("file: not valid JSON: Exceeds the limit (4300 digits)")
    assert json_problems(b"[" * 100_000 + b"]" * 100_000) == [
        "file: nested deeper than 64 levels"]
