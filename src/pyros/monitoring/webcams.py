"""The Webcams page (/webcams/), open to every profile as the guide's rights say, and the
images it shows (/webcams/N/image/).

A real site lists its cameras in ``[[webcams]]`` (docs/configuration.md): a file a
camera program keeps overwriting, served from here, or a URL the browser loads. A unit
without cameras but with simulated devices gets the simulator's all-sky camera
(``simulators.allsky``), drawn at the clock's time from the latest weather reading's
cloud cover and the dome's status as the devices agent last stored it. Every image is
answered with cache headers that match its refresh period; a camera that has nothing to
show answers 404 or 503 with a sentence, never a 500.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.config.schema import UnitConfig, Webcam
from pyros.instruments.models import DeviceState
from pyros.monitoring.api import this_run
from pyros.monitoring.models import WeatherWatch
from pyros.scheduling.unit import site_of
from pyros.simulators.allsky import (
    DEFAULT_SIZE,
    MAX_SIZE,
    MIN_SIZE,
    DomeView,
    cloud_cover,
    render_all_sky,
)

WEBCAMS = "webcams"
MAX_FILE_BYTES = 20 * 1024 * 1024
#: What a camera's file may be, by its first bytes.
IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
SIMULATED_ALL_SKY = Webcam(name="All-sky camera (simulated)", simulated=True, refresh=5.0)


def webcams_of(unit: UnitConfig) -> list[Webcam]:
    """The unit's cameras; none configured: the simulated all-sky camera when any device
    is simulated, else none."""
    if unit.webcams:
        return list(unit.webcams)
    if any(device.backend == "sim" for device in unit.devices.values()):
        return [SIMULATED_ALL_SKY]
    return []


def _require(request: HttpRequest) -> None:
    if user_access(request.user, WEBCAMS) < Access.READ:
        raise PermissionDenied("your profile has no access to the webcams page")


def _origins(cameras: list[Webcam]) -> list[str]:
    origins = []
    for camera in cameras:
        if camera.url:
            parts = urlsplit(camera.url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def webcams(request: HttpRequest) -> HttpResponse:
    _require(request)
    cameras = webcams_of(settings.UNIT)
    shown: list[dict[str, Any]] = [
        {"index": i, "name": c.name, "url": c.url, "refresh": c.refresh,
         "simulated": c.simulated} for i, c in enumerate(cameras)]
    response = render(request, "monitoring/webcams.html", {"cameras": shown})
    origins = _origins(cameras)
    if origins:  # the browser may load the configured cameras' images, nothing else
        response._csp_update = {"img-src": origins}  # what django-csp's csp_update sets
    return response


def _cache(response: HttpResponse, seconds: float) -> HttpResponse:
    response["Cache-Control"] = f"public, max-age={max(1, int(seconds // 2))}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _problem(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def webcam_image(request: HttpRequest, index: int) -> HttpResponse:
    _require(request)
    cameras = webcams_of(settings.UNIT)
    if not 0 <= index < len(cameras):
        return _problem(404, f"no webcam {index}: the unit has {len(cameras)}")
    camera = cameras[index]
    if camera.url:
        return _problem(404, f"{camera.name} is served by {camera.url}, not by PyROS")
    if camera.file:
        return _file_image(camera)
    raw = request.GET.get("size", str(DEFAULT_SIZE))
    try:
        size = int(raw) if raw.isdigit() and len(raw) <= 5 else -1
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise ValueError
    except ValueError:
        return _problem(400, f"size must be a whole number of pixels from {MIN_SIZE} to "
                             f"{MAX_SIZE}")
    return _cache(HttpResponse(simulated_frame(size), content_type="image/png"),
                  camera.refresh)


def _file_image(camera: Webcam) -> HttpResponse:
    path = Path(camera.file or "")
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
        modified = path.stat().st_mtime
    except OSError as exc:
        return _problem(503, f"{camera.name}: no image to show ({exc.strerror or exc})")
    if len(data) > MAX_FILE_BYTES:
        return _problem(503, f"{camera.name}: the image is larger than "
                             f"{MAX_FILE_BYTES // (1024 * 1024)} MiB")
    kind = next((t for magic, t in IMAGE_TYPES if data.startswith(magic)), None)
    if kind is None:
        return _problem(503, f"{camera.name}: the file is neither a PNG nor a JPEG image")
    response = _cache(HttpResponse(data, content_type=kind), camera.refresh)
    response["Last-Modified"] = format_datetime(datetime.fromtimestamp(modified, UTC),
                                                usegmt=True)
    return response


def _latest_cover() -> float | None:
    latest = this_run(WeatherWatch).order_by("-time", "-id").values_list(
        "temperature", "sky_temperature", "rain_rate").first()
    if latest is None:
        return None
    ambient, sky, rain = latest
    difference = sky - ambient if sky is not None and ambient is not None else None
    return cloud_cover(difference, raining=bool(rain))


def _dome() -> DomeView | None:
    state = DeviceState.objects.filter(kind="dome").order_by("name").first()
    if state is None or not isinstance(state.data, dict):
        return None
    azimuth = state.data.get("azimuth")
    shutter = state.data.get("shutter")
    return DomeView(shutter=str(shutter or "UNKNOWN")[:12].upper(),
                    azimuth=float(azimuth) if isinstance(azimuth, int | float) else None)


#: The last frame drawn per size, with the wall time it was drawn at: visitors asking
#: within FRAME_REUSE seconds share it, so a crowd costs one drawing per period.
_frames: dict[int, tuple[float, bytes]] = {}
_frames_lock = threading.Lock()
FRAME_REUSE = 2.0


def simulated_frame(size: int) -> bytes:
    """The simulated all-sky camera's frame now (or drawn less than FRAME_REUSE wall
    seconds ago)."""
    with _frames_lock:
        drawn = _frames.get(size)
        if drawn is not None and time.monotonic() - drawn[0] < FRAME_REUSE:
            return drawn[1]
        frame = _draw(size)
        _frames[size] = (time.monotonic(), frame)
        return frame


def _draw(size: int) -> bytes:
    caption = "SIMULATED" + (" TIME" if clock.is_simulated() else "")
    return render_all_sky(site_of(settings.UNIT), clock.now(), cover=_latest_cover(),
                          dome=_dome(), size=size, caption=caption)
