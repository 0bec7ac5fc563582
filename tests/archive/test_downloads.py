"""The archive's files over HTTP: a frame's file, its previews, a signed link that works
without credentials until it expires (and not when altered, nor once its user may no
longer see the frame), and zips whose content is the archive's files, streamed."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tracemalloc
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from PIL import Image as PILImage

from pyros.accounts.models import Profile
from pyros.accounts.profiles import ProfileLevel
from pyros.archive import downloads, layout
from pyros.archive.models import ArchiveFrame, Previews
from tests.archive.clients import API, after_the_night, api, body  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("after_the_night")]
FRAMES = f"{API}/frames/"


def file_bytes(frame: ArchiveFrame) -> bytes:
    return layout.absolute(layout_unit(), frame.path).read_bytes()


def layout_unit():
    from pyros.config.loader import active_config

    return active_config()


def unzip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/zip" and response.streaming
    data = body(response)
    assert int(response["Content-Length"]) == len(data)  # computed before it was made
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


# --- The file ----------------------------------------------------------------------------


def test_the_owner_downloads_the_file_streamed_with_its_digest(archived_night, observer):
    frame = archived_night.mine[1]
    response = api(observer).get(f"{FRAMES}{frame.pk}/file/")
    assert response.status_code == 200 and response.streaming
    assert body(response) == file_bytes(frame)
    assert int(response["Content-Length"]) == frame.size
    assert response["Content-Type"] == "application/fits"
    assert response["Content-Disposition"] == 'attachment; filename="m31-1.fits"'
    assert response["ETag"] == f'"{frame.sha256}"'
    digest = base64.b64encode(hashlib.sha256(file_bytes(frame)).digest()).decode()
    assert response["Digest"] == f"sha-256={digest}"
    again = api(observer).get(f"{FRAMES}{frame.pk}/file/", HTTP_IF_NONE_MATCH=f'"{frame.sha256}"')
    assert again.status_code == 304


def test_a_file_gone_from_disk_is_a_404_that_says_so(archived_night, observer):
    frame = archived_night.mine[2]
    layout.absolute(layout_unit(), frame.path).unlink()
    response = api(observer).get(f"{FRAMES}{frame.pk}/file/")
    assert response.status_code == 404 and "missing" in response.json()["detail"]
    assert api(observer).get(f"{API}/zip/", {"id": frame.pk}).status_code == 404


# --- Previews ----------------------------------------------------------------------------


def test_previews_are_made_when_missing_and_remade_when_pruned(archived_night, observer):
    frame = archived_night.mine[0]
    assert frame.previews == Previews.PENDING
    client = api(observer)
    for which, size in (("thumbnail", 256), ("preview", 1024)):
        response = client.get(f"{FRAMES}{frame.pk}/{which}.png")
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        image = PILImage.open(io.BytesIO(body(response)))
        assert image.format == "PNG" and max(image.size) <= size
    frame.refresh_from_db()
    assert frame.previews == Previews.MADE
    (layout.previews_root(layout_unit()) / frame.thumbnail).unlink()
    assert client.get(f"{FRAMES}{frame.pk}/thumbnail.png").status_code == 200
    assert (layout.previews_root(layout_unit()) / frame.thumbnail).exists()


def test_no_preview_of_a_catalogue_nor_of_a_file_gone(archived_night, observer):
    client = api(observer)
    catalogue = archived_night.catalogue
    assert client.get(f"{FRAMES}{catalogue.pk}/preview.png").status_code == 404
    gone = archived_night.mine[1]
    layout.absolute(layout_unit(), gone.path).unlink()
    response = client.get(f"{FRAMES}{gone.pk}/thumbnail.png")
    assert response.status_code == 404 and response.json()["detail"]


# --- Signed links ------------------------------------------------------------------------


def signed_link(user, frame: ArchiveFrame) -> dict:
    response = api(user).get(f"{FRAMES}{frame.pk}/url/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_signed_link_downloads_without_credentials(archived_night, observer,
                                                     simulated_clock):
    frame = archived_night.mine[0]
    link = signed_link(observer, frame)
    assert link["url"].startswith(f"http://testserver{FRAMES}{frame.pk}/file/?signature=")
    expires = datetime.fromisoformat(link["expires"].replace("Z", "+00:00"))
    assert expires == simulated_clock.now().replace(microsecond=0) + timedelta(hours=1)
    response = api().get(link["url"])
    assert response.status_code == 200 and body(response) == file_bytes(frame)
    assert response["Content-Disposition"] == 'attachment; filename="m31-0.fits"'
    simulated_clock.advance(3590)
    assert api().get(link["url"]).status_code == 200
    simulated_clock.advance(20)  # an hour and ten seconds
    expired = api().get(link["url"])
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]


def test_an_altered_link_is_refused(archived_night, observer):
    frame, other = archived_night.mine[0], archived_night.mine[1]
    url = signed_link(observer, frame)["url"]
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    value, mac = signature.rsplit(":", 1)
    forged = [
        f"{value}:{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",  # the MAC changed
        f"{value[:-1]}x:{mac}",  # the time stamp changed
        signing.TimestampSigner(salt="another.salt").sign_object([frame.pk, observer.pk]),
        signing.TimestampSigner(key="not-the-site-key", salt="pyros.archive.signed-download"
                                ).sign_object([frame.pk, observer.pk]),
        "", "garbage", "a:b:c",
    ]
    for bad in forged:
        response = api().get(f"{FRAMES}{frame.pk}/file/", {"signature": bad})
        assert response.status_code == 403, bad
        assert "not valid" in response.json()["detail"]
    # A NUL anywhere in a query is refused at the door (pyros.web.middleware), a 400.
    assert api().get(f"{FRAMES}{frame.pk}/file/", {"signature": "\x00"}).status_code == 400
    elsewhere = api().get(f"{FRAMES}{other.pk}/file/", {"signature": signature})
    assert elsewhere.status_code == 403 and "another frame" in elsewhere.json()["detail"]


def test_a_link_dies_with_its_users_right(archived_night, observer):
    frame = archived_night.mine[0]
    url = signed_link(observer, frame)["url"]
    observer.profile = Profile.objects.get(level=ProfileLevel.VISITOR)  # no images right
    observer.save()
    refused = api().get(url)
    assert refused.status_code == 404 and "you may see" in refused.json()["detail"]
    observer.profile = Profile.objects.get(level=ProfileLevel.OBSERVER)
    observer.save()
    assert api().get(url).status_code == 200
    observer.is_active = False
    observer.save()
    inactive = api().get(url)
    assert inactive.status_code == 403 and "no longer active" in inactive.json()["detail"]


def test_nobody_gets_a_link_to_what_they_may_not_see(archived_night, outsider):
    assert api(outsider).get(f"{FRAMES}{archived_night.mine[0].pk}/url/").status_code == 404
    bias = signed_link(outsider, archived_night.bias)  # a calibration: everyone's
    assert api().get(bias["url"]).status_code == 200


# --- Zips --------------------------------------------------------------------------------


def test_a_zip_holds_the_files_and_their_checksums(archived_night, observer):
    night = archived_night
    chosen = [*night.mine, night.processed, night.master]
    response = api(observer).get(f"{API}/zip/", {"id": [f.pk for f in chosen]})
    assert response["Content-Disposition"] == 'attachment; filename="pyros-5-frames.zip"'
    archive = unzip(response)
    assert archive.namelist() == [f.basename for f in chosen] + ["SHA256SUMS"]
    for frame in chosen:
        data = archive.read(frame.basename)
        assert data == file_bytes(frame)
        assert archive.getinfo(frame.basename).compress_type == zipfile.ZIP_STORED
    sums = archive.read("SHA256SUMS").decode().splitlines()
    assert sums == [f"{hashlib.sha256(file_bytes(f)).hexdigest()}  {f.basename}"
                    for f in chosen]
    assert sums == [f"{f.sha256}  {f.basename}" for f in chosen]


def test_a_zip_of_a_request(archived_night, observer, outsider):
    request_id = archived_night.mine[0].request_id
    everything = unzip(api(observer).get(f"{API}/zip/", {"request": request_id}))
    assert sorted(everything.namelist()) == ["SHA256SUMS", "m31-0-cal.fits", "m31-0-cat.fits",
                                             "m31-0.fits", "m31-1.fits", "m31-2.fits"]
    raw = api(observer).get(f"{API}/zip/", {"request": request_id, "product": "RAW"})
    assert raw["Content-Disposition"] == f'attachment; filename="pyros-request-{request_id}.zip"'
    assert unzip(raw).namelist() == ["m31-0.fits", "m31-1.fits", "m31-2.fits", "SHA256SUMS"]
    refused = api(outsider).get(f"{API}/zip/", {"request": request_id})
    assert refused.status_code == 404


def test_one_frame_one_may_not_see_and_the_whole_zip_is_refused(archived_night, outsider):
    night = archived_night
    response = api(outsider).get(f"{API}/zip/", {"id": [night.bias.pk, night.mine[0].pk]})
    assert response.status_code == 404
    assert response.json()["detail"] == f"no frame {night.mine[0].pk} that you may see"
    unknown = api(outsider).get(f"{API}/zip/", {"id": [night.bias.pk, 99999]})
    assert unknown.json()["detail"] == "no frame 99999 that you may see"  # the same words
    assert unzip(api(outsider).get(f"{API}/zip/", {"id": [night.bias.pk] * 3})).namelist() \
        == ["bias-0.fits", "SHA256SUMS"]


def test_what_a_zip_request_must_say(archived_night, observer, monkeypatch):
    night, client = archived_night, api(observer)
    request_id = night.mine[0].request_id
    for params in ({}, {"id": night.mine[0].pk, "request": request_id}, {"id": "x"},
                   {"id": "0"}, {"id": ""}, {"product": "RAW"}, {"request": request_id,
                                                                  "product": "PNG"}):
        response = client.get(f"{API}/zip/", params)
        assert response.status_code == 400, params
        assert response.json()["detail"]
    monkeypatch.setattr(downloads, "MAX_ZIP_FILES", 2)
    too_many = client.get(f"{API}/zip/", {"id": [f.pk for f in night.mine]})
    assert too_many.status_code == 400 and "at most 2" in too_many.json()["detail"]
    whole_request = client.get(f"{API}/zip/", {"request": request_id})
    assert whole_request.status_code == 400 and "more than 2" in whole_request.json()["detail"]
    assert client.get(f"{API}/zip/", {"request": request_id, "product": "MASTER"}
                      ).status_code == 404


def test_a_big_zip_is_streamed_in_blocks_with_little_memory(archived_night, admin_user):
    """40 files of 8 MiB (hard links of one file, so the disk is spared): 320 MiB sent
    while the Python heap never holds more than a few blocks."""
    bias = archived_night.bias
    source = layout.absolute(layout_unit(), bias.path)
    big = source.with_name("big.fits")
    big.write_bytes(os.urandom(8 << 20))
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    ids = []
    for i in range(40):
        path: Path = source.with_name(f"big-{i}.fits")
        os.link(big, path)
        copy = ArchiveFrame.objects.get(pk=bias.pk)
        copy.pk = None
        copy.basename, copy.path = path.name, layout.relative(layout_unit(), path)
        copy.size, copy.sha256 = 8 << 20, digest
        copy.save()
        ids.append(copy.pk)
    response = api(admin_user).get(f"{API}/zip/", {"id": ids})
    assert response.status_code == 200 and response.streaming
    tracemalloc.start()
    try:
        total, pieces, tail = 0, 0, b""
        for piece in response.streaming_content:
            total, pieces, tail = total + len(piece), pieces + 1, (tail + piece)[-22:]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total > 40 * (8 << 20) and pieces >= 40 * 8
    assert tail.startswith(b"PK\x05\x06")  # the end of the central directory
    assert int(response["Content-Length"]) == total
    assert peak < 16 << 20, f"{peak / 2**20:.1f} MiB held while streaming"
