"""The guide's workflow (13.12.1.2) through the web pages, mails in Django's in-memory
outbox: register, the PI activates from the mailed link, log in; password reset; the
profile page; bad input and reused or expired links."""

from __future__ import annotations

import pytest
from django.test import Client

from pyros.accounts.mails import notify_account_state
from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from pyros.mail.models import OutgoingMail
from tests.conftest import make_user
from tests.people.conftest import PASSWORD, REGISTRATION, links

pytestmark = pytest.mark.django_db


def register(capture, data=REGISTRATION, client=None):
    client = client or Client()
    with capture(execute=True):
        return client.post("/register/", data)


def mailed_to(mailoutbox, address):
    return [m for m in mailoutbox if m.to == [address]]


def test_whole_flow(pi, pi_client, mailoutbox, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    assert Client().get("/register/").status_code == 200
    response = register(capture)
    assert response.status_code == 302 and response.url == "/register/done/"
    carol = User.objects.get(username="carol")
    assert not carol.is_active and carol.level == ProfileLevel.OBSERVER
    assert carol.institute == "Lowell Observatory"
    assert not Client().login(username="carol", password=PASSWORD)

    (to_user,) = mailed_to(mailoutbox, "carol@example.org")
    assert "awaiting validation" in to_user.subject
    (to_pi,) = mailed_to(mailoutbox, pi.email)
    assert "Lowell Observatory" in to_pi.body and "asteroids" in to_pi.body
    (link,) = [p for p in links(to_pi.body) if p.startswith("/users/activate/")]

    # Only a PI (or SysAdmin) logged in opens it.
    assert Client().get(link).status_code == 302  # to the login page
    observer = make_user("olga", ProfileLevel.OBSERVER)
    someone = Client()
    someone.force_login(observer)
    assert someone.get(link).status_code == 403
    page = pi_client.get(link)
    assert page.status_code == 200 and b"Activate" in page.content
    with capture(execute=True):
        assert pi_client.post(link).status_code == 200
    carol.refresh_from_db()
    assert carol.is_active and carol.activated_at is not None
    (activated,) = [m for m in mailed_to(mailoutbox, "carol@example.org") if "active" in
                    m.subject and m is not to_user]
    assert "Paula Investigator" in activated.body
    assert Client().login(username="carol", password=PASSWORD)

    # Single use: the link is dead, even if the account is deactivated later.
    assert pi_client.post(link).status_code == 400
    carol.is_active = False
    carol.save()
    assert pi_client.get(link).status_code == 400
    assert OutgoingMail.objects.filter(sent_at__isnull=True).count() == 0


def test_activation_link_expires(pi, pi_client, mailoutbox, simulated_clock, settings,
                                 django_capture_on_commit_callbacks):
    register(django_capture_on_commit_callbacks)
    (to_pi,) = mailed_to(mailoutbox, pi.email)
    (link,) = [p for p in links(to_pi.body) if p.startswith("/users/activate/")]
    simulated_clock.advance(settings.PYROS_ACTIVATION_TIMEOUT - 60)
    assert pi_client.get(link).status_code == 200
    simulated_clock.advance(120)
    page = pi_client.post(link)
    assert page.status_code == 400 and b"expired" in page.content
    assert not User.objects.get(username="carol").is_active


def test_without_pi_the_sysadmins_are_told(initial_data, admin_user, mailoutbox,
                                           django_capture_on_commit_callbacks):
    admin_user.email = "admin@example.org"
    admin_user.save()
    register(django_capture_on_commit_callbacks)
    assert len(mailed_to(mailoutbox, "admin@example.org")) == 1


@pytest.mark.parametrize("change, field", [
    ({"email": "not-an-address"}, "email"),
    ({"username": "bad name!"}, "username"),
    ({"password2": "something-else-entirely"}, "password2"),
    ({"password1": "short", "password2": "short"}, "password1"),
    ({"institute": ""}, "institute"),
    ({"intentions": "x" * 6000}, "intentions"),
    ({"username": "x" * 200}, "username"),
])
def test_bad_input_is_a_form_error(initial_data, change, field, mailoutbox,
                                   django_capture_on_commit_callbacks):
    response = register(django_capture_on_commit_callbacks, {**REGISTRATION, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not User.objects.filter(username=REGISTRATION["username"]).exists()
    assert mailoutbox == []


def test_empty_and_garbage_posts_are_form_errors(initial_data):
    client = Client()
    assert client.post("/register/", {}).status_code == 400
    assert client.post("/register/", {"username": ["a", "b"], "email": "\x00"}).status_code == 400
    assert client.get("/users/activate/!!/nonsense/").status_code == 302  # log in first


@pytest.mark.parametrize("change", [{"username": "Paula"}, {"email": "PAULA@example.org"}])
def test_duplicates_are_refused(pi, change, django_capture_on_commit_callbacks):
    response = register(django_capture_on_commit_callbacks, {**REGISTRATION, **change})
    assert response.status_code == 400
    assert User.objects.count() == 2  # admin and the PI


def test_bad_activation_links(pi, pi_client):
    assert pi_client.get("/users/activate/!!/nonsense/").status_code == 400
    assert pi_client.get("/users/activate/MQ/1-abc/").status_code == 400
    assert pi_client.get("/users/activate/OTk5OTk/zzzzzzzzzzzzzzzzzzz-a/").status_code == 400


def test_password_reset(initial_data, mailoutbox, simulated_clock, settings,
                        django_capture_on_commit_callbacks):
    make_user("dora", ProfileLevel.OBSERVER)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password/reset/", {"email": "dora@example.org"})
    assert response.status_code == 302 and response.url == "/password/reset/sent/"
    (mail,) = mailoutbox
    assert mail.subject == "PyROS: reset the password of dora"
    (link,) = [p for p in links(mail.body) if p.startswith("/password/reset/")]
    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    new = "another-long-pass-phrase"
    done = client.post(form.redirect_chain[-1][0],
                       {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.url == "/password/reset/complete/"
    assert Client().login(username="dora", password=new)
    # Single use.
    again = Client().get(link, follow=True)
    assert not again.context["validlink"]

    # Expired.
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/password/reset/", {"email": "dora@example.org"})
    (link,) = [p for p in links(mailoutbox[-1].body) if p.startswith("/password/reset/")]
    simulated_clock.advance(settings.PASSWORD_RESET_TIMEOUT + 1)
    assert not Client().get(link, follow=True).context["validlink"]


def test_reset_for_an_unknown_address_says_the_same(initial_data, mailoutbox):
    response = Client().post("/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and mailoutbox == []


def test_profile_page_edits_other_email_and_password_only(initial_data):
    dora = make_user("dora", ProfileLevel.OBSERVER)
    client = Client()
    assert client.get("/profile/").status_code == 302
    client.force_login(dora)
    assert client.get("/profile/").status_code == 200
    response = client.post("/profile/", {"other_email": "dora@home.example",
                                         "email": "evil@example.org", "profile": 7,
                                         "is_superuser": "on"})
    assert response.status_code == 302
    dora.refresh_from_db()
    assert (dora.other_email, dora.email) == ("dora@home.example", "dora@example.org")
    assert dora.level == ProfileLevel.OBSERVER and not dora.is_superuser
    assert client.post("/profile/", {"other_email": "nope"}).status_code == 400

    new = "brand-new-pass-phrase"
    wrong = client.post("/profile/password/", {"old_password": "wrong", "new_password1": new,
                                               "new_password2": new})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    from tests.conftest import OBSERVER_PASSWORD

    ok = client.post("/profile/password/", {"old_password": OBSERVER_PASSWORD,
                                            "new_password1": new, "new_password2": new})
    assert ok.status_code == 302
    assert client.get("/profile/").status_code == 200  # still logged in
    assert Client().login(username="dora", password=new)


def test_notify_account_state(initial_data, pi, mailoutbox,
                              django_capture_on_commit_callbacks):
    dora = make_user("dora", ProfileLevel.OBSERVER)
    with django_capture_on_commit_callbacks(execute=True):
        notify_account_state(dora, False, by=pi)
        notify_account_state(dora, True, by=pi)
    off, on = mailoutbox
    assert "deactivated" in off.subject and "Paula Investigator" in off.body
    assert "is active" in on.subject and on.to == ["dora@example.org"]


def test_pages_link_registration_and_reset(initial_data):
    page = Client().get("/login/").content.decode()
    assert 'href="/register/"' in page and 'href="/password/reset/"' in page
