"""The archive's pages through Django's test client, as several profiles: the list and
its filters, a frame's page, the previews, a request's frames; the same rights on
every one (access.visible_frames), and no filter value that makes a 500."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from django.test import Client
from PIL import Image as Picture

from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from pyros.analysis.models import AnalysisStatus, FrameAnalysis
from pyros.archive import layout
from pyros.archive.models import ArchiveFrame
from tests.archive.conftest import M31, M42, TAKEN, ArchivedNight
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
#: The fixture's star: rows 100-103, columns 120-123 of a 256² frame (0-based centre
#: 121.5, 101.5); the preview is not binned and rows count from the bottom.
STAR = (121.5, 101.5)
STAR_IN_PREVIEW = (122.0, 256 - 102.0)


@pytest.fixture
def night(archived_night: ArchivedNight, simulated_clock) -> ArchivedNight:
    """The fixture's night, the morning after (the bias is public once taken), with the
    catalogue the pipeline writes: x, y as well as ra, dec (the star and a faint one)."""
    simulated_clock.set(TAKEN + timedelta(days=1))
    path = layout.absolute(archived_night.unit, archived_night.catalogue.path)
    table = fits.BinTableHDU.from_columns([
        fits.Column("X", "D", array=[STAR[0], 30.0]), fits.Column("Y", "D", array=[STAR[1], 40.0]),
        fits.Column("RA", "D", array=[M31[0], M31[0] + 0.01]),
        fits.Column("DEC", "D", array=[M31[1], M31[1] + 0.01]),
        fits.Column("FLUX", "D", array=[80000.0, 900.0]), fits.Column("A", "D", array=[1.5, 1.0]),
    ], name="CAT")
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path, overwrite=True, checksum=True)
    FrameAnalysis.objects.filter(image=archived_night.mine[0].image).update(
        fwhm=1.83, zero_point=23.456, limiting_magnitude=20.12, sources=2, solved=True,
        background=1000.0, background_rms=10.0)
    return archived_night


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def carol() -> User:
    return User.objects.get(username="carol")


def text(response) -> str:
    return html.unescape(response.content.decode())


def listed(response) -> list[str]:
    """The basenames in the list's table, in order."""
    return re.findall(r'<td><a href="/images/frames/\d+/">([^<]+)</a></td>', text(response))


def hrefs(response, element_id: str) -> str:
    found = re.search(rf'id="{element_id}" href="([^"]+)"|href="([^"]+)"[^>]*id="{element_id}"',
                      response.content.decode())
    assert found, element_id
    return html.unescape(found.group(1) or found.group(2))


# --- The list ----------------------------------------------------------------------------

def test_an_observer_lists_their_frames_and_calibrations_with_thumbnails(night, observer):
    page = client_for(observer).get("/images/archive/")
    assert page.status_code == 200
    names = listed(page)
    assert set(names) == {"m31-0.fits", "m31-1.fits", "m31-2.fits", "m31-0-cal.fits",
                          "m31-0-cat.fits", "bias-0.fits", "master-bias-VIS-bin1.fits"}
    assert "m42-0.fits" not in text(page)
    first = night.mine[0]
    content = page.content.decode()
    assert f'src="/images/frames/{first.pk}/thumbnail.png"' in content
    assert f'src="/images/frames/{night.catalogue.pk}/thumbnail.png"' not in content
    assert "7 frames" in text(page)
    # Checkboxes post to the API's zip; "all on this page" lists every frame shown.
    assert 'action="/api/archive/zip/"' in content
    assert f'name="id" value="{first.pk}"' in content
    page_zip = hrefs(page, "download-page")
    assert page_zip.startswith("/api/archive/zip/?id=")
    assert sorted(int(i) for i in re.findall(r"id=(\d+)", page_zip)) == sorted(
        f.pk for f in visible(observer, night))


def visible(user, night: ArchivedNight) -> list[ArchiveFrame]:
    from pyros.archive.access import visible_frames

    return list(visible_frames(user, night.unit))


def test_each_profile_lists_what_the_rights_give_it(night, admin_user, outsider):
    assert len(listed(client_for(admin_user).get("/images/archive/"))) == len(night.all)
    assert set(listed(client_for(carol()).get("/images/archive/"))) == {
        "m42-0.fits", "bias-0.fits", "master-bias-VIS-bin1.fits"}
    assert set(listed(client_for(outsider).get("/images/archive/"))) == {
        "bias-0.fits", "master-bias-VIS-bin1.fits"}
    visitor = make_user("vic", ProfileLevel.VISITOR)
    assert set(listed(client_for(visitor).get("/images/archive/"))) == {
        "bias-0.fits", "master-bias-VIS-bin1.fits"}


