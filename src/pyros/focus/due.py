"""When to focus again: once at the start of each night (``at_dusk``), and whenever the
tube's temperature has moved by ``temperature_change`` since the last good focus (the
tube and the mirror's cell expand: best focus follows the temperature)."""

from __future__ import annotations

from dataclasses import dataclass

from pyros.config.pointing import FocusConfig


@dataclass(frozen=True)
class LastFocus:
    tonight: bool  # taken since this night's start
    temperature: float | None  # Celsius, when the focuser has a probe


def focus_due(config: FocusConfig, last: LastFocus | None,
              temperature: float | None) -> str | None:
    """Why to focus now (a sentence for the night log), or None."""
    if config.at_dusk and (last is None or not last.tonight):
        return "start of the night"
    if last is None or temperature is None or last.temperature is None:
        return None
    moved = temperature - last.temperature
    if abs(moved) >= config.temperature_change:
        return (f"the temperature moved {moved:+.1f} C since the last focus "
                f"(at {last.temperature:.1f} C)")
    return None
