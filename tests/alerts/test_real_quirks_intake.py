"""The real packets with quirks, through the alerts agent's drop folder into the
database: kept (nothing refused), flagged with the reason on the packet, in the API and
on the alert's page, and grouped with the later packets of their event."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from pyros.alerts.agent import AlertAgent
from pyros.alerts.models import AlertEvent, AlertPacket, Decision, RefusedPacket
from pyros.config.loader import active_config
from tests.alerts import packet
from tests.alerts.test_agent import scheduler_in_process  # noqa: F401  (a fixture)
from tests.alerts.test_intake import at  # noqa: F401  (a fixture)
from tests.alerts.test_real_quirks import ANTARES, ECLAIRS, GBM, GRM, MXT, later

NO_POSITION_YET = "flagged: position (72.6054, +52.8488) not used: its error radius is negative"


@pytest.fixture
def drop(tmp_path, scheduler_in_process):  # noqa: F811
    """Write a packet into the agent's inbox (elsewhere first, then renamed in, as the
    docs ask) and let the agent take it."""
    agent = AlertAgent("alerts", unit=active_config(), inbox=tmp_path / "inbox")
    agent.init()
    count = 0

    def put(data: bytes) -> AlertPacket:
        nonlocal count
        count += 1
        staged = tmp_path / f"packet{count}.xml"
        staged.write_bytes(data)
        staged.rename(tmp_path / "inbox" / staged.name)
        agent.routine()
        assert not list((tmp_path / "inbox").iterdir())
        return AlertPacket.objects.order_by("-id").first()

    return put


def test_the_svom_grm_trigger_is_kept_flagged_and_grouped_with_eclairs_and_mxt(at, drop):  # noqa: F811
    at(GRM, 30)
    grm = drop(packet(GRM))
    assert grm.decision == Decision.REJECTED
    assert NO_POSITION_YET in grm.reason and grm.reason.endswith("no position yet")
    assert grm.record["flags"][0].startswith("position (72.6054, +52.8488) not used")
    assert (grm.ra, grm.dec, grm.error_radius) == (None, None, None)
    at(ECLAIRS, 330)
    eclairs = drop(packet(ECLAIRS))
    at(MXT, 600)
    mxt = drop(packet(MXT))
    assert not RefusedPacket.objects.exists()
    event = AlertEvent.objects.get()
    assert event.key == "SVOM:sb26050402"
    assert {grm.event_id, eclairs.event_id, mxt.event_id} == {event.pk}
    assert (event.ra, event.dec, event.error_radius) == (351.2291, -80.3527, 0.0491)
    assert event.position_ivorn == mxt.ivorn
    assert eclairs.record["flags"] == [] and "flagged" not in eclairs.reason

    api = APIClient().get(f"/api/alerts/events/{event.pk}/")
    assert api.status_code == 200
    packets = {p["ivorn"]: p for p in api.json()["packets"]}
    assert packets[grm.ivorn]["flags"] == grm.record["flags"]
    assert packets[mxt.ivorn]["flags"] == [] and packets[mxt.ivorn]["position_used"]
    page = Client().get(f"/alerts/{event.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="flags-{grm.pk}"' in html and f'id="flags-{mxt.pk}"' not in html
    assert "Flagged: position (72.6054, +52.8488) not used: its error radius is negative" in html


@pytest.mark.parametrize("name, key, flagged", [
    (GBM, "Fermi:336801278", False),  # FK5-UTC-GEO is FK5 in UTC: nothing unusable
    (ANTARES, "ANTARES:1438351269", True),  # the empty citation
])
def test_a_refused_before_packet_is_kept_and_its_next_packet_joins_it(at, drop, name, key,  # noqa: F811
                                                                      flagged):
    at(name, 60)
    first = drop(packet(name))
    assert bool(first.record["flags"]) == flagged
    assert ("flagged: an empty citation" in first.reason) == flagged
    at(name, 900)
    second = drop(later(name))
    assert not RefusedPacket.objects.exists()
    event = AlertEvent.objects.get()
    assert event.key == key and event.packets.count() == 2
    assert first.event_id == second.event_id == event.pk
    assert event.position_ivorn == second.ivorn  # the smaller error radius
