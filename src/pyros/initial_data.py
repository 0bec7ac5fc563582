"""What ``pyros init`` puts in a new database: the eight profiles, an administrator,
the current and next observing periods, the call for proposals of the next one, and
the example program "GRB".

Every step is "create if missing", so running it again changes nothing.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from pyros import clock, paths
from pyros.accounts.models import Profile, User
from pyros.accounts.profiles import PROFILES, ProfileLevel
from pyros.programs.models import Allocation, Period, ScientificProgram
from pyros.programs.periods import next_period, period_containing
from pyros.proposals.calls import ensure_next_call

EXAMPLE_PROGRAM = "GRB"
EXAMPLE_QUOTA_HOURS = Decimal("200")


@dataclass
class InitReport:
    created: list[str]
    admin_username: str
    generated_password: str | None


def write_example_config() -> bool:
    """Copy the example unit configuration into the data directory, if none is there."""
    target = paths.data_dir() / "unit.toml"
    if target.exists():
        return False
    paths.ensure_data_dirs()
    shutil.copyfile(paths.EXAMPLE_CONFIG, target)
    return True


@transaction.atomic
def load_initial_data(admin_username: str = "admin", admin_password: str | None = None,
                      admin_email: str = "", now: datetime | None = None) -> InitReport:
    now = now or clock.now()
    created: list[str] = []

    for info in PROFILES:
        _, new = Profile.objects.get_or_create(
            level=info.level, defaults={"name": info.name, "description": info.description})
        if new:
            created.append(f"profile {info.name}")

    generated = None
    admin = User.objects.filter(username=admin_username).first()
    if admin is None:
        if not admin_password:
            admin_password = generated = secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(admin_username, admin_email, admin_password)
        admin.profile = Profile.objects.get(level=ProfileLevel.SYSADMIN)
        admin.save(update_fields=["profile"])
        created.append(f"administrator {admin_username}")

    current = period_containing(now)
    periods = []
    for bounds in (current, next_period(current)):
        period, new = Period.objects.get_or_create(
            name=bounds.name, defaults={"start": bounds.start, "end": bounds.end})
        periods.append(period)
        if new:
            created.append(f"period {bounds.name}")

    program, new = ScientificProgram.objects.get_or_create(
        name=EXAMPLE_PROGRAM,
        defaults={"pi": admin, "priority": 8,
                  "description": "Gamma-ray burst follow-up (the guide's example program)."})
    if new:
        program.members.add(admin)
        created.append(f"program {EXAMPLE_PROGRAM}")
    for period in periods:
        _, new = Allocation.objects.get_or_create(
            program=program, period=period, defaults={"quota_hours": EXAMPLE_QUOTA_HOURS})
        if new:
            created.append(f"allocation {EXAMPLE_PROGRAM} {period.name}")

    call, new = ensure_next_call(now)
    if new:
        created.append(f"call for proposals {call.period.name}")

    return InitReport(created, admin_username, generated)
