"""Simulated nights: the majordome with the simulated devices and clock, a plan from the
scheduler, and the weather, the operator and the alerts the scenarios bring."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from astropy.io import fits
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.archive.models import ArchiveFrame
from pyros.config.schema import Cooling
from pyros.devices.interfaces import ShutterState
from pyros.images.models import Image
from pyros.majordome import store
from pyros.majordome.controls import Action
from pyros.majordome.models import LogKind, MajordomeState, NightLogEntry
from pyros.majordome.states import State
from pyros.monitoring.models import SafetyState
from pyros.observations.lifecycle import RequestStatus, SequenceStatus
from pyros.observations.models import Sequence
from pyros.scheduling.models import Schedule
from tests.majordome.night import SPEED, Night, in_the_sky, sequence
from tests.waiting import GENEROUS

pytestmark = pytest.mark.django_db(transaction=True)

MIDNIGHT = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 20:18 local mean time: dark


@pytest.fixture
def night_factory(observer, tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    nights: list[Night] = []

    def start(at: datetime = MIDNIGHT, **majordome) -> Night:
        night = Night(at, observer, **majordome)
        nights.append(night)
        return night

    yield start
    for night in nights:
        night.stop()


def _closed(night: Night) -> bool:
    return night.devices.dome.status().shutter == ShutterState.CLOSED and \
        night.devices.mount.status().parked


def test_a_clear_night_executes_the_plan_in_order(night_factory):
    """The scheduler agent's part is played too (``scheduler=True``): it plans, and
    re-plans when a sequence ends. Without it, the plan's slots are fixed on a clock at
    50×, and a machine that ran late (20 minutes of the clock are 24 s of wall time)
    left the other sequence's slot over before it could start: it was never started
    (a flake of full-suite runs). Here the machine loses those 20 minutes for sure."""
    night = night_factory(start_early=600.0)
    ra1, dec1 = in_the_sky(MIDNIGHT, night.unit, hours_east=-0.5)
    ra2, dec2 = in_the_sky(MIDNIGHT, night.unit, hours_east=1.0)
    request = night.submit(sequence("first", ra1, dec1, obs_type="IMMEDIATE", minutes=10),
                           sequence("second", ra2, dec2, obs_type="IMMEDIATE", minutes=10))

    night.tick_until(lambda: night.majordome.running is not None and
                     night.majordome.running.work.sequence_id is not None,
                     scheduler=True, what="a sequence started")
    schedule = Schedule.objects.order_by("-id").first()  # the plan the majordome follows
    planned = list(schedule.entries.order_by("start").values_list("sequence_id", flat=True))
    assert len(planned) == 2
    assert night.majordome.running.work.sequence_id == planned[0]
    slot_over = schedule.entries.get(sequence_id=planned[1]).end
    night.clock.set(slot_over + timedelta(seconds=30))  # the loaded machine's lost time
    night.tick_until(lambda: Sequence.objects.filter(
        request=request, status=SequenceStatus.EXECUTED).count() == 2,
        scheduler=True, wall=4 * GENEROUS, what="both sequences executed")

    images = list(Image.objects.order_by("date_obs", "id"))
    assert len(images) == 2 * 2 * 2  # two sequences × two channels × two images
    order = []
    for image in images:
        if image.sequence_id not in order:
            order.append(image.sequence_id)
    assert order == planned  # in the plan's order
    for image in images:
        header = fits.getheader(image.path)
        assert header["PYROSSEQ"] == image.sequence_id
        assert header["FILTER"] == ("r" if image.channel == "VIS" else "J")
        assert header["EXPTIME"] == pytest.approx(5.0 if image.channel == "VIS" else 3.0)
        assert header["PYROSREQ"] == request.pk
        assert "AIRMASS" in header and "DATE-OBS" in header
        assert header["SAFETY"] == "OK"
        # Written where the archive keeps it, with its checksums, and catalogued.
        assert f"/{image.channel}/{image.night:%Y%m%d}/raw/" in image.path
        with fits.open(image.path, checksum=True) as hdus:
            assert hdus[0].header["CHECKSUM"] and hdus[0].header["DATASUM"]
        archived = ArchiveFrame.objects.get(image=image, product="RAW")
        assert archived.sha256 == hashlib.sha256(Path(image.path).read_bytes()).hexdigest()
        assert archived.request_id == request.pk and archived.program.name == "GRB"
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    states = list(NightLogEntry.objects.filter(kind=LogKind.STATE)
                  .values_list("detail__to", flat=True))
    assert states[:3] == ["OPENING", "SCHEDULER_READY", "OBSERVING"]
    state = MajordomeState.current()
    assert state.state in (State.OBSERVING, State.SCHEDULER_READY)
    assert state.decided_at is not None


def test_rain_in_the_middle_of_a_sequence_closes_and_parks_then_resumes(night_factory):
    night = night_factory(close_within=120.0)
    ra, dec = in_the_sky(MIDNIGHT, night.unit)
    night.submit(sequence("long", ra, dec, exposures=6, vis_seconds=20, nir_seconds=20,
                          minutes=10))
    night.plan()
    night.tick_until(lambda: Image.objects.exists(), what="a first image")
    seq = Sequence.objects.get()
    # At 10× while it closes: close_within is 12 s of wall time, not 2.4 s that a busy
    # machine could spend elsewhere.
    night.clock.set_speed(10.0)
    rain_at = night.clock.now()
    night.weather(safe=False, status="RAINING", reasons=("rain 12 mm/h",))
    night.until_state(State.STANDBY)
    assert _closed(night)
    assert night.sim_seconds(rain_at) <= 120.0  # closed and parked within close_within
    night.clock.set_speed(SPEED)
    seq.refresh_from_db()
    assert seq.status == SequenceStatus.TOBEPLANNED  # given back to the scheduler
    taken = Image.objects.count()
    assert taken < 12

    night.weather(safe=True)  # the monitoring's safe delay is over
    night.plan()
    night.until_state(State.OBSERVING)
    night.tick_until(lambda: Sequence.objects.get().status == SequenceStatus.EXECUTED,
                     what="the sequence executed after the rain")
    log = " | ".join(NightLogEntry.objects.values_list("message", flat=True))
    assert "unsafe conditions" in log


def test_an_alert_preempts_the_running_sequence_at_once(night_factory):
    night = night_factory()
    ra, dec = in_the_sky(MIDNIGHT, night.unit)
    night.submit(sequence("survey", ra, dec, priority=3, exposures=10, vis_seconds=30,
                          nir_seconds=30, minutes=10), name="survey")
    night.plan()
    night.tick_until(lambda: Image.objects.exists(), what="a first survey image")
    survey = Sequence.objects.get()

    ra2, dec2 = in_the_sky(MIDNIGHT, night.unit, hours_east=1.0)
    alert = night.submit(sequence("GRB", ra2, dec2, priority=9, obs_type="IMMEDIATE",
                                  exposures=1), name="GRB 261122A")
    grb = alert.sequences.get()
    night.scheduler.insert([grb.pk], detail="alert")
    night.majordome.tick()  # what the scheduler's plan_changed command makes it do

    running = night.majordome.running
    assert running is not None and running.work.sequence_id == grb.pk
    survey.refresh_from_db()
    assert survey.status == SequenceStatus.TOBEPLANNED
    assert "preempted by sequence" in survey.status_reason
    night.tick_until(lambda: Sequence.objects.get(pk=grb.pk).status ==
                     SequenceStatus.EXECUTED, what="the alert executed")
    assert NightLogEntry.objects.filter(kind=LogKind.PLAN,
                                        message__contains="preempted").exists()


def test_losing_the_plc_closes_and_waits(night_factory):
    night = night_factory()
    night.until_state(State.SCHEDULER_READY)
    night.weather(safe=False, status="NO_DATA", plc_error="no answer within 5 s")
    night.until_state(State.PASSIVE_NO_PLC)
    assert _closed(night)
    night.weather(safe=True)
    night.until_state(State.SCHEDULER_READY)


def test_the_operators_lock_closes_and_holds(night_factory):
    night = night_factory()
    night.until_state(State.SCHEDULER_READY)
    store.apply_action(night.unit, Action.LOCK, who="web:operator",
                       level=ProfileLevel.OPERATOR)
    night.until_state(State.STANDBY)
    assert _closed(night)
    for _ in range(5):
        night.majordome.tick()
    assert night.majordome.state == State.STANDBY  # held
    store.apply_action(night.unit, Action.UNLOCK, who="web:operator",
                       level=ProfileLevel.OPERATOR)
    night.until_state(State.SCHEDULER_READY)


def test_the_operators_stop_interrupts_and_waits(night_factory):
    night = night_factory()
    ra, dec = in_the_sky(MIDNIGHT, night.unit)
    night.submit(sequence("long", ra, dec, exposures=10, vis_seconds=30, nir_seconds=30,
                          minutes=10))
    night.plan()
    night.until_state(State.OBSERVING)
    store.apply_action(night.unit, Action.STOP, who="web:ie", level=ProfileLevel.IE_IS)
    night.until_state(State.SCHEDULER_READY)
    night.tick_until(lambda: night.majordome.running is None,
                     what="the interrupted sequence ended")
    assert Sequence.objects.get().status == SequenceStatus.TOBEPLANNED
    night.plan()
    for _ in range(5):
        night.majordome.tick()
    assert night.majordome.state == State.SCHEDULER_READY  # stopped: starts nothing
    assert "the operator stopped the observations" in MajordomeState.current().why_not
    store.apply_action(night.unit, Action.RESUME, who="web:ie", level=ProfileLevel.IE_IS)
    night.until_state(State.OBSERVING)


def test_the_night_cycle_takes_its_calibrations_and_closes_at_dawn(night_factory):
    """Cameras cooled, darks before dusk, flats at dusk, the night, flats at dawn, close,
    darks again, cameras warmed up."""
    # Sun at +5°: the coolers start (3° before the darks), and have the cameras cold
    # when the darks may begin (+3°); dusk's window to -3° stays whole.
    night = night_factory(at=datetime(2026, 11, 22, 0, 15, tzinfo=UTC))
    night.tick_until(lambda: Image.objects.filter(frame_type="DARK").count() == 2,
                     what="dusk's darks")
    assert night.majordome.state == State.SCHEDULER_STANDBY
    assert Image.objects.filter(frame_type="BIAS").count() == 4  # 2 per channel
    assert _closed(night)  # bias and darks with the dome closed
    # Taken cold: the cameras were cooled to their set-point (-20 °C) first, from 15 °C.
    for frame in Image.objects.filter(frame_type__in=("BIAS", "DARK")):
        assert fits.getheader(frame.path)["CCD-TEMP"] == pytest.approx(-20.0, abs=1.0)
    log = night.night_log()
    assert "VIS: cooling to -20 °C, now at 15.0 °C" in log
    assert "waiting for the cameras to cool within 1 K of their set-points" in log
    assert "cameras cold after" in log

    # Dusk at -3.6°, at 10× for the same reason as the dawn below: at 50× a busy
    # machine's lost seconds are minutes of a darkening sky, and no flat reaches its level.
    night.jump(datetime(2026, 11, 22, 0, 52, tzinfo=UTC), speed=10.0)
    night.tick_until(lambda: Image.objects.filter(frame_type="FLAT").count() == 2,
                     wall=120.0, what="dusk's flats")
    night.clock.set_speed(SPEED)
    flats = Image.objects.filter(frame_type="FLAT")
    assert {(f.channel, f.filter) for f in flats} == {("VIS", "r"), ("NIR", "J")}

    # Dawn at -4.2°: 6 minutes of the flats' window left. Each flat is measured and the
    # next exposure scaled to the brightening sky: a second lost by a busy machine is 50 s
    # of twilight at 50×, so the dawn runs at 10× (36 s of wall time to daylight).
    night.jump(datetime(2026, 11, 22, 13, 58, tzinfo=UTC), speed=10.0)
    night.tick_until(lambda: Image.objects.filter(frame_type="FLAT").count() == 4,
                     wall=120.0, what="dawn's flats")
    night.clock.set_speed(SPEED)
    night.jump(datetime(2026, 11, 22, 14, 30, tzinfo=UTC))  # day
    night.until_state(State.SCHEDULER_STANDBY)
    assert _closed(night)
    night.tick_until(lambda: Image.objects.filter(frame_type="DARK").count() == 4,
                     what="dawn's darks")
    for frame in Image.objects.filter(frame_type="DARK"):
        assert fits.getheader(frame.path)["CCD-TEMP"] == pytest.approx(-20.0, abs=1.0)
    night.tick_until(lambda: night.devices.cameras["VIS"].status().cooler_setpoint is None,
                     what="the cameras warming up after dawn's darks")
    assert "VIS: cooler off, warming up from -20.0 °C" in night.night_log()
    transitions = list(NightLogEntry.objects.filter(kind=LogKind.STATE)
                       .values_list("detail__to", flat=True))
    assert transitions == ["SCHEDULER_STANDBY", "OPENING", "SCHEDULER_READY", "OBSERVING",
                           "SCHEDULER_READY", "OBSERVING", "SCHEDULER_READY", "CLOSING",
                           "SCHEDULER_STANDBY"]


def test_dusk_calibrations_wait_for_the_cameras_cold_but_not_for_ever(night_factory):
    """A set-point the cooler cannot reach (50 K below the ambient at most): after the
    timeout the night log says which camera and where it got (not the one that is cold),
    and the darks are taken."""
    night = night_factory(at=datetime(2026, 11, 22, 0, 15, tzinfo=UTC),  # sun at +5°
                          setpoints={"VIS": 13.0, "NIR": -80.0},
                          cooling=Cooling(tolerance=1.0, timeout=300.0))
    night.tick_until(lambda: Image.objects.filter(frame_type="DARK").count() == 2,
                     what="dusk's darks")
    log = night.night_log()
    assert "cameras not cold within 300 s: NIR at -" in log
    assert "(set-point -80 °C, cooler 100 %). The calibrations are taken at that " \
           "temperature" in log
    assert "VIS at" not in log.split("cameras not cold within")[1].split("\n")[0]


def test_a_silent_monitoring_closes_the_observatory(night_factory):
    night = night_factory()
    night.until_state(State.SCHEDULER_READY)
    SafetyState.objects.update(decided_at=datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    night.until_state(State.PASSIVE_NO_PLC)
    assert _closed(night)
    assert "no link with the PLC" in MajordomeState.current().cause


def test_the_dome_and_mount_close_by_themselves_when_the_majordome_is_silent(night_factory):
    """The second safety layer: no heartbeat for ``heartbeat`` seconds of wall time, and
    the simulated dome closes and the mount parks without anyone asking; the majordome,
    back, says so in the night log."""
    night = night_factory(heartbeat=2.0)
    night.until_state(State.SCHEDULER_READY)
    assert not _closed(night)
    silent_from = time.monotonic()
    while not _closed(night):  # the majordome stops deciding: no more heartbeats
        assert time.monotonic() - silent_from < GENEROUS, "the watchdog did not trip"
        time.sleep(0.05)
    # Not before the heartbeat's time, in wall seconds (at 50×, 2 s of the clock would
    # be 40 ms): the heartbeats came every 0.5 s of wall time until then.
    assert time.monotonic() - silent_from >= 2.0 - 0.5
    dome_trip, mount_trip = _trip(night.devices.dome), _trip(night.devices.mount)
    night.majordome.tick()
    trips = set(NightLogEntry.objects.filter(kind=LogKind.SAFETY,
                                             message__startswith="watchdog tripped")
                .values_list("message", flat=True))
    assert {"watchdog tripped: the dome 'dome' closed its shutter by itself at "
            f"{dome_trip:%H:%M:%S} UTC, having had no heartbeat from the majordome for 2 s "
            "of wall time",
            "watchdog tripped: the mount 'mount' parked by itself at "
            f"{mount_trip:%H:%M:%S} UTC, having had no heartbeat from the majordome for 2 s "
            "of wall time"} <= trips
    for _ in range(3):
        night.majordome.tick()
    # Once per trip (a decision longer than 2 s on a loaded machine trips it again).
    logged = list(NightLogEntry.objects.filter(message__startswith="watchdog tripped")
                  .values_list("detail", flat=True))
    assert len(logged) == len({(d["watchdog"], d["tripped_at"]) for d in logged}) >= 2
    page = Client().get("/observatory/").content.decode()  # everyone's page
    recent = page[page.index('id="recent-log"'):]
    assert recent.count("watchdog tripped: the ") == 2 and 'data-kind="SAFETY"' in recent


def _trip(device) -> datetime:
    tripped = device.status().watchdog_tripped_at
    assert tripped is not None
    return tripped


def test_slow_decisions_at_a_fast_clock_do_not_trip_the_watchdog(night_factory):
    """At 50× a decision held up for 1.5 s of wall time (a loaded machine) is 75 s of the
    clock, longer than the 4 s heartbeat; the watchdog counts wall seconds, as the
    heartbeats do, and stays quiet."""
    night = night_factory(heartbeat=4.0)
    night.until_state(State.SCHEDULER_READY)
    for _ in range(3):
        time.sleep(1.5)
        night.majordome.tick()
    assert not _closed(night)
    assert night.devices.dome.status().watchdog_tripped_at is None
    assert night.majordome.state == State.SCHEDULER_READY


class PlcMonitoring:
    """The real monitoring agent reading a simulated PLC in the rain, on the night's
    clock; ``period()`` is one of its periods, with the commands it was sent."""

    def __init__(self, night: Night, plc_port: int, *, answer_commands: bool = True) -> None:
        from pyros.monitoring.agent import MonitoringAgent
        from pyros.plc.client import PlcClient

        self.agent = MonitoringAgent("monitoring", unit=night.unit,
                                     client=PlcClient("127.0.0.1", plc_port, clock=night.clock))
        self.agent.init()
        self.answer_commands = answer_commands

    def period(self) -> None:
        from pyros.agents.models import Command

        if self.answer_commands:
            for cmd in Command.objects.filter(recipient="monitoring", name="set_bypass",
                                              state="PENDING"):
                self.agent.generic_set_bypass(cmd, **cmd.args)
                Command.objects.filter(pk=cmd.pk).update(state="DONE")
        self.agent.watch()


def _raining_plc(night: Night):
    from pyros.plc.document import default_document
    from pyros.plc.simulator import SimulatorThread, make_player

    rain = default_document().with_value("WXT520", "RainRate", 12.0) \
        .with_value("VantagePro", "RainRate", 12.0)
    return SimulatorThread(make_player(None, rain), clock=night.clock)


def _operator(action: Action, night: Night) -> None:
    store.apply_action(night.unit, action, who="cli:operator", level=ProfileLevel.OPERATOR)


def test_the_operators_bypass_is_in_force_once_the_plc_echoes_it(night_factory):
    night = night_factory()
    with _raining_plc(night) as plc:
        monitoring = PlcMonitoring(night, plc.port)

        def until(state: State) -> None:
            night.tick_until(lambda: (monitoring.period(), night.majordome.state == state)[1],
                             what=f"state {state}")

        until(State.STANDBY)  # raining: closed
        _operator(Action.BYPASS, night)
        night.majordome.tick()
        assert night.majordome.last_inputs.bypass is False  # not before the PLC says so
        until(State.SCHEDULER_READY)  # the PLC echoed it: the rain is taken as safe
        assert not SafetyState.current().safe
        assert plc.simulator.bypass is True
        _operator(Action.STOP_BYPASS, night)
        night.majordome.tick()  # the end of a bypass is in force at once
        assert night.majordome.state == State.CLOSING
        until(State.STANDBY)
        night.tick_until(lambda: (monitoring.period(), plc.simulator.bypass is False)[1],
                         what="the PLC told the bypass is over")
    log = night.night_log()
    assert "PLC BYPASS (set to SAFE) by cli:operator" in log and "PLC KO" not in log


def test_a_plc_that_does_not_echo_the_bypass_is_ko(night_factory):
    night = night_factory(bypass_timeout=0.5)  # 25 s of the clock at 50×
    with _raining_plc(night) as plc:
        monitoring = PlcMonitoring(night, plc.port, answer_commands=False)
        night.tick_until(lambda: (monitoring.period(),
                                  night.majordome.state == State.STANDBY)[1])
        _operator(Action.BYPASS, night)
        night.tick_until(lambda: (monitoring.period(),
                                  night.majordome.state == State.PASSIVE_NO_PLC)[1],
                         what="PLC KO")
        assert "PLC KO: the PLC did not echo PLC BYPASS=1 within 0.5 s" in night.night_log()
        _operator(Action.STOP_BYPASS, night)  # the PLC says 0, as wished: OK again
        night.tick_until(lambda: (monitoring.period(),
                                  night.majordome.state == State.STANDBY)[1])
        assert "the PLC echoes PLC BYPASS=0: PLC OK" in night.night_log()


def test_a_transition_is_stamped_when_the_state_is_entered(night_factory, monkeypatch):
    """Gathering a decision's inputs may take minutes of a fast clock (the first night
    sky, a device slow to answer): the night log says when the state was entered."""
    import pyros.majordome.agent as agent_module

    night = night_factory()
    real_sun_now = agent_module.sun_now
    slow_until: list[datetime] = []

    def slow_sun_now(*args, **kwargs):
        if not slow_until:  # the first decision only: five minutes go by meanwhile
            night.clock.set(night.clock.now() + timedelta(minutes=5))
            slow_until.append(night.clock.now())
        return real_sun_now(*args, **kwargs)

    monkeypatch.setattr(agent_module, "sun_now", slow_sun_now)
    began = night.clock.now()
    night.majordome.tick()
    first = NightLogEntry.objects.filter(kind=LogKind.STATE).order_by("time", "id").first()
    assert first is not None and first.detail["from"] == "STARTING"
    assert first.time >= slow_until[0] > began + timedelta(minutes=4)
    assert MajordomeState.current().since == first.time
