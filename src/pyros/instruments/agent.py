"""The "devices" agent: the observatory's eyes on its devices, and the hands of remote
control.

Every ``routine_period`` (2 s) it asks every device of the unit for its status, all at
once with a short timeout, so that a silent device costs one second and never the
agent's heartbeat; it stores each device's latest status and a history row, writes a
PNG preview of each camera's new image, and prunes the history every ten minutes.

Its specific commands drive the devices for a remote user (slew, park, unpark,
abort_mount, dome_open, dome_close, expose); they act only when the observatory's
operating mode is REMOTE. Motions return once the device has accepted the order (the
pages show their progress), so that abort_mount, itself a command, is never stuck
behind the slew it must stop; expose returns the path of the image it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pyros import clock, paths
from pyros.agents.agent import Agent, command
from pyros.agents.context import CommandContext
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.devices.errors import DeviceError
from pyros.devices.factory import UnitDevices, build_devices
from pyros.devices.interfaces import Device, Dome, FrameType
from pyros.instruments import store
from pyros.instruments.commands import (
    ChannelName,
    Declination,
    ExposureSeconds,
    FilterName,
    FrameTypeName,
    ObjectName,
    RightAscension,
)
from pyros.instruments.models import DeviceKind, Mode, OperatingMode
from pyros.instruments.previews import PreviewError, preview_path, write_preview

POLL_TIMEOUT = 1.0  # seconds a device gets to answer a status request
PRUNE_PERIOD = 600.0  # seconds between two history prunings


class RemoteControlRefused(Exception):
    """A remote-control command while the observatory is not in REMOTE mode."""


@dataclass(frozen=True)
class Polled:
    """A device and the name its status row has."""

    spec: store.DeviceSpec
    device: Device


def unit_devices(devices: UnitDevices, unit: UnitConfig) -> list[Polled]:
    """Every device of the unit, with its kind and (cameras, filter wheels) channel."""
    polled = [Polled(store.DeviceSpec(devices.mount.name, DeviceKind.MOUNT), devices.mount)]
    polled += [Polled(store.DeviceSpec(d.name, DeviceKind.DOME), d)
               for d in devices.domes.values()]
    polled += [Polled(store.DeviceSpec(f.name, DeviceKind.FOCUSER), f)
               for f in devices.focusers.values()]
    for channel in unit.channels:
        camera = devices.cameras.get(channel.name)
        if camera is not None:
            polled.append(Polled(store.DeviceSpec(camera.name, DeviceKind.CAMERA,
                                                  channel.name), camera))
        wheel = devices.filter_wheels.get(channel.name)
        if wheel is not None:
            polled.append(Polled(store.DeviceSpec(wheel.name, DeviceKind.FILTERWHEEL,
                                                  channel.name), wheel))
    return polled


def remote_image_path(channel: str, now: datetime) -> Path:
    """``<data>/images/remote/<UTC stamp>_<channel>.fits``, never an existing file."""
    return paths.image_file(paths.data_dir() / "images" / "remote", now, channel)


def poll_device(polled: Polled, timeout: float = POLL_TIMEOUT) -> store.Poll:
    """One status request; a failure is an answer too (the device's own message)."""
    name = polled.spec.name
    try:
        return store.Poll(name, store.jsonable(polled.device.status(timeout)))
    except DeviceError as exc:
        return store.Poll(name, None, exc.reason)
    except Exception as exc:  # a backend's bug must not stop the polling of the others
        return store.Poll(name, None, f"{type(exc).__name__}: {exc}")


class DevicesAgent(Agent):

    expected_errors = (DeviceError, RemoteControlRefused, ValueError)
    routine_period = 2.0
    #: The devices are connected at init from these sections.
    restart_sections = frozenset({"database", "devices", "mount", "channels"})

    def __init__(self, name: str, computer: str = "localhost", *,
                 unit: UnitConfig | None = None, test_mode: bool = False,
                 poll_timeout: float = POLL_TIMEOUT) -> None:
        """``unit`` defaults to the active configuration (tests give their own, on free
        ports). ``test_mode``: this agent has no self-test of its own; ``pyros start
        --test`` may start it next to the test agents, and it polls as usual.
        ``poll_timeout``: seconds a device gets to answer a status request (tests whose
        simulator shares their busy process give more)."""
        super().__init__(name, computer)
        self._unit = unit
        self.poll_timeout = poll_timeout
        self.devices: UnitDevices | None = None
        self.polled: list[Polled] = []
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight: dict[str, Future[store.Poll]] = {}
        self._previewed: dict[str, str] = {}  # channel -> the image its preview shows
        self._last_poll: datetime | None = None
        self._unreachable: list[str] = []
        self._pruned_at: datetime | None = None
        self._next_prune = 0.0

    @property
    def unit(self) -> UnitConfig:
        return self._unit or active_config()

    # --- life ----------------------------------------------------------------------------

    def init(self) -> None:
        """Build the devices from the configuration and make their status rows."""
        unit = self.unit
        self.devices = build_devices(unit)
        self.polled = unit_devices(self.devices, unit)
        self.close()
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self.polled)),
                                        thread_name_prefix=f"{self.name}-poll")
        self._in_flight.clear()
        gone = store.ensure_devices([p.spec for p in self.polled])
        if gone:
            self.log.info("devices no longer configured, their status removed: %s",
                          ", ".join(gone))
        self.log.info("polling %d devices every %g s", len(self.polled), self.routine_period)

    def run(self) -> int:
        try:
            return super().run()
        finally:
            self.close()

    def close(self) -> None:
        """Let the polling threads go (``run`` does it when the agent stops)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def routine(self) -> None:
        self.poll()
        if time.monotonic() >= self._next_prune:
            self.prune()

    def describe(self) -> dict[str, Any]:
        return {"devices": len(self.polled), "unreachable": list(self._unreachable),
                "last_poll": store.jsonable(self._last_poll)}

    # --- routine work --------------------------------------------------------------------

    def poll(self) -> list[store.Poll]:
        """Ask every device for its status at once; store the answers and the new
        previews. A device still busy answering the previous round is reported as such
        rather than asked again."""
        if self._pool is None:
            raise RuntimeError("the devices agent polls only after init()")
        futures: dict[str, Future[store.Poll]] = {}
        polls: list[store.Poll] = []
        for polled in self.polled:
            name = polled.spec.name
            previous = self._in_flight.get(name)
            if previous is not None and not previous.done():
                polls.append(store.Poll(name, None, "still waiting for the previous status "
                                                    "request"))
                continue
            futures[name] = self._in_flight[name] = self._pool.submit(
                poll_device, polled, self.poll_timeout)
        deadline = time.monotonic() + self.poll_timeout + 1.0
        for name, future in futures.items():
            try:
                polls.append(future.result(max(0.0, deadline - time.monotonic())))
            except TimeoutError:
                polls.append(store.Poll(name, None, "no status within "
                                                    f"{self.poll_timeout + 1.0:g} s"))
        now = clock.now()
        store.record_polls(polls, now)
        self._last_poll = now
        unreachable = sorted(p.name for p in polls if not p.answered)
        if unreachable != self._unreachable:
            if unreachable:
                self.log.warning("not answering: %s", "; ".join(
                    f"{p.name}: {p.error}" for p in polls if not p.answered))
            else:
                self.log.info("every device answers again")
            self._unreachable = unreachable
        self.update_previews(polls)
        return polls

    def update_previews(self, polls: list[store.Poll]) -> None:
        """A preview for each camera whose last image changed (and once at start)."""
        channels = {p.spec.name: p.spec.channel for p in self.polled
                    if p.spec.kind == DeviceKind.CAMERA}
        for poll in polls:
            channel = channels.get(poll.name)
            image = (poll.status or {}).get("last_image") if channel else None
            if not image or self._previewed.get(channel) == image:
                continue
            self._previewed[channel] = image  # tried once, whatever happens
            try:
                write_preview(image, preview_path(channel))
            except (PreviewError, ValueError, OSError) as exc:
                self.log.warning("no preview for %s: %s", channel, exc)
            else:
                self.log.info("preview of %s written from %s", channel, image)

    def prune(self) -> store.Pruned:
        now = clock.now()
        pruned = store.prune_history(now, since=self._pruned_at)
        self._pruned_at = now
        self._next_prune = time.monotonic() + PRUNE_PERIOD
        if pruned.deleted or pruned.thinned:
            self.log.info("status history: %d rows past retention deleted, %d thinned",
                          pruned.deleted, pruned.thinned)
        return pruned

    # --- remote control ------------------------------------------------------------------

    def _remote(self) -> UnitDevices:
        """The devices, if the observatory lets a remote user drive them."""
        mode = OperatingMode.current().mode
        if mode != Mode.REMOTE:
            raise RemoteControlRefused(f"the observatory is in {mode} mode: remote control "
                                       "needs REMOTE")
        if self.devices is None:
            raise RuntimeError("the devices are not built yet")
        return self.devices

    def _dome(self) -> Dome:
        dome = self._remote().dome
        if dome is None:
            raise ValueError("this unit has no dome")
        return dome

    def _act(self, ctx: CommandContext, what: str, action: Callable[[], object]) -> str:
        action()
        self.log.info("%s (asked by %s, command #%d)", what, ctx.sender, ctx.command_id)
        return what

    @command
    def slew(self, ctx: CommandContext, ra: RightAscension, dec: Declination) -> dict[str, Any]:
        """Point at ICRS ``ra``/``dec`` and track; refused below the horizon or past the
        mount's limits."""
        mount = self._remote().mount
        self._act(ctx, f"slewing to RA {ra:.4f} Dec {dec:+.4f}",
                  lambda: mount.slew(ra, dec, wait=False))
        return {"ra": ra, "dec": dec, "slewing": True}

    @command
    def park(self, ctx: CommandContext) -> str:
        """Park the mount."""
        mount = self._remote().mount
        return self._act(ctx, "the mount is parking", lambda: mount.park(wait=False))

    @command
    def unpark(self, ctx: CommandContext) -> str:
        """Unpark the mount."""
        mount = self._remote().mount
        return self._act(ctx, "the mount is unparked", mount.unpark)

    @command
    def abort_mount(self, ctx: CommandContext) -> str:
        """Stop any motion of the mount now."""
        mount = self._remote().mount
        return self._act(ctx, "the mount stopped", mount.abort)

    @command
    def dome_open(self, ctx: CommandContext) -> str:
        """Open the shutter, only while the majordome says REMOTE: that state already
        means safe (or bypassed with the PLC's echo), the PLC answering and the
        observatory unlocked; in any other the majordome would close it again."""
        dome = self._dome()
        # Imported here: the majordome's app builds on this one (the operating mode).
        from pyros.majordome.models import MajordomeState
        from pyros.majordome.states import State

        majordome = MajordomeState.current()
        if not majordome.is_current(clock.now()):
            raise RemoteControlRefused("the dome opens by remote command only while the "
                                       "majordome runs (it watches the safety): it is not "
                                       "deciding")
        if majordome.state != State.REMOTE:
            raise RemoteControlRefused(
                f"the dome opens by remote command only in the majordome's REMOTE state; it "
                f"is {majordome.state}: {majordome.cause or 'no cause given'}")
        return self._act(ctx, "the shutter is opening", lambda: dome.open(wait=False))

    @command
    def dome_close(self, ctx: CommandContext) -> str:
        """Close the dome's shutter (always allowed: closing is the safe way)."""
        dome = self._dome()
        return self._act(ctx, "the shutter is closing", lambda: dome.close(wait=False))

    @command
    def expose(self, ctx: CommandContext, channel: ChannelName, seconds: ExposureSeconds,
               filter: FilterName | None = None, frame_type: FrameTypeName = FrameType.LIGHT,
               object_name: ObjectName = "") -> str:
        """Take one image on ``channel`` (after putting ``filter`` in) and return the path
        of the FITS file, under ``<data>/images/remote/``."""
        devices = self._remote()
        camera = devices.cameras.get(channel)
        if camera is None:
            raise ValueError(f"no channel '{channel}' (channels: "
                             f"{', '.join(devices.cameras) or 'none'})")
        if filter:
            filters = next((c.filters for c in self.unit.channels if c.name == channel), [])
            if filter not in filters:
                raise ValueError(f"'{filter}' is not a filter of {channel} (filters: "
                                 f"{', '.join(filters) or 'none'})")
            wheel = devices.filter_wheels.get(channel)
            if wheel is None:
                raise ValueError(f"channel {channel} has no filter wheel")
            wheel.set_filter(filter)
        ctx.check()
        path = remote_image_path(channel, clock.now())
        self.log.info("exposing %s %g s %s on %s (asked by %s, command #%d)", frame_type,
                      seconds, filter or "", channel, ctx.sender, ctx.command_id)
        written = camera.expose(seconds, path, frame_type=frame_type, object_name=object_name)
        return str(written)
