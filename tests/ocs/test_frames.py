"""The science archive's /frames/ as a TOM reads it: a request's frames, paginated,
each with a signed URL that downloads without credentials and only that frame."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from astropy.io import fits

from pyros.accounts import api_tokens
from pyros.archive.models import ArchiveFrame
from tests.ocs.conftest import OCS_PORT, TomClient

pytestmark = pytest.mark.django_db


def test_a_requests_frames_with_urls_that_need_no_token(archived_night, observer):
    tom = TomClient(api_tokens.issue(observer).key)
    reqnum = archived_night.mine[0].sequence_id
    page = tom.get(f"/frames/?REQNUM={reqnum}&limit=1000").json()
    # Its raw frames, and the calibrated frame and catalogue made of one of them.
    stored = set(ArchiveFrame.objects.filter(sequence_id=reqnum).values_list("pk", flat=True))
    assert len(stored) == 5 and page["count"] == 5 and page["next"] is None
    assert {f["id"] for f in page["results"]} == stored
    frame = next(f for f in page["results"] if f["id"] == archived_night.mine[0].pk)
    assert frame["REQNUM"] == reqnum and frame["filename"].endswith(".fits")
    assert frame["DATE_OBS"].startswith("2026-11-22T04:0")
    url = urlsplit(frame["url"])
    assert url.port == OCS_PORT and url.path == f"/frames/{frame['id']}/file/"

    anonymous = TomClient()  # what the TOM's download does: no token
    answer = anonymous.get(url.path, {"signature": parse_qs(url.query)["signature"][0]})
    assert answer.status_code == 200
    body = b"".join(answer.streaming_content) if answer.streaming else answer.content
    assert body[:6] == b"SIMPLE"

    # The signature opens that frame only, and never untouched by the caller.
    other = archived_night.mine[1].pk
    signature = parse_qs(url.query)["signature"][0]
    assert anonymous.get(f"/frames/{other}/file/", {"signature": signature}).status_code == 403
    assert anonymous.get(url.path, {"signature": signature + "x"}).status_code == 403
    assert anonymous.get(url.path).status_code in (401, 403)


def test_pages_follow_next_and_frames_of_others_are_not_listed(archived_night, observer):
    tom = TomClient(api_tokens.issue(observer).key)
    reqnum = archived_night.mine[0].sequence_id
    url, seen, pages = f"/frames/?REQNUM={reqnum}&limit=2", [], 0
    while url:  # as the facility's _archive_frames follows them
        page = tom.get(url).json()
        seen += [f["id"] for f in page["results"]]
        pages += 1
        url = page["next"] and "{0.path}?{0.query}".format(urlsplit(page["next"]))
    assert pages == 3 and len(seen) == len(set(seen)) == 5

    theirs = archived_night.theirs[0]
    assert tom.get(f"/frames/?REQNUM={theirs.sequence_id}").json()["count"] == 0
    assert tom.get(f"/frames/{theirs.pk}/").status_code == 404
    mine = tom.get(f"/frames/{archived_night.mine[0].pk}/").json()
    assert mine["id"] == archived_night.mine[0].pk and mine["url"]


def test_the_downloaded_file_is_the_archived_one(archived_night, observer):
    tom = TomClient(api_tokens.issue(observer).key)
    record = tom.get(f"/frames/{archived_night.mine[0].pk}/").json()
    url = urlsplit(record["url"])
    answer = TomClient().get(f"{url.path}?{url.query}")
    body = b"".join(answer.streaming_content)
    header = fits.Header.fromstring(body[:2880])
    assert header["IMAGETYP"] == "LIGHT"


def test_frames_need_a_token(archived_night):
    answer = TomClient("wrong").get("/frames/")
    assert answer.status_code == 401 and "pyros user token" in answer.json()["detail"]
