"""The archive's pages in a real browser: an observer finds their M31 frames by target,
sees the thumbnails drawn, opens a frame and sees its preview with the detected sources
circled on the star, its header and its relatives, and finds the frames on their
request's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.archive.conftest import archive_unit, archived_night  # noqa: F401
from tests.archive.test_pages import STAR_IN_PREVIEW, night  # noqa: F401
from tests.browser.conftest import artifacts, browser, page  # noqa: F401
from tests.conftest import OBSERVER_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_LOADED = """selector => {
  const images = [...document.querySelectorAll(selector)];
  return images.length > 0 && images.every(img => img.complete && img.naturalWidth > 0);
}"""


def log_in(tab: Page, user) -> None:
    tab.goto("/login/")
    tab.fill("#id_username", user.username)
    tab.fill("#id_password", OBSERVER_PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    expect(tab.locator(".who")).to_contain_text(user.username)


def test_an_observer_finds_opens_and_downloads_their_frames(
        page: Page, observer, night, artifacts):  # noqa: F811
    log_in(page, observer)
    page.goto("/images/")
    page.get_by_role("link", name="Search the archive").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Archive")
    expect(page.locator("#frames tbody tr")).to_have_count(7)

    page.fill("#id_target", "M31")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#frames tbody tr")
    expect(rows).to_have_count(5)  # three raw frames, the calibrated one, its catalogue
    expect(page.locator("#count")).to_contain_text("5 frames found")
    # Visible is not loaded: wait until the browser has decoded every thumbnail.
    page.wait_for_function(ALL_LOADED, arg="#frames td.thumb img")
    widths = page.evaluate("[...document.querySelectorAll('#frames td.thumb img')]"
                           ".map(img => img.naturalWidth)")
    assert widths == [256, 256, 256, 256]  # the catalogue has no pixels: no thumbnail

    selected = page.locator("#download-selected")
    expect(selected).to_be_disabled()
    page.get_by_label("Select m31-1.fits").check()
    expect(selected).to_be_enabled()
    expect(selected).to_have_text("Download selected (1)")
    expect(page.locator("#selection")).to_have_attribute("action", "/api/archive/zip/")
    expect(page.locator("#download-page")).to_have_attribute(
        "href", "/api/archive/zip/?" + "&".join(
            f"id={pk}" for pk in page.evaluate(
                "[...document.querySelectorAll('#frames input[name=id]')].map(b => b.value)")))
    page.screenshot(path=str(artifacts / "archive-list.png"), full_page=True)

    page.get_by_role("link", name="m31-0.fits", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("m31-0.fits")
    page.wait_for_function(ALL_LOADED, arg="#preview")
    assert page.evaluate("document.querySelector('#preview').naturalWidth") == 256
    circles = page.locator("#sources circle.source")
    expect(circles).to_have_count(2)
    expect(page.locator("#sources-caption")).to_contain_text("2 sources from m31-0-cat.fits")
    # The brightest circle is on the star as the page shows it, whatever its size.
    image = page.locator("#preview").bounding_box()
    circle = circles.first.bounding_box()
    scale = image["width"] / 256
    assert abs(circle["x"] + circle["width"] / 2 - image["x"]
               - STAR_IN_PREVIEW[0] * scale) < 2
    assert abs(circle["y"] + circle["height"] / 2 - image["y"]
               - STAR_IN_PREVIEW[1] * scale) < 2
    expect(page.locator("#download")).to_have_attribute(
        "href", f"/api/archive/frames/{night.mine[0].pk}/file/")
    expect(page.locator("#quality")).to_contain_text("1.83″")

    header_table = page.locator("#headers table")
    expect(header_table).to_be_hidden()
    page.get_by_text("FITS header").click()
    expect(header_table).to_be_visible()
    expect(header_table.locator("tr", has_text="IMAGETYP")).to_contain_text("LIGHT")
    related = page.locator("#related")
    for name in ("m31-0-cal.fits", "m31-0-cat.fits", "master-bias-VIS-bin1.fits"):
        expect(related.get_by_role("link", name=name)).to_be_visible()
    page.screenshot(path=str(artifacts / "archive-frame.png"), full_page=True)

    related.get_by_role("link", name="m31-0-cat.fits").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("m31-0-cat.fits")
    page.wait_for_function(ALL_LOADED, arg="#preview")
    expect(page.locator("#sources circle.source")).to_have_count(2)

    page.goto(f"/requests/{night.mine[0].request_id}/")
    frames = page.locator("#frames")
    expect(frames.get_by_role("heading", level=2)).to_have_text("Frames (5)")
    expect(frames.locator("#download-request")).to_have_attribute(
        "href", f"/api/archive/zip/?request={night.mine[0].request_id}")
    frames.scroll_into_view_if_needed()
    page.wait_for_function(ALL_LOADED, arg="#frames td.thumb img")
    page.screenshot(path=str(artifacts / "archive-request-frames.png"), full_page=True)


def test_someone_elses_frame_is_not_found(page: Page, outsider, night):  # noqa: F811
    log_in(page, outsider)
    response = page.goto(f"/images/frames/{night.mine[0].pk}/")
    assert response is not None and response.status == 404
    page.goto("/images/archive/?target=M31")
    expect(page.locator("#count")).to_contain_text("0 frames found")
