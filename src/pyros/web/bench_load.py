"""``pyros bench load``: do public pages stay fast while one user's heavy requests run?

The bench starts the web server as ``pyros start`` does (gunicorn sized by ``[web]``)
and the job runner, on a loopback port of its own, against the configured database.
Visitors read public pages in a loop: first alone (idle), then while logged-in users
submit planning simulations in a loop, anonymous clients hammer the token endpoint
with wrong passwords and slow clients download zips of large frames (loaded). It
reports p50/p99 of the public pages in both phases and what the heavy requests got
(202/429 for simulations, 4xx for tokens, 200/429 for zips), then deletes what it made.

Figures, never pass/fail: ``tests/web/test_load_bench.py`` runs it small and checks
the answers, not the times.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pyros.web.load import Client, Tally, run_clients, slow_reader

PREFIX = "bench-load-"
PUBLIC_PAGES = ("/", "/schedule/history/", "/weather/", "/login/", "/api/schedule/")
START_TIMEOUT = 180.0  # seconds for gunicorn to answer: Django imports on a busy machine
JOBS_TIMEOUT = 300.0  # seconds for the submitted simulations to end after the phase
WARM_UP = 5.0  # seconds of visits not counted: each worker's first pages import and cache


@dataclass
class LoadOptions:
    visitors: int = 8
    seconds: float = 20.0  # each phase
    simulation_users: int = 4
    time_limit: float = 10.0  # each simulation's, seconds (optimal engine)
    sequences: int = 300
    token_hammers: int = 4
    zip_downloaders: int = 2
    frames: int = 2
    frame_megabytes: int = 32
    zip_rate_megabytes: float = 4.0  # a slow client's reading pace, MB/s
    port: int | None = None


@dataclass
class _World:
    simulation_sessions: list[str]
    zip_sessions: list[str]
    frame_ids: list[int]
    target: str
    files: Path


# --- What the bench makes in the database, and deletes ---------------------------------


def _session_of(user: Any) -> str:
    """A logged-in session for ``user``, made as Django's login makes one."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    backend = next((b for b in settings.AUTHENTICATION_BACKENDS if "ModelBackend" in b),
                   settings.AUTHENTICATION_BACKENDS[0])
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _frames(options: LoadOptions, files: Path) -> list[int]:
    """Frames of zeros (sparse files: no disk written) for the zips."""
    from django.utils import timezone

    from pyros.archive.layout import archive_root
    from pyros.archive.models import ArchiveFrame
    from pyros.config.loader import active_config

    unit = active_config()
    size = options.frame_megabytes * 1024 * 1024
    crc = 0
    zeros = bytes(1024 * 1024)
    for _ in range(options.frame_megabytes):
        crc = zlib.crc32(zeros, crc)
    root = archive_root(unit)
    ids = []
    now = timezone.now()
    for i in range(options.frames):
        path = files / f"{PREFIX}{i}.fits"
        with open(path, "wb") as handle:
            handle.truncate(size)
        frame = ArchiveFrame.objects.create(
            basename=path.name, path=str(path.relative_to(root)), product="RAW",
            unit=unit.unit, channel="bench", frame_type="LIGHT", night=now.date(),
            date_obs=now, size=size, sha256="0" * 64, crc32=crc,
            public_date=now + timedelta(days=365), ingested_at=now)
        ids.append(frame.pk)
    return ids


def _prepare(options: LoadOptions) -> _World:
    from pyros.accounts.models import Profile, User
    from pyros.accounts.profiles import ProfileLevel
    from pyros.archive.layout import archive_root
    from pyros.config.loader import active_config

    _clean()
    observer = Profile.objects.get(level=ProfileLevel.OBSERVER)
    sysadmin = Profile.objects.get(level=ProfileLevel.SYSADMIN)

    def user(name: str, profile: Profile) -> User:
        return User.objects.create(username=f"{PREFIX}{name}", password="!", profile=profile)

    simulators = [user(f"sim{i}", observer) for i in range(options.simulation_users)]
    downloaders = [user(f"zip{i}", sysadmin) for i in range(options.zip_downloaders)]
    target = user("target", observer)
    target.set_password(os.urandom(16).hex())  # hashed: every wrong try costs PBKDF2
    target.save()
    files = archive_root(active_config()) / f"{PREFIX}files"
    files.mkdir(parents=True, exist_ok=True)
    frame_ids = _frames(options, files) if options.zip_downloaders else []
    return _World([_session_of(u) for u in simulators], [_session_of(u) for u in downloaders],
                  frame_ids, target.username, files)


