"""Runs one sequence on the devices: point (the dome follows), settle, then every channel
at once, each taking its plans one after the other; answers what happened.

Plain Python over the device interfaces: no database, no agent. The majordome calls
:meth:`Executor.run` from its own thread and may call :meth:`Executor.interrupt` from
any other (an alert's preemption, the operator's STOP, unsafe weather); the run then
aborts what moves and returns within a fraction of a second with the images already
taken.

Threads: the caller's thread points the mount and then coordinates; one thread per
channel only talks to its camera and filter wheel and hands each written file back
through a queue. The caller's thread adds the headers, asks for the context and calls
``on_image``, so the majordome's callbacks (database, night log) never run in a thread
it did not start, and a slow callback never delays an exposure.

Timeouts passed to devices are in the devices' own terms (wall seconds); waits that
are part of the observation (the mount's settling) are simulated time, through the
clock, so a fast simulated night stays fast.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pyros import clock, paths
from pyros.config.schema import Channel, UnitConfig
from pyros.devices.errors import DeviceError, DeviceTimeout
from pyros.devices.factory import UnitDevices
from pyros.devices.interfaces import Camera, Mount, MountStatus
from pyros.majordome import flats
from pyros.majordome.fits_headers import add_headers, image_keywords, legal_keywords
from pyros.majordome.work import (
    ChannelWork,
    Exposures,
    ImageTaken,
    Outcome,
    Pointing,
    SequenceOutcome,
    SequenceWork,
    WorkKind,
)

_T = TypeVar("_T")

POLL = 0.05  # wall seconds between two looks at the mount, the queue or the stop flag
STATUS_TIMEOUT = 5.0  # seconds for a status read
ORDER_TIMEOUT = 10.0  # seconds for a device to accept an order (slew, follow)
ABORT_TIMEOUT = 5.0
SLEW_MARGIN = 30.0  # seconds beyond the slew the rates and distance predict
FILTER_MARGIN = 15.0  # seconds beyond the channel's filter_change_time
EXPOSURE_MARGIN = 30.0  # seconds beyond exposure plus readout
SETTLE_STEP = 0.1  # simulated seconds between two looks at the stop flag while settling
STOP_GRACE = 0.2  # wall seconds the channels get to finish after a stop, before we return


class _Stopped(Exception):
    """The run was told to stop (interrupted, or another channel failed)."""


class _Failed(Exception):
    """A device failed; the message names it and what it was doing."""


@dataclass(frozen=True)
class _Written:
    """A file a channel wrote; the caller's thread turns it into an ImageTaken."""

    job: ChannelWork
    plan: Exposures
    index: int
    path: Path
    started: datetime
    written: datetime


@dataclass(frozen=True)
class _ChannelDone:
    channel: str


class _Run:
    """One run's state, shared by the caller's thread, the channel threads and
    :meth:`Executor.interrupt`. The first reason to stop wins: a camera failing because
    we aborted it after an interrupt must not turn INTERRUPTED into FAILED."""

    def __init__(self, work: SequenceWork) -> None:
        self.work = work
        self.stop = threading.Event()
        self.events: queue.Queue[_Written | _ChannelDone] = queue.Queue()
        self.verdict: tuple[Outcome, str] | None = None
        self.slewing = False
        self.exposing: set[str] = set()  # channels whose camera may be exposing
        self.notes: list[str] = []  # what the run left out and why (flats the sky refused)
        self._lock = threading.Lock()

    def end(self, outcome: Outcome, reason: str) -> bool:
        """Stop the run for ``reason``; False when it was already stopping."""
        with self._lock:
            if self.verdict is not None:
                return False
            self.verdict = (outcome, reason)
            self.stop.set()
            return True

    def check(self) -> None:
        if self.stop.is_set():
            raise _Stopped

    def moving(self) -> tuple[bool, list[str]]:
        """Whether the mount slews and which channels expose, for aborting them."""
        with self._lock:
            return self.slewing, sorted(self.exposing)

    def begin_exposure(self, channel: str) -> None:
        """Under the lock, so that an interrupt either sees this channel exposing (and
        aborts it) or stops it before it starts."""
        with self._lock:
            self.check()
            self.exposing.add(channel)

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def end_exposure(self, channel: str) -> None:
        with self._lock:
            self.exposing.discard(channel)

    def set_slewing(self, slewing: bool) -> None:
        with self._lock:
            if slewing:
                self.check()
            self.slewing = slewing

    @contextmanager
    def step(self, action: str) -> Iterator[None]:
        """Turn a DeviceError into the run's failure, worded for the night log
        ("mount: slewing to ...: target below the horizon"), or into a stop when the
        error is only the consequence of our own abort."""
        try:
            yield
        except DeviceError as exc:
            if self.stop.is_set():
                raise _Stopped from exc
            raise _Failed(f"{exc.device}: {action}: {exc.reason}") from exc


