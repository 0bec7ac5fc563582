"""The archive API: finding frames with every filter, one frame, its headers and
relatives; the same rights on every path (an invisible frame is a 404, like one that
does not exist); any garbage in the parameters is a 400 that says what is wrong."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from pyros.accounts import api_tokens
from pyros.accounts.profiles import ProfileLevel
from tests.archive.clients import API, after_the_night, api, open_to_anonymous  # noqa: F401
from tests.archive.conftest import M31, NIGHT, TAKEN
from tests.conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("after_the_night")]
FRAMES = f"{API}/frames/"
FIELDS = {"id", "basename", "product", "reduction_level", "unit", "channel", "frame_type",
          "night", "date_obs", "exposure", "filter", "binning", "airmass", "target_name",
          "ra", "dec", "program", "request", "sequence", "size", "sha256", "public_date",
          "urls"}


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {r["basename"] for r in response.json()["results"]}


def every_path(pk: int, request_id: int) -> list[str]:
    """Every URL of the API that shows something of frame ``pk``."""
    return [f"{FRAMES}{pk}/", f"{FRAMES}{pk}/headers/", f"{FRAMES}{pk}/related/",
            f"{FRAMES}{pk}/file/", f"{FRAMES}{pk}/thumbnail.png", f"{FRAMES}{pk}/preview.png",
            f"{FRAMES}{pk}/url/", f"{API}/zip/?id={pk}", f"{API}/zip/?request={request_id}"]


def test_the_list_gives_each_frame_with_its_links(archived_night, observer):
    response = api(observer).get(FRAMES)
    body = response.json()
    assert body["count"] == 7 and body["next"] is None and body["previous"] is None
    assert names(response) == {"m31-0.fits", "m31-1.fits", "m31-2.fits", "m31-0-cal.fits",
                               "m31-0-cat.fits", "bias-0.fits", "master-bias-VIS-bin1.fits"}
    raw = next(r for r in body["results"] if r["basename"] == "m31-1.fits")
    assert set(raw) == FIELDS
    frame = archived_night.mine[1]
    assert raw["program"] == "GRB" and raw["request"] == frame.request_id
    assert raw["sequence"] == frame.sequence_id and raw["sha256"] == frame.sha256
    assert raw["size"] == frame.size and raw["night"] == str(NIGHT)
    assert raw["ra"] == pytest.approx(M31[0]) and raw["product"] == "RAW"
    assert raw["urls"]["file"] == f"http://testserver{FRAMES}{frame.pk}/file/"
    assert raw["urls"]["thumbnail"].endswith(f"/{frame.pk}/thumbnail.png")
    catalogue = next(r for r in body["results"] if r["product"] == "CATALOGUE")
    assert catalogue["urls"]["thumbnail"] is None and catalogue["urls"]["preview"] is None
    dates = [r["date_obs"] for r in body["results"]]
    assert dates == sorted(dates, reverse=True)  # newest first


def test_every_filter(archived_night, admin_user):
    client, night = api(admin_user), archived_night
    request_id = night.mine[0].request_id
    cases = [
        ({"night_from": "2026-11-21", "night_to": "2026-11-21"}, 8),
        ({"night_from": "2026-11-22"}, 0), ({"night_to": "2026-11-20"}, 0),
        ({"target": "m42"}, 1), ({"target": "M31"}, 5),
        ({"ra": M31[0], "dec": M31[1], "radius": 0.5}, 5),
        ({"ra": 83.8, "dec": -5.4, "radius": 1}, 1), ({"ra": 200, "dec": 0, "radius": 1}, 0),
        ({"filter": "r"}, 7), ({"frame_type": "bias"}, 2), ({"product": "RAW"}, 5),
        ({"product": "master"}, 1), ({"reduction_level": 91}, 3), ({"program": "GRB"}, 5),
        ({"program": "SN"}, 1), ({"request": request_id}, 5), ({"channel": "VIS"}, 8),
        ({"channel": "NIR"}, 0), ({"request": request_id, "product": "RAW"}, 3),
        ({"target": "'; DROP TABLE archive_archiveframe; --"}, 0), ({"target": "🔭 ü%_"}, 0),
        ({"request": 2**63 - 1}, 0), ({"unknown": "ignored"}, 8),
    ]
    for params, count in cases:
        response = client.get(FRAMES, params)
        assert response.status_code == 200, (params, response.content)
        assert response.json()["count"] == count, params


def test_pages_link_to_each_other(archived_night, admin_user):
    client = api(admin_user)
    first = client.get(FRAMES, {"limit": 3, "product": "RAW"}).json()
    assert first["count"] == 5 and len(first["results"]) == 3 and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert "product=RAW" in first["next"] and "offset=3" in first["next"]
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(seen) == 5
    beyond = client.get(FRAMES, {"offset": 100}).json()
    assert beyond["count"] == 8 and beyond["results"] == []


def test_detail_headers_and_related_frames(archived_night, observer):
    night, client = archived_night, api(observer)
    processed = client.get(f"{FRAMES}{night.processed.pk}/").json()
    assert processed["product"] == "PROCESSED" and processed["reduction_level"] == 91
    assert processed["public"] is False and processed["verified_at"] is None
    assert processed["related"] == sorted([night.mine[0].pk, night.catalogue.pk,
                                           night.master.pk])
    assert processed["headers_url"].endswith(f"/{night.processed.pk}/headers/")
    assert processed["signed_url"].endswith(f"/{night.processed.pk}/url/")
    headers = client.get(f"{FRAMES}{night.mine[0].pk}/headers/").json()
    assert headers["IMAGETYP"] == "LIGHT" and headers["EXPTIME"] == 60.0
    assert headers["RA"] == pytest.approx(M31[0]) and "CHECKSUM" in headers
    relatives = client.get(f"{FRAMES}{night.mine[0].pk}/related/")
    assert names(relatives) == {"m31-0-cal.fits", "m31-0-cat.fits",
                                "master-bias-VIS-bin1.fits"}
    assert set(relatives.json()["results"][0]) == FIELDS
    assert client.get(f"{FRAMES}{night.mine[0].pk}/related/", {"limit": 1}).json()["next"]


def test_relatives_one_may_not_see_are_not_shown(archived_night, outsider):
    """The master calibrated alice's frame: bob sees the master, not her frames."""
    night, client = archived_night, api(outsider)
    master = client.get(f"{FRAMES}{night.master.pk}/").json()
    assert master["related"] == [night.bias.pk]
    assert names(client.get(f"{FRAMES}{night.master.pk}/related/")) == {"bias-0.fits"}


