"""The Telescope & Instruments page, the Cameras page and the cameras' previews.

Pages are rendered once with the devices as the database has them, so that they read
without JavaScript; then ``instruments/instruments.js`` keeps them current from
``/api/instruments/`` every second. Rights follow the matrix: READ on "telescope" or
"cameras" to see a page, ACT on "telescope.control" for the remote-control panel (the
API checks it again, and the mode).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.instruments.api import (
    CAMERAS,
    KINDS_BY_RIGHT,
    TELESCOPE,
    TELESCOPE_CONTROL,
    DeviceOut,
    instruments_now,
    not_remote_sentence,
)
from pyros.instruments.commands import MAX_EXPOSURE, REMOTE_COMMANDS
from pyros.instruments.models import DeviceKind
from pyros.instruments.previews import preview_path


def _require(request: HttpRequest, right: str, page: str) -> None:
    if user_access(request.user, right) < Access.READ:
        raise PermissionDenied(f"your profile has no access to the {page} page")


def _of_kind(devices: list[DeviceOut], kind: str) -> list[DeviceOut]:
    return [d for d in devices if d.kind == kind]


@login_required
def telescope(request: HttpRequest) -> HttpResponse:
    _require(request, TELESCOPE, "telescope")
    status = instruments_now(KINDS_BY_RIGHT[TELESCOPE])
    channels = settings.UNIT.channels
    return render(request, "instruments/telescope.html", {
        "status": status,
        "mounts": _of_kind(status.devices, DeviceKind.MOUNT),
        "domes": _of_kind(status.devices, DeviceKind.DOME),
        "focusers": _of_kind(status.devices, DeviceKind.FOCUSER),
        "wheels": _of_kind(status.devices, DeviceKind.FILTERWHEEL),
        "can_control": user_access(request.user, TELESCOPE_CONTROL) >= Access.ACT,
        "not_remote": not_remote_sentence(status.mode.mode),
        "commands": {name: what for name, (_, what) in REMOTE_COMMANDS.items()},
        "channel_filters": {c.name: list(c.filters) for c in channels},
        "max_exposure": MAX_EXPOSURE,
    })


@dataclass(frozen=True)
class ChannelView:
    """One channel of the Cameras page: its camera and filter wheel, as last polled."""

    name: str
    detector: str
    camera: DeviceOut | None
    wheel: DeviceOut | None


@login_required
def cameras(request: HttpRequest) -> HttpResponse:
    _require(request, CAMERAS, "cameras")
    status = instruments_now(KINDS_BY_RIGHT[CAMERAS])
    by_channel = {(d.kind, d.channel): d for d in status.devices}
    channels = [ChannelView(c.name, c.detector, by_channel.get((DeviceKind.CAMERA, c.name)),
                            by_channel.get((DeviceKind.FILTERWHEEL, c.name)))
                for c in settings.UNIT.channels]
    return render(request, "instruments/cameras.html", {"status": status,
                                                        "channels": channels})


@login_required
def camera_preview(request: HttpRequest, channel: str) -> FileResponse:
    """The PNG preview of ``channel``'s last image, as the devices agent wrote it."""
    _require(request, CAMERAS, "cameras")
    if channel not in {c.name for c in settings.UNIT.channels}:
        raise Http404(f"no channel '{channel}'")
    try:
        image = preview_path(channel).open("rb")
    except (OSError, ValueError):
        raise Http404(f"no preview of {channel} yet") from None
    response = FileResponse(image, content_type="image/png")
    response["Cache-Control"] = "no-cache"
    return response
