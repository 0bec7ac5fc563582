"""The simulated camera's image: what the sky renderer needs, gathered from the camera
(channel, filter, temperature), the mount (where it points) and the transient registry
(what has lit up in the sky: ``pyros sim transient``), written as FITS. LIGHT frames
carry their truth in a TRUTH extension (pyros.simulators.truth)."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from pathlib import Path

from pyros.config.schema import UnitConfig
from pyros.simulators.models import CameraModel
from pyros.simulators.sky import Detector, FrameRequest, FrameType, Region, render_frame
from pyros.simulators.transients import registered_transients


def write_frame(unit: UnitConfig, camera: CameraModel, pointing: dict, request: dict,
                seeing: float = 1.5) -> Path:
    """Render the exposure ``request`` (as the sim protocol sends it) and write it.

    The sky is rendered where the telescope truly points (``sky_ra``/``sky_dec`` of
    ``pointing`` when given), the header says where the mount says it points (``ra``,
    ``dec``), as a real camera's would: the analysis' solved-minus-header offset is then
    the pointing error. ``seeing`` is the stars' FWHM in arcsec, defocus included."""
    ended = camera.clock.now()
    seconds = float(request["seconds"])
    start = ended - timedelta(seconds=seconds + camera.channel.readout_time)
    region = request.get("region")
    path = Path(request["path"])
    frame_type = FrameType(request.get("frame_type", "LIGHT"))
    frame = FrameRequest(
        frame_type=frame_type,
        exposure=seconds,
        detector=Detector.from_channel(camera.channel),
        time=start,
        site=unit.site,
        ra=pointing.get("sky_ra", pointing["ra"]), dec=pointing.get("sky_dec", pointing["dec"]),
        seeing=seeing,
        filter_name=camera.filter,
        binning=int(request.get("binning", 1)),
        region=Region(**region) if region else None,
        ccd_temperature=camera.temperature(),
        telescope=unit.unit,
        instrument=camera.channel.name,
        object_name=str(request.get("object", "")),
        seed=_seed(path, start),
        # Read at every exposure, so that a transient registered mid-night shows next.
        transients=registered_transients() if frame_type is FrameType.LIGHT else (),
    )
    hdus = render_frame(frame)
    if frame.has_sky:
        _say_where_the_mount_points(hdus[0].header, pointing)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    hdus.writeto(partial, overwrite=True)
    partial.replace(path)  # readers never see a half-written file
    return path


def _seed(path: Path, start: datetime) -> int:
    return zlib.crc32(f"{path.name}{start.isoformat()}".encode())


def _say_where_the_mount_points(header, pointing: dict) -> None:
    """The pointing keywords and the WCS reference from the mount's own position."""
    for key, value in (("RA", pointing["ra"]), ("DEC", pointing["dec"]),
                       ("CRVAL1", pointing["ra"]), ("CRVAL2", pointing["dec"])):
        if key in header:
            header[key] = value