def test_others_are_refused_on_every_path(archived_night, outsider):
    night = archived_night
    carol = type(outsider).objects.get(username="carol")
    for user in (outsider, carol, make_user("vic", ProfileLevel.VISITOR),
                 make_user("olga", ProfileLevel.OPERATOR)):
        client = api(user)
        for frame in (*night.mine, night.processed, night.catalogue):
            for url in every_path(frame.pk, frame.request_id):
                response = client.get(url)
                assert response.status_code == 404, (user.username, url)
                assert "you may see" in response.json()["detail"]
        assert client.get(FRAMES, {"program": "GRB"}).json()["count"] == 0
        assert client.get(FRAMES, {"request": night.mine[0].request_id}).json()["count"] == 0
    assert api(outsider).get(FRAMES).json()["count"] == 2  # the calibrations


def test_what_was_refused_is_shown_once_public(archived_night, outsider, simulated_clock):
    frame = archived_night.mine[0]
    simulated_clock.set(TAKEN + timedelta(days=366))
    for url in every_path(frame.pk, frame.request_id):
        assert api(outsider).get(url).status_code == 200, url
    assert api(outsider).get(f"{FRAMES}{frame.pk}/").json()["public"] is True


def test_staff_see_every_frame(archived_night):
    for level in (ProfileLevel.IE_IS, ProfileLevel.SUPEROPERATOR, ProfileLevel.PI,
                  ProfileLevel.SYSADMIN):
        staff = make_user(f"staff{int(level)}", level)
        assert api(staff).get(FRAMES).json()["count"] == 8
        assert api(staff).get(f"{FRAMES}{archived_night.theirs[0].pk}/file/").status_code == 200


def test_anonymous_visitors_must_log_in(archived_night):
    client = api()
    frame = archived_night.bias  # public: still not for anonymous visitors by default
    for url in [FRAMES, *every_path(frame.pk, archived_night.mine[0].request_id)]:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token"


def test_anonymous_visitors_see_public_frames_when_the_site_says_so(open_to_anonymous,  # noqa: F811
                                                                    archived_night):
    client, night = api(), archived_night
    assert names(client.get(FRAMES)) == {"bias-0.fits", "master-bias-VIS-bin1.fits"}
    assert client.get(f"{FRAMES}{night.bias.pk}/").status_code == 200
    assert client.get(f"{FRAMES}{night.bias.pk}/file/").status_code == 200
    assert client.get(f"{FRAMES}{night.bias.pk}/url/").status_code == 401  # whose link?
    assert client.get(f"{API}/zip/", {"id": night.bias.pk}).status_code == 200
    paths = every_path(night.mine[0].pk, night.mine[0].request_id)
    for url in (*paths[:-3], *paths[-2:]):  # (a link needs a user: 401)
        assert client.get(url).status_code == 404, url


