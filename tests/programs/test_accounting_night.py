"""Time accounting in simulated nights: what an executed, a stopped sequence and the
calibrations charge, compared with what the night log recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyros.accounts.profiles import ProfileLevel
from pyros.images.models import Image
from pyros.majordome import store
from pyros.majordome.controls import Action
from pyros.majordome.models import LogKind, NightLogEntry
from pyros.majordome.states import State
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from pyros.programs.accounting import program_times
from pyros.programs.models import Period, ScientificProgram, TimeCharge
from tests.majordome.night import in_the_sky, sequence

# The simulated nights' own fixture: the example unit, alice's program, a night at 50×.
from tests.majordome.test_nights import MIDNIGHT, night_factory  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)



def _ended(sequence_id: int) -> bool:
    return any("outcome" in e.detail for e in NightLogEntry.objects.filter(
        kind=LogKind.SEQUENCE, sequence_id=sequence_id))


def _log_span(sequence_id: int) -> tuple[datetime, datetime]:
    """The night log's start and end entries of the sequence's (only) execution."""
    entries = list(NightLogEntry.objects.filter(kind=LogKind.SEQUENCE, sequence_id=sequence_id)
                   .order_by("time", "id"))
    starts = [e for e in entries if e.detail.get("phase") == "start"]
    ends = [e for e in entries if "outcome" in e.detail]
    assert len(starts) == 1 and len(ends) == 1, [str(e) for e in entries]
    return starts[0].time, ends[0].time


def test_an_executed_sequence_charges_its_program_what_the_night_log_says(night_factory):  # noqa: F811
    night = night_factory()
    ra, dec = in_the_sky(MIDNIGHT, night.unit, hours_east=1.0)
    night.submit(sequence("M1", ra, dec, obs_type="IMMEDIATE", minutes=5))
    night.plan()
    seq = Sequence.objects.get()
    # The status, the charge and the night log's end entry are three writes: wait for
    # the last, not the first (on a loaded machine the test read between them).
    night.tick_until(lambda: Sequence.objects.filter(status=SequenceStatus.EXECUTED).exists()
                     and TimeCharge.objects.exists() and _ended(seq.pk),
                     what="the sequence executed, charged and logged")

    charge = TimeCharge.objects.get()
    start, end = _log_span(seq.pk)
    assert charge.sequence_id == seq.pk and charge.program.name == "GRB"
    assert charge.outcome == "EXECUTED"
    assert (charge.start, charge.end) == (start, end)
    assert charge.seconds == pytest.approx((end - start).total_seconds(), abs=1e-3)
    assert charge.period.name == "2026B"
    parts = charge.breakdown
    assert sum(parts.values()) == pytest.approx(charge.seconds, abs=0.01)
    # Two channels in parallel: VIS 2 × 5 s, NIR 2 × 3 s; the shutters' time is the
    # union, at least the longer channel's 10 s, at most both channels' 16 s.
    assert 10.0 - 0.01 <= parts["exposure"] <= 16.0 + 0.01
    images = Image.objects.filter(sequence_id=seq.pk)
    assert images.count() == 4
    assert all(start <= i.date_obs and i.date_end <= end for i in images)
    assert parts["slew"] > 0 and parts["readout"] >= 0 and parts["overhead"] >= 0

    # A repeated write of the same execution changes nothing.
    store._charge(seq.pk, _outcome_of(charge), end)
    assert TimeCharge.objects.count() == 1

    (grb,) = program_times(ScientificProgram.objects.filter(name="GRB"),
                           Period.objects.get(name="2026B"), end)
    assert grb.used == pytest.approx(charge.seconds)
    assert grb.remaining == pytest.approx(200 * 3600 - charge.seconds)


def _outcome_of(charge: TimeCharge):
    from pyros.majordome.work import Outcome, SequenceOutcome

    return SequenceOutcome(Outcome(charge.outcome), charge.reason, started=charge.start,
                           ended=charge.end)


def test_a_stopped_sequence_charges_the_time_it_used(night_factory):  # noqa: F811
    night = night_factory()
    ra, dec = in_the_sky(MIDNIGHT, night.unit)
    night.submit(sequence("long", ra, dec, exposures=10, vis_seconds=30, nir_seconds=30,
                          minutes=10))
    night.plan()
    night.tick_until(lambda: Image.objects.exists(), what="a first image")
    store.apply_action(night.unit, Action.STOP, who="web:ie", level=ProfileLevel.IE_IS)
    night.until_state(State.SCHEDULER_READY)
    night.tick_until(lambda: night.majordome.running is None,
                     what="the interrupted sequence ended")
    seq = Sequence.objects.get()
    assert seq.status == SequenceStatus.TOBEPLANNED

    charge = TimeCharge.objects.get()
    start, end = _log_span(seq.pk)
    assert charge.outcome == "INTERRUPTED"
    assert charge.seconds == pytest.approx((end - start).total_seconds(), abs=1e-3)
    assert charge.seconds < seq.duration  # what it used, not what it asked for
    assert sum(charge.breakdown.values()) == pytest.approx(charge.seconds, abs=0.01)
    assert charge.breakdown["exposure"] >= 30.0 - 0.01  # a first image was taken


def test_calibrations_charge_no_program(night_factory):  # noqa: F811
    night = night_factory(at=datetime(2026, 11, 22, 0, 30, tzinfo=UTC))  # before dusk
    night.tick_until(lambda: Image.objects.filter(frame_type="DARK").count() == 2,
                     what="dusk's darks")
    assert NightLogEntry.objects.filter(kind=LogKind.CALIBRATION).exists()
    assert not TimeCharge.objects.exists()
