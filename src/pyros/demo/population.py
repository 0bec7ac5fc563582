"""Who observes during the demo night, and what they ask for: four programs with their
observers, and a realistic mix of requests submitted through the request store, as the
web site or ``pyros request import`` would (all-or-nothing, rights and quota checked).

- GRB (the example program, the administrator): a target of opportunity to observe as
  soon as possible (IMMEDIATE) in the first hours; the night's alert adds its own.
- EXOPLANETS (alice): planetary transits, each in a window of a couple of hours around
  its transit, high priority.
- VARSTARS (bob): a survey of variable stars, the whole night as window (BESTELEV, the
  planner puts each at its best elevation), low priority: what fills the gaps.
- SUPERNOVAE (carol): follow-up far from the Moon (``min_moon_separation``) and high
  in the sky (``max_airmass``).

Targets are placed where the night's sky has them (their right ascension crosses the
meridian during the dark hours), from a seeded random generator: the same night and
seed give the same requests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyros.observations.builders import meridian_ra, two_channel_sequence

USER_PASSWORD = "demo-observer"
#: A transit is observed within this long of its middle.
TRANSIT_HALF_WINDOW = timedelta(minutes=70)


@dataclass(frozen=True)
class Program:
    name: str
    observer: str
    priority: int
    description: str


PROGRAMS = (
    Program("EXOPLANETS", "alice", 7, "Transits of known exoplanets (demo)."),
    Program("VARSTARS", "bob", 4, "Light curves of variable stars (demo)."),
    Program("SUPERNOVAE", "carol", 6, "Follow-up of young supernovae (demo)."),
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def night_requests(dusk: datetime, dawn: datetime, latitude: float, longitude: float,
                   seed: int = 1) -> dict[str, list[dict]]:
    """The night's requests per program, in the JSON format of requests."""
    rng = random.Random(seed)
    span = (dawn - dusk).total_seconds()

    def moment(fraction: float) -> datetime:
        return dusk + timedelta(seconds=span * fraction)

    def field(fraction: float) -> tuple[float, float]:
        ra = meridian_ra(moment(fraction), longitude, hours_east=rng.uniform(-1.0, 1.0))
        return ra, latitude + rng.uniform(-25.0, 25.0)

    night = {"start": _iso(dusk), "end": _iso(dawn)}
    requests: dict[str, list[dict]] = {"GRB": [], "EXOPLANETS": [], "VARSTARS": [],
                                      "SUPERNOVAE": []}
    ra, dec = field(0.15)
    requests["GRB"].append(_request("Target of opportunity", "GRB", [two_channel_sequence(
        "ToO GRB 261221", ra, dec, start=_iso(moment(0.08)), end=_iso(moment(0.35)),
        minutes=15, priority=9, obs_type="IMMEDIATE", exposure=60.0, frames=4)]))
    for number, centre in enumerate((0.2, 0.45, 0.7, 0.88), start=1):
        ra, dec = field(centre)
        window = (max(dusk, moment(centre) - TRANSIT_HALF_WINDOW),
                  min(dawn, moment(centre) + TRANSIT_HALF_WINDOW))
        minutes = min(50.0, 0.8 * (window[1] - window[0]).total_seconds() / 60.0)
        requests["EXOPLANETS"].append(_request(f"Transit {number}", "EXOPLANETS", [
            two_channel_sequence(f"transit {number}", ra, dec, target=f"WASP-{100 + number}",
                                 start=_iso(window[0]), end=_iso(window[1]), minutes=minutes,
                                 priority=8, exposure=300.0, frames=8)]))
    survey = [two_channel_sequence(f"variable {n + 1}", *field(rng.uniform(0.05, 0.95)),
                                   target=f"V{rng.randint(100, 999)} Demo", **night,
                                   minutes=12, priority=rng.randint(2, 6), exposure=120.0,
                                   frames=3) for n in range(12)]
    for first in range(0, len(survey), 4):
        requests["VARSTARS"].append(_request(f"Variables {first // 4 + 1}", "VARSTARS",
                                             survey[first:first + 4]))
    for number in range(5):
        ra, dec = field(rng.uniform(0.1, 0.9))
        requests["SUPERNOVAE"].append(_request(f"SN 2026demo{chr(97 + number)}", "SUPERNOVAE", [
            two_channel_sequence(f"SN follow-up {number + 1}", ra, dec, **night, minutes=20,
                                 priority=6, exposure=180.0, frames=4, max_airmass=2.0,
                                 min_moon_separation=40.0)]))
    return requests


def _request(name: str, program: str, sequences: list[dict]) -> dict:
    return {"name": name, "scientific_program": program, "target_type": "field",
            "submitted": True, "sequences": sequences}


def populate(dusk: datetime, dawn: datetime, *, seed: int = 1) -> dict[str, int]:
    """Create the programs (with this period's allocation), their observers and the
    night's requests, submitted at ``dusk``; the number of sequences per program."""
    from django.db import transaction

    from pyros.accounts.models import Profile, User
    from pyros.accounts.profiles import ProfileLevel
    from pyros.config.loader import active_config
    from pyros.observations import json_format
    from pyros.observations import store as requests_store
    from pyros.programs.models import Allocation, Period, ScientificProgram

    unit = active_config()
    admin = User.objects.get(username="admin")
    observer = Profile.objects.get(level=ProfileLevel.OBSERVER)
    owners = {"GRB": admin}
    with transaction.atomic():
        for info in PROGRAMS:
            user = User.objects.create_user(info.observer, f"{info.observer}@example.org",
                                            USER_PASSWORD)
            user.profile = observer
            user.save(update_fields=["profile"])
            program = ScientificProgram.objects.create(
                name=info.name, pi=admin, priority=info.priority, description=info.description)
            program.members.add(user)
            for period in Period.objects.all():
                Allocation.objects.create(program=program, period=period, quota_hours=100)
            owners[info.name] = user
    counts: dict[str, int] = {}
    made = night_requests(dusk, dawn, unit.site.latitude, unit.site.longitude, seed)
    for program, requests in made.items():
        for data in requests:
            spec = json_format.spec_from_data(data)
            requests_store.create_request(spec, owners[program], now=dusk)
            counts[program] = counts.get(program, 0) + len(data["sequences"])
    return counts