def test_token_and_session_authentication(archived_night, observer):
    from tests.conftest import OBSERVER_PASSWORD

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_tokens.issue(observer).key}")
    assert client.get(FRAMES).json()["count"] == 7
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(FRAMES).status_code == 401
    session = APIClient()
    assert session.login(username="alice", password=OBSERVER_PASSWORD)
    assert session.get(FRAMES).json()["count"] == 7


GARBAGE = [
    {"night_from": "yesterday"}, {"night_from": "2026-13-01"}, {"night_to": "2026-11-31"},
    {"night_from": "20261121"}, {"night_from": "2026-11-21T00:00"},
    {"night_from": "2026-11-22", "night_to": "2026-11-21"},
    {"ra": "10"}, {"ra": "10", "dec": "41"}, {"dec": "1", "radius": "1"},
    {"ra": "x", "dec": "1", "radius": "1"}, {"ra": "nan", "dec": "1", "radius": "1"},
    {"ra": "inf", "dec": "1", "radius": "1"}, {"ra": "1", "dec": "-inf", "radius": "1"},
    {"ra": "400", "dec": "1", "radius": "1"}, {"ra": "-1", "dec": "1", "radius": "1"},
    {"ra": "1", "dec": "-91", "radius": "1"}, {"ra": "1", "dec": "1", "radius": "0"},
    {"ra": "1", "dec": "1", "radius": "-1"}, {"ra": "1", "dec": "1", "radius": "180"},
    {"ra": "1e999", "dec": "1", "radius": "1"}, {"ra": "1,5", "dec": "1", "radius": "1"},
    {"product": "JPEG"}, {"product": "RAW\x00"}, {"reduction_level": "high"},
    {"reduction_level": "-1"}, {"reduction_level": "99999999"}, {"reduction_level": "1.0"},
    {"request": "abc"}, {"request": "0"}, {"request": "-3"}, {"request": "1" * 30},
    {"request": str(2**63)}, {"request": "1.5"}, {"request": "٣"}, {"request": "0x10"},
    {"target": "a\x00b"}, {"target": "x" * 101}, {"channel": "VIS\n"}, {"filter": "\x7f\x01"},
    {"program": "GRB\x00"}, {"frame_type": "\x00"},
    {"limit": "0"}, {"limit": "1001"}, {"limit": "-5"}, {"limit": "ten"}, {"limit": "5.5"},
    {"offset": "-1"}, {"offset": "1e3"}, {"offset": str(2**40)},
]


def test_garbage_parameters_are_a_400_never_a_500(archived_night, observer):
    client = api(observer)
    night = archived_night
    for params in GARBAGE:
        paging = "limit" in params or "offset" in params
        calls = [(FRAMES, params)]
        if paging:
            calls.append((f"{FRAMES}{night.mine[0].pk}/related/", params))
        else:  # the zip reads the same filters
            calls.append((f"{API}/zip/", {"request": night.mine[0].request_id, **params}))
        for url, query in calls:
            response = client.get(url, query)
            assert response.status_code == 400, (url, query, response.content)
            detail = response.json()["detail"]
            assert isinstance(detail, str) and detail, query


def test_unknown_and_malformed_ids_are_404(archived_night, observer):
    client = api(observer)
    for url in (f"{FRAMES}999999/", f"{FRAMES}999999/file/", f"{FRAMES}abc/",
                f"{FRAMES}-1/", f"{FRAMES}{'9' * 30}/", f"{FRAMES}1/nothing/"):
        assert client.get(url).status_code == 404, url


def test_the_openapi_schema_describes_the_archive(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    for path in ("/api/archive/frames/", "/api/archive/frames/{id}/",
                 "/api/archive/frames/{id}/headers/", "/api/archive/frames/{id}/related/",
                 "/api/archive/frames/{id}/file/", "/api/archive/frames/{id}/url/",
                 "/api/archive/frames/{id}/thumbnail.png",
                 "/api/archive/frames/{id}/preview.png", "/api/archive/zip/"):
        assert set(paths[path]) == {"get"}, path
    listing = paths["/api/archive/frames/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "night_from", "night_to", "target", "ra", "dec", "radius", "filter", "frame_type",
        "product", "reduction_level", "program", "request", "channel", "limit", "offset"}
    assert set(listing["responses"]) == {"200", "400", "401"}
    assert "application/fits" in paths["/api/archive/frames/{id}/file/"]["get"][
        "responses"]["200"]["content"]
