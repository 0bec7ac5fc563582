"""The rights matrix, proven over every URL of the site (issue 16, point 6): for every
route of ``routes.ROUTES`` and every profile (and an anonymous visitor), what the
matrix hides is refused, what it lets read is read without acting, what it lets act
on is done; never a 500. Each profile's tries run in a savepoint rolled back after,
so one profile's act (a delete) never changes what the next one sees. A refused try
must have written nothing to PyROS's tables (``writes.recorded_writes``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from pyros.accounts.rights import Access
from tests.rights.routes import LOGIN, PROFILES, PUBLIC, ROUTES, TOKEN, Route
from tests.rights.writes import recorded_writes

REFUSED = {401, 403, 404, 405}


def site_patterns(resolver: URLResolver | None = None, ns: tuple[str, ...] = ()) -> list[str]:
    """Every named URL pattern of the site but Django's admin (staff only, its own
    checks), as ``namespace:name``."""
    names: list[str] = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            names += site_patterns(entry, ns + ((entry.namespace,) if entry.namespace else ()))
        elif isinstance(entry, URLPattern):
            assert entry.name, f"an unnamed URL pattern: {entry.pattern}"
            names.append(":".join((*ns, entry.name)))
    return names


def test_every_url_of_the_site_is_in_the_table():
    """A new page or endpoint must say in routes.py who may use it."""
    site = set(site_patterns())
    assert sorted(site - set(ROUTES)) == [], "add these to tests/rights/routes.py"
    assert sorted(set(ROUTES) - site) == [], "these are no longer URLs of the site"


def client_for(route: Route, user: Any) -> Client | APIClient:
    client: Client | APIClient = APIClient() if route.api else Client()
    if user is not None:
        client.force_login(user)
    return client


def send(client: Client | APIClient, method: str, url: str, api: bool) -> Any:
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url)
    if api:
        return call(url, {}, format="json")
    return call(url, {})


def to_login(response: Any) -> bool:
    return response.status_code == 302 and "/login/" in response.get("Location", "")


def refused(response: Any) -> bool:
    return response.status_code in REFUSED or to_login(response)


def judge(route: Route, profile: str, method: str, response: Any, *, acting: bool) -> str | None:
    """Why ``response`` breaks the table, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if route.right == TOKEN:
        return None
    if route.right == PUBLIC:
        return f"{status}, refused" if status in REFUSED else None
    if route.right == LOGIN:
        allowed = profile != "anonymous"
    else:
        need = route.gate if acting else Access.READ
        allowed = route.expected(profile, acting=acting) >= need
    if allowed:
        if to_login(response) or status in (401, 403, 405):
            return f"{status} {response.get('Location', '')}: refused, the matrix allows"
        if status == 404 and not route.missing:
            return "404: refused, the matrix allows"
        if method == "GET" and not acting and status != 200 and not route.missing:
            return f"{status}: a read is not 200"
        return None
    if status in REFUSED or (profile == "anonymous" and to_login(response)):
        return None
    return f"{status}: allowed, the matrix refuses"


def shown_buttons(world: Any, route: Route, profile: str, response: Any) -> list[str]:
    """The page's links and forms to actions ``profile`` may not take."""
    html = response.content.decode()
    shown = []
    for name in route.buttons:
        action = ROUTES[name]
        if action.expected(profile, acting=True) >= action.gate:
            continue
        url = reverse(name, kwargs=action.args(world) if action.args else None)
        if f'href="{url}"' in html or f'action="{url}"' in html:
            shown.append(f"{profile} GET {response.request['PATH_INFO']}: a button to {url}")
    return shown


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_the_route_follows_the_matrix(world, name: str):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.args(world) if route.args else None)
    problems: list[str] = []
    for profile in PROFILES:
        client = client_for(route, world.users[profile])
        with transaction.atomic():
            for methods, acting in ((route.read, False), (route.act, True)):
                for method in methods:
                    with recorded_writes() as writes:
                        response = send(client, method, url, route.api)
                    why = judge(route, profile, method, response, acting=acting)
                    if why:
                        problems.append(f"{profile} {method} {url}: {why}")
                    elif writes and refused(response):
                        problems.append(f"{profile} {method} {url}: refused "
                                        f"({response.status_code}) after writing {writes}")
                    elif method == "GET" and response.status_code == 200 and route.buttons:
                        problems += shown_buttons(world, route, profile, response)
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


def test_hidden_pages_are_not_linked_from_the_home_page(world):
    """The home page's tiles and the top bar link only what the profile may read."""
    pages = {name: reverse(name) for name, route in ROUTES.items()
             if not route.api and route.args is None
             and route.right not in (PUBLIC, LOGIN, TOKEN)}
    problems = []
    for profile in PROFILES:
        html = client_for(Route(PUBLIC), world.users[profile]).get("/").content.decode()
        for name, url in pages.items():
            route = ROUTES[name]
            need = Access.READ if route.read else route.gate
            if (route.expected(profile) < need or (not route.read and route.expected(
                    profile, acting=True) < route.gate)) and f'href="{url}"' in html:
                problems.append(f"{profile}: the home page links {url}")
    assert not problems, "\n".join(problems)


JUNK = {key: "x'<>" for key in ("page", "night", "ra", "dec", "radius", "id", "program",
                                 "request", "status", "sort", "order", "limit", "offset",
                                 "from", "to", "start", "end", "channel", "q", "target",
                                 "profile", "active", "period", "hours", "days", "kind")}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_no_method_and_no_query_makes_a_500(world, name: str):
    """Methods the table does not declare, and a query of nonsense, are answered, never
    with a server error. (Many read-only pages answer any method with the page: no
    state changes, so it is not a rights question.)"""
    route = ROUTES[name]
    url = reverse(name, kwargs=route.args(world) if route.args else None)
    problems = []
    for profile in ("anonymous", "observer", "sysadmin"):
        client = client_for(route, world.users[profile])
        with transaction.atomic():
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                if method in route.read or method in route.act:
                    continue
                status = send(client, method, url, route.api).status_code
                if status >= 500:
                    problems.append(f"{profile} {method} {url}: {status}")
            if "GET" in route.read or "GET" in route.act:
                status = client.get(url, JUNK).status_code
                if status >= 500:
                    problems.append(f"{profile} GET {url}?junk: {status}")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)