class Executor:
    """Executes sequences on a unit's devices, one at a time."""

    def __init__(self, unit: UnitConfig, devices: UnitDevices, *,
                 image_dir: Callable[[SequenceWork, str], Path],
                 context: Callable[[datetime], dict[str, object]] = lambda _: {},
                 log: logging.Logger | None = None) -> None:
        """``context(started)`` gives the other subsystems' keywords (safety, the
        majordome's state, the weather) in force when an exposure started."""
        self.unit = unit
        self.devices = devices
        self.image_dir = image_dir
        self.context = context
        self.log = log or logging.getLogger(__name__)
        self._current: _Run | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._current is not None

    def exposing(self) -> bool:
        """Whether a camera of the current run is exposing."""
        with self._lock:
            run = self._current
        return run is not None and bool(run.moving()[1])

    # --- the run, in the caller's thread ---------------------------------------------

    def run(self, work: SequenceWork, on_image: Callable[[ImageTaken], None] | None = None,
            on_slew: Callable[[datetime], None] | None = None) -> SequenceOutcome:
        """Execute ``work``. In this thread: ``on_slew`` once the mount accepted the slew
        (with when it was ordered), ``on_image`` for each image as it arrives. Never
        raises for a device: a failure is a FAILED outcome."""
        run = self._begin(work)
        outcome = SequenceOutcome(Outcome.EXECUTED, "", started=clock.now())
        self.log.info("executing %s (%s)", work.key, work.name)
        try:
            self._check_channels(work)
            status = (self._point(run, work.pointing, outcome, on_slew)
                      if work.pointing is not None else None)
            if work.kind == WorkKind.FOCUS:
                self._focus(run, outcome)
            else:
                self._take_images(run, status, outcome, on_image)
        except _Stopped:
            pass
        except _Failed as exc:
            run.end(Outcome.FAILED, str(exc))
        finally:
            run.stop.set()  # channel threads still running stop at their next step
            self._abort_moving(run)
            with self._lock:
                self._current = None
        taken = (f"all {len(outcome.images)} images taken" if not run.notes else
                 f"{len(outcome.images)} images taken; " + "; ".join(run.notes))
        outcome.outcome, outcome.reason = run.verdict or (Outcome.EXECUTED, taken)
        outcome.ended = clock.now()
        self.log.info("%s %s: %s (%d images)", work.key, outcome.outcome.value,
                      outcome.reason, len(outcome.images))
        return outcome

    def _begin(self, work: SequenceWork) -> _Run:
        with self._lock:
            if self._current is not None:
                raise RuntimeError(f"the executor is already running {self._current.work.key}; "
                                   f"interrupt it before running {work.key}")
            self._current = _Run(work)
            return self._current

    def _check_channels(self, work: SequenceWork) -> None:
        names = [job.channel for job in work.channels]
        for name in names:
            if name not in self.devices.cameras:
                known = ", ".join(self.devices.cameras) or "none"
                raise _Failed(f"{work.key}: no camera for channel '{name}' (channels: {known})")
            if names.count(name) > 1:
                raise _Failed(f"{work.key}: channel '{name}' is given twice; one camera "
                              "cannot take two albums at once")

    # --- pointing ----------------------------------------------------------------------

    def _point(self, run: _Run, target: Pointing, outcome: SequenceOutcome,
               on_slew: Callable[[datetime], None] | None) -> MountStatus:
        """Slew, let the dome follow, wait for the end of the slew, settle; return the
        mount's status then (the images' RA/DEC/ALT/AZ/HA)."""
        mount = self.devices.mount
        with run.step("reading its position before the slew"):
            limit = self._slew_limit(mount.status(timeout=STATUS_TIMEOUT), target)
        self._follow_with_dome(run)
        run.set_slewing(True)
        try:
            with run.step(f"slewing to RA {target.ra:.4f} Dec {target.dec:+.4f}"):
                outcome.slew_started = clock.now()
                mount.slew(target.ra, target.dec, wait=False, timeout=ORDER_TIMEOUT)
                self._call_back("on_slew", on_slew, outcome.slew_started)
                self._wait_for_slew(run, mount, limit)
                outcome.slew_ended = clock.now()
        finally:
            run.set_slewing(False)
        self._settle(run)
        with run.step("reading its position after the slew"):
            return mount.status(timeout=STATUS_TIMEOUT)

    def _slew_limit(self, before: MountStatus, target: Pointing) -> float:
        """How long the slew may take: the longer axis at its rate, plus the settling the
        mount does by itself, plus a margin."""
        mount = self.unit.mount
        ra_move = abs((target.ra - before.ra + 180.0) % 360.0 - 180.0)
        dec_move = abs(target.dec - before.dec)
        moving = max(ra_move / mount.slew_rate_ra, dec_move / mount.slew_rate_dec)
        return moving + mount.settle_time + SLEW_MARGIN

    def _follow_with_dome(self, run: _Run) -> None:
        dome = self.devices.dome
        if dome is not None:
            with run.step("following the mount"):
                dome.follow(True, timeout=ORDER_TIMEOUT)

    def _wait_for_slew(self, run: _Run, mount: Mount, limit: float) -> None:
        """Our own wait rather than ``slew(wait=True)``: the stop flag is seen within
        POLL whatever the mount does with an abort (stop, or an error)."""
        deadline = time.monotonic() + limit
        while mount.status(timeout=STATUS_TIMEOUT).slewing:
            if run.stop.wait(POLL):
                # Again: the interrupt's abort may have reached the mount before our slew.
                self._abort_in_background(mount)
                raise _Stopped
            if time.monotonic() > deadline:
                self._abort_in_background(mount)
                raise DeviceTimeout(mount.name, f"the slew did not end within {limit:.0f} s")

    def _settle(self, run: _Run) -> None:
        """Wait the mount's settle time (simulated time), watching the stop flag."""
        end = clock.now() + timedelta(seconds=self.unit.mount.settle_time)
        while (left := (end - clock.now()).total_seconds()) > 0:
            run.check()
            clock.get_clock().sleep(min(left, SETTLE_STEP))
        run.check()

    # --- the channels ------------------------------------------------------------------

    def _take_images(self, run: _Run, mount_status: MountStatus | None,
                     outcome: SequenceOutcome,
                     on_image: Callable[[ImageTaken], None] | None) -> None:
        """Start one thread per channel and record their images as they arrive, until
        all are done or the run stops."""
        directories = {job.channel: self._directory(run.work, job.channel)
                       for job in run.work.channels}
        threads = [threading.Thread(target=self._channel_thread,
                                    args=(run, job, directories[job.channel]),
                                    name=f"executor-{job.channel}", daemon=True)
                   for job in run.work.channels]
        for thread in threads:
            thread.start()
        pending = len(threads)
        while pending and not run.stop.is_set():
            pending -= self._handle_next(run, mount_status, outcome, on_image)
        if pending:  # stopped: let aborted channels hand back what they finished
            self._join(threads, STOP_GRACE)
            while not run.events.empty():
                self._handle_next(run, mount_status, outcome, on_image)

    def _focus(self, run: _Run, outcome: SequenceOutcome) -> None:
        """An autofocus where the mount points; stopped between frames by an interrupt.
        Its frames are measured and kept beside the data, not recorded as images."""
        from pyros.focus.sweep import FocusError, autofocus

        folder = paths.data_dir() / "focus" / run.work.key
        with run.step("autofocus"):
            try:
                outcome.focus = found = autofocus(self.unit, self.devices, folder,
                                                  progress=self.log.info, check=run.check)
            except FocusError as exc:
                raise _Failed(f"autofocus: {exc}") from exc
        if not found.succeeded:
            raise _Failed(found.message)
        run.note(found.message)

    def _directory(self, work: SequenceWork, channel: str) -> Path:
        directory = self.image_dir(work, channel)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _Failed(f"{work.key}: cannot create the image directory {directory}: "
                          f"{exc.strerror or exc}") from exc
        return directory

    def _handle_next(self, run: _Run, mount_status: MountStatus | None,
                     outcome: SequenceOutcome,
                     on_image: Callable[[ImageTaken], None] | None) -> int:
        """Record the next event; 1 when it was a channel finishing."""
        try:
            event = run.events.get(timeout=POLL)
        except queue.Empty:
            return 0
        if isinstance(event, _ChannelDone):
            return 1
        image = self._record(run.work, event, mount_status)
        outcome.images.append(image)
        self._call_back("on_image", on_image, image)
        return 0

    def _call_back(self, name: str, callback: Callable[[_T], None] | None, value: _T) -> None:
        """The majordome's bookkeeping must not stop the telescope: a failing callback is
        logged, and the sequence goes on (its images are on disk all the same)."""
        if callback is None:
            return
        try:
            callback(value)
        except Exception:
            self.log.exception("%s failed for %s", name, value)

    @staticmethod
    def _join(threads: list[threading.Thread], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _channel_thread(self, run: _Run, job: ChannelWork, directory: Path) -> None:
        try:
            self._expose_channel(run, job, directory)
        except _Stopped:
            pass
        except _Failed as exc:
            run.end(Outcome.FAILED, str(exc))
        except Exception as exc:  # a bug must end the run, not leave it waiting
            self.log.exception("channel %s failed", job.channel)
            run.end(Outcome.FAILED, f"channel {job.channel}: unexpected error: {exc!r}")
        finally:
            run.events.put(_ChannelDone(job.channel))

    def _expose_channel(self, run: _Run, job: ChannelWork, directory: Path) -> None:
        camera = self.devices.cameras[job.channel]
        channel = self.unit.channel(job.channel)
        for plan_number, plan in enumerate(job.plans, start=1):
            self._set_filter(run, channel, plan)
            if plan.aim is not None:
                self._take_flats(run, camera, channel, job, plan, plan_number, directory)
                continue
            for index in range(1, plan.count + 1):
                run.events.put(self._expose(run, camera, channel, job, plan, plan_number,
                                            index, directory))

    def _take_flats(self, run: _Run, camera: Camera, channel: Channel, job: ChannelWork,
                    plan: Exposures, plan_number: int, directory: Path) -> None:
        """Twilight flats whose exposure follows the sky (see ``flats``): each one is
        measured, a bad one deleted, the next exposure scaled to the aimed level."""
        assert plan.aim is not None
        exposure = flats.first_exposure(plan.aim, plan.exposure)
        kept, tries, waited = 0, 0, 0.0
        while kept < plan.count and tries < flats.exposures_allowed(plan.count):
            written = self._expose(run, camera, channel, job, replace(plan, exposure=exposure),
                                   plan_number, kept + 1, directory)
            try:
                level = flats.measured_level(written.path)
            except (OSError, ValueError) as exc:
                raise _Failed(f"channel {job.channel}: cannot measure the flat "
                              f"{written.path.name}: {exc}") from exc
            verdict = flats.judge(plan.aim, exposure, level)
            if verdict.keep:
                kept += 1
                run.events.put(written)
            else:
                written.path.unlink(missing_ok=True)
                self.log.info("%s: flat of %.3g s at %.0f ADU deleted (aim %.0f)",
                              plan.name, exposure, level, plan.aim.level)
            if kept == plan.count:
                return
            if verdict.next_exposure is None or (verdict.wait and waited >= flats.MAX_WAIT):
                self._flats_note(run, job, plan, kept, verdict.reason + (
                    f" after waiting {waited / 60:g} min" if verdict.wait else ""))
                return
            if verdict.wait:  # the sky is not yet right: not a try
                self._wait_for_sky(run, flats.WAIT)
                waited += flats.WAIT
            else:
                tries += 1
            exposure = verdict.next_exposure
        if kept < plan.count:
            self._flats_note(run, job, plan, kept, f"{tries} exposures did not reach the "
                             f"aimed level")

    def _flats_note(self, run: _Run, job: ChannelWork, plan: Exposures, kept: int,
                    why: str) -> None:
        note = f"{job.channel} {plan.name}: {kept} of {plan.count} ({why})"
        self.log.info("%s", note)
        run.note(note)

    @staticmethod
    def _wait_for_sky(run: _Run, seconds: float) -> None:
        """Simulated seconds, looking at the stop flag as often as while settling."""
        end = clock.now() + timedelta(seconds=seconds)
        while (left := (end - clock.now()).total_seconds()) > 0:
            run.check()
            clock.get_clock().sleep(min(left, SETTLE_STEP))

    def _set_filter(self, run: _Run, channel: Channel, plan: Exposures) -> None:
        wheel = self.devices.filter_wheels.get(channel.name)
        if plan.filter is None or wheel is None:
            return
        run.check()
        with run.step(f"changing to filter {plan.filter} for plan '{plan.name}'"):
            wheel.set_filter(plan.filter, wait=True,
                             timeout=channel.filter_change_time + FILTER_MARGIN)

    def _expose(self, run: _Run, camera: Camera, channel: Channel, job: ChannelWork,
                plan: Exposures, plan_number: int, index: int, directory: Path) -> _Written:
        run.begin_exposure(job.channel)
        try:
            started = clock.now()
            path = image_path(directory, started, job.channel, run.work.key, plan_number,
                              index)
            action = (f"exposure {index}/{plan.count} of plan {plan_number} '{plan.name}' "
                      f"({plan.exposure:g} s, channel {job.channel})")
            with run.step(action):
                path = camera.expose(plan.exposure, path, frame_type=plan.frame_type,
                                     object_name=run.work.target_name,
                                     timeout=plan.exposure + channel.readout_time
                                     + EXPOSURE_MARGIN)
        finally:
            run.end_exposure(job.channel)
        return _Written(job, plan, index, Path(path), started, clock.now())

    def _record(self, work: SequenceWork, written: _Written,
                mount_status: MountStatus | None) -> ImageTaken:
        """Add the headers to a written file and describe it."""
        plan = written.plan
        # The shutter closed after the exposure time, before the readout.
        ended = min(written.started + timedelta(seconds=plan.exposure), written.written)
        keywords = legal_keywords(image_keywords(
            self.unit, work, plan, written.job, written.index, written.started, ended,
            mount_status, self._context(written.started)))
        try:
            add_headers(written.path, keywords)
        except (OSError, ValueError) as exc:
            self.log.error("could not add the headers to %s: %s", written.path, exc)
            keywords = {}
        airmass = keywords.get("AIRMASS")
        return ImageTaken(path=written.path, channel=written.job.channel,
                          frame_type=plan.frame_type, filter=plan.filter,
                          exposure=plan.exposure, index=written.index,
                          started=written.started, ended=ended, plan_id=plan.plan_id,
                          album_id=written.job.album_id,
                          airmass=float(airmass) if isinstance(airmass, float) else None,
                          headers=dict(keywords), read_out=written.written)

    def _context(self, started: datetime) -> dict[str, object]:
        try:
            return dict(self.context(started))
        except Exception:  # the weather summary is a bonus; the image still gets the rest
            self.log.exception("the image context failed; headers written without it")
            return {}

    # --- stopping ----------------------------------------------------------------------

    def interrupt(self, reason: str) -> None:
        """Stop the current run now (from any thread): abort the slew and the exposures
        in progress. Ignored when no run is in progress."""
        run = self._current
        if run is None:
            self.log.debug("interrupt ignored (nothing running): %s", reason)
            return
        if run.end(Outcome.INTERRUPTED, reason):
            self.log.info("interrupting %s: %s", run.work.key, reason)
            self._abort_moving(run)

    def _abort_moving(self, run: _Run) -> None:
        """Abort what the run has moving, each in a thread of its own: a silent device
        must not delay the others, nor the caller."""
        slewing, exposing = run.moving()
        if slewing:
            self._abort_in_background(self.devices.mount)
        for channel in exposing:
            self._abort_in_background(self.devices.cameras[channel])

    def _abort_in_background(self, device: Mount | Camera) -> None:
        threading.Thread(target=self._abort, args=(device,), name=f"abort-{device.name}",
                         daemon=True).start()

    def _abort(self, device: Mount | Camera) -> None:
        try:
            device.abort(timeout=ABORT_TIMEOUT)
        except DeviceError as exc:
            self.log.error("could not abort the %s %s: %s", device.kind, device.name,
                           exc.reason)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def image_path(directory: Path, started: datetime, channel: str, key: str, plan_number: int,
               index: int) -> Path:
    """``<time>_<channel>_<key>_<plan>-<image>.fits``, never an existing file's name."""
    tail = f"{_UNSAFE.sub('-', channel)}_{_UNSAFE.sub('-', key)}_{plan_number}-{index}"
    return paths.image_file(directory, started, tail, copy_mark="_")
