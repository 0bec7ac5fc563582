"""The Django side of planning: tonight's problem from the stored sequences, plans saved
with their history and statuses, and the scheduler agent's re-planning triggers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pyros.config.loader import active_config
from pyros.observations import json_format
from pyros.observations import store as requests_store
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from pyros.scheduling import store
from pyros.scheduling.agent import SchedulerAgent
from pyros.scheduling.models import PlanningMarker, Schedule, Trigger
from tests.conftest import request_dict

# 16:18 local time at San Pedro Mártir, before tonight's dark time (01:36–13:19 UTC).
AFTERNOON = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
NIGHT = date(2026, 11, 21)


def _sequence(name: str, ra: float, dec: float, *, minutes: int = 20, priority: int = 5,
              obs_type: str = "BESTELEV", start: str = "2026-11-22T00:00:00Z",
              end: str = "2026-11-23T00:00:00Z") -> dict:
    return {"name": name, "target": name, "ra": ra, "dec": dec, "start": start, "end": end,
            "duration": minutes * 60, "priority": priority, "obs_type": obs_type,
            "max_airmass": 2.0,
            "albums": [{"name": "vis", "detector": "Visible camera",
                        "plans": [{"name": "r", "filter": "r", "exposure": 30,
                                   "nb_images": 2}]}]}


def _submit(owner, *sequences: dict, name: str = "tonight"):
    spec = json_format.spec_from_data(request_dict(name=name, submitted=True,
                                                   sequences=list(sequences)))
    return requests_store.create_request(spec, owner)


@pytest.fixture
def afternoon(simulated_clock):
    simulated_clock.set(AFTERNOON)
    return simulated_clock


@pytest.fixture
def agent(afternoon):
    return SchedulerAgent("scheduler", unit=active_config(), time_limit=0.5)


def test_build_problem_takes_the_waiting_sequences_of_tonight(observer, afternoon):
    _submit(observer, _sequence("M31", 10.68, 41.27), _sequence("M33", 23.46, 30.66))
    _submit(observer, _sequence("later", 10.0, 20.0, start="2026-12-10T00:00:00Z",
                                end="2026-12-11T00:00:00Z"), name="next month")
    problem = store.build_problem(active_config())
    assert problem.night == NIGHT
    assert sorted(s.ra for s in problem.sequences) == [10.68, 23.46]
    assert problem.quotas["GRB"] > 0
    assert problem.not_before == AFTERNOON


def test_a_saved_plan_updates_the_statuses_and_keeps_the_reasons(observer, agent):
    _submit(observer, _sequence("M31", 10.68, 41.27),
            _sequence("south pole", 0.0, -89.0))  # never above airmass 2 here
    schedule = agent.replan(Trigger.OPERATOR, "test")
    m31 = Sequence.objects.get(target_name="M31")
    pole = Sequence.objects.get(target_name="south pole")
    assert m31.status == SequenceStatus.PLANNED
    assert pole.status == SequenceStatus.UNPLANNABLE
    assert "never observable" in pole.status_reason
    assert [e.sequence_id for e in schedule.entries.all()] == [m31.pk]
    assert schedule.unplanned.get().sequence_id == pole.pk
    assert schedule.dark_start < schedule.entries.get().start < schedule.dark_end


def test_the_agent_replans_on_its_markers_and_only_then(observer, agent):
    agent.routine()  # first look: a plan, even an empty one
    assert Schedule.objects.count() == 1
    agent.routine()
    assert Schedule.objects.count() == 1, "nothing changed: no new plan"
    _submit(observer, _sequence("M31", 10.68, 41.27))
    agent.routine()
    latest = store.current_schedule()
    assert latest.trigger == Trigger.NEW_SEQUENCES and latest.entries.count() == 1
    store.bump_marker(Trigger.EXECUTION, "sequence 12 executed")
    agent.routine()
    latest = store.current_schedule()
    assert (latest.trigger, latest.detail) == (Trigger.EXECUTION, "sequence 12 executed")
    assert PlanningMarker.objects.get().version == 2  # the submission, then the execution


def test_the_start_of_the_dark_time_triggers_a_plan(observer, agent, afternoon):
    agent.routine()
    afternoon.set(datetime(2026, 11, 22, 1, 40, tzinfo=UTC))
    agent.routine()
    assert store.current_schedule().trigger == Trigger.START_OF_NIGHT


def test_successive_replannings_keep_the_history(observer, agent):
    _submit(observer, _sequence("A", 20.0, 30.0), _sequence("B", 40.0, 30.0))
    first = agent.replan(Trigger.OPERATOR)
    _submit(observer, _sequence("C", 60.0, 30.0), name="second")
    second = agent.replan(Trigger.NEW_SEQUENCES)
    assert first.entries.count() == 2 and second.entries.count() == 3
    assert list(Schedule.objects.all()) == [second, first]
    assert Sequence.objects.filter(status=SequenceStatus.PLANNED).count() == 3


def test_a_cancelled_request_leaves_the_next_plan(observer, agent):
    request = _submit(observer, _sequence("A", 20.0, 30.0))
    _submit(observer, _sequence("B", 40.0, 30.0), name="other")
    agent.routine()
    assert store.current_schedule().entries.count() == 2
    requests_store.cancel_request(request, "not needed", actor=request.owner)
    agent.routine()
    assert [e.sequence.target_name for e in store.current_schedule().entries.all()] == ["B"]


def test_an_alert_is_inserted_at_once_before_lower_priorities(observer, agent, afternoon):
    # A night full of priority-3 sequences, then an alert at 04:00 UTC.
    _submit(observer, *[_sequence(f"field {i}", 15.0 * i, 20.0, minutes=30, priority=3)
                        for i in range(24)])
    agent.replan(Trigger.START_OF_NIGHT)
    moment = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    afternoon.set(moment)
    before = store.current_placements(store.current_schedule(), after=moment)
    alert = _submit(observer, _sequence("GRB", 60.0, 25.0, minutes=20, priority=10,
                                        obs_type="IMMEDIATE"), name="alert")
    alert_sequence = alert.sequences.get()
    schedule = agent.insert([alert_sequence.pk], detail="GRB 261122A")
    entries = list(schedule.entries.filter(end__gt=moment))
    assert schedule.trigger == Trigger.ALERT and schedule.elapsed < 1.0
    # The first sequence starting within the freeze keeps its place; the alert comes next.
    protected = [p for p in before if p.start <= moment + timedelta(seconds=60)]
    if protected:
        assert str(entries[0].sequence_id) == protected[0].id
        assert entries[0].start == protected[0].start
        entries = entries[1:]
    assert entries[0].sequence_id == alert_sequence.pk
    alert_sequence.refresh_from_db()
    assert alert_sequence.status == SequenceStatus.PLANNED


def test_inserting_an_unknown_sequence_is_refused(observer, agent):
    with pytest.raises(ValueError, match="not waiting"):
        agent.insert([999999])


def test_a_sequence_already_planned_and_inserted_again_is_in_the_plan_once(
        observer, agent, afternoon):
    """An alert's tile was taken in by the re-plan its submission triggered, then
    insert_now put it in again: the plan held it twice (at 02:21 and 02:38), and both
    entries showed EXECUTING when it ran."""
    _submit(observer, *[_sequence(f"field {i}", 15.0 * i, 20.0, minutes=30, priority=3)
                        for i in range(12)])
    agent.replan(Trigger.START_OF_NIGHT)
    moment = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    afternoon.set(moment)
    tile = _submit(observer, _sequence("tile 7", 60.0, 25.0, minutes=15, priority=10,
                                       obs_type="IMMEDIATE"), name="alert").sequences.get()
    replanned = agent.replan(Trigger.NEW_SEQUENCES)
    assert replanned.entries.filter(sequence=tile).count() == 1
    schedule = agent.insert([tile.pk], detail="GW tile")
    ids = [e.sequence_id for e in schedule.entries.all()]
    assert ids.count(tile.pk) == 1, ids
    assert len(ids) == len(set(ids))
    again = agent.insert([tile.pk], detail="the same insert_now twice")
    assert [e.sequence_id for e in again.entries.all()].count(tile.pk) == 1


def test_a_plan_holding_a_sequence_twice_is_never_written(observer, agent):
    from pyros.scheduling.problem import Placement, PlanResult

    _submit(observer, _sequence("M31", 10.68, 41.27))
    problem = store.build_problem(active_config())
    sequence = problem.sequences[0].id
    start = datetime(2026, 11, 22, 2, 21, tzinfo=UTC)
    later = datetime(2026, 11, 22, 2, 38, tzinfo=UTC)
    twice = PlanResult(placements=[Placement(sequence, start, start + timedelta(minutes=10)),
                                   Placement(sequence, later, later + timedelta(minutes=10))],
                       rejections=[], objective=0.0, bound=None, proven_optimal=False,
                       elapsed=0.0, engine="test")
    before = Schedule.objects.count()
    with pytest.raises(store.PlanInvariantError, match=f"sequence {sequence} at 02:21, 02:38"):
        store.save_plan(problem, twice, trigger=Trigger.OPERATOR)
    assert Schedule.objects.count() == before
