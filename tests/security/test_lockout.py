"""Guessing passwords: the username+address pair is locked after ``failure_limit``
wrong passwords (web login, admin login, API token), the same user from another address
is not, a success resets the count, and the lock ends after the cool-off. An address
making too many login attempts, whatever the usernames, is slowed before any password is
hashed."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import ADMIN_PASSWORD, OBSERVER_PASSWORD

ATTACKER, OTHER = "203.0.113.7", "198.51.100.20"
LIMIT = settings.AXES_FAILURE_LIMIT


def web_login(username: str, password: str, address: str = ATTACKER):
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username,
                                                        "password": password})


def api_token(username: str, password: str, address: str = ATTACKER):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/token/", {"username": username, "password": password}, format="json")


def end_the_cool_off() -> None:
    """Move the recorded failures back past the cool-off (axes counts wall time)."""
    past = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= past
        attempt.save(update_fields=["attempt_time"])


def test_the_web_login_locks_after_the_limit_then_reopens(observer):
    for _ in range(LIMIT - 1):
        assert web_login("alice", "wrong-password").status_code == 200
    locked = web_login("alice", "wrong-password")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    page = locked.content.decode()
    assert "Too many failed logins for this account from your address" in page
    assert "Try again later" in page
    # The right password is refused too while locked: the guesser learns nothing.
    assert web_login("alice", OBSERVER_PASSWORD).status_code == 429
    # Alice at her own desk is not locked out by someone else's guesses.
    assert web_login("alice", OBSERVER_PASSWORD, address=OTHER).status_code == 302
    end_the_cool_off()
    assert web_login("alice", OBSERVER_PASSWORD).status_code == 302


def test_the_api_token_endpoint_answers_a_lockout_with_429_and_retry_after(observer):
    for _ in range(LIMIT - 1):
        refused = api_token("alice", "wrong-password")
        assert refused.status_code == 400
        assert refused.json() == {
            "non_field_errors": ["Unable to log in with provided credentials."]}
    locked = api_token("alice", "wrong-password")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "Too many failed logins" in locked.json()["detail"]
    assert api_token("alice", OBSERVER_PASSWORD).status_code == 429
    assert api_token("alice", OBSERVER_PASSWORD, address=OTHER).status_code == 200
    end_the_cool_off()
    assert api_token("alice", OBSERVER_PASSWORD).status_code == 200


def test_a_success_resets_the_count(observer):
    for _ in range(LIMIT - 1):
        web_login("alice", "wrong-password")
    assert web_login("alice", OBSERVER_PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        assert web_login("alice", "wrong-password").status_code == 200


def test_the_admin_login_is_locked_too(admin_user):
    client = Client(REMOTE_ADDR=ATTACKER)
    form = {"username": "admin", "password": "wrong-password", "next": "/admin/"}
    statuses = [client.post("/admin/login/", form).status_code for _ in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    right = {**form, "password": ADMIN_PASSWORD}
    assert client.post("/admin/login/", right).status_code == 429
    assert Client(REMOTE_ADDR=OTHER).post("/admin/login/", right).status_code == 302


@pytest.fixture
def still_clock(monkeypatch):
    """The login rate's clock stopped: on a loaded machine, the rate's 21 hashed logins
    could take longer than its one-minute window, and the first would leave it."""
    import time

    from pyros.accounts.throttling import LoginRateThrottle

    now = time.time()
    monkeypatch.setattr(LoginRateThrottle, "timer", staticmethod(lambda: now))


@pytest.mark.parametrize("login", [web_login, api_token], ids=["web", "api"])
def test_one_address_trying_many_usernames_is_slowed(initial_data, login, still_clock):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    statuses = [login(f"user{i}", "some-password").status_code for i in range(rate + 1)]
    assert 429 not in statuses[:rate]
    slowed = login("admin", ADMIN_PASSWORD)
    assert slowed.status_code == 429
    assert int(slowed["Retry-After"]) > 0
    assert login("admin", ADMIN_PASSWORD, address=OTHER).status_code in (200, 302)


def test_the_login_rate_is_checked_before_the_password_is_hashed(initial_data, monkeypatch,
                                                                 still_clock):
    from django.contrib.auth import hashers

    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    for i in range(rate):
        api_token(f"user{i}", "some-password")
    checked: list[str] = []
    real_check = hashers.check_password
    monkeypatch.setattr(hashers, "check_password",
                        lambda *a, **k: checked.append("hash") or real_check(*a, **k))
    monkeypatch.setattr("django.contrib.auth.base_user.check_password",
                        hashers.check_password)
    assert api_token("admin", ADMIN_PASSWORD).status_code == 429
    assert web_login("admin", ADMIN_PASSWORD).status_code == 429
    assert checked == []
    # The same login from an address within its rate does reach the password check.
    assert api_token("admin", ADMIN_PASSWORD, address=OTHER).status_code == 200
    assert checked == ["hash"]


def test_the_login_bench_measures_each_case_and_leaves_nothing(initial_data):
    from django.core.cache import caches

    from pyros.accounts.login_bench import USERNAME, run_login_bench
    from pyros.accounts.models import User

    report = run_login_bench(repeats=3)
    assert [(t.name, t.status) for t in report.timings] == [
        ("token, right password", 200), ("token, wrong password", 400),
        ("token, over the login rate", 429), ("token, username+address locked", 429)]
    assert all(t.p50_ms > 0 and t.cpu_p50_ms >= 0 for t in report.timings)
    assert report.api_rate_check_p50_ms > 0
    assert not User.objects.filter(username=USERNAME).exists()
    assert not AccessAttempt.objects.filter(username=USERNAME).exists()
    assert caches["throttle"].get("throttle_login_192.0.2.1") is None


def test_an_operator_unlocks_a_user_from_the_cli(observer, admin_user):
    from click.testing import CliRunner

    from pyros.cli.main import cli

    for _ in range(LIMIT):
        web_login("alice", "wrong-password")
    assert web_login("alice", OBSERVER_PASSWORD).status_code == 429
    refused = CliRunner().invoke(cli, ["user", "unlock", "alice", "--as", "alice"])
    assert refused.exit_code == 1 and "may not unlock alice" in refused.output
    done = CliRunner().invoke(cli, ["user", "unlock", "alice", "--as", "admin"])
    assert done.exit_code == 0 and "lockout record(s) removed" in done.output
    assert web_login("alice", OBSERVER_PASSWORD).status_code == 302


@pytest.mark.parametrize("username", ["\ud800", "nul\x00here", "x" * 5000, ["alice"]])
def test_hostile_usernames_get_a_clear_refusal(observer, username):
    # As a hostile client sends it: JSON escapes (a lone surrogate has no UTF-8 form).
    body = json.dumps({"username": username, "password": "x"})
    api = APIClient(REMOTE_ADDR=ATTACKER).post("/api/token/", body,
                                               content_type="application/json")
    # a field error, or the door's refusal of the body naming the field (docs/robustness.md)
    assert api.status_code == 400 and "username" in json.dumps(api.json())
    if isinstance(username, str):
        # A form's bytes: a lone surrogate arrives as its (invalid) UTF-8 bytes.
        form = "username=" + quote(username.encode("utf-8", "surrogatepass")) + "&password=x"
        web = Client(REMOTE_ADDR=ATTACKER).post(
            "/login/", form, content_type="application/x-www-form-urlencoded")
        assert web.status_code == 200 and '<div class="error">' in web.content.decode()


def test_a_username_no_account_can_have_is_told_so_on_both_login_pages(initial_data):
    long = {"username": "x" * 5000, "password": "x", "next": "/admin/"}
    site = Client(REMOTE_ADDR=ATTACKER).post("/login/", long)
    assert "A username has at most 150 characters." in site.content.decode()
    admin = Client(REMOTE_ADDR=ATTACKER).post("/admin/login/", long)
    assert admin.status_code == 200
    assert "A username has at most 150 characters." in admin.content.decode()
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("url", ["/register/", "/password/reset/"])
def test_registrations_and_password_resets_share_the_address_rate(initial_data, url,
                                                                  still_clock):
    from django.core import mail

    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    client = Client(REMOTE_ADDR=ATTACKER)
    for i in range(rate):
        assert client.post(url, {"email": f"nobody{i}@example.org"}).status_code != 429
    sent = len(mail.outbox)
    refused = client.post(url, {"email": "victim@example.org"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many registrations or password resets" in refused.content.decode()
    assert len(mail.outbox) == sent  # refused before anything is mailed
    assert Client(REMOTE_ADDR=OTHER).post(
        url, {"email": "someone@example.org"}).status_code != 429
