"""The observation portal's endpoints as the TOM Toolkit's OCS facility calls them:
shapes, the mapping onto requests and sequences, rights, all-or-nothing writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyros.accounts import api_tokens
from pyros.accounts.profiles import ProfileLevel
from pyros.observations.lifecycle import ObsType, RequestStatus, SequenceStatus
from pyros.observations.models import Plan, Request, Sequence
from pyros.scheduling.models import Schedule, ScheduledSequence
from tests.conftest import make_user
from tests.ocs.conftest import TomClient, group_payload, with_configuration

pytestmark = pytest.mark.django_db


# --- the port -------------------------------------------------------------------------------


def test_the_ocs_api_answers_on_its_own_port_and_pyros_own_api_keeps_its_meaning(
        tom, observer, ocs_unit):
    ocs = tom.get("/api/instruments/").json()
    assert set(ocs) == {"VIS", "NIR"}
    vis = ocs["VIS"]
    assert vis["class"] == "1m0" and vis["type"] == "IMAGE"
    assert vis["default_configuration_type"] == "EXPOSE"
    assert [f["code"] for f in vis["optical_elements"]["filters"]] == \
        ["Clear", "g", "r", "i", "z", "First infrared filter"]
    assert all(f["schedulable"] for f in vis["optical_elements"]["filters"])

    own = TomClient(port=8000)
    own.force_authenticate(observer)
    # PyROS's own /api/instruments/ is the device status, not the OCS shape.
    answer = own.get("/api/instruments/")
    assert answer.status_code in (200, 403)
    assert "VIS" not in (answer.json() if answer.status_code == 200 else {})
    # The OCS paths do not exist on the site's port.
    assert own.get("/api/profile/").status_code == 404
    assert own.get("/frames/").status_code == 404


def test_without_a_port_the_ocs_api_is_off(observer, initial_data):
    client = TomClient()
    client.force_authenticate(observer)
    assert client.get("/api/profile/").status_code == 404


def test_paths_answer_with_and_without_their_slash(tom):
    assert tom.get("/api/profile").status_code == 200
    assert tom.get("/api/profile/").status_code == 200
    assert tom.get("/api/requestgroups?request_id=1").status_code == 200


# --- tokens and profile ----------------------------------------------------------------------


def test_a_bad_token_is_a_401_that_says_how_to_get_one(ocs_unit, initial_data):
    answer = TomClient("not-a-token").get("/api/profile/")
    assert answer.status_code == 401
    assert "pyros user token" in answer.json()["detail"]
    assert TomClient().get("/api/requestgroups/").status_code == 401


def test_the_profile_lists_the_users_programs_as_proposals(tom, grb_program):
    profile = tom.get("/api/profile/").json()
    assert profile["username"] == "alice"
    [grb] = profile["proposals"]
    assert (grb["id"], grb["current"]) == ("GRB", True)
    assert grb["title"]


# --- validate ---------------------------------------------------------------------------------


def test_validate_answers_the_durations_and_stores_nothing(tom):
    answer = tom.post_json("/api/requestgroups/validate/", group_payload())
    assert answer.status_code == 200
    body = answer.json()
    assert body["errors"] == {}
    # 90 s overhead + 3 × (60 + 6 s readout) + 2 × (30 + 6 s)
    assert body["request_durations"]["duration"] == pytest.approx(90 + 198 + 72)
    assert Request.objects.count() == 0


@pytest.mark.parametrize(("change", "words"), [
    ({"instrument_type": "NIR"}, "'r' is not a filter of NIR"),
    ({"instrument_type": "SPECTRO"}, "'SPECTRO' is not an instrument"),
    ({"type": "SPECTRUM"}, "EXPOSE"),
    ({"constraints": {"max_airmass": 2.0, "max_lunar_phase": 0.4}}, "moon"),
    ({"target": {"type": "ORBITAL_ELEMENTS", "name": "x", "ra": 1, "dec": 1}}, "ICRS"),
    ({"target": {"type": "ICRS", "name": "x", "ra": 400, "dec": 1}}, "less than 360"),
])
def test_validate_refuses_what_the_unit_cannot_do_with_200_and_errors(tom, change, words):
    answer = tom.post_json("/api/requestgroups/validate/", with_configuration(change))
    assert answer.status_code == 200
    errors = answer.json()["errors"]
    assert errors and words in str(errors)
    assert Request.objects.count() == 0


def test_errors_are_nested_where_the_portal_puts_them(tom):
    answer = tom.post_json("/api/requestgroups/validate/",
                           with_configuration({"instrument_type": "NIR"}))
    configuration = answer.json()["errors"]["requests"][0]["configurations"][0]
    assert "instrument_configs" in configuration


def test_several_windows_another_class_and_a_short_window_are_refused(tom):
    payload = group_payload()
    payload["requests"][0]["windows"].append(
        {"start": "2026-11-24T00:00:00Z", "end": "2026-11-25T00:00:00Z"})
    assert "one window" in str(tom.post_json("/api/requestgroups/validate/",
                                             payload).json()["errors"])
    payload = group_payload()
    payload["requests"][0]["location"]["telescope_class"] = "2m0"
    assert "telescope class" in str(tom.post_json("/api/requestgroups/validate/",
                                                  payload).json()["errors"])
    payload = group_payload()
    payload["requests"][0]["windows"] = [{"start": "2026-11-22T00:00:00Z",
                                          "end": "2026-11-22T00:02:00Z"}]
    assert "shorter than the request" in str(
        tom.post_json("/api/requestgroups/validate/", payload).json()["errors"])


def test_validate_checks_the_program_as_the_store_does(ocs_unit, outsider):
    answer = TomClient(api_tokens.issue(outsider).key).post_json(
        "/api/requestgroups/validate/", group_payload())
    assert answer.status_code == 200
    assert "proposal" in answer.json()["errors"] or \
        "GRB" in str(answer.json()["errors"])


def test_a_body_that_is_not_an_object_is_an_error_not_a_500(tom):
    answer = tom.post_json("/api/requestgroups/validate/", [1, 2])
    assert answer.status_code == 200 and answer.json()["errors"]


# --- submit -------------------------------------------------------------------------------------


def test_submit_stores_one_request_with_one_sequence_per_ocs_request(tom, observer):
    payload = group_payload(observation_type="RAPID_RESPONSE")
    payload["requests"][0]["configurations"][0]["target"].update(
        proper_motion_ra=1000.0, proper_motion_dec=-2000.0)
    answer = tom.post_json("/api/requestgroups/", payload)
    assert answer.status_code == 201, answer.json()
    group = answer.json()
    assert group["state"] == "PENDING" and group["proposal"] == "GRB"
    [ocs_request] = group["requests"]
    stored = Request.objects.get(pk=group["id"])
    assert stored.owner == observer and stored.status == RequestStatus.SUBMITTED
    sequence = Sequence.objects.get(pk=ocs_request["id"])
    assert sequence.status == SequenceStatus.TOBEPLANNED
    assert sequence.obs_type == ObsType.IMMEDIATE and sequence.priority == 10
    assert sequence.max_airmass == 1.8 and sequence.min_moon_separation == 20.0
    assert sequence.start == datetime(2026, 11, 22, tzinfo=UTC)
    # Proper motion carried from J2000 to the window's middle (26.9 years).
    assert sequence.dec == pytest.approx(-20.5 - 2.0 * 26.89 / 3600, abs=2e-4)
    assert sequence.ra > 150.25
    plans = Plan.objects.filter(album__sequence=sequence).order_by("position")
    assert [(p.filter, p.exposure, p.nb_images) for p in plans] == \
        [("r", 60.0, 3), ("g", 30.0, 2)]
    assert sequence.albums.get().detector == "Visible camera"
    assert ocs_request["configurations"][0]["instrument_type"] == "VIS"


def test_ipp_spreads_over_priorities(tom):
    priorities = []
    for ipp in (0.5, 1.0, 1.5, 2.0):
        group = tom.post_json("/api/requestgroups/",
                              group_payload(name=f"ipp {ipp}", ipp_value=ipp)).json()
        priorities.append(Sequence.objects.get(pk=group["requests"][0]["id"]).priority)
    assert priorities == [1, 5, 8, 10]  # 7.5 rounds up


def test_a_group_with_one_bad_request_stores_nothing(tom):
    payload = group_payload()
    bad = with_configuration({"instrument_type": "NIR"})["requests"][0]
    payload["requests"].append(bad)
    answer = tom.post_json("/api/requestgroups/", payload)
    assert answer.status_code == 400
    assert answer.json()["requests"][1]
    assert Request.objects.count() == Sequence.objects.count() == 0


def test_submitting_into_a_program_of_others_is_refused(ocs_unit, outsider):
    answer = TomClient(api_tokens.issue(outsider).key).post_json(
        "/api/requestgroups/", group_payload())
    assert answer.status_code == 400
    assert Request.objects.count() == 0


def test_a_profile_without_requests_gets_a_403(ocs_unit, initial_data):
    visitor = make_user("vera", ProfileLevel.VISITOR)
    answer = TomClient(api_tokens.issue(visitor).key).post_json(
        "/api/requestgroups/", group_payload())
    assert answer.status_code == 403


# --- status, observations, cancel ----------------------------------------------------------------


def _submitted(tom) -> tuple[int, int]:
    group = tom.post_json("/api/requestgroups/", group_payload()).json()
    return group["id"], group["requests"][0]["id"]


def test_status_and_observations_as_get_observation_status_reads_them(tom, simulated_clock):
    _group_id, request_id = _submitted(tom)
    assert tom.get(f"/api/requests/{request_id}").json()["state"] == "PENDING"
    assert tom.get(f"/api/requests/{request_id}/observations/").json() == []

    sequence = Sequence.objects.get(pk=request_id)
    schedule = Schedule.objects.create(
        night=datetime(2026, 11, 21).date(), created_at=simulated_clock.now(),
        trigger="NEW_SEQUENCES", engine="fast", objective=1.0, elapsed=0.1)
    ScheduledSequence.objects.create(
        schedule=schedule, sequence=sequence, position=0,
        start=datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
        end=datetime(2026, 11, 22, 2, 6, tzinfo=UTC))
    sequence.move_to(SequenceStatus.PLANNED)
    sequence.save()
    [block] = tom.get(f"/api/requests/{request_id}/observations/").json()
    assert block["state"] == "PENDING" and block["start"] == "2026-11-22T02:00:00Z"

    sequence.move_to(SequenceStatus.EXECUTING)
    sequence.save()
    sequence.move_to(SequenceStatus.EXECUTED)
    sequence.save()
    assert tom.get(f"/api/requests/{request_id}").json()["state"] == "COMPLETED"
    [block] = tom.get(f"/api/requests/{request_id}/observations/").json()
    assert block["state"] == "COMPLETED"


def test_a_window_gone_by_is_window_expired(tom, simulated_clock):
    _group_id, request_id = _submitted(tom)
    simulated_clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    assert tom.get(f"/api/requests/{request_id}").json()["state"] == "WINDOW_EXPIRED"


def test_cancel_finds_the_group_by_request_id_and_cancels_it(tom):
    group_id, request_id = _submitted(tom)
    found = tom.get(f"/api/requestgroups?request_id={request_id}").json()
    assert found["count"] == 1 and found["results"][0]["id"] == group_id
    answer = tom.post_json(f"/api/requestgroups/{group_id}/cancel/")
    assert answer.status_code == 200 and answer.json()["state"] == "CANCELED"
    assert Request.objects.get(pk=group_id).status == RequestStatus.CANCELLED
    assert tom.get(f"/api/requests/{request_id}").json()["state"] == "CANCELED"
    # Twice is a 400 the TOM shows, not a 500.
    assert tom.post_json(f"/api/requestgroups/{group_id}/cancel/").status_code == 400


def test_others_do_not_see_nor_cancel_a_group(tom, ocs_unit, outsider):
    group_id, request_id = _submitted(tom)
    theirs = TomClient(api_tokens.issue(outsider).key)
    assert theirs.get(f"/api/requestgroups?request_id={request_id}").json()["count"] == 0
    assert theirs.get(f"/api/requests/{request_id}").status_code == 404
    assert theirs.post_json(f"/api/requestgroups/{group_id}/cancel/").status_code == 404
    assert Request.objects.get(pk=group_id).status == RequestStatus.SUBMITTED


def test_hostile_ids_and_queries_are_400_or_404(tom):
    assert tom.get("/api/requestgroups?request_id=abc").status_code == 400
    assert tom.get("/api/requests/99999999999999999999").status_code == 404
    assert tom.get("/api/requestgroups/?limit=0").status_code == 400


def test_telescope_states_say_whether_the_telescope_observes(tom):
    states = tom.get("/api/telescope_states/").json()
    [(key, events)] = states.items()
    assert key == "pyr.dome.1m0" and len(key.split(".")) == 3
    assert events[0]["event_type"] == "NOT_AVAILABLE"
