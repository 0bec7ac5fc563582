"""Real packets moved to now, for a simulated night: every time moves by one offset, the
rest of the packet stays as it was, and the strategy judges it as a fresh alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pyros.alerts.redate import earliest_time, redate, redate_to
from pyros.alerts.voevent import VOEventError, parse_voevent

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def packet(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_a_packet_moved_to_now_keeps_its_spacing_and_everything_else():
    original = packet("swift_bat_grb_pos_655721.xml")
    (moved,) = redate_to([original], NOW)
    before, after = parse_voevent(original), parse_voevent(moved)
    # The burst (21:18:24.86) came before the notice; whole seconds: 0.14 s short of now.
    assert after.event_time == NOW - timedelta(seconds=0.14)
    assert after.issued - after.event_time == before.issued - before.event_time
    assert (after.ivorn, after.ra, after.dec, after.error_radius) == \
        (before.ivorn, before.ra, before.dec, before.error_radius)
    assert b"<ISOTime>2026-11-22T02:59:59.86</ISOTime>" in moved  # two digits, as given
    assert b"xmlns:voe=\"http://www.ivoa.net/xml/VOEvent/v2.0\"" in moved


def test_the_packets_of_one_event_move_together():
    names = ["fermi_gbm_alert_538809001.xml", "fermi_gbm_flt_pos_538809001.xml",
             "fermi_gbm_gnd_pos_538809001.xml", "fermi_gbm_fin_pos_538809001.xml"]
    originals = [packet(name) for name in names]
    moved = [parse_voevent(data) for data in redate_to(originals, NOW)]
    assert {p.event_time for p in moved} == {NOW - timedelta(seconds=0.4)}  # 05:09:56.60
    issued = [p.issued for p in moved]
    assert issued == sorted(issued)
    assert issued[-1] - issued[0] == timedelta(minutes=9, seconds=15)  # 05:10:02 → 05:19:17


def test_six_digits_and_a_zone_are_kept():
    original = packet("lvk_ms181101ab_preliminary.xml")
    moved = redate(original, timedelta(days=1))
    assert b"<ISOTime>2018-11-02T22:22:46.654437</ISOTime>" in moved
    assert earliest_time([moved]) == datetime(2018, 11, 2, 22, 22, 46, 654437, tzinfo=UTC)
    zoned = original.replace(b"2018-11-01T22:22:46.654437", b"2018-11-01T23:22:46.654437+01:00")
    assert earliest_time([zoned]) == datetime(2018, 11, 1, 22, 22, 46, 654437, tzinfo=UTC)


@pytest.mark.parametrize("data, complaint", [
    (b"<VOEvent><Who><Date>yesterday</Date></Who></VOEvent>", "not an ISO date and time"),
    (b"<VOEvent><Who>", "not well-formed"),
])
def test_a_packet_that_cannot_be_moved_says_why(data, complaint):
    with pytest.raises(VOEventError, match=complaint):
        redate_to([data], NOW)


def test_a_packet_without_times_is_left_alone():
    data = b"<VOEvent><What/></VOEvent>"
    assert redate_to([data], NOW) == [data]
