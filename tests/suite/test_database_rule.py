"""The rule that decides which tests run on the three databases (tests/databases.py),
tried on small suites of its own: a test that touches the database cannot be left out
of the database runs by forgetting to mark it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.databases import NO_DATABASE

ROOT = Path(__file__).resolve().parents[2]

pytest_plugins = ["pytester"]

#: A stand-in for pytest-django: fixtures of the same names, and the rule under test.
CONFTEST = '''
import pytest

pytest_plugins = ["tests.databases"]


def pytest_configure(config):
    config.addinivalue_line("markers", "django_db: pytest-django's")


@pytest.fixture
def db():
    return "db"


@pytest.fixture
def live_server(db):
    return "server"


@pytest.fixture
def users(db):
    return ["alice"]
'''

SUITE = '''
import os
import subprocess
import sys

import pytest


def test_core():
    pass


def test_direct(db):
    pass


def test_through_a_fixture(users):
    pass


def test_through_the_live_server(live_server):
    pass


@pytest.mark.django_db
def test_marked_django_db():
    pass


@pytest.mark.database
def test_whose_processes_use_the_database():
    assert "nonexistent" not in os.environ.get("DATABASE_URL", "")


def test_core_asking_at_run_time(request):
    request.getfixturevalue("db")


def test_core_child_sees_no_database():
    seen = subprocess.run([sys.executable, "-c", "import os; print(os.environ['DATABASE_URL'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert seen == os.environ["DATABASE_URL"]
    print("CHILD", seen)
'''


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # for tests.databases
    monkeypatch.setenv("DATABASE_URL", "sqlite:///the-runs-own.sqlite3")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def selected(result: pytest.RunResult) -> set[str]:
    return {line.split("::")[1].split()[0] for line in result.outlines
            if line.startswith("test_suite.py::")}


def test_every_test_that_asks_for_the_database_runs_on_the_databases(suite):
    result = suite.runpytest_subprocess("-p", "no:django", "-p", "no:xdist",
                                        "-p", "no:cacheprovider", "-m", "database", "-v")
    assert selected(result) == {
        "test_direct", "test_through_a_fixture", "test_through_the_live_server",
        "test_marked_django_db", "test_whose_processes_use_the_database"}
    result.assert_outcomes(passed=5, deselected=3)


def test_the_others_run_once_and_cannot_reach_a_database(suite):
    result = suite.runpytest_subprocess("-p", "no:django", "-p", "no:xdist",
                                        "-p", "no:cacheprovider", "-m", "not database",
                                        "-v", "-s")
    assert selected(result) == {"test_core", "test_core_asking_at_run_time",
                                "test_core_child_sees_no_database"}
    result.assert_outcomes(passed=2, failed=1, deselected=5)
    result.stdout.fnmatch_lines([
        f"*CHILD {NO_DATABASE}",
        "*test_core_asking_at_run_time asked for the 'db' fixture at run time*"
        "mark the test @pytest.mark.database*",
    ])
