"""``pyros bench users``: how fast the Users page and ``GET /api/users/`` answer with many
accounts (the issue's figure: 10,000 users, p50 ≤ 300 ms).

The accounts are made with one ``bulk_create`` (unusable passwords, no hashing), every
tenth a member of a program of the bench's own; each page is asked through Django's test
client, the whole request/response cycle (middleware, session, template) in this
process. Everything the bench made is deleted at the end, so it may run on any
database, though its figures then include that database's other load.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

PREFIX = "bench-user-"
PROGRAM = "bench-users-program"


@dataclass
class Timing:
    name: str
    path: str
    p50_ms: float
    p99_ms: float
    status: int


@dataclass
class UsersBenchReport:
    database: str
    users: int
    repeats: int
    timings: list[Timing] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cases(program: str, count: int) -> list[tuple[str, str]]:
    middle = max(1, count // 50 // 2)
    return [
        ("list, first page", "/users/"),
        (f"list, page {middle}", f"/users/?page={middle}"),
        ("search by name/e-mail", "/users/?q=user-00042"),
        ("profile filter", "/users/?profile=observer"),
        ("inactive filter", "/users/?active=no"),
        ("program filter", f"/users/?program={program}"),
        ("API list, limit 100", "/api/users/?limit=100"),
        ("API list, offset 5000", "/api/users/?limit=100&offset=5000"),
        ("API search", "/api/users/?q=example.org&profile=observer&active=true"),
    ]


def _make(count: int) -> tuple[Any, Any]:
    from pyros.accounts.models import Profile, User
    from pyros.accounts.profiles import ProfileLevel
    from pyros.programs.models import ScientificProgram

    profiles = list(Profile.objects.filter(level__lte=ProfileLevel.PI).order_by("level"))
    actor = User.objects.create(username=f"{PREFIX}sysadmin", password="!",
                                profile=Profile.objects.get(level=ProfileLevel.SYSADMIN))
    User.objects.bulk_create(
        [User(username=f"{PREFIX}{i:05d}", email=f"{PREFIX}{i:05d}@example.org",
              first_name=f"First{i}", last_name=f"Last{i}", password="!",
              profile=profiles[i % len(profiles)], is_active=i % 7 != 0)
         for i in range(count)], batch_size=1000)
    program = ScientificProgram.objects.create(name=PROGRAM, pi=actor)
    members = User.objects.filter(username__startswith=PREFIX).values_list("pk", flat=True)
    through = ScientificProgram.members.through
    through.objects.bulk_create([through(scientificprogram_id=program.pk, user_id=pk)
                                 for n, pk in enumerate(members) if n % 10 == 0],
                                batch_size=1000)
    return actor, program


def _clean() -> None:
    from pyros.accounts.models import User
    from pyros.programs.models import ScientificProgram

    ScientificProgram.objects.filter(name=PROGRAM).delete()
    User.objects.filter(username__startswith=PREFIX).delete()


def run_users_bench(count: int = 10_000, repeats: int = 20,
                    progress: Callable[[str], None] = lambda m: None) -> UsersBenchReport:
    """Make ``count`` users, time each case ``repeats`` times, clean up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    _clean()
    progress(f"creating {count} users…")
    started = time.perf_counter()
    actor, program = _make(count)
    progress(f"created in {time.perf_counter() - started:.1f} s; timing the pages")
    report = UsersBenchReport(database=connection.vendor, users=count, repeats=repeats)
    try:
        with override_settings(ALLOWED_HOSTS=["*"]):
            client = Client()
            client.force_login(actor)
            for name, path in _cases(program.name, count):
                client.get(path)  # warm: templates, caches
                times, code = [], 0
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    code = client.get(path).status_code
                    times.append((time.perf_counter() - t0) * 1000.0)
                times.sort()
                report.timings.append(Timing(
                    name, path, round(statistics.median(times), 1),
                    round(times[min(len(times) - 1, int(len(times) * 0.99))], 1), code))
                progress(f"{name:<24} p50 {report.timings[-1].p50_ms:7.1f} ms")
    finally:
        _clean()
    return report
