"""``/api/users/``: who may call it, the filters, and PATCH with the pages' rules."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from pyros.accounts import api_tokens
from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from tests.users.conftest import UNPRIVILEGED, queued_to

pytestmark = pytest.mark.django_db

LIST = "/api/users/"


def api_for(user) -> APIClient:
    """Authenticated by token, as scripts are."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_tokens.issue(user).key}")
    return client


def detail(user: User) -> str:
    return f"/api/users/{user.pk}/"


@pytest.mark.parametrize("level", UNPRIVILEGED)
def test_other_profiles_get_403(people, level):
    client = api_for(people[level])
    target = people[ProfileLevel.OBSERVER]
    assert client.get(LIST).status_code == 403
    assert client.get(detail(target)).status_code == 403
    assert client.patch(detail(target), {"is_active": False}, format="json").status_code == 403
    assert User.objects.get(pk=target.pk).is_active


def test_anonymous_calls_get_401(people):
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().patch(detail(people[ProfileLevel.TAC]), {}, format="json").status_code \
        == 401


def test_list_filters_and_pages(pi, people, grb_program):
    client = api_for(pi)
    body = client.get(LIST, {"limit": 3}).json()
    assert body["count"] == 8 and len(body["results"]) == 3 and body["next"]
    assert body["results"][0]["username"] == "admin"
    assert body["results"][0]["profile"] == "sysadmin"

    def names(**params) -> list[str]:
        return [u["username"] for u in client.get(LIST, params).json()["results"]]

    assert names(q="u-ie") == ["u-ie_is"]
    assert names(profile="observer") == ["u-observer"]
    assert names(profile="IE/IS") == ["u-ie_is"]
    assert names(program="GRB") == ["admin", "u-observer"]
    assert names(active="false") == []
    assert client.get(LIST, {"profile": "king"}).status_code == 400
    assert client.get(LIST, {"active": "maybe"}).status_code == 400
    one = client.get(detail(people[ProfileLevel.OBSERVER])).json()
    assert one["programs"] == ["GRB"] and one["is_active"] is True
    assert client.get("/api/users/99999/").status_code == 404


def test_patch_follows_the_rules(pi, admin, observer_account):
    client = api_for(pi)
    answer = client.patch(detail(observer_account), {"profile": "superoperator"}, format="json")
    assert answer.status_code == 200 and answer.json()["profile"] == "superoperator"
    answer = client.patch(detail(observer_account), {"is_active": False}, format="json")
    assert answer.status_code == 200 and answer.json()["is_active"] is False
    assert queued_to(observer_account.email) == 1
    for target, body in ((observer_account, {"profile": "sysadmin"}),
                         (admin, {"is_active": False}),
                         (pi, {"profile": "sysadmin"}),
                         (observer_account, {"email": "x@example.org"})):
        assert client.patch(detail(target), body, format="json").status_code == 403, body
    assert client.patch(detail(observer_account), {"profile": "king"},
                        format="json").status_code == 400
    assert client.patch(detail(observer_account), {"colour": "red"},
                        format="json").status_code == 400
    assert client.patch(detail(observer_account), ["x"], format="json").status_code == 400
    assert User.objects.get(pk=admin.pk).is_active


def test_the_sysadmin_patches_every_field_but_not_the_last_sysadmin(admin, observer_account):
    client = api_for(admin)
    answer = client.patch(detail(observer_account), {
        "username": "alice", "first_name": "Alice", "email": "alice@example.org",
        "programs": []}, format="json")
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["username"], answer.json()["programs"]) == ("alice", [])
    assert client.patch(detail(observer_account), {"email": "nope"},
                        format="json").status_code == 400
    for body in ({"is_active": False}, {"profile": "pi"}):
        answer = client.patch(detail(admin), body, format="json")
        assert answer.status_code == 409 and "last active SysAdmin" in answer.json()["detail"]


def test_the_schema_documents_the_api(admin):
    client = APIClient()
    client.force_authenticate(admin)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert {"get", "patch"} <= set(schema["paths"]["/api/users/{id}/"])
    assert "get" in schema["paths"]["/api/users/"]
