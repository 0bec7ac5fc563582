"""The simulated observatory's devices on their configured ports: one asyncio process
serving every ``sim`` device of the unit configuration (except the PLC, which has its
own simulator), speaking newline-delimited JSON:

    -> {"id": 7, "method": "slew", "params": {"ra": 10.0, "dec": 20.0}}
    <- {"id": 7, "result": {"seconds": 12.5}}      or
    <- {"id": 7, "error": {"kind": "refused", "message": "..."}}

Faults can be injected from a scenario file, a JSON list of events
``{"at": seconds after start, "device": name, "fault": "silent" | "disconnect" |
"stuck_shutter", "duration": seconds}``: a silent device reads but never answers, a
disconnected one drops its connections and refuses new ones, a stuck shutter never
finishes moving. SIGHUP reads the file again, its times counted from then: a fault can
be injected into a running simulated observatory at the moment it matters (a camera that
falls silent in the middle of an exposure, ``pyros bench faults``).

The mount and the dome have a watchdog, the second safety layer: ``{"method":
"watchdog", "params": {"seconds": 60}}`` arms it (0 disarms); if no such call comes for
that long (wall seconds, whatever the simulated clock's speed: see ``WatchdogTimer``),
the dome closes its shutter and the mount
parks, and their status says when in ``watchdog_tripped_at``.

    python -m pyros.simulators.server [--scenario faults.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pyros import clock
from pyros.clock import Clock, SimulatedClock
from pyros.config.schema import UnitConfig
from pyros.devices.interfaces import CameraState
from pyros.simulators.models import (
    CameraModel,
    DomeModel,
    FocuserModel,
    Motion,
    MountModel,
    Refused,
    WatchdogTimer,
)

SEEING = 1.5  # arcsec FWHM of the simulated atmosphere (the renderer's default)


@dataclass(frozen=True)
class SeeingAndFocus:
    seeing: float  # arcsec FWHM
    blur: float  # arcsec FWHM of the defocus

    @property
    def fwhm(self) -> float:
        return math.hypot(self.seeing, self.blur)

log = logging.getLogger("pyros.simulators")
MAX_LINE = 64 * 1024
WATCHDOG_CHECK = 0.25  # wall seconds between two looks at the watchdogs


class FaultEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: float = Field(ge=0)
    device: str
    fault: str = Field(pattern="^(silent|disconnect|stuck_shutter)$")
    duration: float = Field(gt=0)


def load_faults(path: Path) -> list[FaultEvent]:
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, list):
            raise ValueError("a fault scenario is a JSON list of events")
        return [FaultEvent.model_validate(event) for event in data]
    except (OSError, ValueError, ValidationError) as exc:
        raise ValueError(f"{path}: not a valid fault scenario: {exc}") from exc


def wall_seconds(seconds: float, sim_clock: Clock) -> float:
    """How long ``seconds`` of the clock's time last on the wall clock (as long, for a
    clock that runs at the wall's pace or is stepped by hand)."""
    if isinstance(sim_clock, SimulatedClock) and sim_clock.speed > 0:
        return seconds / sim_clock.speed
    return seconds


async def clock_sleep(seconds: float, sim_clock: Clock) -> None:
    """Sleep ``seconds`` of the clock's time."""
    await asyncio.sleep(max(0.0, wall_seconds(seconds, sim_clock)))


@dataclass
class Faults:
    events: list[FaultEvent]
    started: float

    def active(self, device: str, fault: str) -> bool:
        elapsed = time.monotonic() - self.started
        return any(e.device == device and e.fault == fault
                   and e.at <= elapsed < e.at + e.duration for e in self.events)


