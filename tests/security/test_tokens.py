"""API tokens: stored hashed, shown once, replaced by each new one, expiring after
``[auth] token_days``, revocable from the CLI and the profile page; old DRF tokens are
hashed by the migration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from pyros import clock
from pyros.accounts import api_tokens
from pyros.accounts.models import ApiToken
from pyros.accounts.profiles import ProfileLevel
from pyros.cli.main import cli
from tests.conftest import OBSERVER_PASSWORD, make_user

ME = "/api/requests/"


def call_with(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(ME)


def test_the_key_is_not_stored_and_each_new_one_replaces_the_last(observer):
    first = APIClient().post("/api/token/", {"username": "alice",
                                             "password": OBSERVER_PASSWORD}, format="json")
    assert first.status_code == 200
    key = first.json()["token"]
    stored = ApiToken.objects.get(user=observer)
    assert key not in (stored.digest, str(stored.pk)) and len(stored.digest) == 64
    assert call_with(key).status_code == 200
    second = APIClient().post("/api/token/", {"username": "alice",
                                              "password": OBSERVER_PASSWORD}, format="json")
    assert second.json()["token"] != key
    assert call_with(key).status_code == 401
    assert call_with(second.json()["token"]).status_code == 200


def test_a_token_expires_after_the_configured_days(observer):
    issued = api_tokens.issue(observer)
    assert issued.expires == clock.now() + timedelta(days=settings.PYROS_TOKEN_DAYS)
    clock.get_clock().advance(settings.PYROS_TOKEN_DAYS * 86400 - 60)
    assert call_with(issued.key).status_code == 200
    clock.get_clock().advance(120)
    expired = call_with(issued.key)
    assert expired.status_code == 401
    assert "Token expired on" in expired.json()["detail"]


@pytest.mark.parametrize("key", ["x" * 5000, "\u00e9t\u00e9", "0" * 40])
def test_bad_keys_are_refused_clearly(observer, key):
    response = call_with(key)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Invalid token")


def test_an_inactive_users_token_is_refused(observer):
    issued = api_tokens.issue(observer)
    observer.is_active = False
    observer.save(update_fields=["is_active"])
    assert call_with(issued.key).status_code == 401


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_cli_makes_shows_and_revokes_tokens_with_the_actors_rights(observer, admin_user):
    made = run("user", "token", "alice", "--as", "alice")
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert call_with(key).status_code == 200
    status = run("user", "token", "alice", "--status")
    assert status.exit_code == 0 and "expires" in status.stdout and key not in status.stdout
    # Another observer may not make or revoke alice's token; the SysAdmin may.
    make_user("bob", ProfileLevel.OBSERVER)
    refused = run("user", "token", "alice", "--as", "bob", "--revoke")
    assert refused.exit_code == 1 and "may not manage alice's token" in refused.output
    assert call_with(key).status_code == 200
    revoked = run("user", "token", "alice", "--as", "admin", "--revoke")
    assert revoked.exit_code == 0 and "token revoked" in revoked.stdout
    assert call_with(key).status_code == 401
    assert "no API token" in run("user", "token", "alice", "--status").stdout


def test_the_profile_page_rotates_and_revokes(observer, client):
    client.force_login(observer)
    assert "You have no API token" in client.get("/profile/").content.decode()
    page = client.post("/profile/token/new/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    key = ApiToken.objects.get(user=observer)
    shown = page.content.decode().split('<code id="api-token">')[1].split("<")[0]
    assert api_tokens.digest(shown) == key.digest
    assert call_with(shown).status_code == 200
    profile = client.get("/profile/").content.decode()
    assert "expires on" in profile and shown not in profile
    assert client.get("/profile/token/new/").status_code == 405
    assert client.post("/profile/token/revoke/").status_code == 302
    assert call_with(shown).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_old_plain_tokens(observer):
    """What 0003 does to a database that had DRF's authtoken table."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("pyros.accounts.migrations.0003_api_tokens")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
                       'created timestamp NOT NULL, user_id bigint NOT NULL)'
                       if connection.vendor != "mysql" else
                       "CREATE TABLE authtoken_token (`key` varchar(40) PRIMARY KEY, "
                       "created datetime(6) NOT NULL, user_id bigint NOT NULL)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)",
                       [old_key, "2026-01-02 03:04:05", observer.pk])
    with connection.schema_editor() as editor:
        migration.hash_plain_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert call_with(old_key).status_code == 200
    assert ApiToken.objects.get(user=observer).digest == api_tokens.digest(old_key)
