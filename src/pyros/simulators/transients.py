"""Transients in the simulated sky: point sources that appear at an instant and fade as a
power law, as a gamma-ray burst's optical afterglow does, so that an alert can be
followed up and a pipeline tested on a source that is known to be there.

A :class:`Transient` is handed to the renderer in ``FrameRequest.transients``. The
running simulator does not take arguments per exposure, so it reads a registry instead:
a JSON file in the run directory (``pyros.paths.run_dir() / "sim-transients.json"``)
that ``pyros sim transient`` and :func:`inject_afterglow` write and the simulated camera
reads at every exposure (:func:`registered_transients`).

The light curve: no light before ``t0``; after it the flux falls as
``((t - t0) / reference) ** -decay``, so that ``magnitude`` is the brightness
``reference`` seconds after ``t0`` and

    m(t) = magnitude + 2.5 * decay * log10((t - t0) / reference).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pyros import paths

log = logging.getLogger("pyros.simulators")

REGISTRY_NAME = "sim-transients.json"
REFERENCE_SECONDS = 60.0  # a transient's magnitude is given this long after its t0
# What inject_afterglow gives an alert that says nothing of the brightness: a typical
# GRB afterglow a minute after the burst (R ~ 15-17) fading as t^-1. There is no
# simulator section in the unit configuration, so these are the settings.
DEFAULT_AFTERGLOW_MAGNITUDE = 16.0
DEFAULT_AFTERGLOW_DECAY = 1.0
MAX_REGISTERED = 1000  # the camera reads them all at every exposure


@dataclass(frozen=True)
class Transient:
    """A point source of the simulated sky that appears at ``t0`` (UTC, timezone-aware)
    at ICRS (``ra``, ``dec``) degrees, of ``magnitude`` ``reference`` seconds later, its
    flux then following ``((t - t0) / reference) ** -decay`` (a negative decay brightens).
    Magnitudes are those of the catalogue stars: the filter's zero point turns them into
    electrons, whatever the filter (a transient has no colour)."""

    ra: float
    dec: float
    magnitude: float
    t0: datetime
    decay: float = DEFAULT_AFTERGLOW_DECAY
    reference: float = REFERENCE_SECONDS  # seconds

    def __post_init__(self) -> None:
        for name in ("ra", "dec", "magnitude", "decay", "reference"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value):
                raise ValueError(f"transient {name} {value!r} is not a finite number")
        if not 0.0 <= self.ra < 360.0:
            raise ValueError(f"transient ra {self.ra} outside 0..360 degrees")
        if not -90.0 <= self.dec <= 90.0:
            raise ValueError(f"transient dec {self.dec} outside -90..90 degrees")
        if not -30.0 <= self.magnitude <= 40.0:
            raise ValueError(f"transient magnitude {self.magnitude} outside -30..40")
        if not -10.0 <= self.decay <= 10.0:
            raise ValueError(f"transient decay index {self.decay} outside -10..10")
        if self.reference <= 0:
            raise ValueError(f"transient reference time {self.reference} s must be positive")
        if not isinstance(self.t0, datetime) or self.t0.tzinfo is None:
            raise ValueError("the transient's t0 must be a timezone-aware datetime (UTC)")

    def magnitude_at(self, when: datetime) -> float:
        """The magnitude at ``when``; infinite (no light) at and before ``t0``."""
        since = (when - self.t0).total_seconds()
        if since <= 0:
            return math.inf
        return self.magnitude + 2.5 * self.decay * math.log10(since / self.reference)

    def exposure_magnitude(self, start: datetime, seconds: float) -> float:
        """The magnitude of a steady source that would give the same electrons as this
        transient in an exposure of ``seconds`` from ``start``: the magnitude at
        mid-exposure; when the exposure opens before ``t0``, the magnitude at the middle
        of its lit part, fainter by the dark part's share (no light before ``t0``).
        Infinite when the exposure ends before ``t0`` or lasts no time."""
        end = start + timedelta(seconds=seconds)
        lit_from = max(start, self.t0)
        lit = (end - lit_from).total_seconds()
        if seconds <= 0 or lit <= 0:
            return math.inf
        middle = self.magnitude_at(lit_from + timedelta(seconds=lit / 2))
        return middle - 2.5 * math.log10(lit / seconds)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["t0"] = self.t0.astimezone(UTC).isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transient:
        if not isinstance(data, dict):
            raise ValueError("a transient is a JSON object")
        fields = dict(data)
        fields["t0"] = parse_time(str(fields.get("t0", "")))
        return cls(**fields)


def parse_time(text: str) -> datetime:
    """An ISO 8601 instant; without a timezone it is UTC."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time "
                         "(e.g. 2026-11-22T06:00:00Z)") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# --- The registry of the running simulator -------------------------------------------------


