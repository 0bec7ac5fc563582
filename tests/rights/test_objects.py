"""Object level (issue 16, point 6): alice (GRB) and carol (SN), two observers in two
programs, never see or change each other's requests, proposals or archived images by
any path of the site: every route of the table that takes an object of one, tried by
the other with every method, pages, API and web forms alike, and the lists."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from tests.rights.routes import ROUTES, Route
from tests.rights.test_matrix import REFUSED, client_for, send, to_login


def object_routes() -> list[str]:
    """The routes whose URL names an object owned by one observer."""
    return sorted(name for name, route in ROUTES.items()
                  if route.args is not None and (route.own or "observer" in route.only))


def swapped(world: Any) -> Any:
    """The same world seen from the other side: carol's objects where alice's were."""
    return dataclasses.replace(world, request=world.other_request,
                               proposal=world.other_proposal, frame=world.other_frame,
                               program=world.other_program)


def refusals(route: Route, url: str, user: Any) -> list[str]:
    problems = []
    client = client_for(route, user)
    with transaction.atomic():
        for method in (*route.read, *route.act):
            response = send(client, method, url, route.api)
            if response.status_code not in REFUSED and not to_login(response):
                problems.append(f"{user.username} {method} {url}: {response.status_code}")
        transaction.set_rollback(True)
    return problems


@pytest.mark.parametrize("name", object_routes())
def test_neither_observer_reaches_the_others_object(world, name: str):
    route = ROUTES[name]
    alice, carol = world.users["observer"], world.carol
    problems = refusals(route, reverse(name, kwargs=route.args(world)), carol)
    problems += refusals(route, reverse(name, kwargs=route.args(swapped(world))), alice)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name,part", [
    ("observations:sequence-edit", "sequence_id"), ("observations:sequence-delete", "sequence_id"),
    ("observations:album-create", "sequence_id"), ("observations:album-edit", "album_id"),
    ("observations:album-delete", "album_id"), ("observations:plan-create", "album_id"),
    ("observations:plan-edit", "plan_id"), ("observations:plan-delete", "plan_id")])
def test_an_own_request_with_the_others_part_is_refused(world, name: str, part: str):
    """Alice's request in the URL, carol's sequence, album or plan after it: a form
    posted with the other's id must not reach it through one's own request."""
    theirs = swapped(world)
    kwargs = ROUTES[name].args(world)
    kwargs[part] = {"sequence_id": theirs.sequence, "album_id": theirs.album,
                    "plan_id": theirs.plan}[part].pk
    problems = refusals(ROUTES[name], reverse(name, kwargs=kwargs), world.users["observer"])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name,needle", [
    ("observations:request-list", "SN 2026abc"), ("api-request-list", "SN 2026abc"),
    ("proposals:list", "Supernovae"), ("api-proposal-list", "Supernovae"),
    ("archive:list", "M42"), ("api-archive-frames", "M42"), ("api-images", "M42"),
    ("programs:program-list", '"/programs/{sn}/"'), ("api-program-list", '"SN"')])
def test_lists_show_alice_nothing_of_carols(world, name: str, needle: str):
    needle = needle.format(sn=world.other_program.pk)
    html = client_for(ROUTES[name], world.users["observer"]).get(reverse(name))
    assert html.status_code == 200
    assert needle not in html.content.decode()
