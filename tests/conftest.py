"""Fixtures shared by the whole suite.

The database is the one ``DATABASE_URL`` names (SQLite in the data directory when
unset); ``scripts/run-tests`` runs the tests that touch it on SQLite, PostgreSQL and
MariaDB, and the others once (``tests/databases.py``; docs/testing.md).
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from pyros import clock
from pyros.clock import SimulatedClock
from tests.live_slots import whole_pyros_slot
from tests.workers import isolate_this_worker, rotated

isolate_this_worker()
pytest_plugins = ["tests.databases"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items[:] = rotated(items)

#: Users are made and logged in by the hundred: a fast hash for the suite's passwords
#: (PBKDF2 is 0.3 s of CPU each), PBKDF2 still checked for those PyROS's processes make.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                             "django.contrib.auth.hashers.PBKDF2PasswordHasher"]

#: Every test runs at this instant unless it moves the clock: inside period 2026B.
TEST_NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ADMIN_PASSWORD = "admin-test-password"
OBSERVER_PASSWORD = "observer-test-password"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and before it drops the test database, what would keep
    PostgreSQL from dropping it: a LISTEN connection, other threads' connections. Only
    tests that use the database set it up (a run of core tests creates none)."""
    yield
    from django.db import connection

    from pyros.agents.notify import close_results_waiter

    close_results_waiter()
    if connection.vendor == "postgresql":
        # Connections a thread left open (a live server's, an agent's run in a thread)
        # would keep it from dropping the database too.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(autouse=True)
def whole_pyros_waits_for_a_slot(request):
    """A test that starts a whole PyROS runs when one of the run's few slots is free."""
    if request.node.get_closest_marker("whole_pyros") is None:
        yield None
        return
    with whole_pyros_slot() as slot:
        yield slot


@pytest.fixture(autouse=True)
def download_slots_off():
    """Django's test client closes a streamed response only when the test reads it to
    its end, so an unread download would keep its slot (pyros.web.streams) for the rest
    of the process: slots are off, except where a test turns them on to test them."""
    from pyros.web.streams import SLOTS

    SLOTS.enabled = False
    SLOTS.reset()
    yield SLOTS
    SLOTS.enabled = False
    SLOTS.reset()


@pytest.fixture(autouse=True)
def no_transient_left_behind():
    """An alert accepted on a simulated unit puts its afterglow in the simulated sky
    (the worker's registry file): the next test's frames must not show it."""
    yield
    from pyros.simulators.transients import registry_path

    registry_path().unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with no login or API calls counted against its address (the
    counts live in files of the worker's data directory, across tests otherwise).

    The settings were read before each xdist worker got its own data directory
    (tests/workers.py): the cache is moved there, or the two workers of a part would
    count each other's logins and clear each other's counts mid-test."""
    from django.core.cache import caches

    own = str(Path(os.environ["PYROS_HOME"]) / "run" / "throttle")
    if settings.CACHES["throttle"]["LOCATION"] != own:
        settings.CACHES["throttle"]["LOCATION"] = own
        with contextlib.suppress(AttributeError):  # not opened yet in this thread
            del caches["throttle"]
    assert caches["throttle"]._dir == os.path.abspath(own)
    caches["throttle"].clear()


@pytest.fixture(autouse=True)
def no_run_clock_left_in_the_environment():
    """A `pyros` command run in-process follows a run's clock (``run/clock.json``, or
    ``pyros start --sim-time``) by writing ``PYROS_CLOCK_*`` into the environment, as it
    must for what it starts; a test's must not follow the next tests of its worker."""
    before = {k: v for k, v in os.environ.items() if k.startswith("PYROS_CLOCK_")}
    yield
    for key in [k for k in os.environ if k.startswith("PYROS_CLOCK_")]:
        del os.environ[key]
    os.environ.update(before)


@pytest.fixture(autouse=True)
def simulated_clock():
    sim = SimulatedClock(TEST_NOW)
    previous = clock.set_clock(sim)
    yield sim
    clock.set_clock(previous)


@pytest.fixture
def initial_data(db):
    from pyros.initial_data import load_initial_data

    return load_initial_data(admin_password=ADMIN_PASSWORD, now=TEST_NOW)


@pytest.fixture
def admin_user(initial_data):
    from pyros.accounts.models import User

    return User.objects.get(username="admin")


@pytest.fixture
def grb_program(initial_data):
    from pyros.programs.models import ScientificProgram

    return ScientificProgram.objects.get(name="GRB")


def make_user(username: str, level, password: str = OBSERVER_PASSWORD, programs=()):
    from pyros.accounts.models import Profile, User

    user = User.objects.create_user(username, f"{username}@example.org", password)
    user.profile = Profile.objects.get(level=level)
    user.save()
    for program in programs:
        program.members.add(user)
    return user


@pytest.fixture
def observer(grb_program):
    """An Observer who belongs to GRB."""
    from pyros.accounts.profiles import ProfileLevel

    return make_user("alice", ProfileLevel.OBSERVER, programs=[grb_program])


@pytest.fixture
def outsider(initial_data):
    """An Observer who belongs to no program."""
    from pyros.accounts.profiles import ProfileLevel

    return make_user("bob", ProfileLevel.OBSERVER)


def request_dict(**overrides) -> dict:
    """A valid request in the JSON format, windows inside 2026B."""
    data = {
        "name": "GRB 261121A follow-up",
        "scientific_program": "GRB",
        "target_type": "grb",
        "submitted": False,
        "sequences": [
            {
                "name": "first look",
                "target": "GRB 261121A",
                "ra": 150.25,
                "dec": -20.5,
                "start": "2026-11-22T00:00:00Z",
                "end": "2026-11-23T00:00:00Z",
                "duration": 600,
                "priority": 8,
                "obs_type": "IMMEDIATE",
                "albums": [
                    {"name": "vis", "detector": "Visible camera",
                     "plans": [{"name": "r band", "filter": "r", "exposure": 30,
                                "nb_images": 10}]},
                    {"name": "nir", "detector": "Infrared camera",
                     "plans": [{"name": "J band", "filter": "J", "exposure": 10,
                                "nb_images": 20}]},
                ],
            }
        ],
    }
    data.update(overrides)
    return data
