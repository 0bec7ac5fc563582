"""The Telescope & Instruments and Cameras pages through Django's test client: who sees
them, the devices as rendered before any JavaScript runs, the remote-control panel
only for those who may act (disabled unless REMOTE), and the previews."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from pyros.instruments.display import display
from pyros.instruments.models import DeviceState, Mode
from tests.conftest import TEST_NOW
from tests.instruments.conftest import client_for, set_mode

pytestmark = pytest.mark.django_db

TELESCOPE = "/instruments/"
CAMERAS = "/instruments/cameras/"
SENTENCE = "Remote control acts only in REMOTE mode (now: {})"


def flatten(markup: str) -> str:
    """The text a reader sees: hidden elements, scripts and tags removed, spaces collapsed."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    markup = re.sub(r"<(\w+)[^>]*\shidden>.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def text(response) -> str:
    return flatten(response.content.decode())


def block(response, name: str) -> str:
    """The text of the block of device ``name``, up to the next block."""
    page = response.content.decode()
    start = page.index(f'data-device="{name}">')
    ends = [page.find(mark, start + 1) for mark in ("data-device=", "<figure", "</section>")]
    end = min(e for e in ends if e > 0)
    end = page.rfind("<", start, end) if page.startswith("data-device=", end) else end
    return flatten(page[start + len(f'data-device="{name}">'):end])


@pytest.fixture
def devices() -> None:
    DeviceState.objects.create(
        name="mount", kind="mount", connected=True, polled_at=TEST_NOW,
        good_at=TEST_NOW - timedelta(seconds=3),
        data={"ra": 150.0, "dec": -20.5, "alt": 45.5, "az": 80.25, "ha": -2.5,
              "slewing": False, "tracking": True, "parked": False, "at_limit": False})
    DeviceState.objects.create(
        name="dome", kind="dome", connected=False, stale=True, polled_at=TEST_NOW,
        good_at=TEST_NOW - timedelta(minutes=2), error="cannot connect to 127.0.0.1:5004",
        data={"shutter": "OPEN", "azimuth": 81.0, "moving": False, "following": True,
              "parked": False})
    DeviceState.objects.create(name="focuser", kind="focuser", connected=True,
                               polled_at=TEST_NOW, good_at=TEST_NOW,
                               data={"position": 25_000, "moving": False})
    DeviceState.objects.create(
        name="camera_vis", kind="camera", channel="VIS", connected=True, polled_at=TEST_NOW,
        good_at=TEST_NOW,
        data={"state": "EXPOSING", "ccd_temperature": -19.96, "cooler_setpoint": -20.0,
              "cooler_power": 70.4, "exposure_left": 12.34,
              "last_image": "/data/images/remote/x_VIS.fits"})
    DeviceState.objects.create(name="camera_vis.filters", kind="filterwheel", channel="VIS",
                               connected=True, polled_at=TEST_NOW, good_at=TEST_NOW,
                               data={"filter": "r", "position": 2, "moving": False})


@pytest.mark.parametrize("page", [TELESCOPE, CAMERAS, f"{CAMERAS}VIS/preview.png"])
def test_pages_need_a_login(initial_data, page):
    response = Client().get(page)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={page}"


@pytest.mark.parametrize("page", [TELESCOPE, CAMERAS, f"{CAMERAS}VIS/preview.png"])
def test_visitors_may_not_see_them(visitor, page):
    assert client_for(visitor).get(page).status_code == 403


def test_an_observer_sees_the_telescope_without_the_control_panel(observer_user, devices):
    response = client_for(observer_user).get(TELESCOPE)
    assert response.status_code == 200
    assert block(response, "mount") == (
        "Mount mount connected read 3 s ago RA 10h 00m 00.0s 150.00° "
        "Dec -20° 30\N{PRIME} 00\N{DOUBLE PRIME} -20.50° Altitude 45.50° Azimuth 80.25° "
        "Hour angle -2.50 h "
        "slewing tracking parked at limit")
    page = response.content.decode()
    assert '<li class="flag flag-on" data-flag="tracking">tracking</li>' in page
    assert '<li class="flag" data-flag="slewing">slewing</li>' in page
    assert block(response, "focuser").startswith("Focuser focuser connected")
    assert "Remote control" not in text(response)
    assert "Operating mode PASSIVE never set" in text(response)


def test_a_stale_device_keeps_its_data_with_the_reason(observer_user, devices):
    response = client_for(observer_user).get(TELESCOPE)
    dome = block(response, "dome")
    assert dome.startswith("Dome dome disconnected stale read 2 min 0 s ago "
                           "cannot connect to 127.0.0.1:5004 Shutter OPEN Azimuth 81.00°")
    page = response.content.decode()
    assert '<section class="card device is-stale" data-device="dome">' in page
    assert '<section class="card device" data-device="mount">' in page


