"""The REST API for observation requests: authentication, who sees and changes what,
validation errors that store nothing, the lifecycle, export and the OpenAPI schema."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from pyros.accounts import api_tokens
from pyros.accounts.models import ApiToken
from pyros.accounts.profiles import ProfileLevel
from pyros.observations import json_format, store, xml_format
from pyros.observations.models import Album, Plan, Request, Sequence
from tests.conftest import OBSERVER_PASSWORD, TEST_NOW, make_user, request_dict

pytestmark = pytest.mark.django_db

LIST = "/api/requests/"
NOW_JSON = "2026-11-21T12:00:00Z"


def detail(pk: int, action: str = "") -> str:
    return f"/api/requests/{pk}/{action + '/' if action else ''}"


def rows() -> tuple[int, int, int, int]:
    return (Request.objects.count(), Sequence.objects.count(), Album.objects.count(),
            Plan.objects.count())


def stored(owner, **overrides) -> Request:
    """A request written straight through the store, as another client would."""
    return store.create_request(json_format.spec_from_data(request_dict(**overrides)), owner)


def second_sequence() -> dict:
    return {
        "name": "late look", "target": "GRB 261121A", "ra": 150.25, "dec": -20.5,
        "start": "2026-11-25T00:00:00Z", "end": "2026-11-26T00:00:00Z", "duration": 1200,
        "preferred_time": "2026-11-25T03:00:00Z",
        "albums": [{"name": "vis", "detector": "Visible camera",
                    "plans": [{"name": "g", "filter": "g", "exposure": 60, "nb_images": 3},
                              {"name": "i", "filter": "i", "exposure": 45}]}],
    }


# --- Authentication ----------------------------------------------------------------------


def test_token_from_password_then_create_with_token(observer):
    anonymous = APIClient()
    refused = anonymous.post("/api/token/", {"username": "alice", "password": "wrong"},
                             format="json")
    assert refused.status_code == 400
    assert not ApiToken.objects.filter(user=observer).exists()

    response = anonymous.post("/api/token/", {"username": "alice",
                                              "password": OBSERVER_PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert ApiToken.objects.get(user=observer).digest == api_tokens.digest(token)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = client.post(LIST, request_dict(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["owner"] == "alice"
    assert body["status"] == "DRAFT"
    assert body["submitted"] is False
    assert body["submitted_at"] is None
    assert body["created_at"] == body["updated_at"] == NOW_JSON
    assert body["scientific_program"] == "GRB"
    [sequence] = body["sequences"]
    assert sequence["status"] == "DRAFT"
    assert (sequence["ra"], sequence["dec"], sequence["obs_type"]) == (150.25, -20.5, "IMMEDIATE")
    assert sequence["start"] == "2026-11-22T00:00:00Z"
    assert [a["detector"] for a in sequence["albums"]] == ["Visible camera", "Infrared camera"]
    assert sequence["albums"][1]["plans"] == [
        {"name": "J band", "filter": "J", "exposure": 10.0, "nb_images": 20}]

    request = Request.objects.get(pk=body["id"])
    assert request.owner == observer
    assert sequence["id"] == request.sequences.get().pk
    assert rows() == (1, 1, 2, 2)


def test_session_login_lists_and_creates(observer, login):
    client = login(observer)
    empty = client.get(LIST)
    assert empty.status_code == 200
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}

    created = client.post(LIST, request_dict(submitted=True), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "SUBMITTED"
    assert created.json()["submitted_at"] == NOW_JSON
    assert created.json()["sequences"][0]["status"] == "TOBEPLANNED"

    listed = client.get(LIST).json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == created.json()["id"]
    assert listed["results"][0] == client.get(detail(created.json()["id"])).json()


def test_the_owner_cannot_be_chosen_in_the_body(observer, admin_user, login):
    response = login(observer).post(LIST, request_dict(owner="admin"), format="json")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"where": "request 'GRB 261121A follow-up'", "field": "owner",
         "message": "unknown field", "line": None}]
    assert rows() == (0, 0, 0, 0)


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Token not-a-token"}])
def test_unauthenticated_is_refused(grb_program, admin_user, headers):
    existing = stored(admin_user)
    client = APIClient()
    client.credentials(**headers)
    for response in (client.get(LIST), client.get(detail(existing.pk)),
                     client.post(LIST, request_dict(), format="json"),
                     client.post(detail(existing.pk, "cancel"), format="json")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["detail"] in ("Authentication credentials were not provided.",
                                             "Invalid token.")
    assert Request.objects.get().status == "DRAFT"
    assert rows() == (1, 1, 2, 2)


@pytest.mark.parametrize("level", [ProfileLevel.VISITOR, ProfileLevel.TAC,
                                   ProfileLevel.OPERATOR])
def test_profiles_without_requests_get_403_everywhere(grb_program, admin_user, login, level):
    user = make_user("vic", level, programs=[grb_program])
    existing = stored(admin_user)
    client = login(user)
    for response in (client.get(LIST), client.get(detail(existing.pk)),
                     client.get(detail(existing.pk, "export")),
                     client.post(LIST, request_dict(), format="json"),
                     client.put(detail(existing.pk), request_dict(name="x"), format="json"),
                     client.post(detail(existing.pk, "submit")),
                     client.post(detail(existing.pk, "cancel"), format="json")):
        assert response.status_code == 403
        assert response.json() == {
            "detail": "Your profile does not give access to observation requests."}
    assert rows() == (1, 1, 2, 2)
    assert Request.objects.get().status == "DRAFT"


# --- Who sees and changes what -----------------------------------------------------------


@pytest.fixture
def two_requests(admin_user, other_program) -> tuple[Request, Request]:
    """One draft in GRB, one submitted request in Exoplanets, both by the admin."""
    grb = stored(admin_user)
    exo = stored(admin_user, name="HD 189733 b", scientific_program="Exoplanets",
                 submitted=True)
    return grb, exo


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [r["id"] for r in response.json()["results"]]


def test_members_see_their_programs_only(two_requests, observer, outsider, login):
    grb, exo = two_requests
    alice = login(observer)
    assert ids(alice.get(LIST)) == [grb.pk]
    assert alice.get(detail(grb.pk)).json()["owner"] == "admin"
    hidden = alice.get(detail(exo.pk))
    assert hidden.status_code == 404
    assert hidden.json() == {"detail": f"no request #{exo.pk}, or not one you may see"}

    bob = login(outsider)
    assert ids(bob.get(LIST)) == []
    for pk in (grb.pk, exo.pk):
        assert bob.get(detail(pk)).status_code == 404
        assert bob.get(detail(pk, "export")).status_code == 404
        assert bob.post(detail(pk, "submit")).status_code == 404
        assert bob.post(detail(pk, "cancel"), format="json").status_code == 404
        assert bob.put(detail(pk), request_dict(), format="json").status_code == 404
    assert Request.objects.get(pk=grb.pk).status == "DRAFT"
    assert Request.objects.get(pk=exo.pk).status == "SUBMITTED"


def test_a_member_sees_their_own_request_after_leaving_the_program(
        observer, grb_program, login):
    mine = stored(observer)
    grb_program.members.remove(observer)
    assert ids(login(observer).get(LIST)) == [mine.pk]


def test_filters_and_pagination(two_requests, admin_client, observer, login):
    grb, exo = two_requests
    assert ids(admin_client.get(LIST)) == [exo.pk, grb.pk]  # newest first
    assert ids(admin_client.get(LIST, {"status": "SUBMITTED"})) == [exo.pk]
    assert ids(admin_client.get(LIST, {"status": "DRAFT"})) == [grb.pk]
    assert ids(admin_client.get(LIST, {"program": "Exoplanets"})) == [exo.pk]
    assert ids(admin_client.get(LIST, {"program": "GRB", "status": "SUBMITTED"})) == []
    # A filter does not widen what a user may see.
    assert ids(login(observer).get(LIST, {"program": "Exoplanets"})) == []

    page = admin_client.get(LIST, {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2
    assert [r["id"] for r in page["results"]] == [grb.pk]
    assert page["next"] is None
    assert page["previous"].endswith("/api/requests/?limit=1")

    bad = admin_client.get(LIST, {"status": "LOST"})
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("unknown status 'LOST'")


def test_listing_costs_the_same_queries_for_one_request_or_many(admin_user, admin_client):
    stored(admin_user)
    admin_client.get(LIST)  # the session and user are loaded the same way every time
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(LIST).json()["count"] == 1
    for n in range(3):
        data = request_dict(name=f"request {n}")
        data["sequences"].append(second_sequence())
        stored(admin_user, **data)
    with CaptureQueriesContext(connection) as four:
        assert admin_client.get(LIST).json()["count"] == 4
    assert len(four) == len(one)

def test_read_all_is_not_change_all(two_requests, engineer, pi_user, login):
    grb, exo = two_requests
    ingrid = login(engineer)
    assert ids(ingrid.get(LIST)) == [exo.pk, grb.pk]
    refused = ingrid.post(detail(exo.pk, "cancel"), {"reason": "mine now"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(f"you may not cancel request #{exo.pk}")
    assert ingrid.post(detail(grb.pk, "submit")).status_code == 403
    assert Request.objects.get(pk=exo.pk).status == "SUBMITTED"
    assert Request.objects.get(pk=grb.pk).status == "DRAFT"
    # Export is reading: allowed.
    assert ingrid.get(detail(exo.pk, "export")).status_code == 200

    paula = login(pi_user)
    cancelled = paula.post(detail(exo.pk, "cancel"), {"reason": "PI decision"}, format="json")
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["status_reason"]) == (
        "CANCELLED", "PI decision")


def test_a_program_member_may_change_a_colleagues_draft(admin_user, observer, login):
    draft = stored(admin_user)
    response = login(observer).post(detail(draft.pk, "submit"))
    assert response.status_code == 200
    assert response.json()["owner"] == "admin"
    assert Request.objects.get(pk=draft.pk).status == "SUBMITTED"


# --- Invalid requests store nothing ------------------------------------------------------


def _bad_ra(data: dict) -> None:
    data["sequences"][0]["ra"] = 400


def _unknown_filter(data: dict) -> None:
    data["sequences"][0]["albums"][0]["plans"][0]["filter"] = "Q"


def _nothing(data: dict) -> None:
    pass


def _no_quota(data: dict) -> None:
    from pyros.programs.models import Allocation

    Allocation.objects.filter(program__name="GRB", period__name="2026B").update(
        quota_hours=Decimal("0.1"))


INVALID = {
    "bad ra": ("observer", _bad_ra, "request 'GRB 261121A follow-up' > sequence 1 'first look'",
               "ra", "Input should be less than 360"),
    "unknown filter": ("observer", _unknown_filter,
                       "request 'GRB 261121A follow-up' > sequence 1 'first look' > album 1 "
                       "'vis' > plan 1 'r band'", "filter",
                       "'Q' is not a filter of detector 'Visible camera' (filters: Clear, g, "
                       "r, i, z, First infrared filter)"),
    "not a member": ("outsider", _nothing, "request 'GRB 261121A follow-up'",
                     "scientific_program", "bob is not a member of the program 'GRB'"),
    "quota exceeded": ("observer", _no_quota, "request 'GRB 261121A follow-up'",
                       "scientific_program",
                       "the quota of 'GRB' in 2026B would be exceeded: 0.00 h used + 0.17 h "
                       "asked > 0.10 h"),
}


@pytest.mark.parametrize("case", INVALID.values(), ids=INVALID.keys())
def test_invalid_create_answers_400_and_stores_nothing(case, request, login):
    user_fixture, spoil, where, field, message = case
    user = request.getfixturevalue(user_fixture)
    data = request_dict(submitted=True)
    spoil(data)
    before = rows()
    assert before == (0, 0, 0, 0)

    response = login(user).post(LIST, data, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["problems"] == [{"where": where, "field": field, "message": message,
                                 "line": None}]
    assert body["detail"].startswith("the request is invalid (1 problem)")
    assert message in body["detail"]
    assert rows() == before


def test_sexagesimal_and_zoneless_times_through_the_api(observer, login):
    data = request_dict(submitted=True)
    data["sequences"][0].update(ra="10h01m00s", dec="-20:30:00", start="2026-11-22T00:00",
                                end="2026-11-23T00:00:00")
    created = login(observer).post(LIST, data, format="json")
    assert created.status_code == 201, created.json()
    sequence = created.json()["sequences"][0]
    assert (sequence["ra"], sequence["dec"]) == (150.25, -20.5)
    assert sequence["start"] == "2026-11-22T00:00:00Z"


def test_every_problem_of_a_body_in_one_answer(observer, login):
    data = request_dict(submitted=True)
    data["sequences"][0]["dec"] = "+95 00 00"
    data["sequences"][0]["albums"][0]["plans"][0]["filter"] = "Q"
    response = login(observer).post(LIST, data, format="json")
    assert response.status_code == 400
    fields = [p["field"] for p in response.json()["problems"]]
    assert fields == ["dec", "filter"], response.json()
    assert rows() == (0, 0, 0, 0)


def test_a_body_that_is_not_an_object_is_a_problem(observer, login):
    response = login(observer).post(LIST, [request_dict()], format="json")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"where": "request", "field": None, "message": "must be a JSON object", "line": None}]
    malformed = login(observer).post(LIST, "{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert malformed.json()["detail"].startswith("JSON parse error")
    assert rows() == (0, 0, 0, 0)


# --- Lifecycle ---------------------------------------------------------------------------


def test_put_replaces_a_draft(observer, login, simulated_clock):
    client = login(observer)
    created = client.post(LIST, request_dict(), format="json").json()
    simulated_clock.advance(3600)
    new = request_dict(name="GRB 261121A, two looks", target_type="afterglow")
    new["sequences"].append(second_sequence())

    response = client.put(detail(created["id"]), new, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["name"], body["target_type"]) == (
        created["id"], "GRB 261121A, two looks", "afterglow")
    assert (body["created_at"], body["updated_at"]) == (NOW_JSON, "2026-11-21T13:00:00Z")
    assert [s["name"] for s in body["sequences"]] == ["first look", "late look"]
    assert body["sequences"][1]["preferred_time"] == "2026-11-25T03:00:00Z"
    assert body["sequences"][1]["albums"][0]["plans"][1] == {
        "name": "i", "filter": "i", "exposure": 45.0, "nb_images": 1}
    assert rows() == (1, 2, 3, 4)
    assert store.spec_of(Request.objects.get()).model_dump(mode="json")["sequences"] == \
        json_format.spec_from_data(new).model_dump(mode="json")["sequences"]


def test_put_invalid_keeps_the_draft(observer, login):
    client = login(observer)
    created = client.post(LIST, request_dict(), format="json").json()
    bad = request_dict(name="renamed")
    bad["sequences"][0]["albums"][1]["detector"] = "Radio dish"
    response = client.put(detail(created["id"]), bad, format="json")
    assert response.status_code == 400
    [problem] = response.json()["problems"]
    assert (problem["field"], problem["message"]) == (
        "detector", "the unit has no detector 'Radio dish' (detectors: 'Visible camera', "
                    "'Infrared camera')")
    assert client.get(detail(created["id"])).json() == created
    assert rows() == (1, 1, 2, 2)


def test_put_on_a_submitted_request_conflicts(observer, login):
    client = login(observer)
    created = client.post(LIST, request_dict(submitted=True), format="json").json()
    response = client.put(detail(created["id"]), request_dict(name="too late"), format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"request #{created['id']} is SUBMITTED; only a DRAFT can be changed"}
    assert Request.objects.get().name == "GRB 261121A follow-up"
    assert rows() == (1, 1, 2, 2)


def test_submit(observer, login, simulated_clock):
    client = login(observer)
    created = client.post(LIST, request_dict(), format="json").json()
    simulated_clock.advance(600)

    response = client.post(detail(created["id"], "submit"))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["submitted"]) == ("SUBMITTED", True)
    assert body["submitted_at"] == body["updated_at"] == "2026-11-21T12:10:00Z"
    assert [s["status"] for s in body["sequences"]] == ["TOBEPLANNED"]
    assert Sequence.objects.get().status == "TOBEPLANNED"

    again = client.post(detail(created["id"], "submit"))
    assert again.status_code == 409
    assert again.json()["detail"].startswith("a request cannot go from SUBMITTED to SUBMITTED")


def test_submit_checks_the_draft_again(observer, login, simulated_clock):
    client = login(observer)
    created = client.post(LIST, request_dict(), format="json").json()
    simulated_clock.advance(2 * 86400)  # the window closed on the 23rd

    response = client.post(detail(created["id"], "submit"))

    assert response.status_code == 400
    [problem] = response.json()["problems"]
    assert (problem["field"], problem["message"]) == (
        "end", "the window is already over (2026-11-23 00:00:00 UTC)")
    assert Request.objects.get().status == "DRAFT"
    assert Sequence.objects.get().status == "DRAFT"


def test_cancel_with_reason(observer, login):
    client = login(observer)
    data = request_dict(submitted=True)
    data["sequences"].append(second_sequence())
    created = client.post(LIST, data, format="json").json()

    response = client.post(detail(created["id"], "cancel"), {"reason": "clouds all week"},
                           format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["status_reason"]) == ("CANCELLED", "clouds all week")
    assert [(s["status"], s["status_reason"]) for s in body["sequences"]] == [
        ("CANCELLED", "clouds all week"), ("CANCELLED", "clouds all week")]
    assert set(Sequence.objects.values_list("status", flat=True)) == {"CANCELLED"}

    again = client.post(detail(created["id"], "cancel"), format="json")
    assert again.status_code == 409
    assert again.json()["detail"].startswith("a request cannot go from CANCELLED to CANCELLED")


def test_cancel_without_body_and_with_a_bad_one(observer, login):
    client = login(observer)
    created = client.post(LIST, request_dict(), format="json").json()

    bad = client.post(detail(created["id"], "cancel"), {"reason": 5}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {"detail": "reason: Input should be a valid string"}
    assert Request.objects.get().status == "DRAFT"

    response = client.post(detail(created["id"], "cancel"))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_reason"]) == ("CANCELLED", "")
    assert Sequence.objects.get().status_reason == "request cancelled"


# --- Export ------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xml", "json"])
def test_export_round_trips(observer, login, file_format):
    client = login(observer)
    data = request_dict(submitted=True)
    data["sequences"].append(second_sequence())
    created = client.post(LIST, data, format="json").json()

    response = client.get(detail(created["id"], "export"), {"format": file_format})

    assert response.status_code == 200
    assert response["Content-Type"] == f"application/{file_format}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="request-{created["id"]}.{file_format}"')
    if file_format == "xml":
        assert response.content.startswith(b"<?xml")
        parsed, _lines = xml_format.parse_xml_request(response.content, TEST_NOW)
    else:
        assert json.loads(response.content)["name"] == "GRB 261121A follow-up"
        parsed = json_format.parse_json_request(response.content)
    exported = parsed.model_dump(mode="json")
    assert exported == store.spec_of(Request.objects.get()).model_dump(mode="json")
    assert exported == json_format.spec_from_data(data).model_dump(mode="json")


def test_export_defaults_to_json_and_refuses_unknown_formats(observer, login):
    client = login(observer)
    created = client.post(LIST, request_dict(), format="json").json()
    default = client.get(detail(created["id"], "export"))
    assert default["Content-Type"] == "application/json"
    assert json.loads(default.content) == json_format.spec_from_data(
        request_dict()).model_dump(mode="json")
    unknown = client.get(detail(created["id"], "export"), {"format": "fits"})
    assert unknown.status_code == 400
    assert unknown.json() == {"detail": "unknown format 'fits' (formats: json, xml)"}


# --- Schema and documentation ------------------------------------------------------------


def test_openapi_schema_describes_the_request_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths["/api/requests/"]) == {"get", "post"}
    assert set(paths["/api/requests/{id}/"]) == {"get", "put"}
    for action in ("submit", "cancel"):
        assert set(paths[f"/api/requests/{{id}}/{action}/"]) == {"post"}
    assert set(paths["/api/requests/{id}/export/"]) == {"get"}
    assert set(paths["/api/token/"]) == {"post"}
    create = paths["/api/requests/"]["post"]
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = schema["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert set(body_schema["required"]) == {"name", "scientific_program", "sequences"}
    assert set(create["responses"]) == {"201", "400", "403"}
    out = schema["components"]["schemas"]["RequestOut"]["properties"]
    assert {"id", "status", "owner", "submitted_at", "sequences"} <= set(out)
    ra = schema["components"]["schemas"]["SequenceSpec"]["properties"]["ra"]
    assert (ra["minimum"], ra["exclusiveMaximum"]) == (0, 360)


def test_swagger_ui_renders_with_local_assets(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "SwaggerUIBundle" in html or "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200

