"""The Images pages in a real browser: an observer goes from the home page to the night
of their images, sees its quality plotted, opens a frame and sees what the pipeline
measured and found, with the candidate's cutouts."""

from __future__ import annotations

import pytest
from PIL import Image as Picture
from playwright.sync_api import Page, expect

from pyros.analysis.models import Candidate
from tests.analysis.conftest import START
from tests.analysis.test_pages import NIGHT, night_of_frames  # noqa: F401
from tests.browser.conftest import artifacts, browser, page, wait_until_decoded  # noqa: F401
from tests.conftest import OBSERVER_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_observer_follows_the_quality_of_their_night(
        page: Page, observer, night_of_frames, tmp_path, artifacts):  # noqa: F811
    first = night_of_frames[0]
    cutouts = []
    for name, shade in (("new", 200), ("ref", 60)):
        path = tmp_path / f"c1-{name}.png"
        Picture.new("L", (64, 64), shade).save(path)
        cutouts.append(str(path))
    Candidate.objects.create(analysis=first.analysis, kind="NEW", ra=150.25, dec=-20.5,
                             mag=17.9, mag_err=0.04, snr=31.0, distance=0.01,
                             new_cutout=cutouts[0], reference_cutout=cutouts[1],
                             found_at=START)
    page.goto("/login/")
    page.fill("#id_username", observer.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Images").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Images")
    page.get_by_role("link", name=NIGHT).click()
    plots = page.locator("#plots svg.plot")
    expect(plots).to_have_count(4)
    expect(plots.first.locator("circle.plot-point")).to_have_count(5)
    expect(page.locator("#waiting")).to_contain_text("1 frame waiting")
    expect(page.locator("#frames tbody tr")).to_have_count(6)  # not the bias: not theirs
    page.screenshot(path=str(artifacts / "images-night.png"), full_page=True)

    page.locator("#frames tbody tr").first.get_by_role("link").click()
    expect(page.locator("#figures")).to_contain_text("1.40″")
    expect(page.locator("#analysis-status")).to_contain_text("4.2 s after the readout")
    new = page.locator("#candidates img[alt=new]")
    expect(new).to_be_visible()
    wait_until_decoded(new)
    assert page.evaluate("document.querySelector('#candidates img[alt=new]').naturalWidth") \
        == 64
    page.screenshot(path=str(artifacts / "images-frame.png"), full_page=True)
