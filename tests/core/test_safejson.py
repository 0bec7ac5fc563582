"""``pyros.safejson`` and ``pyros.dates``: what outside JSON and dates PyROS refuses,
with a message that never echoes invalid text (issue 17, point 5)."""

from __future__ import annotations

from datetime import date

import pytest

from pyros import safejson
from pyros.dates import parse_day


@pytest.mark.parametrize(("text", "says"), [
    ("[" * 5000 + "]" * 5000, "nested deeper than 64"),
    ('{"a":' * 5000 + "1" + "}" * 5000, "nested deeper than 64"),
    ('["]]]]]]", ' + "[" * 65 + "]" * 65 + "]", "nested deeper than 64"),
    ("[" * 2_000_000, "nested deeper than 64"),
    ("1e400", "the document: inf is not a finite number"),
    ('{"ra": -1e999}', "ra: -inf is not a finite number"),
    ("NaN", "nan is not a finite number"),
    ('{"a": [Infinity]}', "a[0]: inf is not a finite number"),
    ('{"id": 99999999999999999999999}', "id: an integer beyond 64 bits"),
    ("1" * 5000, "not valid JSON"),
    ('{"name": "\\ud800"}', "name: not valid text"),
    ('{"\\udfff": 1}', "(key): not valid text"),
    ('{"a": ["x", "a\\u0000b"]}', "a[1]: a NUL character"),
    ("{'a': 1}", "not valid JSON"),
    ('"' + '\\"' * 100_000, "not valid JSON"),
])
def test_hostile_json_is_refused_with_a_message(text: str, says: str):
    with pytest.raises(safejson.JSONInputError) as refused:
        safejson.loads(text.encode())
    message = str(refused.value)
    assert says in message
    message.encode("utf-8")  # no lone surrogate echoed: the message always encodes


def test_json_within_the_limits_is_decoded():
    deep = "[" * safejson.MAX_DEPTH + "]" * safejson.MAX_DEPTH
    assert safejson.loads(deep) is not None
    assert safejson.loads('{"a": "\\uD83D\\uDE00 [[[[", "b": 2.5e10, "c": -9223372036854775807}'
                          ) == {"a": "\U0001F600 [[[[", "b": 2.5e10, "c": -(2**63 - 1)}
    assert safejson.loads('"\\\\u0000"') == "\\u0000"  # an escaped backslash, not NUL


def test_bytes_that_are_not_utf8_are_refused():
    with pytest.raises(safejson.JSONInputError, match="not UTF-8"):
        safejson.loads(b'{"a": "\xff"}')


def test_decoded_toml_is_checked_alike():
    with pytest.raises(safejson.JSONInputError, match="not a finite number"):
        safejson.check_value({"a": [1.0, float("inf")]})
    with pytest.raises(safejson.JSONInputError, match="nested deeper"):
        value: list = []
        for _ in range(100):
            value = [value]
        safejson.check_value(value)


def test_safe_text_replaces_what_cannot_be_shown():
    assert safejson.safe_text("a\ud800b\x00c") == "a\ufffdb\ufffdc"
    assert safejson.safe_text("x" * 100, 10) == "x" * 10 + "…"


@pytest.mark.parametrize("raw", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_days_beyond_the_bounds_are_refused(raw: str):
    with pytest.raises(ValueError, match="must be between 1900-01-01 and 2199-12-31"):
        parse_day(raw, "night")


@pytest.mark.parametrize("raw", ["10000-01-01", "2026-13-45", "20261121", "1" * 5000, "x\ud800"])
def test_days_that_are_not_dates_are_refused(raw: str):
    with pytest.raises(ValueError, match="night must be a date YYYY-MM-DD") as refused:
        parse_day(raw, "night")
    str(refused.value).encode("utf-8")


def test_a_day_within_the_bounds_is_read():
    assert parse_day("2026-11-21", "night") == date(2026, 11, 21)


def test_numbers_may_be_left_to_a_caller_that_names_their_fields():
    """A request file's spec says "field 'duration': …" of a NaN: safejson lets it by."""
    decoded = safejson.loads('{"duration": NaN, "ra": 1e400, "n": 99999999999999999999}',
                             numbers=False)
    assert decoded["ra"] == float("inf") and decoded["n"] == 99999999999999999999
    with pytest.raises(safejson.JSONInputError, match="not valid text"):
        safejson.loads('{"duration": NaN, "name": "\\ud800"}', numbers=False)
