"""The majordome without its database (the telescope computer cut off from the server):
it cannot establish safety, so it closes and parks through the devices, holds its night
log, and resumes when the database answers again. The network itself is cut in
tests/twocomputers/; here the database is made to fail where the majordome reads it."""

from __future__ import annotations

import time

import pytest
from django.db import OperationalError

from pyros.images.models import Image
from pyros.majordome import store
from pyros.majordome.models import LogKind, NightLogEntry
from pyros.majordome.states import State
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from tests.majordome.night import in_the_sky, sequence
from tests.majordome.test_nights import MIDNIGHT, _closed, night_factory  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _cut_off(*args, **kwargs):
    raise OperationalError("connection to server at 10.0.0.1 failed: No route to host")


def _decide_offline(night) -> None:
    """One decision as the agent's loop makes it: the routine, its database error
    raised again for the loop to reconnect."""
    with pytest.raises(OperationalError):
        night.majordome.routine()


def test_without_its_database_the_majordome_closes_parks_and_resumes(
        night_factory, monkeypatch):  # noqa: F811
    night = night_factory(close_within=120.0)
    ra, dec = in_the_sky(MIDNIGHT, night.unit)
    night.submit(sequence("long", ra, dec, exposures=6, vis_seconds=20, nir_seconds=20,
                          minutes=10))
    night.plan()
    night.tick_until(lambda: Image.objects.exists(), what="a first image")
    night.clock.set_speed(10.0)
    lost_at = night.clock.now()
    states = NightLogEntry.objects.filter(kind=LogKind.STATE)
    logged_before = states.count()

    with monkeypatch.context() as outage:
        outage.setattr(store, "surroundings", _cut_off)
        while night.majordome.state != State.PASSIVE_NO_PLC:
            _decide_offline(night)
            time.sleep(0.02)
            assert night.sim_seconds(lost_at) <= 120.0, "not closed within close_within"
        assert _closed(night)
        # Decided without the database: no transition written to it, all of them held
        # (the executor's own end of the sequence reaches the database in this test).
        assert states.count() == logged_before
        held = [entry.message for entry in night.majordome._held.entries]
        assert any("CLOSING" in m and "database is unreachable" in m for m in held), held
        _decide_offline(night)  # stays closed while cut off
        assert night.majordome.state == State.PASSIVE_NO_PLC

    night.majordome.tick()
    messages = list(NightLogEntry.objects.order_by("time", "id").values_list("message",
                                                                              flat=True))
    assert any("OBSERVING → CLOSING" in m and "database is unreachable" in m
               for m in messages), messages
    assert any("the database was unreachable for" in m for m in messages), messages
    assert night.majordome._held.entries == []
    assert Sequence.objects.get().status == SequenceStatus.TOBEPLANNED

    night.clock.set_speed(50.0)
    night.plan()
    night.until_state(State.OBSERVING)
    night.tick_until(lambda: Sequence.objects.get().status == SequenceStatus.EXECUTED,
                     what="the sequence executed once the database is back")
