"""The Users pages through Django's test client: who gets in, the filters, the profile
select, the changes and their refusals (never a 500), CSRF."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from tests.users.conftest import UNPRIVILEGED, client_for, queued_to

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    return reverse(f"users:{name}", args=args)


def listed(response) -> list[str]:
    return re.findall(r'<td><a href="/users/\d+/">([^<]*)</a></td>', response.content.decode())


def options(response) -> list[str]:
    form = re.search(r'<select name="profile"[^>]*>(.*?)</select>',
                     response.content.decode(), re.S)
    return re.findall(r'<option value="([^"]+)"', form.group(1)) if form else []


def every_page(target: User) -> list[tuple[str, str]]:
    return [("get", url("user-list")), ("get", url("user-detail", target.pk)),
            ("post", url("user-profile", target.pk)), ("post", url("user-active", target.pk)),
            ("post", url("user-fields", target.pk)), ("post", url("user-delete", target.pk))]


@pytest.mark.parametrize("level", UNPRIVILEGED)
def test_other_profiles_get_403_everywhere(people, level):
    client = client_for(people[level])
    target = people[ProfileLevel.OBSERVER]
    for method, path in every_page(target):
        response = getattr(client, method)(path, {"profile": "pi", "active": "0"})
        assert response.status_code == 403, (method, path)
    assert User.objects.get(pk=target.pk).is_active


def test_anonymous_visitors_are_sent_to_log_in(people):
    for method, path in every_page(people[ProfileLevel.OBSERVER]):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302 and response.url.startswith("/login/"), path


@pytest.mark.parametrize("level", [ProfileLevel.PI, ProfileLevel.SYSADMIN])
def test_the_pi_and_the_sysadmin_see_the_list(people, level):
    response = client_for(people[level]).get(url("user-list"))
    assert response.status_code == 200
    assert "admin" in listed(response) and "u-observer" in listed(response)


def test_home_tile_and_top_bar_link_to_the_page(pi, observer_account):
    page = client_for(pi).get("/").content.decode()
    assert f'href="{url("user-list")}"' in page
    other = client_for(observer_account).get("/").content.decode()
    assert f'href="{url("user-list")}"' not in other


def test_filters(admin, people, grb_program):
    client = client_for(admin)
    assert listed(client.get(url("user-list"), {"q": "OBSERV"})) == ["u-observer"]
    assert listed(client.get(url("user-list"), {"q": "u-tac@example"})) == ["u-tac"]
    assert listed(client.get(url("user-list"), {"profile": "sysadmin"})) == ["admin"]
    assert listed(client.get(url("user-list"), {"profile": "ie_is"})) == ["u-ie_is"]
    assert listed(client.get(url("user-list"), {"program": "GRB"})) == ["admin", "u-observer"]
    people[ProfileLevel.TAC].is_active = False
    people[ProfileLevel.TAC].save()
    assert listed(client.get(url("user-list"), {"active": "no"})) == ["u-tac"]
    assert "u-tac" not in listed(client.get(url("user-list"), {"active": "yes"}))
    # a bad filter value is ignored, not an error
    assert client.get(url("user-list"), {"profile": "king", "page": "x"}).status_code == 200


def test_pagination(admin):
    User.objects.bulk_create([User(username=f"many-{i:03d}", password="!") for i in range(120)])
    client = client_for(admin)
    first = listed(client.get(url("user-list")))
    third = listed(client.get(url("user-list"), {"page": 3}))
    assert len(first) == 50 and first[0] == "admin"
    assert len(third) == User.objects.count() - 100
    assert "page 3 of 3" in client.get(url("user-list"), {"page": 99}).content.decode()


def test_the_profile_select_offers_what_may_be_given(pi, admin, observer_account):
    assert options(client_for(pi).get(url("user-detail", observer_account.pk))) == [
        "visitor", "tac", "observer", "ie_is", "operator", "superoperator", "pi"]
    assert options(client_for(admin).get(url("user-detail", observer_account.pk)))[-1] == \
        "sysadmin"
    assert options(client_for(pi).get(url("user-detail", admin.pk))) == []  # a SysAdmin
    assert options(client_for(pi).get(url("user-detail", pi.pk))) == []  # oneself
    page = client_for(pi).get(url("user-detail", admin.pk)).content.decode()
    assert "Deactivate" not in page and 'name="username"' not in page


def test_pi_changes_a_profile_and_deactivates(pi, observer_account):
    client = client_for(pi, csrf=False)
    response = client.post(url("user-profile", observer_account.pk), {"profile": "operator"},
                           follow=True)
    assert response.status_code == 200
    assert "profile: Observer → Operator" in html.unescape(response.content.decode())
    response = client.post(url("user-active", observer_account.pk), {"active": "0"}, follow=True)
    assert not User.objects.get(pk=observer_account.pk).is_active
    assert queued_to(observer_account.email) == 1
    page = html.unescape(response.content.decode())
    assert "deactivated" in page and "Reactivate" in page and "u-pi" in page  # the log


def test_refusals_are_403_or_a_message_never_500(pi, admin, observer_account):
    client = client_for(pi)
    assert client.post(url("user-profile", observer_account.pk),
                       {"profile": "sysadmin"}).status_code == 302  # not a choice: message
    assert User.objects.get(pk=observer_account.pk).level == ProfileLevel.OBSERVER
    assert client.post(url("user-profile", admin.pk), {"profile": "pi"}).status_code == 403
    assert client.post(url("user-profile", pi.pk), {"profile": "sysadmin"}).status_code == 403
    assert client.post(url("user-active", admin.pk), {"active": "0"}).status_code == 403
    assert client.post(url("user-active", observer_account.pk), {"active": "x"}).status_code \
        == 302
    assert client.post(url("user-fields", observer_account.pk),
                       {"username": "x"}).status_code == 403
    assert client.post(url("user-delete", observer_account.pk)).status_code == 403
    assert client.get(url("user-detail", 99999)).status_code == 404
    assert client.get(url("user-profile", observer_account.pk)).status_code == 405


def test_the_last_sysadmin_is_a_message(admin):
    client = client_for(admin)
    for path, data in ((url("user-active", admin.pk), {"active": "0"}),
                       (url("user-delete", admin.pk), {})):
        response = client.post(path, data, follow=True)
        assert response.status_code == 200
        assert "last active SysAdmin" in html.unescape(response.content.decode())
    assert User.objects.get(pk=admin.pk).is_active


def test_the_sysadmin_edits_every_field(admin, observer_account, grb_program):
    client = client_for(admin)
    page = client.get(url("user-detail", observer_account.pk)).content.decode()
    assert 'name="username"' in page and 'name="programs"' in page
    response = client.post(url("user-fields", observer_account.pk), {
        "username": "alice", "first_name": "Alice", "last_name": "Liddell",
        "email": "alice@example.org", "other_email": ""}, follow=True)
    assert response.status_code == 200
    changed = User.objects.get(pk=observer_account.pk)
    assert (changed.username, changed.get_full_name()) == ("alice", "Alice Liddell")
    assert not grb_program.members.filter(pk=changed.pk).exists()  # no program ticked
    response = client.post(url("user-fields", changed.pk), {
        "username": "alice", "email": "alice@example.org", "programs": ["GRB"]})
    assert grb_program.members.filter(pk=changed.pk).exists()


def test_invalid_fields_show_the_form_again(admin, observer_account, people):
    client = client_for(admin)
    for data, message in (({"username": "u-pi"}, "is taken"),
                          ({"username": "bad name!"}, "Enter a valid username"),
                          ({"username": "ok", "email": "nope"}, "Enter a valid email"),
                          ({"username": "ok", "programs": ["NOPE"]}, "Select a valid choice")):
        response = client.post(url("user-fields", observer_account.pk), data)
        assert response.status_code == 400
        assert message in html.unescape(response.content.decode()), message
    assert User.objects.get(pk=observer_account.pk).username == "u-observer"


def test_the_sysadmin_deletes(admin, people):
    target = people[ProfileLevel.TAC]
    response = client_for(admin).post(url("user-delete", target.pk))
    assert response.status_code == 302 and response.url == url("user-list")
    assert not User.objects.filter(pk=target.pk).exists()


def test_csrf_is_checked(pi, observer_account):
    client = client_for(pi, csrf=True)
    response = client.post(url("user-active", observer_account.pk), {"active": "0"})
    assert response.status_code == 403 and User.objects.get(pk=observer_account.pk).is_active
    page = client.get(url("user-detail", observer_account.pk))
    token = page.cookies["csrftoken"].value
    response = client.post(url("user-active", observer_account.pk),
                           {"active": "0", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and not User.objects.get(pk=observer_account.pk).is_active
