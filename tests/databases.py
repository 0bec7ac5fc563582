"""Which tests run on which database: a test that touches the database runs on all three
(SQLite, PostgreSQL, MariaDB); a test of the plain-Python core runs once.

Nobody has to remember to mark a test. At collection, every test that asks for one of
pytest-django's database fixtures (``db``, ``transactional_db``, ``live_server``...),
directly or through its own fixtures, or carries ``django_db``, is marked ``database``;
``scripts/run-tests`` runs ``-m database`` on each database and ``-m "not database"``
once. A test that reaches the database in a way collection cannot see is stopped:

- in this process, pytest-django refuses the query ("Database access not allowed"), and
  a database fixture asked for at run time (``request.getfixturevalue("db")``) fails
  the test with the fix to make;
- in a process the test starts, ``DATABASE_URL`` names a database that cannot be
  opened (:data:`NO_DATABASE`), so the child fails instead of quietly using one.

A test whose processes use the test database through ``DATABASE_URL`` while it asks for
no database fixture itself says so with ``@pytest.mark.database``.
"""

from __future__ import annotations

import pytest

#: pytest-django's fixtures that give a test the database.
DATABASE_FIXTURES = frozenset({
    "db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
    "live_server",
})
#: What a process started by a core test finds in DATABASE_URL: a file that cannot
#: exist, named so that the error it causes says what to do.
NO_DATABASE = "sqlite:////nonexistent/core-test-without-database--mark-it-database.sqlite3"


def uses_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(fixtures & DATABASE_FIXTURES) or any(
        item.get_closest_marker(name) for name in ("django_db", "database"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "database: touches the database, so runs on SQLite, PostgreSQL and "
        "MariaDB (set at collection for every test that asks for a database fixture; "
        "mark by hand only a test whose child processes use the test database)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if uses_database(item) and not item.get_closest_marker("database"):
            item.add_marker(pytest.mark.database)


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    node = request.node
    if (fixturedef.argname in DATABASE_FIXTURES and isinstance(node, pytest.Item)
            and not node.get_closest_marker("database")):
        pytest.fail(
            f"{node.nodeid} asked for the '{fixturedef.argname}' fixture at run time, which "
            "collection cannot see: the test would run on one database only. Ask for it "
            "as an argument, or mark the test @pytest.mark.database.", pytrace=False)


@pytest.fixture(autouse=True)
def _no_database_for_core_tests(request: pytest.FixtureRequest, monkeypatch) -> None:
    if not request.node.get_closest_marker("database"):
        monkeypatch.setenv("DATABASE_URL", NO_DATABASE)
