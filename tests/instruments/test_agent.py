"""The devices agent against the simulated observatory: what each poll stores, what a
silent observatory leaves behind, camera previews, and the remote-control commands,
refused unless the mode is REMOTE."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image

from pyros import clock
from pyros.agents.bus import CommandHandle, send_command
from pyros.agents.models import AgentSurvey
from pyros.agents.notify import results_waiter
from pyros.agents.registry import agent_class
from pyros.agents.states import CommandState
from pyros.instruments.agent import DevicesAgent, RemoteControlRefused, remote_image_path
from pyros.instruments.models import DeviceState, DeviceStatusHistory, Mode
from tests.conftest import TEST_NOW
from tests.instruments.conftest import DOWN, UP, context, set_mode
from tests.waiting import GENEROUS, wait_until

DEVICES = {"mount": "mount", "dome": "dome", "focuser": "focuser",
           "camera_vis": "camera", "camera_vis.filters": "filterwheel",
           "camera_nir": "camera", "camera_nir.filters": "filterwheel"}


def state(name: str) -> DeviceState:
    return DeviceState.objects.get(name=name)


def test_init_makes_one_row_per_configured_device(devices_agent):
    rows = {s.name: (s.kind, s.channel, s.polled_at) for s in DeviceState.objects.all()}
    assert rows == {name: (kind, "VIS" if "vis" in name else "NIR" if "nir" in name else "",
                           None) for name, kind in DEVICES.items()}


def test_init_drops_the_rows_of_devices_no_longer_configured(devices_agent):
    _, agent = devices_agent
    old = DeviceState.objects.create(name="old_camera", kind="camera", channel="UV")
    DeviceStatusHistory.objects.create(device=old, time=TEST_NOW, connected=True, data={})
    agent.init()
    assert set(DeviceState.objects.values_list("name", flat=True)) == set(DEVICES)
    assert not DeviceStatusHistory.objects.filter(device_id=old.pk).exists()


def test_a_poll_stores_every_device_status_and_a_history_row(devices_agent):
    _, agent = devices_agent
    polls = agent.poll()
    assert sorted(p.name for p in polls) == sorted(DEVICES)
    assert all(p.answered for p in polls)
    for name in DEVICES:
        row = state(name)
        assert (row.connected, row.stale, row.error) == (True, False, ""), name
        assert row.polled_at == row.good_at == TEST_NOW
    mount = state("mount").data
    assert mount["parked"] is True and mount["slewing"] is False
    assert mount["alt"] == pytest.approx(89.0, abs=0.01)
    assert set(mount) == {"connected", "ra", "dec", "alt", "az", "ha", "slewing", "tracking",
                          "parked", "at_limit", "time", "watchdog_tripped_at"}
    assert state("dome").data["shutter"] == "CLOSED"
    assert state("camera_vis.filters").data["filter"] == "Clear"
    assert state("camera_nir").data["state"] == "IDLE"
    assert state("focuser").data["position"] == 25_000
    history = DeviceStatusHistory.objects.filter(device__name="mount").get()
    assert (history.time, history.connected, history.data) == (TEST_NOW, True, mount)
    assert DeviceStatusHistory.objects.count() == len(DEVICES)
    assert agent.describe()["unreachable"] == []


def test_a_stopped_observatory_is_disconnected_and_stale_with_its_last_data_kept(
        devices_agent, simulated_clock, stop_observatory):
    sim, agent = devices_agent
    agent.poll()
    good = {name: state(name).data for name in DEVICES}
    stop_observatory(sim)
    simulated_clock.advance(10)
    polls = agent.poll()
    assert not any(p.answered for p in polls)
    for name in DEVICES:
        row = state(name)
        assert (row.connected, row.stale) == (False, True), name
        assert row.data == good[name]  # the last good status stays for the pages
        assert row.good_at == TEST_NOW and row.polled_at == TEST_NOW + timedelta(seconds=10)
        assert "connect" in row.error, row.error
    latest = DeviceStatusHistory.objects.filter(device__name="mount").last()
    assert latest.connected is False and "connect" in latest.data["error"]
    assert DeviceStatusHistory.objects.count() == 2 * len(DEVICES)
    assert agent.describe()["unreachable"] == sorted(DEVICES)


def test_a_preview_is_written_when_a_camera_has_a_new_image(devices_agent, data_home):
    _, agent = devices_agent
    set_mode(Mode.REMOTE)
    agent.poll()
    preview = data_home / "previews" / "VIS.png"
    assert not preview.exists()  # no image yet

    written = Path(agent.expose(context("expose"), channel="VIS", seconds=1.0, filter="r",
                                object_name="remote test"))
    assert written.parent == data_home / "images" / "remote"
    assert written.name == "20261121T120000.000Z_VIS.fits" and written.exists()
    agent.poll()
    assert state("camera_vis").data["last_image"] == str(written)
    assert state("camera_vis.filters").data["filter"] == "r"
    with Image.open(preview) as image:
        assert image.format == "PNG" and image.mode == "L"
        assert max(image.size) <= 512
        low, high = image.getextrema()
    assert high - low > 100  # stretched: stars and sky, not a grey field
    first = preview.stat().st_mtime_ns
    agent.poll()  # the same image: the preview is not written again
    assert preview.stat().st_mtime_ns == first
    assert not (data_home / "previews" / "NIR.png").exists()


def test_remote_images_never_overwrite_each_other(data_home):
    first = remote_image_path("VIS", TEST_NOW)
    first.parent.mkdir(parents=True)
    first.write_bytes(b"taken")
    second = remote_image_path("VIS", TEST_NOW)
    assert (first.name, second.name) == ("20261121T120000.000Z_VIS.fits",
                                         "20261121T120000.000Z_VIS-2.fits")


COMMANDS = [("slew", {"ra": UP[0], "dec": UP[1]}), ("park", {}), ("unpark", {}),
            ("abort_mount", {}), ("dome_open", {}), ("dome_close", {}),
            ("expose", {"channel": "VIS", "seconds": 1.0})]


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_remote_commands_act_only_in_remote_mode(devices_agent, name, args):
    _, agent = devices_agent
    set_mode(Mode.SCHEDULER)
    with pytest.raises(RemoteControlRefused,
                       match=r"^the observatory is in SCHEDULER mode: remote control needs "
                             r"REMOTE$"):
        getattr(agent, name)(context(name), **args)
    agent.poll()
    assert state("mount").data["parked"] is True
    assert state("dome").data["shutter"] == "CLOSED"
    assert state("camera_vis").data["last_image"] is None


def test_without_a_mode_set_the_observatory_is_passive(devices_agent):
    _, agent = devices_agent
    with pytest.raises(RemoteControlRefused, match="in PASSIVE mode"):
        agent.unpark(context())


def majordome_says(state: str, cause: str = "") -> None:
    from pyros.majordome.models import MajordomeState

    MajordomeState.objects.update_or_create(pk=MajordomeState.SINGLETON_ID, defaults={
        "state": state, "cause": cause, "decided_at": clock.now()})


def test_the_dome_opens_remotely_only_in_the_majordomes_remote_state(devices_agent):
    _, agent = devices_agent
    set_mode(Mode.REMOTE)
    with pytest.raises(RemoteControlRefused, match="only while the majordome runs"):
        agent.dome_open(context())
    majordome_says("STANDBY", "unsafe conditions: closed and parked")
    with pytest.raises(RemoteControlRefused, match=r"REMOTE state; it is STANDBY: unsafe "):
        agent.dome_open(context())
    agent.poll()
    assert state("dome").data["shutter"] == "CLOSED"
    assert agent.dome_close(context()) == "the shutter is closing"  # closing: always


def test_in_remote_mode_the_mount_and_dome_obey(devices_agent):
    _, agent = devices_agent
    set_mode(Mode.REMOTE)
    majordome_says("REMOTE", "the operating mode is REMOTE")
    ctx = context()
    assert agent.unpark(ctx) == "the mount is unparked"
    assert agent.slew(ctx, ra=UP[0], dec=UP[1]) == {"ra": UP[0], "dec": UP[1], "slewing": True}
    agent.devices.mount.slew(*UP)  # waits for the end of the slew the command started
    assert agent.dome_open(ctx) == "the shutter is opening"
    agent.poll()
    mount = state("mount").data
    assert (mount["ra"], mount["dec"]) == pytest.approx(UP, abs=1e-6)
    assert mount["tracking"] and not mount["parked"]
    assert state("dome").data["shutter"] == "OPENING"
    with pytest.raises(Exception, match="below the horizon"):
        agent.slew(ctx, ra=DOWN[0], dec=DOWN[1])
    with pytest.raises(ValueError, match=r"no channel 'UV' \(channels: VIS, NIR\)"):
        agent.expose(ctx, channel="UV", seconds=1.0)
    with pytest.raises(ValueError, match=r"'Halpha' is not a filter of VIS \(filters: "):
        agent.expose(ctx, channel="VIS", seconds=1.0, filter="Halpha")


# --- through the command bus, the agent running in a thread -----------------------------


@pytest.fixture
def running_agent(transactional_db, start_devices_agent):
    """The devices agent's main loop in a thread, polling every 0.2 s, as the supervisor
    would run it (on the suite's frozen clock)."""
    _, agent = start_devices_agent()
    agent.routine_period = 0.2

    def run() -> None:
        try:
            agent.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="devices-agent", daemon=True)
    thread.start()
    wait_until(lambda: AgentSurvey.objects.filter(name="devices", status="RUNNING").exists(),
             "the devices agent to beat")
    yield agent
    agent.stop()
    thread.join(10)
    results_waiter().close()


