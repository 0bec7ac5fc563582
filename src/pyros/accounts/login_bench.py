"""``pyros bench logins``: what a login costs the server, and what refusing one costs.

The point of checking the address's login rate and the username+address lockout before
the password: a refused attempt must cost far less than a password hash (PBKDF2, the
production hasher, tens to hundreds of milliseconds of CPU), so that a flood of
anonymous clients cannot keep the web workers busy. Each case is timed through Django's
test client in this process (whole request cycle, the configured database and hasher),
from addresses of TEST-NET-1 (192.0.2.0/24, never a real client). The bench's user, its
failure records and its rate counts are deleted at the end.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

USERNAME = "bench-login-user"
PASSWORD = "bench-login-password-9f3"
TOKEN = "/api/token/"


@dataclass
class Timing:
    name: str
    path: str
    p50_ms: float
    p99_ms: float
    #: CPU time of this process per request: what it costs the server whatever the
    #: machine's other load (wall times on a busy machine include waiting for a core)
    cpu_p50_ms: float
    status: int


@dataclass
class LoginBenchReport:
    database: str
    hasher: str
    repeats: int
    timings: list[Timing] = field(default_factory=list)
    #: p50 of the rate checks every API call makes (anonymous and user), in ms
    api_rate_check_p50_ms: float = 0.0
    api_rate_check_cpu_p50_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _addresses() -> Iterator[str]:
    for n in range(1, 255):
        yield f"192.0.2.{n}"


def _timed(name: str, path: str, repeats: int, call: Callable[[], int]) -> Timing:
    times, cpu, code = [], [], 0
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        code = call()
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    times.sort()
    return Timing(name, path, round(statistics.median(times), 2),
                  round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
                  round(statistics.median(cpu), 2), code)


def _clean(used: list[str]) -> None:
    from axes.models import AccessAttempt
    from django.core.cache import caches

    from pyros.accounts.models import User

    User.objects.filter(username=USERNAME).delete()
    AccessAttempt.objects.filter(username=USERNAME).delete()
    for address in used:
        caches["throttle"].delete(f"throttle_login_{address}")


def _rate_check_p50(user: Any, repeats: int) -> tuple[float, float]:
    from django.test import RequestFactory
    from rest_framework.request import Request

    from pyros.accounts.throttling import AnonThrottle, UserThrottle

    request = Request(RequestFactory().get("/api/requests/", REMOTE_ADDR="192.0.2.254"))
    request.user = user
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        AnonThrottle().allow_request(request, None)
        UserThrottle().allow_request(request, None)
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    # The bench's user counts nothing afterwards.
    UserThrottle().cache.delete(UserThrottle().get_cache_key(request, None))
    return round(statistics.median(times), 3), round(statistics.median(cpu), 3)


def run_login_bench(repeats: int = 20,
                    progress: Callable[[str], None] = lambda m: None) -> LoginBenchReport:
    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from pyros.accounts.models import User

    addresses, used = _addresses(), []

    def fresh() -> str:
        used.append(next(addresses))
        return used[-1]

    def post(address: str, password: str) -> int:
        return Client(REMOTE_ADDR=address).post(
            TOKEN, {"username": USERNAME, "password": password},
            content_type="application/json").status_code

    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    _clean([])
    user = User.objects.create_user(USERNAME, "", PASSWORD)
    report = LoginBenchReport(database=connection.vendor, hasher=get_hasher().algorithm,
                              repeats=repeats)
    try:
        with override_settings(ALLOWED_HOSTS=["*"]):
            post(fresh(), PASSWORD)  # warm: imports, templates, connections
            cases = [
                ("token, right password", lambda: post(fresh(), PASSWORD)),
                ("token, wrong password", lambda: post(fresh(), "not-the-password")),
            ]
            for name, call in cases:
                report.timings.append(_timed(name, TOKEN, repeats, call))
                progress(f"{name:<32} p50 {report.timings[-1].p50_ms:8.2f} ms")
            flooder = fresh()
            for _ in range(rate):
                post(flooder, "not-the-password")
            report.timings.append(_timed("token, over the login rate", TOKEN, repeats,
                                         lambda: post(flooder, PASSWORD)))
            progress(f"{'token, over the login rate':<32} p50 "
                     f"{report.timings[-1].p50_ms:8.2f} ms")
            guesser = fresh()
            for _ in range(settings.AXES_FAILURE_LIMIT):
                post(guesser, "not-the-password")
            report.timings.append(_timed("token, username+address locked", TOKEN,
                                         min(repeats, rate - settings.AXES_FAILURE_LIMIT),
                                         lambda: post(guesser, PASSWORD)))
            report.api_rate_check_p50_ms, report.api_rate_check_cpu_p50_ms = \
                _rate_check_p50(user, repeats * 10)
    finally:
        _clean(used)
    return report
