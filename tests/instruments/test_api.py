"""The instruments API: who reads what, the JSON of a device's status (stale ones
included), and remote-control commands: refused unless confirmed, valid, sent by a
profile that may act, in REMOTE mode."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from pyros.agents.models import Command
from pyros.instruments.models import DeviceState, Mode
from tests.conftest import TEST_NOW
from tests.instruments.conftest import UP, set_mode

pytestmark = pytest.mark.django_db

URL = "/api/instruments/"
COMMANDS = "/api/instruments/commands/"
MOUNT = {"connected": True, "ra": 150.0, "dec": 20.0, "alt": 45.5, "az": 80.25, "ha": -2.5,
         "slewing": False, "tracking": True, "parked": False, "at_limit": False,
         "time": "2026-11-21T11:59:58Z"}


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def devices() -> dict[str, DeviceState]:
    """A mount read 2 s ago; a camera whose last poll failed, read a minute ago."""
    return {
        "mount": DeviceState.objects.create(
            name="mount", kind="mount", connected=True, data=MOUNT,
            polled_at=TEST_NOW - timedelta(seconds=2), good_at=TEST_NOW - timedelta(seconds=2)),
        "camera": DeviceState.objects.create(
            name="camera_vis", kind="camera", channel="VIS", connected=False, stale=True,
            data={"state": "IDLE", "ccd_temperature": -20.0, "last_image": None},
            error="status: no answer within 1 s (the device is silent)",
            polled_at=TEST_NOW, good_at=TEST_NOW - timedelta(minutes=1)),
        "wheel": DeviceState.objects.create(
            name="camera_vis.filters", kind="filterwheel", channel="VIS", connected=True,
            data={"filter": "r", "position": 2, "moving": False},
            polled_at=TEST_NOW, good_at=TEST_NOW),
    }


def test_anonymous_and_visitors_are_refused(visitor, devices):
    assert APIClient().get(URL).status_code == 401
    assert api(visitor).get(URL).status_code == 403


def test_an_observer_reads_every_device_and_the_mode(observer_user, devices):
    from pyros.instruments.previews import preview_path

    # A camera preview another test of this worker left in the data directory.
    preview_path("VIS").unlink(missing_ok=True)
    set_mode(Mode.SCHEDULER, by="majordome")
    response = api(observer_user).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["now"] == "2026-11-21T12:00:00Z"
    assert body["mode"] == {"mode": "SCHEDULER", "changed_by": "majordome",
                            "changed_at": "2026-11-21T12:00:00Z", "reason": "test",
                            "remote_control": False}
    by_name = {d["name"]: d for d in body["devices"]}
    assert list(by_name) == ["camera_vis", "camera_vis.filters", "mount"]
    assert by_name["mount"] == {
        "name": "mount", "kind": "mount", "channel": "", "connected": True, "stale": False,
        "data": MOUNT, "error": "", "polled_at": "2026-11-21T11:59:58Z",
        "good_at": "2026-11-21T11:59:58Z", "age_seconds": 2.0, "preview_url": None}
    camera = by_name["camera_vis"]
    assert (camera["connected"], camera["stale"], camera["age_seconds"]) == (False, True, 60.0)
    assert camera["data"]["ccd_temperature"] == -20.0  # the last good status, kept
    assert camera["error"] == "status: no answer within 1 s (the device is silent)"
    assert camera["preview_url"] is None  # no preview written yet


def test_the_preview_url_changes_with_the_preview(observer_user, devices, data_home):
    preview = data_home / "previews" / "VIS.png"
    preview.parent.mkdir()
    preview.write_bytes(b"\x89PNG first")
    first = {d["name"]: d for d in api(observer_user).get(URL).json()["devices"]}
    url = first["camera_vis"]["preview_url"]
    assert url.startswith("/instruments/cameras/VIS/preview.png?v=")
    stamp = int(url.rsplit("=", 1)[1])
    os.utime(preview, ns=(stamp + 10**9, stamp + 10**9))
    second = {d["name"]: d for d in api(observer_user).get(URL).json()["devices"]}
    assert second["camera_vis"]["preview_url"] == url.replace(str(stamp), str(stamp + 10**9))


def test_before_any_mode_is_set_the_observatory_is_passive(observer_user):
    body = api(observer_user).get(URL).json()
    assert body["mode"] == {"mode": "PASSIVE", "changed_by": "", "changed_at": None,
                            "reason": "", "remote_control": False}
    assert body["devices"] == []


def slew(client: APIClient, **body):
    data = {"command": "slew", "args": {"ra": UP[0], "dec": UP[1]}, "confirmed": True,
            **body}
    return client.post(COMMANDS, data, format="json")


def test_commands_need_the_telescope_control_right(observer_user):
    set_mode(Mode.REMOTE)
    response = slew(api(observer_user))
    assert response.status_code == 403
    assert response.json()["detail"] == "Your profile may not control the telescope."
    assert not Command.objects.exists()


def test_commands_are_refused_with_409_unless_remote(operator):
    set_mode(Mode.SCHEDULER)
    response = slew(api(operator))
    assert response.status_code == 409
    assert response.json()["detail"] == ("Remote control acts only in REMOTE mode "
                                         "(now: SCHEDULER)")
    assert not Command.objects.exists()


@pytest.mark.parametrize("user", ["operator", "engineer"])
def test_in_remote_mode_a_confirmed_command_goes_to_the_devices_agent(request, user):
    someone = request.getfixturevalue(user)
    set_mode(Mode.REMOTE)
    response = slew(api(someone))
    assert response.status_code == 202, response.content
    body = response.json()
    command = Command.objects.get()
    assert (command.recipient, command.name, command.sender, command.args) == (
        "devices", "slew", f"web:{someone.username}", {"ra": UP[0], "dec": UP[1]})
    assert (command.timeout, command.expires_at) == (30.0, TEST_NOW + timedelta(seconds=20))
    assert (body["id"], body["state"], body["done"]) == (command.pk, "PENDING", False)
    assert response["Location"] == f"/api/agents/commands/{command.pk}/"
    followed = api(someone).get(response["Location"])
    assert followed.status_code == 200 and followed.json()["name"] == "slew"


def test_an_exposure_may_run_for_its_time_and_readout(operator):
    set_mode(Mode.REMOTE)
    response = api(operator).post(COMMANDS, {
        "command": "expose", "confirmed": True,
        "args": {"channel": "NIR", "seconds": 120, "filter": "J", "frame_type": "dark"}},
        format="json")
    assert response.status_code == 202, response.content
    command = Command.objects.get()
    assert command.args == {"channel": "NIR", "seconds": 120.0, "filter": "J",
                            "frame_type": "DARK", "object_name": ""}
    assert command.timeout == 120 + 3.0 + 60  # NIR reads out in 3 s


@pytest.mark.parametrize(("body", "problem"), [
    ({"command": "slew", "args": {"ra": UP[0], "dec": UP[1]}},
     'confirm the action first (point the mount at RA/Dec and track): send "confirmed": '
     "true"),
    ({"command": "slew", "args": {"ra": 400, "dec": 0}, "confirmed": True},
     "bad arguments for slew: ra: Input should be less than 360"),
    ({"command": "park", "args": {"now": True}, "confirmed": True},
     "bad arguments for park: now: Extra inputs are not permitted"),
    ({"command": "eval", "args": {}, "confirmed": True},
     "'eval' is not a remote-control command (commands: slew, park, unpark, abort_mount, "
     "dome_open, dome_close, expose)"),
    ({"command": "expose", "args": {"channel": "UV", "seconds": 1}, "confirmed": True},
     "no channel 'UV' (channels: VIS, NIR)"),
    ({"command": "expose", "args": {"channel": "VIS", "seconds": 1, "filter": "J"},
      "confirmed": True},
     "'J' is not a filter of VIS (filters: Clear, g, r, i, z, First infrared filter)"),
    ({"command": "expose", "args": {"channel": "VIS", "seconds": -1}, "confirmed": True},
     "bad arguments for expose: seconds: Input should be greater than or equal to 0"),
], ids=["unconfirmed", "ra", "extra", "unknown", "channel", "filter", "seconds"])
def test_bad_commands_are_refused_with_400_and_nothing_sent(operator, body, problem):
    set_mode(Mode.REMOTE)
    response = api(operator).post(COMMANDS, body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == problem
    assert not Command.objects.exists()


def test_the_schema_describes_the_endpoints_and_validates(client, capsys):
    schema = json.loads(client.get("/api/schema/",
                                   HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    listing = schema["paths"]["/api/instruments/"]["get"]
    assert listing["operationId"] == "instruments_list"
    send = schema["paths"]["/api/instruments/commands/"]["post"]
    assert set(send["responses"]) == {"202", "400", "401", "403", "409"}
    device = schema["components"]["schemas"]["DeviceOut"]
    assert {"stale", "data", "good_at", "preview_url"} <= set(device["required"])
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    assert "Warning" not in capsys.readouterr().err
