"""An operator watches the device pages in a real browser: the devices follow the
database without reloading, the remote-control panel comes alive when the mode turns
REMOTE, a confirmed slew is sent and followed to its end, and a camera's new image
shows as its preview."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from astropy.io import fits
from playwright.sync_api import Dialog, Page, expect

from pyros.agents.models import Command
from pyros.agents.states import CommandState
from pyros.instruments.models import DeviceState, Mode
from pyros.instruments.previews import preview_path, write_preview
from tests.browser.conftest import artifacts, browser, page, wait_until_decoded  # noqa: F401
from tests.conftest import OBSERVER_PASSWORD, TEST_NOW
from tests.instruments.conftest import set_mode
from tests.instruments.test_previews import sky_with_a_star

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 20_000  # ms: the page polls every second; a busy machine is slow to answer
MOUNT = {"connected": True, "ra": 150.0, "dec": 20.0, "alt": 45.5, "az": 80.25, "ha": -2.5,
         "slewing": False, "tracking": True, "parked": False, "at_limit": False}


@pytest.fixture
def devices() -> dict[str, DeviceState]:
    return {
        "mount": DeviceState.objects.create(name="mount", kind="mount", connected=True,
                                            data=MOUNT, polled_at=TEST_NOW, good_at=TEST_NOW),
        "dome": DeviceState.objects.create(
            name="dome", kind="dome", connected=True, polled_at=TEST_NOW, good_at=TEST_NOW,
            data={"shutter": "CLOSED", "azimuth": 0.0, "moving": False, "following": False,
                  "parked": True}),
    }


def open_telescope_page(page: Page, user) -> None:  # noqa: F811
    page.goto("/login/?next=/instruments/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Telescope & Instruments")


def test_the_telescope_page_follows_the_database(page: Page, operator, devices,  # noqa: F811
                                                 artifacts):  # noqa: F811
    open_telescope_page(page, operator)
    mount = page.locator('[data-device="mount"]')
    dome = page.locator('[data-device="dome"]')
    ra = mount.locator('[data-field="ra"][data-format="hms"]')
    expect(ra).to_have_text("10h 00m 00.0s")
    expect(mount.locator("[data-stale]")).to_be_hidden()
    slew = page.get_by_role("button", name="Slew…")
    expect(slew).to_be_disabled()  # by its fieldset
    expect(page.locator("#remote-off")).to_have_text(
        "Remote control acts only in REMOTE mode (now: PASSIVE)")
    page.evaluate("window.notReloaded = true")

    DeviceState.objects.filter(name="mount").update(
        data={**MOUNT, "ra": 165.5, "dec": -5.25, "slewing": True},
        good_at=TEST_NOW - timedelta(seconds=4))
    DeviceState.objects.filter(name="dome").update(
        connected=False, stale=True, error="cannot connect to 127.0.0.1:5004")
    expect(ra).to_have_text("11h 02m 00.0s", timeout=LIVE)
    expect(mount.locator('[data-field="dec"][data-format="dms"]')).to_have_text(
        "-05° 15\N{PRIME} 00\N{DOUBLE PRIME}")
    expect(mount.locator('[data-flag="slewing"]')).to_have_class("flag flag-on")
    expect(mount.locator("[data-age]")).to_have_text("read 4 s ago")
    expect(dome.locator("[data-stale]")).to_be_visible(timeout=LIVE)
    expect(dome.locator("[data-connected]")).to_have_text("disconnected")
    expect(dome.locator("[data-error]")).to_have_text("cannot connect to 127.0.0.1:5004")
    expect(dome).to_have_class("card device is-stale")
    expect(mount.locator("[data-stale]")).to_be_hidden()
    expect(dome.locator('[data-field="shutter"]')).to_have_text("CLOSED")  # kept

    set_mode(Mode.REMOTE, by="cli:olga")
    expect(slew).to_be_enabled(timeout=LIVE)
    expect(page.locator("#remote-off")).to_be_hidden()
    expect(page.locator("#mode")).to_have_text("REMOTE")
    expect(page.locator("#mode-detail")).to_have_text(
        "set by cli:olga at 2026-11-21 12:00:00: test")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(artifacts / "instruments-live.png"), full_page=True)

    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.fill("#slew-ra", "150.25")
    page.fill("#slew-dec", "-20.5")
    slew.click()
    result = page.locator("#command-result")
    expect(result).to_contain_text("PENDING")
    assert questions == ["Slew the mount to RA 150.25°, Dec -20.5°?"]
    command = Command.objects.get()
    assert (command.recipient, command.name, command.sender, command.args) == (
        "devices", "slew", "web:olga", {"ra": 150.25, "dec": -20.5})

    Command.objects.filter(pk=command.pk).update(  # the devices agent's part
        state=CommandState.FAILED, ended_at=TEST_NOW,
        error="DeviceRefused: mount: target at altitude -30.0 deg is below the horizon")
    expect(result.locator(".status")).to_have_text("FAILED", timeout=LIVE)
    expect(result.locator(".command-error")).to_contain_text("below the horizon")
    page.screenshot(path=str(artifacts / "instruments-command.png"), full_page=True)


def test_the_cameras_page_shows_the_new_preview(page: Page, operator, data_home,  # noqa: F811
                                                artifacts):  # noqa: F811
    camera = DeviceState.objects.create(
        name="camera_vis", kind="camera", channel="VIS", connected=True, polled_at=TEST_NOW,
        good_at=TEST_NOW, data={"state": "EXPOSING", "ccd_temperature": -19.9,
                                "cooler_setpoint": -20.0, "cooler_power": 71.0,
                                "exposure_left": 8.0, "last_image": None})
    page.goto("/login/?next=/instruments/cameras/")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    block = page.locator('[data-device="camera_vis"]')
    expect(block.locator('[data-field="state"]')).to_have_text("EXPOSING")
    expect(block.locator('[data-field="cooler_power"]')).to_have_text("71 %")
    preview = page.locator('[data-preview-of="camera_vis"]')
    expect(preview).to_be_hidden()
    expect(page.locator("[data-no-preview]").first).to_have_text("No image yet.")

    fits_path = data_home / "frame.fits"
    fits.PrimaryHDU(data=sky_with_a_star(1024, 1024).astype("uint16")).writeto(fits_path)
    write_preview(fits_path, preview_path("VIS"))
    DeviceState.objects.filter(pk=camera.pk).update(
        data={**camera.data, "state": "IDLE", "exposure_left": 0.0, "cooler_power": 69.5,
              "last_image": str(fits_path)})
    expect(block.locator('[data-field="last_image"]')).to_have_text(str(fits_path),
                                                                     timeout=LIVE)
    expect(block.locator('[data-field="cooler_power"]')).to_have_text("70 %")  # live, in JS
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("src", re.compile(r"/instruments/cameras/VIS/preview"
                                                        r"\.png\?v=\d+$"))
    wait_until_decoded(preview, LIVE / 1000)
    assert page.evaluate("document.querySelector('[data-preview-of]').naturalWidth") == 512
    page.screenshot(path=str(artifacts / "instruments-cameras.png"), full_page=True)
