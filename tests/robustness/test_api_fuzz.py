"""The REST API fuzzed from its own OpenAPI schema (issue 17, point 5): schemathesis
generates requests for every operation of ``/api/schema/`` — valid ones, and invalid
ones (wrong types, missing fields, strings where numbers go, odd characters) — and
sends them to the Django WSGI application, as a staff user (the SysAdmin, who may do
everything) and as an anonymous client. Its ``not_a_server_error`` check must never
fire: any 5xx fails the test, naming the operation and a curl command that reproduces
it.

``PYROS_FUZZ_EXAMPLES`` (default 25) is the number of examples per operation, per
generation mode and per client; the default keeps the whole file within a few minutes
on one core, a larger number searches longer (docs/robustness.md)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from pyros.accounts.profiles import ProfileLevel
from tests.conftest import make_user

EXAMPLES = int(os.environ.get("PYROS_FUZZ_EXAMPLES", "25"))


@contextmanager
def in_the_test_transaction() -> Iterator[None]:
    """The WSGI application closes the database connection at the end of each request
    (Django's request signals); inside the test's transaction that would lose it, so
    the signals are held off as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def session_of(user: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers of a signed-in browser: the session and a CSRF secret sent
    both as cookie and header, whatever form API tokens take."""
    if user is None:
        return {}, {}
    client = Client()
    client.force_login(user)
    csrf = secrets.token_hex(16)
    return ({"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
            {"X-CSRFToken": csrf})


def fuzz_operation(operation: Any, cookies: dict[str, str], headers: dict[str, str],
                   mode: GenerationMode, sent: list[int]) -> list[str]:
    """Run ``EXAMPLES`` generated cases of one operation; the server errors found
    (three at most: one names the fault). ``sent`` counts the requests."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        if len(found) >= 3:
            return
        response = case.call(cookies=cookies, headers=headers)
        sent.append(response.status_code)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception as failure:  # schemathesis' check failure: kept, run goes on
            found.append(f"{operation.label} ({mode.value}): {response.status_code}\n"
                         f"{str(failure)[:2000]}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid case"
    return found


@pytest.fixture
def api_schema(initial_data) -> Any:
    from pyros.web.wsgi import application

    with in_the_test_transaction():
        return schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_no_generated_request_makes_a_server_error(api_schema, who: str):
    user = None if who == "anonymous" else make_user("fuzzer", ProfileLevel.SYSADMIN)
    cookies, headers = session_of(user)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30, "the schema lost its operations"
    problems: list[str] = []
    sent: list[int] = []
    with in_the_test_transaction():
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                problems += fuzz_operation(operation, cookies, headers, mode, sent)
    print(f"{who}: {len(operations)} operations, {len(sent)} requests "
          f"(up to {EXAMPLES} per operation and mode), "
          f"{sum(status >= 500 for status in sent)} server errors")
    assert not problems, "\n\n".join(problems)
