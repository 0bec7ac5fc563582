"""What a TOM reads to build its forms: the instruments (one per channel) with their
filters, and the user's programs as proposals."""

from __future__ import annotations

from typing import Any

from pyros.config.schema import Channel, UnitConfig
from pyros.observations.access import member_programs


def _instrument(channel: Channel, unit: UnitConfig) -> dict[str, Any]:
    return {
        "type": "IMAGE",
        "class": unit.ocs.telescope_class,
        "name": f"{channel.detector} ({channel.name})",
        "optical_elements": {"filters": [
            {"name": name, "code": name, "schedulable": True, "default": i == 0}
            for i, name in enumerate(channel.filters)]},
        "modes": {"readout": {"type": "readout", "default": "full_frame", "modes": [
            {"name": "Full frame", "code": "full_frame", "schedulable": True,
             "overhead": channel.readout_time}]}},
        "configuration_types": {"EXPOSE": {"name": "Exposure", "code": "EXPOSE",
                                           "schedulable": True}},
        "default_configuration_type": "EXPOSE",
        "camera_type": {"science_field_of_view": channel.width * channel.pixel_scale / 60,
                        "pixel_scale": channel.pixel_scale, "pixels_x": channel.width,
                        "pixels_y": channel.height},
    }


def instruments_out(unit: UnitConfig) -> dict[str, Any]:
    """Keyed by instrument code, the channel's name (what configurations name)."""
    return {channel.name: _instrument(channel, unit) for channel in unit.channels}


def profile_out(user: Any) -> dict[str, Any]:
    active = set(member_programs(user).values_list("pk", flat=True))
    proposals = [{"id": p.name, "title": p.description.strip().splitlines()[0][:200]
                  if p.description.strip() else p.name, "current": p.pk in active}
                 for p in member_programs(user, active_only=False).order_by("name")]
    return {"username": user.get_username(), "email": user.email,
            "first_name": user.first_name, "last_name": user.last_name,
            "proposals": proposals}