def test_the_list_pages_fifty_frames_at_a_time(night, admin_user):
    template = night.bias
    for i in range(55):
        ArchiveFrame.objects.create(**{
            **{f.attname: getattr(template, f.attname) for f in ArchiveFrame._meta.fields
               if f.attname != "id"},
            "basename": f"bias-x{i}.fits", "path": f"x/bias-x{i}.fits",
            "date_obs": TAKEN - timedelta(hours=2, minutes=i)})
    client = client_for(admin_user)
    first = client.get("/images/archive/?frame_type=BIAS")
    assert len(listed(first)) == 50 and "page 1 of 2" in text(first)
    assert 'href="?frame_type=BIAS&amp;page=2"' in first.content.decode()
    second = client.get("/images/archive/?frame_type=BIAS&page=2")
    assert len(listed(second)) == 7  # 55 + the fixture's bias and master bias
    assert client.get("/images/archive/?page=nonsense").status_code == 200


def test_anonymous_visitors_log_in_unless_the_site_shows_them_public_frames(
        night, tmp_path, monkeypatch):
    anonymous = Client()
    first = night.mine[0]
    for url in ("/images/archive/", f"/images/frames/{night.bias.pk}/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert anonymous.get(f"/images/frames/{night.bias.pk}/thumbnail.png").status_code == 404
    opened = tmp_path / "open.toml"
    opened.write_text(Path(tmp_path / "unit.toml").read_text().replace(
        "public_to_anonymous = false", "public_to_anonymous = true"))
    monkeypatch.setenv("PYROS_CONFIG", str(opened))
    assert set(listed(anonymous.get("/images/archive/"))) == {"bias-0.fits",
                                                               "master-bias-VIS-bin1.fits"}
    assert anonymous.get(f"/images/frames/{night.bias.pk}/").status_code == 200
    assert anonymous.get(f"/images/frames/{night.bias.pk}/thumbnail.png").status_code == 200
    assert anonymous.get(f"/images/frames/{first.pk}/").status_code == 404
    assert anonymous.get(f"/images/frames/{first.pk}/preview.png").status_code == 404


@pytest.mark.parametrize(("query", "expected"), [
    ("target=m42", {"m42-0.fits"}),
    ("target=M31&product=RAW", {"m31-0.fits", "m31-1.fits", "m31-2.fits"}),
    ("product=MASTER", {"master-bias-VIS-bin1.fits"}),
    ("frame_type=BIAS", {"bias-0.fits", "master-bias-VIS-bin1.fits"}),
    ("program=SN", {"m42-0.fits"}),
    ("filter=r&product=CATALOGUE", {"m31-0-cat.fits"}),
    ("night_from=2026-11-22", set()),
    ("night_from=2026-11-20&night_to=2026-11-21&target=M42", {"m42-0.fits"}),
    # A cone of 1° around M31 finds its frames (and the catalogue, centred as its
    # calibrated frame), not M42's nor the bias (no position).
    (f"ra={M31[0]}&dec={M31[1]}&radius=1", {"m31-0.fits", "m31-1.fits", "m31-2.fits",
                                             "m31-0-cal.fits", "m31-0-cat.fits"}),
    (f"ra={M42[0]}&dec={M42[1]}", {"m42-0.fits"}),  # the default radius, 0.5°
    (f"ra={M42[0] + 1}&dec={M42[1]}&radius=0.5", set()),
])
def test_the_filters(night, admin_user, query, expected):
    page = client_for(admin_user).get(f"/images/archive/?{query}")
    assert page.status_code == 200
    assert set(listed(page)) == expected


def test_the_request_filter(night, observer, admin_user):
    request_id = night.mine[0].request_id
    mine = client_for(observer).get(f"/images/archive/?request={request_id}")
    assert len(listed(mine)) == 5  # three raw frames, the calibrated one, its catalogue
    theirs = night.theirs[0].request_id
    assert listed(client_for(observer).get(f"/images/archive/?request={theirs}")) == []
    assert listed(client_for(admin_user).get(f"/images/archive/?request={theirs}")) == [
        "m42-0.fits"]


@pytest.mark.parametrize(("query", "message"), [
    ("ra=abc&dec=1", "Enter a number"),
    ("ra=400&dec=0", "ra must be within 0..360 degrees"),
    ("ra=10&dec=-91", "dec must be within -90..90 degrees"),
    ("ra=10&dec=10&radius=50", "radius must be within 0..10 degrees"),
    ("ra=10&dec=10&radius=0", "radius must be within"),
    ("ra=nan&dec=10", "Enter a number"),
    ("ra=10", "needs both RA and Dec"),
    ("radius=2", "needs both RA and Dec"),
    ("night_from=2026-11-23&night_to=2026-11-21", "The first night comes after the last"),
    ("night_from=yesterday", "Enter a valid date"),
    ("product=EVERYTHING", "Select a valid choice"),
    ("frame_type=SKY", "Select a valid choice"),
    ("request=-3", "greater than or equal to 1"),
    ("request=1e999", "Enter a whole number"),
    ("target=" + "x" * 300, "at most 100 characters"),
])
def test_bad_filters_are_explained_never_a_server_error(night, observer, query, message):
    page = client_for(observer).get(f"/images/archive/?{query}")
    assert page.status_code == 400
    assert message in text(page)
    assert listed(page) == [] and "Fix the search above" in text(page)


# --- A frame's page ----------------------------------------------------------------------

def test_a_frame_page_shows_the_preview_with_its_sources_and_all_about_the_file(
        night, observer):
    first = night.mine[0]
    page = client_for(observer).get(f"/images/frames/{first.pk}/")
    assert page.status_code == 200
    content = text(page)
    assert f'src="/images/frames/{first.pk}/preview.png"' in content
    circles = re.findall(r'<circle class="source" cx="([\d.]+)" cy="([\d.]+)"', content)
    assert circles[0] == (f"{STAR_IN_PREVIEW[0]:.2f}", f"{STAR_IN_PREVIEW[1]:.2f}")
    assert len(circles) == 2 and 'viewBox="0 0 256 256"' in content
    assert "2 sources from m31-0-cat.fits" in content
    assert first.sha256 in content and "Download FITS" in content
    assert hrefs(page, "download") == f"/api/archive/frames/{first.pk}/file/"
    assert hrefs(page, "preview-png") == f"/api/archive/frames/{first.pk}/preview.png"
    assert "1.83″" in content and "23.456" in content and "20.12" in content
    # The relatives: its calibrated frame, catalogue and the master bias used.
    related = content[content.index('id="related"'):content.index('id="headers"')]
    assert set(re.findall(r">([\w.-]+\.fits)</a>", related)) == {
        "m31-0-cal.fits", "m31-0-cat.fits", "master-bias-VIS-bin1.fits"}
    headers = content[content.index('id="headers"'):]
    assert "<th>IMAGETYP</th><td>LIGHT</td>" in headers and "<th>EXPTIME</th>" in headers
    # The analysis page and the frame's page lead to each other.
    assert hrefs(page, "analysis-link") == f"/images/{first.image_id}/"
    analysis = client_for(observer).get(f"/images/{first.image_id}/")
    assert f'href="/images/frames/{first.pk}/"' in analysis.content.decode()
    assert f'href="/images/frames/{night.catalogue.pk}/"' in analysis.content.decode()
    assert f'href="/requests/{first.request_id}/"' in content


def test_a_catalogue_shows_its_calibrated_frame_with_the_sources(night, observer):
    page = text(client_for(observer).get(f"/images/frames/{night.catalogue.pk}/"))
    assert f'src="/images/frames/{night.processed.pk}/preview.png"' in page
    assert "the pixels of m31-0-cal.fits" in page
    assert page.count('<circle class="source"') == 2


def test_without_a_catalogue_file_the_calibrated_frames_own_table_is_drawn(night,
                                                                            observer):
    """The calibrated frame carries the sources too (its CAT extension)."""
    path = layout.absolute(night.unit, night.processed.path)
    pixels = fits.getdata(path)
    table = fits.BinTableHDU.from_columns([fits.Column("X", "D", array=[STAR[0]]),
                                           fits.Column("Y", "D", array=[STAR[1]])], name="CAT")
    fits.HDUList([fits.PrimaryHDU(pixels), table]).writeto(path, overwrite=True)
    night.catalogue.delete()
    page = text(client_for(observer).get(f"/images/frames/{night.mine[0].pk}/"))
    assert "1 source from m31-0-cal.fits" in page
    assert page.count('<circle class="source"') == 1


def test_an_unreadable_catalogue_is_said_and_the_preview_still_shown(night, observer):
    layout.absolute(night.unit, night.catalogue.path).write_bytes(b"SIMPLE  = garbage")
    page = client_for(observer).get(f"/images/frames/{night.mine[0].pk}/")
    assert page.status_code == 200 and "The sources could not be read" in text(page)
    assert 'id="preview"' in text(page) and "<circle" not in text(page)


def test_a_frame_without_a_catalogue_has_no_circles_and_a_master_its_relatives(
        night, observer):
    second = text(client_for(observer).get(f"/images/frames/{night.mine[1].pk}/"))
    assert "<circle" not in second and "preview.png" in second
    master = client_for(observer).get(f"/images/frames/{night.master.pk}/")
    assert master.status_code == 200
    related = text(master)[text(master).index('id="related"'):]
    # made from the bias; it calibrated the first frame (its products, not the raw one)
    assert {"bias-0.fits", "m31-0-cal.fits", "m31-0-cat.fits"} <= set(
        re.findall(r">([\w.-]+\.fits)</a>", related))
    assert "<circle" not in text(master)


def test_relatives_one_may_not_see_are_not_listed(night, outsider):
    master = text(client_for(outsider).get(f"/images/frames/{night.master.pk}/"))
    related = master[master.index('id="related"'):master.index('id="headers"')]
    assert re.findall(r">([\w.-]+\.fits)</a>", related) == ["bias-0.fits"]
    assert 'id="analysis-link"' not in master


def test_other_peoples_frames_and_previews_are_not_found(night, observer, outsider,
                                                         admin_user):
    first, theirs = night.mine[0], night.theirs[0]
    for user in (carol(), outsider):
        client = client_for(user)
        for url in (f"/images/frames/{first.pk}/", f"/images/frames/{first.pk}/preview.png",
                    f"/images/frames/{first.pk}/thumbnail.png"):
            assert client.get(url).status_code == 404, (user, url)
    assert client_for(observer).get(f"/images/frames/{theirs.pk}/").status_code == 404
    assert client_for(carol()).get(f"/images/frames/{theirs.pk}/").status_code == 200
    assert client_for(admin_user).get(f"/images/frames/{theirs.pk}/").status_code == 200
    assert client_for(observer).get("/images/frames/999999/").status_code == 404


def test_previews_are_made_on_demand_and_served_as_png(night, observer):
    client = client_for(observer)
    first = night.mine[0]
    assert not first.preview  # not made at ingest in the fixture
    for kind, largest in (("thumbnail", 256), ("preview", 1024)):
        response = client.get(f"/images/frames/{first.pk}/{kind}.png")
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        picture = Picture.open(io.BytesIO(b"".join(response.streaming_content)))
        assert picture.format == "PNG" and max(picture.size) <= largest
        assert np.asarray(picture).std() > 0  # a picture, not a grey field
    assert ArchiveFrame.objects.get(pk=first.pk).previews == "MADE"
    assert client.get(f"/images/frames/{night.catalogue.pk}/thumbnail.png").status_code == 404


def test_a_frame_whose_file_is_gone_has_no_preview_but_a_page(night, admin_user):
    second = night.mine[1]
    layout.absolute(night.unit, second.path).unlink()
    page = client_for(admin_user).get(f"/images/frames/{second.pk}/")
    assert page.status_code == 200 and 'id="no-preview"' in page.content.decode()
    assert client_for(admin_user).get(f"/images/frames/{second.pk}/preview.png"
                                      ).status_code == 404


# --- Other pages' links ------------------------------------------------------------------

def test_a_request_page_lists_its_frames_and_downloads_them_all(night, observer,
                                                                admin_user):
    request_id = night.mine[0].request_id
    page = client_for(observer).get(f"/requests/{request_id}/")
    content = text(page)
    section = content[content.index('id="frames"'):]
    assert "Frames (5)" in section
    assert set(re.findall(r">([\w.-]+\.fits)</a>", section)) == {
        "m31-0.fits", "m31-1.fits", "m31-2.fits", "m31-0-cal.fits", "m31-0-cat.fits"}
    assert hrefs(page, "download-request") == f"/api/archive/zip/?request={request_id}"
    assert f'src="/images/frames/{night.mine[0].pk}/thumbnail.png"' in section
    assert "Frames (5)" in text(client_for(admin_user).get(f"/requests/{request_id}/"))
    theirs = text(client_for(carol()).get(f"/requests/{night.theirs[0].request_id}/"))
    assert "Frames (1)" in theirs and "m42-0.fits" in theirs


def test_a_request_without_frames_says_so(archived_night, observer):
    from pyros.observations import store
    from pyros.observations.json_format import spec_from_data
    from tests.conftest import request_dict

    empty = store.create_request(spec_from_data(request_dict(name="later")), observer)
    page = text(client_for(observer).get(f"/requests/{empty.pk}/"))
    assert "Frames (0)" in page and "No frame yet" in page and "download-request" not in page


def test_the_images_page_and_the_home_tile_lead_to_the_archive(night, observer):
    assert 'href="/images/archive/"' in client_for(observer).get("/images/").content.decode()
    home = client_for(observer).get("/").content.decode()
    assert 'href="/images/archive/"' in home and 'href="/images/"' in home


def test_an_unanalysed_frame_says_so(night, admin_user):
    FrameAnalysis.objects.filter(image=night.mine[2].image).update(
        status=AnalysisStatus.FAILED, reason="no stars")
    page = text(client_for(admin_user).get(f"/images/frames/{night.mine[2].pk}/"))
    assert "Analysis: Failed (no stars)" in page
