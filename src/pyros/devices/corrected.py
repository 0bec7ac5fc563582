"""The pointing correction: the one place between the target asked for and the mount
(whatever its backend) where the pointing model is applied. The factory wraps the
unit's mount in it when ``[mount.pointing_model] enabled``.

A slew to the sky's (ra, dec) sends the mount to where the model says the encoders
must be for the telescope to point there. The status is the mount's own, unchanged:
the images' RA/DEC are then the mount's coordinates and their solved offsets the raw
pointing error, which a new fit can use whatever model was in force (TARG-RA/TARG-DEC
keep the position asked for)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from pyros import astro, clock
from pyros.config.schema import Site
from pyros.devices.interfaces import Mount, MountCapabilities, MountStatus
from pyros.pointing.model import PointingModel

log = logging.getLogger(__name__)


class CorrectedMount(Mount):
    kind = "mount"

    def __init__(self, mount: Mount, site: Site,
                 model: Callable[[], PointingModel | None]) -> None:
        super().__init__(mount.name)
        self.mount, self.model = mount, model
        self.where = astro.location(site.latitude, site.longitude, site.elevation)

    def mount_target(self, ra: float, dec: float) -> tuple[float, float]:
        """Where the mount is sent to point at (ra, dec) now."""
        model = self.model()
        if model is None:
            return ra, dec
        now = clock.now()
        lst = (astro.hour_angle(0.0, now, self.where) * 15.0) % 360.0
        return model.mount_target(ra, dec, lst)

    def slew(self, ra: float, dec: float, *, wait: bool = True, timeout: float = 300.0) -> None:
        sent = self.mount_target(ra, dec)
        if sent != (ra, dec):
            log.info("pointing model: RA %.5f Dec %+.5f sent as RA %.5f Dec %+.5f",
                     ra, dec, *sent)
        self.mount.slew(*sent, wait=wait, timeout=timeout)

    @property
    def capabilities(self) -> MountCapabilities:
        return self.mount.capabilities

    def connect(self, timeout: float = 10.0) -> None:
        self.mount.connect(timeout)

    def status(self, timeout: float = 5.0) -> MountStatus:
        return self.mount.status(timeout)

    def track(self, on: bool, timeout: float = 10.0) -> None:
        self.mount.track(on, timeout)

    def park(self, *, wait: bool = True, timeout: float = 300.0) -> None:
        self.mount.park(wait=wait, timeout=timeout)

    def unpark(self, timeout: float = 30.0) -> None:
        self.mount.unpark(timeout)

    def abort(self, timeout: float = 5.0) -> None:
        self.mount.abort(timeout)

    @property
    def has_watchdog(self) -> bool:
        return self.mount.has_watchdog

    def arm_watchdog(self, seconds: float, timeout: float = 5.0) -> None:
        self.mount.arm_watchdog(seconds, timeout)
