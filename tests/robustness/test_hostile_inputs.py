"""Hand-made hostile inputs (issue 17, point 5) over every URL of the site, pages and
API: dates at the ends of the calendar, limits and offsets beyond any integer, numbers
that are not numbers, NUL bytes, lone surrogates, JSON nested thousands deep. Each is
answered — a 400, a 404, a clamped list — never a server error. The routes and their
objects are the rights table's (``tests/rights``), so a new URL is tried here too."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.rights.routes import ROUTES, Route

#: Query parameters every list, page and filter of the site reads, one hostile value at
#: a time; names no view reads are harmless and cost nothing.
KEYS = ("night", "date", "start", "end", "from", "to", "since", "until", "limit", "offset",
        "page", "ra", "dec", "radius", "id", "ids", "pk", "program", "request", "status",
        "hours", "days", "period", "kind", "q", "target", "channel", "version", "n")
VALUES = ("0001-01-01", "9999-12-31", "10000-01-01", "-1", "100000000000000000000000",
          "1e400", "nan", "-inf", "99999999999999999999999999", "\x00", "a\x00b",
          "2026-13-45", "1" * 5000)

DEEP = "[" * 5000 + "]" * 5000
BODIES: dict[str, str] = {
    "deep array": DEEP,
    "deep object": '{"a":' * 5000 + "1" + "}" * 5000,
    "deep inside a field": '{"name": ' + DEEP + "}",
    "lone surrogate": '{"name": "\\ud800", "title": "\\udfff", "text": "\\ud800"}',
    "NUL": '{"name": "a\\u0000b", "title": "\\u0000", "username": "\\u0000"}',
    "1e400": '{"value": 1e400, "ra": 1e400, "dec": 1e400, "hours": 1e400}',
    "NaN": '{"value": NaN, "ra": NaN, "dec": Infinity, "hours": -Infinity}',
    "huge int": '{"id": 99999999999999999999999, "program": 99999999999999999999999}',
    "not JSON": "{'a': 1",
    "not an object": "[1, 2, 3]",
}

#: Every field any form of the site reads, with NUL, and an undecodable byte sequence
#: (a UTF-8 encoded lone surrogate).
FORM_BODY = "&".join(f"{key}=a%00b%ED%A0%80" for key in (
    "name", "title", "text", "username", "email", "first_name", "last_name", "comment",
    "program", "target", "ra", "dec", "action", "profile", "abstract", "password",
    "password1", "password2", "old_password", "new_password1", "new_password2", "channel",
    "user", "hours", "priority", "jd1", "jd2", "start", "end", "file", "vote", "score"))


def client(route: Route, user: Any) -> Client:
    made: Client = APIClient(raise_request_exception=False) if route.api else Client(
        raise_request_exception=False)
    if user is not None:
        made.force_login(user)
    return made


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_hostile_queries_and_bodies_are_answered(world, name: str):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.args(world) if route.args else None)
    problems = []
    for who in ("anonymous", "sysadmin"):
        web = client(route, world.users[who])
        with transaction.atomic():
            if "GET" in route.read + route.act:
                # every parameter at once with each value, then each parameter alone
                # with a value of its own (so that one refused first hides none)
                # (the latter as the SysAdmin only: an anonymous visitor is mostly
                # sent to the login page before any parameter is read)
                queries = [dict.fromkeys(KEYS, value) for value in VALUES]
                if who == "sysadmin":
                    queries += [{key: VALUES[index % len(VALUES)]}
                                for index, key in enumerate(KEYS)]
                for query in queries:
                    with transaction.atomic():
                        status = web.get(url, query).status_code
                    if status >= 500:
                        shown = {key: value[:20] for key, value in query.items()}
                        shown = shown if len(query) == 1 else {"*": shown["night"]}
                        problems.append(f"{who} GET {url} {shown}: {status}")
            for method in route.act:
                if method == "GET":
                    continue
                for what, body in BODIES.items():
                    with transaction.atomic():
                        status = getattr(web, method.lower())(
                            url, body, content_type="application/json").status_code
                        if status >= 500:
                            problems.append(f"{who} {method} {url} {what}: {status}")
                with transaction.atomic():  # a form's fields with NUL and surrogates
                    status = getattr(web, method.lower())(
                        url, FORM_BODY, content_type="application/x-www-form-urlencoded"
                    ).status_code
                if status >= 500:
                    problems.append(f"{who} {method} {url} form NUL: {status}")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


#: Beyond 64 bits, and beyond any database's integer columns.
HUGE_ID = 99999999999999999999


def test_ids_beyond_64_bits_in_the_path_are_not_found(world):
    """``/api/requests/99999999999999999999/``: a 404 (or a refusal), not an overflow,
    on every route with a whole number in its path."""
    problems, tried = [], 0
    for name, route in sorted(ROUTES.items()):
        if route.args is None:
            continue
        args = {key: HUGE_ID if isinstance(value, int) else value
                for key, value in route.args(world).items()}
        if HUGE_ID not in args.values():
            continue
        url = reverse(name, kwargs=args)
        tried += 1
        for who in ("anonymous", "sysadmin"):
            web = client(route, world.users[who])
            for method in dict.fromkeys(("GET", *route.read, *route.act)):
                with transaction.atomic():
                    status = getattr(web, method.lower())(url).status_code
                    transaction.set_rollback(True)
                if status >= 500:
                    problems.append(f"{who} {method} {url}: {status}")
    assert tried > 30, "the routes with ids in their paths are gone from the table"
    assert not problems, "\n".join(problems)
