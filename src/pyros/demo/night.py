"""The demo night, from dusk to dawn: prepared in its sandbox, PyROS started as a user
starts it (``pyros start --sim-time --speed --plc-scenario``: the supervisor, the web
server, every agent a process of its own, the simulated observatory), watched until
the dome has closed at dawn, the alert sent when its moment comes, then stopped.

Everything PyROS runs is a child of the supervisor, which `pyros stop` stops; whatever
may still be alive afterwards (a child that did not answer) is killed by its pid, so a
demo, even interrupted, leaves no process behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from pyros.demo.alert import AlertPlan, choose_alert
from pyros.demo.sandbox import ADMIN_PASSWORD, Sandbox, make_sandbox, unit_text
from pyros.demo.summary import NightSummary, summarise
from pyros.plc import weather

#: The clock starts this long before sunset (darks and biases come first, and PyROS
#: takes a while to start) and the night ends this long after the dome may no longer
#: stay open at dawn (closing and parking).
BEFORE_SUNSET = timedelta(minutes=20)
AFTER_DAWN = timedelta(minutes=10)
#: Wall seconds `pyros start` may take on a loaded machine, and `pyros stop`.
START_WAIT = 240.0
STOP_WAIT = 120.0
STOP_GRACE = 30.0  # wall seconds the night's processes get to end after `pyros stop`
POLL = 0.5  # wall seconds between two looks at the database
#: Wall seconds the demo waits after dawn for the analysis of the alert's frames.
ANALYSIS_WAIT = 300.0


@dataclass(frozen=True)
class NightTimes:
    """The night's instants (UTC): the clock's start, sunset, the dark hours (sun below
    the site's night altitude), dawn (the sun back above the altitude that closes the
    dome) and the end of the demo."""

    start: datetime
    sunset: datetime
    dark: tuple[datetime, datetime]
    dawn: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0


def night_times(unit, night: date, hours: float | None = None) -> NightTimes:
    """The night of ``night`` (the evening's date) at the unit's site; ``hours``: only
    that many hours of it from the clock's start (a shortened demo, for tests)."""
    from pyros.scheduling.sky import night_sky
    from pyros.scheduling.unit import site_of

    sky = night_sky(site_of(unit), night)
    sunset, (dark_start, dark_end) = sky.twilights.sunset, sky.dark
    if sunset is None or dark_start is None or dark_end is None:
        raise ValueError(f"no dark night on {night} at {unit.site.name}")
    morning = sky.seconds > dark_end
    # The sun climbing back through the dome's altitude (the curve rises at dawn).
    dawn = float(np.interp(unit.majordome.open_sun_altitude, sky.sun_alt[morning],
                           sky.seconds[morning]))
    start = sky.at(sunset) - BEFORE_SUNSET
    times = NightTimes(start=start, sunset=sky.at(sunset),
                       dark=(sky.at(dark_start), sky.at(dark_end)), dawn=sky.at(dawn),
                       end=sky.at(dawn) + AFTER_DAWN)
    if hours is None:
        return times
    end = min(times.end, start + timedelta(hours=hours))
    if end <= times.dark[0]:
        raise ValueError(f"{hours:g} h from {start:%H:%M} UTC do not reach the dark hours "
                         f"({times.dark[0]:%H:%M} UTC)")
    return NightTimes(start=start, sunset=times.sunset,
                      dark=(times.dark[0], min(end, times.dark[1])), dawn=times.dawn,
                      end=end)


@dataclass
class Progress:
    """What the terminal shows at each look."""

    now: datetime
    state: str
    safety: str
    work: str
    sequences_done: int
    images: int
    new_log: list[str] = field(default_factory=list)


class DemoNight:
    """One demo night. ``prepare``, ``start``, ``watch``, ``stop`` in that order
    (``run`` does them all); ``stop`` is safe to call at any point, twice."""

    def __init__(self, night: date, speed: float, keep: Path | None = None, seed: int = 1,
                 hours: float | None = None, say: Callable[[str], None] = print) -> None:
        self.night, self.speed, self.seed, self.say = night, speed, seed, say
        self.hours = hours
        self.sandbox: Sandbox = make_sandbox(keep)
        self.web_url = ""
        self.times: NightTimes | None = None
        self.alert: AlertPlan | None = None
        self.alert_sent = False
        self.alert_ivorn = ""
        self.supervisor = 0
        self._known_children: dict[str, int] = {}
        self._last_log_id = 0
        self.wall_started = 0.0
        self.wall_seconds = 0.0

    # --- before ------------------------------------------------------------------------

    def prepare(self) -> None:
        """The sandbox's configuration, database, people and requests, the weather and
        the alert's plan."""
        from pyros import clock
        from pyros.ports import free_ports

        self.sandbox.enter()
        clock.set_clock(clock.RealClock())
        self.sandbox.config.write_text(unit_text(self.speed))
        self.web_url = f"http://127.0.0.1:{free_ports(1)[0]}/"
        from pyros.cli.context import setup_django

        setup_django()
        from django.core.management import call_command

        from pyros.config.loader import active_config
        from pyros.demo.population import populate
        from pyros.initial_data import load_initial_data
        from pyros.instruments.models import Mode, OperatingMode

        unit = active_config()
        self.times = times = night_times(unit, self.night, self.hours)
        call_command("migrate", verbosity=0, interactive=False)
        load_initial_data(admin_password=ADMIN_PASSWORD, now=times.start)
        OperatingMode.change(Mode.SCHEDULER, by="pyros demo", at=times.start)
        counts = populate(times.start, times.dawn, seed=self.seed)
        self.say(f"{sum(counts.values())} sequences submitted: "
                 + ", ".join(f"{program} {n}" for program, n in counts.items()))
        duration = (times.end - times.start).total_seconds()
        samples = weather.generate(self.seed, duration)
        (self.sandbox.home / "weather.json").write_text(json.dumps(weather.to_scenario(samples)))
        shower = weather.shower_of(samples)
        rain = None if shower is None else (times.start + timedelta(seconds=shower.start),
                                            times.start + timedelta(seconds=shower.end))
        if rain:
            self.say(f"weather (seed {self.seed}): a shower from {rain[0]:%H:%M} to "
                     f"{rain[1]:%H:%M} UTC")
        self.alert = choose_alert(times.dark, rain, unit.site.latitude, unit.site.longitude,
                                  unit.site.elevation)
        self.say(f"alert: {self.alert.name} (RA {self.alert.ra:.2f}° Dec "
                 f"{self.alert.dec:+.2f}°) at {self.alert.send_at:%H:%M} UTC, "
                 f"{self.alert.altitude:.0f}° high")

    # --- during ------------------------------------------------------------------------

    def _pyros(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        # A session of its own: a Ctrl-C in the terminal reaches the demo alone, which
        # stops everything in order (a `pyros stop` cut short would leave PyROS running).
        return subprocess.run([sys.executable, "-m", "pyros.cli", *args],
                              env={**os.environ, "PYROS_START_WAIT": f"{START_WAIT:g}"},
                              capture_output=True, text=True, timeout=timeout + 30,
                              check=False, start_new_session=True)

    def start(self) -> None:
        from pyros import clock

        assert self.times is not None, "prepare() first"
        port = self.web_url.rsplit(":", 1)[1].strip("/")
        self.wall_started = time.monotonic()
        started = self._pyros("start", "--sim-time", f"{self.times.start:%Y-%m-%dT%H:%M:%S}",
                              "--speed", f"{self.speed:g}", "--port", port,
                              "--plc-scenario", str(self.sandbox.home / "weather.json"),
                              timeout=START_WAIT)
        pid_file = self.sandbox.home / "run" / "supervisor.pid"
        if pid_file.exists():
            self.supervisor = int(pid_file.read_text())
        if started.returncode != 0:
            raise RuntimeError(f"pyros start failed:\n{started.stdout}{started.stderr}")
        clock.install_from_environment(json.loads((self.sandbox.home / "run" / "clock.json")
                                                  .read_text()))

    def look(self) -> Progress:
        """The night now, and the night log's new lines."""
        from pyros import clock
        from pyros.images.models import Image
        from pyros.majordome.models import LogKind, MajordomeState, NightLogEntry
        from pyros.monitoring.models import SafetyState
        from pyros.observations.models import Sequence

        self._remember_children()
        majordome = MajordomeState.current()
        safety = SafetyState.current()
        entries = list(NightLogEntry.objects.filter(
            id__gt=self._last_log_id, kind__in=(LogKind.STATE, LogKind.SAFETY))
            .order_by("id"))
        if entries:
            self._last_log_id = entries[-1].id
        return Progress(
            now=clock.now(), state=majordome.state,
            safety=(safety.status if safety.pk else "no decision yet"),
            work=majordome.work, images=Image.objects.filter(frame_type="LIGHT").count(),
            sequences_done=Sequence.objects.filter(status="EXECUTED").count(),
            new_log=[f"{e.time:%H:%M} {e.message}" for e in entries])

    def due_alert(self) -> bool:
        """Send the alert if its moment has come; True when it was sent now."""
        from pyros import clock

        if self.alert is None or self.alert_sent or clock.now() < self.alert.send_at:
            return False
        from pyros.alerts.voevent import parse_voevent

        self.alert_sent = True
        self.alert_ivorn = parse_voevent(self.alert.packet.read_bytes()).ivorn
        sent = self._pyros("alert", "send", "--redate", str(self.alert.packet), timeout=60)
        if sent.returncode != 0:
            self.say(f"the alert could not be sent: {sent.stdout}{sent.stderr}")
        return True

    def is_over(self, progress: Progress) -> bool:
        """Past dawn with the dome closed; or past the end (``AFTER_DAWN``: a dome that
        does not close is the demo's finding, not a reason to run for ever)."""
        assert self.times is not None
        if self.hours is not None:  # shortened: it ends where it was cut
            return progress.now >= self.times.end
        closed = progress.state not in ("SCHEDULER_READY", "OBSERVING", "OPENING", "CLOSING")
        return (progress.now >= self.times.dawn and closed) or progress.now >= self.times.end

    def end_of_night(self) -> None:
        """A shortened night ends before dawn: the observatory goes PASSIVE (the majordome
        hands off, starting no sequence) so that the minutes spent waiting for the
        analysis add no observing to the summary."""
        if self.hours is None:
            return
        from pyros import clock
        from pyros.instruments.models import Mode, OperatingMode

        OperatingMode.change(Mode.PASSIVE, by="pyros demo", at=clock.now())

    def alert_frames_waiting(self) -> int:
        """The alert's frames the analysis has not finished yet while it has found no
        candidate in them: the night may end before it has searched them all, and the
        demo waits for them (``ANALYSIS_WAIT`` at most); 0 once the afterglow is found."""
        if not self.alert_ivorn:
            return 0
        from pyros.alerts.models import AlertPacket
        from pyros.analysis.models import AnalysisStatus, Candidate
        from pyros.images.models import Image

        packet = AlertPacket.objects.filter(ivorn=self.alert_ivorn).first()
        if packet is None or packet.request_id is None or \
                Candidate.objects.filter(event=packet.event_id).exists():
            return 0
        return Image.objects.filter(sequence__request_id=packet.request_id,
                                    frame_type="LIGHT").exclude(
            analysis__status__in=(AnalysisStatus.DONE, AnalysisStatus.FAILED)).count()

    def _remember_children(self) -> None:
        if self.supervisor:
            from pyros.faults.probes import children

            self._known_children.update(children(self.supervisor))

    # --- after -------------------------------------------------------------------------

    def stop(self) -> list[str]:
        """`pyros stop`, then kill whatever of the night still runs; the pids that had
        to be killed."""
        from pyros.faults.probes import running, stop_processes

        pid_file = self.sandbox.home / "run" / "supervisor.pid"
        if not self.supervisor and pid_file.exists():  # interrupted while starting
            with contextlib.suppress(ValueError, OSError):
                self.supervisor = int(pid_file.read_text())
        if not self.supervisor:
            return []
        self._remember_children()
        self.wall_seconds = time.monotonic() - self.wall_started
        try:
            self._pyros("stop", timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.say("pyros stop did not return in time: killing the night's processes")
        names = {pid: name for name, pid in self._known_children.items()}
        names[self.supervisor] = "supervisor"
        # The supervisor removes its pid file first, then stops its children: give them
        # the time `pyros stop` gives it before calling any of them left over.
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and any(running(pid) for pid in names):
            time.sleep(0.2)
        left = stop_processes(names)
        self.supervisor = 0
        return [f"{names[pid]} ({pid})" for pid in left]

    def summary(self) -> NightSummary:
        return summarise(self.speed, self.alert_ivorn)


def utc_date(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).date()