class Observatory:
    """Every simulated device of the unit, sharing one clock (the camera needs to know
    where the mount points, the dome where to follow)."""

    def __init__(self, unit: UnitConfig, sim_clock: Clock, faults: Faults) -> None:
        self.unit, self.clock, self.faults = unit, sim_clock, faults
        self.mount = MountModel(unit, sim_clock)
        self.domes = {n: DomeModel(sim_clock) for n in unit.devices_of_kind("dome")}
        self.focusers = {n: FocuserModel(sim_clock, unit.focus.simulated)
                         for n in unit.devices_of_kind("focuser")}
        self.cameras = {c.camera: CameraModel(c, sim_clock) for c in unit.channels}
        self._tasks: set[asyncio.Task] = set()

    def handlers(self, device: str) -> dict[str, Callable[..., Any]]:
        if device == self.unit.mount.device:
            m = self.mount
            return {"status": m.status, "slew": lambda ra, dec: {"seconds": m.slew(ra, dec)},
                    "park": lambda: {"seconds": m.park()}, "unpark": m.unpark,
                    "track": m.track, "abort": m.abort, "watchdog": m.watchdog.arm}
        if device in self.domes:
            d = self.domes[device]
            return {"status": lambda: d.status(self.mount.status()["az"]),
                    "open": lambda: {"seconds": d.move_shutter(True)},
                    "close": lambda: {"seconds": d.move_shutter(False)},
                    "goto": lambda azimuth: {"seconds": d.goto(azimuth)},
                    "follow": lambda on: setattr(d, "following", bool(on)),
                    "park": lambda: {"seconds": d.goto(0.0)}, "abort": d.abort,
                    "watchdog": d.watchdog.arm}
        if device in self.focusers:
            f = self.focusers[device]
            return {"status": f.status,
                    "move_to": lambda position: {"seconds": f.move_to(position)}}
        if device in self.cameras:
            c = self.cameras[device]
            return {"status": c.status, "filter_status": c.filter_status,
                    "set_filter": lambda name: {"seconds": c.set_filter(name)},
                    "set_cooler": c.set_cooler, "abort": c.abort,
                    "expose": lambda **request: self._expose(c, request)}
        return {}

    def _expose(self, camera: CameraModel, request: dict) -> dict:
        seconds = float(request["seconds"])
        if not 0 <= seconds <= 3600:
            raise Refused(f"exposure of {seconds} s outside 0..3600 s")
        total = camera.start_exposure(seconds, request)
        work = self._finish_exposure(camera, camera.exposure, camera.exposures, total)
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return {"seconds": total, "number": camera.exposures}

    async def _finish_exposure(self, camera: CameraModel, exposure: Motion | None,
                               number: int, total: float) -> None:
        await clock_sleep(total, self.clock)
        if camera.exposure is not exposure:  # aborted, or another exposure started
            return
        request, error = camera.pending, ""
        try:
            from pyros.simulators.frames import write_frame

            pointing = self.mount.status()
            pointing["sky_ra"], pointing["sky_dec"] = self.mount.sky_position(self.clock.now())
            optics = SeeingAndFocus(seeing=SEEING, blur=self._focus_blur())
            await asyncio.to_thread(write_frame, self.unit, camera, pointing, request,
                                    optics.fwhm)
        except Exception as exc:
            log.exception("the simulated camera %s failed to write its image",
                          camera.channel.camera)
            error = f"{type(exc).__name__}: {exc}"
        if camera.exposure is not exposure:  # aborted while writing: no image, as promised
            if camera.pending.get("path") != request["path"]:
                Path(request["path"]).unlink(missing_ok=True)
            return
        if error:
            camera.error, camera.state = error, CameraState.ERROR
        else:
            camera.last_image, camera.last_exposure = request["path"], number
            camera.state = CameraState.IDLE
        camera.exposure, camera.pending = None, {}

    def _focus_blur(self) -> float:
        """The defocus of the unit's focuser (the first: one focuser per telescope)."""
        focuser = next(iter(self.focusers.values()), None)
        return 0.0 if focuser is None else focuser.blur()

    def check_watchdogs(self) -> None:
        """Make safe every device whose watchdog has expired."""
        now = self.clock.now()
        guarded: list[tuple[str, WatchdogTimer, Callable[[], str]]] = [
            (self.unit.mount.device, self.mount.watchdog, self.mount.make_safe),
            *((name, dome.watchdog, dome.make_safe) for name, dome in self.domes.items())]
        for name, watchdog, make_safe in guarded:
            if watchdog.expired():
                watchdog.trip(now)
                log.warning("%s: watchdog: no heartbeat for %g s: %s", name,
                            watchdog.seconds, make_safe())


async def serve_device(observatory: Observatory, device: str, host: str,
                       port: int) -> asyncio.Server:
    handlers = observatory.handlers(device)

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while not reader.at_eof():
                if observatory.faults.active(device, "disconnect"):
                    break
                line = await reader.readline()
                if not line:
                    break
                if observatory.faults.active(device, "silent"):
                    continue
                if observatory.faults.active(device, "disconnect"):
                    break
                if device in observatory.domes:
                    observatory.domes[device].stuck = observatory.faults.active(
                        device, "stuck_shutter")
                writer.write(encode(answer(handlers, line)))
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            # The server is stopping. Ending quietly spares the log a traceback per open
            # connection (Python 3.11's stream callback reports a cancelled session).
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return await asyncio.start_server(session, host, port, limit=MAX_LINE)


