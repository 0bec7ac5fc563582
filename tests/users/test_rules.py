"""The rules of :mod:`pyros.accounts.management`, which pages, CLI and API share."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.db import transaction

from pyros.accounts import management
from pyros.accounts.management import Changes, Invalid, LastSysAdmin, Refused
from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from tests.users.conftest import UNPRIVILEGED

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.select_related("profile").get(pk=user.pk)


@pytest.mark.parametrize("level", UNPRIVILEGED)
def test_profiles_without_the_right_change_nothing(people, level):
    actor, target = people[level], people[ProfileLevel.VISITOR]
    if actor == target:
        target = people[ProfileLevel.TAC]
    for changes in (Changes(profile=ProfileLevel.OBSERVER), Changes(is_active=False),
                    Changes(fields={"email": "x@example.org"})):
        with pytest.raises(Refused):
            management.change_user(actor, target, changes)
    with pytest.raises(Refused):
        management.set_password(actor, target, "a-new-Passw0rd-long")
    assert fresh(target).is_active and fresh(target).email == target.email


def test_pi_changes_profiles_up_to_pi(pi, observer_account):
    assert management.assignable_profiles(pi, observer_account) == [
        p for p in ProfileLevel if p <= ProfileLevel.PI]
    management.change_user(pi, observer_account, Changes(profile=ProfileLevel.OPERATOR))
    assert fresh(observer_account).level == ProfileLevel.OPERATOR
    with pytest.raises(Refused, match="SYSADMIN"):
        management.change_user(pi, observer_account, Changes(profile=ProfileLevel.SYSADMIN))
    assert fresh(observer_account).level == ProfileLevel.OPERATOR


def test_pi_cannot_touch_a_sysadmin(pi, admin):
    assert management.assignable_profiles(pi, admin) == []
    for changes in (Changes(profile=ProfileLevel.OBSERVER), Changes(is_active=False)):
        with pytest.raises(Refused, match="SysAdmin"):
            management.change_user(pi, admin, changes)
    with pytest.raises(Refused):
        management.set_password(pi, admin, "a-new-Passw0rd-long")
    assert fresh(admin).is_superuser and fresh(admin).is_active


def test_only_the_sysadmin_edits_other_fields(pi, admin, observer_account, grb_program):
    with pytest.raises(Refused, match="only the SysAdmin"):
        management.change_user(pi, observer_account, Changes(fields={"first_name": "A"}))
    with pytest.raises(Refused):
        management.change_user(pi, observer_account, Changes(programs=[]))
    outcome = management.change_user(admin, observer_account, Changes(
        fields={"first_name": "Alice", "email": "alice@example.org", "username": "alice2"},
        programs=[]))
    changed = fresh(observer_account)
    assert (changed.username, changed.first_name, changed.email) == (
        "alice2", "Alice", "alice@example.org")
    assert not grb_program.members.filter(pk=changed.pk).exists()
    assert len(outcome.changed) == 4


@pytest.mark.parametrize("fields, programs, field", [
    ({"email": "not-an-address"}, None, "email"),
    ({"username": "u-pi"}, None, "username"),
    ({"username": "bad name!"}, None, "username"),
    ({"username": ""}, None, "username"),
    ({"first_name": "x" * 500}, None, "first_name"),
    ({"no_such": "x"}, None, "no_such"),
    ({}, ["NOPE"], "programs"),
])
def test_invalid_values_change_nothing(admin, observer_account, fields, programs, field):
    with pytest.raises(Invalid) as caught:
        management.change_user(admin, observer_account, Changes(
            fields={"last_name": "Changed", **fields}, programs=programs))
    assert caught.value.field == field
    assert fresh(observer_account).last_name == ""


def test_nobody_changes_their_own_profile(pi, admin, second_sysadmin):
    with pytest.raises(Refused, match="own profile"):
        management.change_user(pi, pi, Changes(profile=ProfileLevel.SYSADMIN))
    with pytest.raises(Refused, match="own profile"):
        management.change_user(pi, pi, Changes(profile=ProfileLevel.OBSERVER))
    with pytest.raises(Refused, match="own profile"):
        management.change_user(admin, admin, Changes(profile=ProfileLevel.PI))
    with pytest.raises(Refused, match="own account"):
        management.change_user(pi, pi, Changes(is_active=False))
    assert management.assignable_profiles(pi, pi) == []
    assert fresh(pi).level == ProfileLevel.PI and fresh(admin).level == ProfileLevel.SYSADMIN


def test_the_last_active_sysadmin_stays(admin, pi):
    for changes, what in ((Changes(profile=ProfileLevel.PI), "demoted"),
                          (Changes(is_active=False), "deactivated")):
        with pytest.raises(LastSysAdmin, match=what):
            management.change_user(admin, admin, changes)
    with pytest.raises(LastSysAdmin):
        management.delete_user(admin, admin)
    assert fresh(admin).is_active and fresh(admin).level == ProfileLevel.SYSADMIN


def test_no_path_deletes_the_last_sysadmin(admin, second_sysadmin):
    management.change_user(second_sysadmin, admin, Changes(is_active=False))
    with pytest.raises(LastSysAdmin, match="deleted"), transaction.atomic():
        second_sysadmin.delete()  # the ORM, a shell, the admin: the signal guards it
    assert fresh(second_sysadmin).is_active


def test_an_inactive_sysadmin_does_not_count(admin, second_sysadmin):
    management.change_user(admin, second_sysadmin, Changes(is_active=False))
    with pytest.raises(LastSysAdmin):
        management.change_user(admin, admin, Changes(profile=ProfileLevel.PI))
    # a second active one: now the other may be demoted, and deleted
    management.change_user(admin, second_sysadmin, Changes(is_active=True))
    management.change_user(admin, second_sysadmin, Changes(profile=ProfileLevel.PI))
    demoted = fresh(second_sysadmin)
    assert demoted.level == ProfileLevel.PI and not demoted.is_superuser
    with pytest.raises(Refused):
        management.change_user(demoted, admin, Changes(profile=ProfileLevel.PI))


def test_promotion_to_sysadmin_gives_the_flags(admin, pi):
    management.change_user(admin, pi, Changes(profile=ProfileLevel.SYSADMIN))
    promoted = fresh(pi)
    assert promoted.level == ProfileLevel.SYSADMIN and promoted.is_superuser
    # and now the former PI may demote... not themselves, but the admin
    management.change_user(promoted, admin, Changes(profile=ProfileLevel.PI))
    assert fresh(admin).level == ProfileLevel.PI and not fresh(admin).is_superuser


def test_deactivation_mails_the_user_and_logs(pi, observer_account,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = management.change_user(pi, observer_account, Changes(is_active=False))
    assert outcome.mailed is True and not fresh(observer_account).is_active
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [observer_account.email]
    assert "deactivated" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        management.change_user(pi, observer_account, Changes(is_active=True))
    assert len(mail.outbox) == 2 and "is active" in mail.outbox[1].subject
    entries = list(management.history(observer_account.pk))
    assert [management.described(e) for e in entries] == ["reactivated", "deactivated"]
    assert {e.user for e in entries} == {pi}
    assert LogEntry.objects.filter(object_id=str(observer_account.pk)).count() == 2


def test_a_mail_server_down_does_not_undo_the_change(pi, observer_account, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    from pyros.mail.models import OutgoingMail

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = management.change_user(pi, observer_account, Changes(is_active=False))
    assert not fresh(observer_account).is_active
    # Queued, not lost: the outbox keeps it with its error and retries it.
    waiting = OutgoingMail.objects.get(to=observer_account.email)
    assert outcome.mailed is True and waiting.sent_at is None
    assert "no mail server" in waiting.last_error


def test_passwords(pi, observer_account, admin):
    with pytest.raises(Invalid, match="password"):
        management.set_password(pi, observer_account, "123")
    management.set_password(pi, observer_account, "a-new-Passw0rd-long")
    assert fresh(observer_account).check_password("a-new-Passw0rd-long")
    management.set_password(observer_account, observer_account, "my-own-Passw0rd-long")
    assert fresh(observer_account).check_password("my-own-Passw0rd-long")
    assert "password changed" in management.described(management.history(
        observer_account.pk)[0])


def test_delete(admin, pi, observer_account, grb_program):
    with pytest.raises(Refused, match="only the SysAdmin"):
        management.delete_user(pi, observer_account)
    management.delete_user(admin, observer_account)
    assert not User.objects.filter(pk=observer_account.pk).exists()
    with pytest.raises(Refused, match="deactivate"):  # admin leads GRB: protected
        management.delete_user(management.User.objects.create(
            username="root3", is_superuser=True, is_active=True), admin)