def registry_path() -> Path:
    return paths.run_dir() / REGISTRY_NAME


def registered_transients(path: Path | None = None) -> tuple[Transient, ...]:
    """The transients the simulated camera adds to its frames. A missing file is none; a
    corrupt file or entry is logged and left out, never an error: the camera must keep
    taking pictures whatever someone wrote there."""
    path = path or registry_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return ()
    except OSError as exc:
        log.warning("transient registry %s unreadable, ignored: %s", path, exc)
        return ()
    try:
        entries = json.loads(text)["transients"]
        if not isinstance(entries, list):
            raise TypeError("'transients' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("transient registry %s is corrupt, ignored: %s", path, exc)
        return ()
    transients = []
    for entry in entries:
        try:
            transients.append(Transient.from_json(entry))
        except (ValueError, TypeError) as exc:
            log.warning("transient registry %s: entry %r ignored: %s", path, entry, exc)
    return tuple(transients)


def register_transient(transient: Transient, path: Path | None = None) -> None:
    """Add ``transient`` to the registry: the simulated camera shows it from its next
    exposure on. Read, changed and replaced under a lock, so that two writers do not
    lose each other's transient; replaced atomically, so that the camera never reads a
    half-written file."""
    path = path or registry_path()
    with _locked(path):
        current = registered_transients(path)
        if len(current) >= MAX_REGISTERED:
            raise ValueError(f"{MAX_REGISTERED} transients registered already: clear them "
                             "(pyros sim transient --clear)")
        _write(path, (*current, transient))


def clear_transients(path: Path | None = None) -> int:
    """Empty the registry; returns how many transients it held."""
    path = path or registry_path()
    with _locked(path):
        count = len(registered_transients(path))
        _write(path, ())
    return count


def inject_afterglow(ra: float, dec: float, t0: datetime,
                     magnitude: float = DEFAULT_AFTERGLOW_MAGNITUDE,
                     decay: float = DEFAULT_AFTERGLOW_DECAY) -> Transient:
    """Put a fading afterglow in the running simulator's sky: what the alert intake calls
    in simulation when an alert (a GRB at ``ra``, ``dec``, degrees, ICRS, that went off
    at ``t0``, UTC) comes in, so that the follow-up images show something to find.
    ``magnitude`` is the brightness ``REFERENCE_SECONDS`` after ``t0`` and ``decay`` the
    power-law index; the defaults are ``DEFAULT_AFTERGLOW_MAGNITUDE`` and
    ``DEFAULT_AFTERGLOW_DECAY``. Raises ValueError on impossible values; returns what
    was registered."""
    transient = Transient(ra=float(ra) % 360.0, dec=float(dec), magnitude=float(magnitude),
                          t0=t0, decay=float(decay))
    register_transient(transient)
    log.info("simulated afterglow at ra %.5f dec %.5f from %s: magnitude %.2f after %g s, "
             "decay index %.2f", transient.ra, transient.dec, transient.t0.isoformat(),
             transient.magnitude, transient.reference, transient.decay)
    return transient


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, transients: tuple[Transient, ...]) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    document = {"transients": [t.to_json() for t in transients]}
    partial.write_text(json.dumps(document, indent=1) + "\n")
    partial.replace(path)