async def watch_heartbeats(observatory: Observatory) -> None:
    """Check the watchdogs (which count wall seconds) four times a second of wall time,
    so that a device is made safe at most a quarter of a second late. A check that fails
    is logged and the next one runs: this is a safety layer."""
    period = WATCHDOG_CHECK
    while True:
        try:
            observatory.check_watchdogs()
        except Exception:
            log.exception("the simulator's watchdog check failed")
        await asyncio.sleep(period)


def encode(reply: dict) -> bytes:
    try:
        return json.dumps(reply).encode() + b"\n"
    except (TypeError, ValueError) as exc:  # a simulator bug must not kill the session
        log.exception("cannot encode a reply")
        failure = {"id": reply.get("id"), "error": {"kind": "error", "message": str(exc)}}
        return json.dumps(failure).encode() + b"\n"


def answer(handlers: dict[str, Callable[..., Any]], line: bytes) -> dict:
    """One request in, one answer out; bad requests are answered, never fatal."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
    except ValueError as exc:
        return {"id": None, "error": {"kind": "protocol", "message": f"bad request: {exc}"}}
    request_id = request.get("id")
    method, params = request.get("method"), request.get("params") or {}
    if method not in handlers or not isinstance(params, dict):
        known = ", ".join(sorted(handlers))
        return {"id": request_id, "error": {"kind": "protocol",
                                            "message": f"unknown method {method!r} ({known})"}}
    try:
        result = handlers[method](**params)
    except Refused as exc:
        return {"id": request_id, "error": {"kind": "refused", "message": str(exc)}}
    except (TypeError, ValueError, KeyError) as exc:
        message = f"bad parameters: {exc}"
        return {"id": request_id, "error": {"kind": "protocol", "message": message}}
    return {"id": request_id, "result": result}


async def run(unit: UnitConfig, faults: list[FaultEvent], sim_clock: Clock,
              ready: Callable[[], None] | None = None,
              stop: asyncio.Event | None = None,
              reload_faults: Callable[[], list[FaultEvent]] | None = None) -> None:
    """Serve until SIGTERM/SIGINT, or until ``stop`` is set (tests). With
    ``reload_faults``, SIGHUP replaces the faults by what it returns, timed from then."""
    observatory = Observatory(unit, sim_clock, Faults(faults, time.monotonic()))
    servers = []
    for name, device in unit.devices.items():
        if device.backend != "sim" or device.kind in ("plc", "weather"):
            continue
        host, port = device.address.rsplit(":", 1)
        servers.append(await serve_device(observatory, name, host, int(port)))
        log.info("simulated %s %s on %s", device.kind, name, device.address)
    # Held here: the loop keeps only a weak reference to a task.
    heartbeats = asyncio.create_task(watch_heartbeats(observatory))
    if ready:
        ready()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    if reload_faults is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, reload_scenario, observatory, reload_faults)
    try:
        await stop.wait()
    finally:
        heartbeats.cancel()
        for server in servers:
            server.close()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def reload_scenario(observatory: Observatory,
                    reload_faults: Callable[[], list[FaultEvent]]) -> None:
    """SIGHUP: the scenario file again, its times from now; a bad file is logged and the
    faults in force are kept (a typo must not stop the simulated observatory)."""
    try:
        events = reload_faults()
    except ValueError as exc:
        log.error("scenario not reloaded: %s", exc)
        return
    observatory.faults = Faults(events, time.monotonic())
    log.warning("scenario reloaded: %d fault events from now", len(events))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyros-sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, help="fault scenario (JSON)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated time runs this many times faster than the wall clock")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    from pyros.config.loader import active_config

    faults = load_faults(options.scenario) if options.scenario else []
    sim_clock: Clock = clock.install_from_environment()
    if options.speed != 1.0:
        sim_clock = SimulatedClock(clock.now(), speed=options.speed)
        clock.set_clock(sim_clock)
    scenario = options.scenario
    reload_faults = (lambda: load_faults(scenario)) if scenario else None
    asyncio.run(run(active_config(), faults, sim_clock, reload_faults=reload_faults))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
