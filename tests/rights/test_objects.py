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
from tests.rights.writes import recorded_writes


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
            with recorded_writes() as writes:
                response = send(client, method, url, route.api)
            if response.status_code not in REFUSED and not to_login(response):
                problems.append(f"{user.username} {method} {url}: {response.status_code}")
            elif writes:
                problems.append(f"{user.username} {method} {url}: refused after writing "
                                f"{writes}")
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
    # and the needle is one: the SysAdmin, who sees every program, finds it there
    everything = client_for(ROUTES[name], world.users["sysadmin"]).get(reverse(name))
    assert needle in everything.content.decode()


def alices_requests_in(program: Any) -> int:
    from pyros.observations.models import Request

    return Request.objects.filter(program=program, owner__username="alice").count()


def test_alice_cannot_file_a_request_under_carols_program(world):
    """By the API (JSON and the import), the new-request form and the edit form: a
    program one is not a member of is refused, and nothing is written."""
    from tests.conftest import request_dict

    alice, sn = world.users["observer"], world.other_program
    api = client_for(ROUTES["api-request-list"], alice)
    answer = api.post(reverse("api-request-list"), request_dict(scientific_program="SN"),
                      format="json")
    assert answer.status_code in (400, 403), answer.content[:300]
    page = client_for(ROUTES["observations:request-create"], alice)
    answer = page.post(reverse("observations:request-create"),
                       {"name": "sneaky", "program": sn.pk})
    assert answer.status_code in (200, 400, 403)  # the form again, with its error
    answer = page.post(reverse("observations:request-edit", kwargs={"pk": world.request.pk}),
                       {"name": world.request.name, "program": sn.pk})
    assert answer.status_code in (200, 400, 403)
    assert alices_requests_in(sn) == 0


def test_the_zip_and_related_frames_give_alice_none_of_carols(world):

    alice = world.users["observer"]
    api = client_for(ROUTES["api-archive-zip"], alice)
    answer = api.get(reverse("api-archive-zip"), {"id": [world.other_frame.pk]})
    assert answer.status_code in (400, 403, 404), answer.status_code
    related = api.get(reverse("api-archive-related", kwargs={"pk": world.frame.pk}))
    assert related.status_code == 200
    assert f'"id":{world.other_frame.pk},' not in related.content.decode().replace(" ", "")
    assert "M42" not in related.content.decode()


def test_the_night_pages_show_alice_none_of_carols_images(world):
    alice = world.users["observer"]
    for url in (reverse("analysis:night", kwargs={"night": "2026-11-21"}),
                reverse("api-images") + "?night=2026-11-21"):
        answer = client_for(ROUTES["api-images"], alice).get(url)
        assert answer.status_code == 200, url
        assert "M42" not in answer.content.decode(), url


def test_alice_cannot_move_her_request_into_carols_program(world):
    from pyros.observations.models import Request
    from tests.conftest import request_dict

    api = client_for(ROUTES["api-request-detail"], world.users["observer"])
    answer = api.put(reverse("api-request-detail", kwargs={"pk": world.request.pk}),
                     request_dict(scientific_program="SN"), format="json")
    assert answer.status_code in (400, 403)
    assert Request.objects.get(pk=world.request.pk).program == world.program


def test_a_signed_download_link_opens_only_its_own_frame(world):
    """alice's signed link to her frame, its signature put on carol's frame's URL."""
    alice = world.users["observer"]
    signed = client_for(ROUTES["api-archive-url"], alice).get(
        reverse("api-archive-url", kwargs={"pk": world.frame.pk})).json()["url"]
    signature = signed.split("signature=", 1)[1]
    other = reverse("api-archive-file", kwargs={"pk": world.other_frame.pk})
    for client in (client_for(ROUTES["api-archive-file"], None),
                   client_for(ROUTES["api-archive-file"], alice)):
        assert client.get(f"{other}?signature={signature}").status_code in (401, 403, 404)


def request_routes() -> list[str]:
    """The routes that take alice's request, or a piece of it, in their URL."""
    return sorted(name for name, route in ROUTES.items() if route.args is not None
                  and (name.startswith("observations:") or name.startswith("api-request-")))


@pytest.mark.parametrize("name", request_routes())
def test_a_co_member_edits_alices_draft_but_does_not_cancel_it(world, name: str):
    """dave, alice's colleague in GRB, co-authors her draft on every page and API call
    of it; cancelling it is hers (the guide: "Delete: personal one")."""
    from pyros.accounts.profiles import ProfileLevel
    from tests.conftest import make_user

    dave = make_user("dave", ProfileLevel.OBSERVER, programs=[world.program])
    route = ROUTES[name]
    url = reverse(name, kwargs=route.args(world))
    client = client_for(route, dave)
    problems = []
    for method in (*route.read, *route.act):
        with transaction.atomic():
            with recorded_writes() as writes:
                response = send(client, method, url, route.api)
            transaction.set_rollback(True)
        refused = response.status_code in REFUSED or to_login(response)
        if response.status_code >= 500:
            problems.append(f"{method} {url}: {response.status_code}")
        elif "cancel" in name and not refused:
            problems.append(f"{method} {url}: {response.status_code}, the owner's to cancel")
        elif "cancel" in name and writes:
            problems.append(f"{method} {url}: wrote {writes}")
        elif "cancel" not in name and refused:
            problems.append(f"{method} {url}: {response.status_code}, a co-member may")
    assert not problems, "\n".join(problems)