def _clean() -> None:
    from pyros.accounts.models import User
    from pyros.archive.layout import archive_root
    from pyros.archive.models import ArchiveFrame
    from pyros.config.loader import active_config

    ArchiveFrame.objects.filter(basename__startswith=PREFIX).delete()
    User.objects.filter(username__startswith=PREFIX).delete()  # their jobs and sessions
    shutil.rmtree(archive_root(active_config()) / f"{PREFIX}files", ignore_errors=True)


def simulation_file(sequences: int, night: str, seed: int) -> dict[str, Any]:
    """A night of ``sequences`` random targets, enough for CP-SAT to use its time."""
    rng = random.Random(seed)
    return {"night": night, "overheads": {"fixed_s": 60}, "sequences": [
        {"id": f"s{i}", "ra": round(rng.uniform(0, 359.9), 3),
         "dec": round(rng.uniform(-30, 80), 3), "duration_s": 60 * rng.randint(5, 30),
         "priority": rng.randint(1, 10)} for i in range(sequences)]}


# --- The servers -------------------------------------------------------------------------


class Servers:
    """gunicorn as ``pyros start`` runs it, and the job runner; stopped whatever happens."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        from pyros.config.loader import active_config
        from pyros.web.serving import gunicorn_argv

        self.work = Path(tempfile.mkdtemp(prefix="pyros-bench-load-"))
        self.base = f"http://127.0.0.1:{port}"
        web = active_config().web
        self.sizing = {"workers": web.workers, "threads": web.threads,
                       "timeout_s": web.timeout, "job_workers": web.job_workers,
                       "jobs_per_user": web.jobs_per_user, "job_queue": web.job_queue}
        argv = gunicorn_argv(sys.executable, f"127.0.0.1:{port}", web,
                             pid_file=self.work / "web.pid",
                             access_log=self.work / "access.log",
                             error_log=self.work / "web.log")
        # Django's own log lines (every refused password is a "Bad Request") go to a
        # file, not over the bench's report.
        self.output = (self.work / "servers.out").open("wb")
        self.processes = [
            subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=self.output,
                             stderr=subprocess.STDOUT)
            for command in (argv, [sys.executable, "-m", "pyros.jobs.runner"])]

    def wait_ready(self) -> None:
        client = Client(self.base)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[2]} exited with code "
                                       f"{process.returncode}; see {self.work}")
            if client.request("GET", "/login/").status == 200:
                return
            time.sleep(0.5)
        raise RuntimeError(f"the web server did not answer in {START_TIMEOUT:g} s")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.output.close()
        shutil.rmtree(self.work, ignore_errors=True)


# --- The phases --------------------------------------------------------------------------


def _visit(base: str, seconds: float, visitors: int) -> Tally:
    tally = Tally("public pages")
    stopping = threading.Event()

    def loop(index: int, stop: threading.Event) -> None:
        client = Client(base)
        pages = PUBLIC_PAGES[index % len(PUBLIC_PAGES):] + PUBLIC_PAGES[:index % len(PUBLIC_PAGES)]
        while not stop.is_set():
            for page in pages:
                if stop.is_set():
                    break
                tally.add(client.request("GET", page))

    threads = run_clients(visitors, loop, stopping, "visitor")
    stopping.wait(seconds)
    stopping.set()
    for thread in threads:
        thread.join()
    return tally


class Heavy:
    """The heavy clients, started before the loaded phase and stopped after it."""

    def __init__(self, base: str, world: _World, options: LoadOptions, night: str) -> None:
        self.stopping = threading.Event()
        self.submissions = Tally("simulation submissions")
        self.tokens = Tally("token endpoint")
        self.zips = Tally("zip downloads")
        self.jobs: list[tuple[int, str]] = []  # (the simulating user, the job's URL)
        self.jobs_lock = threading.Lock()
        self.base, self.world, self.options, self.night = base, world, options, night
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        o = self.options
        self.threads += run_clients(o.simulation_users, self._simulate, self.stopping, "sim")
        self.threads += run_clients(o.token_hammers, self._hammer, self.stopping, "token")
        self.threads += run_clients(o.zip_downloaders, self._download, self.stopping, "zip")

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def _simulate(self, index: int, stop: threading.Event) -> None:
        client = Client(self.base, session=self.world.simulation_sessions[index])
        body = {**simulation_file(self.options.sequences, self.night, index),
                "engine": "optimal", "time_limit": self.options.time_limit}
        while not stop.is_set():
            answer = client.request("POST", "/api/schedule/simulate/", data=body)
            self.submissions.add(answer)
            if answer.status == 202:
                url = answer.headers.get("Location", "")
                with self.jobs_lock:
                    self.jobs.append((index, url))
                while not stop.is_set() and _job_state(client, url) in ("QUEUED", "RUNNING"):
                    stop.wait(1.0)
            else:
                stop.wait(1.0)

    def _hammer(self, index: int, stop: threading.Event) -> None:
        client = Client(self.base)
        wrong = {"username": self.world.target, "password": f"wrong-{index}"}
        while not stop.is_set():
            self.tokens.add(client.request("POST", "/api/token/", data=wrong, form=True))

    def _download(self, index: int, stop: threading.Event) -> None:
        client = Client(self.base, session=self.world.zip_sessions[index])
        query = "&".join(f"id={pk}" for pk in self.world.frame_ids)
        rate = self.options.zip_rate_megabytes * 1024 * 1024
        while not stop.is_set():
            answer = client.request("GET", f"/api/archive/zip/?{query}",
                                    read=slow_reader(rate, stop=stop))
            self.zips.add(answer)
            if answer.status != 200:
                stop.wait(1.0)


def _job_state(client: Client, url: str) -> str:
    answer = client.request("GET", url)
    if answer.status != 200:
        return f"HTTP {answer.status}"
    return json.loads(answer.body)["state"]


def _jobs_outcome(heavy: Heavy) -> dict[str, int]:
    """Wait for the simulations submitted to end; how they ended."""
    outcome: dict[str, int] = {}
    deadline = time.monotonic() + JOBS_TIMEOUT
    for owner, url in heavy.jobs:
        client = Client(heavy.base, session=heavy.world.simulation_sessions[owner])
        while (state := _job_state(client, url)) in ("QUEUED", "RUNNING") \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        outcome[state] = outcome.get(state, 0) + 1
    return outcome


def run_load_bench(options: LoadOptions, *, env: dict[str, str] | None = None,
                   progress=lambda message: None) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    from pyros import clock
    from pyros.ports import free_ports
    from pyros.scheduling.api import tonight

    world = _prepare(options)
    connection.close()  # the servers' turn; SQLite's writers one at a time
    port = options.port or free_ports(1)[0]
    # The sessions it made are signed with this process's secret key: the server must
    # have the same one, wherever its data directory is.
    server_env = dict(env if env is not None else os.environ)
    server_env["PYROS_SECRET_KEY"] = settings.SECRET_KEY
    servers = Servers(port, server_env)
    try:
        progress(f"starting gunicorn on {servers.base} ({servers.sizing})")
        servers.wait_ready()
        progress("warming up: every worker's first pages, not counted")
        _visit(servers.base, min(WARM_UP, options.seconds), options.visitors)
        load_before = os.getloadavg()
        progress(f"idle: {options.visitors} visitors for {options.seconds:g} s")
        idle = _visit(servers.base, options.seconds, options.visitors)
        heavy = Heavy(servers.base, world, options, tonight().isoformat())
        heavy.start()
        heavy.stopping.wait(min(2.0, options.seconds))  # the heavy work under way first
        progress(f"loaded: the same visitors with {options.simulation_users} simulating, "
                 f"{options.token_hammers} hammering the token endpoint, "
                 f"{options.zip_downloaders} downloading zips")
        loaded = _visit(servers.base, options.seconds, options.visitors)
        heavy.stop()
        progress(f"waiting for the {len(heavy.jobs)} simulations submitted to end")
        jobs = _jobs_outcome(heavy)
    finally:
        servers.stop()
        _clean()
    tallies = [idle, loaded, heavy.submissions, heavy.tokens, heavy.zips]
    return {
        "database": connection.vendor, "server": servers.sizing, "clock": clock.now().isoformat(),
        "cores": os.cpu_count(), "load_average_before": round(load_before[0], 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "concurrent_clients": options.visitors + options.simulation_users
        + options.token_hammers + options.zip_downloaders,
        "visitors": options.visitors, "phase_seconds": options.seconds,
        "pages": list(PUBLIC_PAGES),
        "idle": idle.summary(), "loaded": loaded.summary(),
        "simulations": {**heavy.submissions.summary(), "jobs": jobs,
                        "time_limit_s": options.time_limit, "sequences": options.sequences},
        "token": heavy.tokens.summary(),
        "zips": {**heavy.zips.summary(), "frames": options.frames,
                 "frame_megabytes": options.frame_megabytes,
                 "rate_megabytes_s": options.zip_rate_megabytes},
        "server_errors": sum(n for t in tallies for s, n in t.statuses.items() if s >= 500),
        "no_answer": sum(t.statuses.get(0, 0) for t in tallies),
    }