def test_without_any_status_the_page_says_how_to_get_one(observer_user):
    response = client_for(observer_user).get(TELESCOPE)
    assert "No device status yet: the devices agent has not polled" in text(response)


@pytest.mark.parametrize("user", ["operator", "engineer"])
def test_those_who_may_act_see_the_panel_disabled_unless_remote(request, devices, user):
    client = client_for(request.getfixturevalue(user))
    set_mode(Mode.SCHEDULER, by="majordome")
    page = client.get(TELESCOPE).content.decode()
    assert '<fieldset id="remote-controls" class="remote-controls" disabled>' in page
    assert f'<p id="remote-off" class="notice">{SENTENCE.format("SCHEDULER")}</p>' in page

    set_mode(Mode.REMOTE)
    page = client.get(TELESCOPE).content.decode()
    assert '<fieldset id="remote-controls" class="remote-controls">' in page
    assert f'<p id="remote-off" class="notice" hidden>{SENTENCE.format("REMOTE")}' in page
    for command in ("slew", "unpark", "park", "abort_mount", "dome_open", "dome_close",
                    "expose"):
        assert f'data-command="{command}"' in page
    assert ('<script id="channel-filters" type="application/json">{"VIS": ["Clear", "g", '
            '"r", "i", "z", "First infrared filter"], "NIR": ["First infrared filter", "J", '
            '"H"]}</script>') in page


def test_the_cameras_page_shows_each_channel(observer_user, devices, data_home):
    response = client_for(observer_user).get(CAMERAS)
    assert response.status_code == 200
    assert block(response, "camera_vis") == (
        "Camera camera_vis connected read 0 s ago State EXPOSING "
        "CCD temperature -20.0 °C Set-point -20.0 °C Cooler power 70 % Exposure left 12.3 s "
        "Last image /data/images/remote/x_VIS.fits")
    assert block(response, "camera_vis.filters").startswith(
        "Filter wheel camera_vis.filters connected read 0 s ago Filter r Position 2")
    page = response.content.decode()
    assert '<figcaption class="muted" data-no-preview>No image yet.</figcaption>' in page
    assert "No status yet: the devices agent has not polled this channel" in text(response)

    preview = data_home / "previews" / "VIS.png"
    preview.parent.mkdir()
    preview.write_bytes(b"\x89PNG\r\n\x1a\n")
    page = client_for(observer_user).get(CAMERAS).content.decode()
    assert re.search(r'<img data-preview-of="camera_vis" alt="The last image of VIS"\s+'
                     r'width="512" height="512" src="/instruments/cameras/VIS/preview\.png'
                     r'\?v=\d+">', page)


def test_the_preview_is_served_only_when_there_is_one(observer_user, data_home):
    client = client_for(observer_user)
    assert client.get(f"{CAMERAS}VIS/preview.png").status_code == 404
    preview = data_home / "previews" / "VIS.png"
    preview.parent.mkdir()
    preview.write_bytes(b"\x89PNG\r\n\x1a\n")
    response = client.get(f"{CAMERAS}VIS/preview.png")
    assert response.status_code == 200
    assert (response["Content-Type"], response["Cache-Control"]) == ("image/png", "no-cache")
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\n"
    (data_home / "previews" / "UV.png").write_bytes(b"not a channel")
    assert client.get(f"{CAMERAS}UV/preview.png").status_code == 404


def test_home_tiles_and_the_top_bar_lead_to_the_pages(observer_user, visitor):
    page = client_for(observer_user).get("/").content.decode()
    assert f'<a class="tile" href="{TELESCOPE}"><h2>Telescope &amp; Instruments</h2>' in page
    assert f'<a class="tile" href="{CAMERAS}"><h2>Cameras</h2>' in page
    assert f'<a href="{TELESCOPE}">Telescope</a>' in page
    assert f'<a href="{CAMERAS}">Cameras</a>' in page
    hidden = client_for(visitor).get("/").content.decode()
    assert TELESCOPE not in hidden and CAMERAS not in hidden


@pytest.mark.parametrize(("value", "kind", "shown"), [
    (150.0, "hms", "10h 00m 00.0s"), (359.99999, "hms", "00h 00m 00.0s"),
    (-20.5, "dms", "-20° 30\N{PRIME} 00\N{DOUBLE PRIME}"),
    (20.0, "dms", "+20° 00\N{PRIME} 00\N{DOUBLE PRIME}"),
    (45.125, "deg", "45.13°"), (1.234, "hours", "+1.23 h"), (-2.5, "hours", "-2.50 h"),
    (None, "setpoint", "off"), (None, "deg", "\N{EN DASH}"), (True, "flag", "yes"),
    (25_000.4, "int", "25000"), ("OPEN", "text", "OPEN"), (3.15, "seconds", "3.2 s"),
])
def test_values_are_written_as_the_browser_writes_them(value, kind, shown):
    assert display(value, kind) == shown
