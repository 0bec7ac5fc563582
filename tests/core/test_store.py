"""Storing requests: the checks that need the database, and all-or-nothing writes."""

from datetime import timedelta
from decimal import Decimal

import pytest

from pyros.observations import store
from pyros.observations.lifecycle import InvalidTransition, RequestStatus, SequenceStatus
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.observations.problems import RequestInvalid
from pyros.observations.spec import RequestSpec
from pyros.programs.models import Allocation
from tests.conftest import TEST_NOW, request_dict


def row_counts() -> tuple[int, int, int, int]:
    return (Request.objects.count(), Sequence.objects.count(), Album.objects.count(),
            Plan.objects.count())


def spec(**overrides) -> RequestSpec:
    return RequestSpec.model_validate(request_dict(**overrides))


def test_a_submitted_request_is_stored_whole(observer):
    created = store.create_request(spec(submitted=True), observer)
    assert created.status == RequestStatus.SUBMITTED
    assert created.submitted_at == TEST_NOW and created.owner == observer
    assert row_counts() == (1, 1, 2, 2)
    sequence = created.sequences.get()
    assert sequence.status == SequenceStatus.TOBEPLANNED
    assert [a.detector for a in sequence.albums.all()] == ["Visible camera", "Infrared camera"]
    assert store.spec_of(created) == spec(submitted=True)


def test_a_draft_waits_for_submission(observer):
    created = store.create_request(spec(), observer)
    assert created.status == RequestStatus.DRAFT
    assert created.sequences.get().status == SequenceStatus.DRAFT
    store.submit_request(created, actor=observer)
    created.refresh_from_db()
    assert created.status == RequestStatus.SUBMITTED
    assert created.sequences.get().status == SequenceStatus.TOBEPLANNED


def test_only_members_of_the_program_can_ask(outsider):
    with pytest.raises(RequestInvalid) as error:
        store.create_request(spec(), outsider)
    assert "bob is not a member of the program 'GRB'" in str(error.value)
    with pytest.raises(RequestInvalid, match="there is no scientific program 'SN'"):
        store.create_request(spec(scientific_program="SN"), outsider)
    assert row_counts() == (0, 0, 0, 0)


def test_the_quota_is_enforced_and_released_by_cancellation(observer, grb_program):
    Allocation.objects.filter(program=grb_program, period__name="2026B").update(
        quota_hours=Decimal("0.30"))
    first = store.create_request(spec(), observer)  # 600 s = 0.17 h
    with pytest.raises(RequestInvalid) as error:
        store.create_request(spec(), observer)
    assert "the quota of 'GRB' in 2026B would be exceeded: 0.17 h used + 0.17 h asked" in str(
        error.value)
    assert row_counts() == (1, 1, 2, 2)
    store.cancel_request(first, "changed my mind", actor=observer)
    store.create_request(spec(), observer)
    assert Request.objects.filter(status=RequestStatus.DRAFT).count() == 1


def test_a_period_without_time_refuses(observer, grb_program):
    Allocation.objects.filter(program=grb_program, period__name="2026B").delete()
    with pytest.raises(RequestInvalid, match="'GRB' has no time in period 2026B"):
        store.create_request(spec(), observer)


def test_windows_over_and_unknown_filters_are_refused(observer, simulated_clock):
    simulated_clock.advance(timedelta(days=5).total_seconds())
    bad = spec()
    bad.sequences[0].albums[0].plans[0].filter = "Halpha"
    with pytest.raises(RequestInvalid) as error:
        store.create_request(bad, observer)
    messages = [p.message for p in error.value.problems]
    assert any("the window is already over" in m for m in messages)
    assert any("'Halpha' is not a filter of detector 'Visible camera'" in m for m in messages)
    assert row_counts() == (0, 0, 0, 0)


def test_a_failure_half_way_leaves_nothing(observer, monkeypatch):
    """The plans are written last: failing there must take back the request, its
    sequences and its albums."""
    def disk_full(*args, **kwargs):
        assert Album.objects.count() == 2  # the rest of the tree is already written
        raise RuntimeError("disk full")

    monkeypatch.setattr(Plan.objects, "bulk_create", disk_full)
    with pytest.raises(RuntimeError, match="disk full"):
        store.create_request(spec(), observer)
    assert row_counts() == (0, 0, 0, 0)


def test_an_incomplete_draft_cannot_be_submitted(observer):
    created = store.create_request(spec(), observer)
    Album.objects.filter(sequence__request=created).delete()
    with pytest.raises(RequestInvalid, match="albums"):
        store.submit_request(created, actor=observer)
    created.refresh_from_db()
    assert created.status == RequestStatus.DRAFT


def test_replace_only_drafts_and_cancel_once(observer):
    created = store.create_request(spec(), observer)
    changed = spec(name="renamed")
    changed.sequences[0].albums.pop()
    store.replace_request(created, changed, observer)
    created.refresh_from_db()
    assert created.name == "renamed" and row_counts() == (1, 1, 1, 1)
    store.submit_request(created, actor=observer)
    with pytest.raises(InvalidTransition, match="only a DRAFT can be changed"):
        store.replace_request(created, spec(), observer)
    store.cancel_request(created, "weather", actor=observer)
    created.refresh_from_db()
    assert created.status == RequestStatus.CANCELLED and created.status_reason == "weather"
    assert created.sequences.get().status == SequenceStatus.CANCELLED
    with pytest.raises(InvalidTransition, match="from CANCELLED to CANCELLED"):
        store.cancel_request(created, actor=observer)


def test_a_duration_too_short_for_its_exposures_and_readouts_is_refused(observer):
    """10 × (30 s + 6 s readout) on the visible camera: 360 s at least, whatever the
    other album (20 × (10 s + 3 s) = 260 s, side by side on the other detector)."""
    short = request_dict()
    short["sequences"][0]["duration"] = 300
    from pyros.observations import json_format

    with pytest.raises(RequestInvalid) as error:
        store.create_request(json_format.spec_from_data(short), observer)
    [problem] = error.value.problems
    assert problem.field == "duration"
    assert problem.message == (
        "300 s cannot hold its exposures and readouts: it needs at least 360 s (album 'vis': "
        "10 × (30 s + 6 s readout))")
    assert row_counts() == (0, 0, 0, 0)
    short["sequences"][0]["duration"] = 360
    assert store.create_request(json_format.spec_from_data(short), observer).pk