def test_remote_control_through_the_bus(running_agent, data_home):
    def send(name: str, **args) -> CommandHandle:
        return send_command("devices", name, sender="web:olga", **args).wait(GENEROUS)

    refused = send("unpark")
    assert refused.state == CommandState.FAILED
    assert refused.error.endswith("the observatory is in PASSIVE mode: remote control needs "
                                  "REMOTE")
    set_mode(Mode.REMOTE)
    assert send("unpark").state == CommandState.EXECUTED
    slew = send("slew", ra=UP[0], dec=UP[1])
    assert (slew.state, slew.result) == (CommandState.EXECUTED,
                                         {"ra": UP[0], "dec": UP[1], "slewing": True})

    def arrived() -> bool:
        mount = state("mount").data
        return (not mount["slewing"] and mount["ra"] == pytest.approx(UP[0], abs=1e-4)
                and mount["dec"] == pytest.approx(UP[1], abs=1e-4))

    wait_until(arrived, "the mount's status to show it on target")

    below = send("slew", ra=DOWN[0], dec=DOWN[1])
    assert below.state == CommandState.FAILED
    assert "mount: target at altitude" in below.error and "below the horizon" in below.error
    bad = send("slew", ra=400, dec=0)
    assert bad.state == CommandState.FAILED and "bad arguments for slew: ra" in bad.error

    image = send("expose", channel="NIR", seconds=2, filter="J", frame_type="dark")
    assert image.state == CommandState.EXECUTED, image.error
    assert Path(image.result).parent == data_home / "images" / "remote"
    wait_until(lambda: (data_home / "previews" / "NIR.png").exists(), "the NIR preview")
    assert state("camera_nir").data["last_image"] == image.result
    survey = AgentSurvey.objects.get(name="devices")  # failures never stop the agent
    assert survey.status.startswith("RUNNING") and survey.iteration > 0


def test_the_supervisor_knows_the_agent_and_its_routine_polls_and_prunes(devices_agent):
    _, agent = devices_agent
    assert agent_class("devices") is DevicesAgent
    old = DeviceStatusHistory.objects.create(device=state("mount"), connected=True, data={},
                                             time=TEST_NOW - timedelta(days=8))
    agent.routine()
    assert not DeviceStatusHistory.objects.filter(pk=old.pk).exists()
    assert DeviceStatusHistory.objects.count() == len(DEVICES)
    assert agent.describe() == {"devices": len(DEVICES), "unreachable": [],
                                "last_poll": "2026-11-21T12:00:00Z"}
