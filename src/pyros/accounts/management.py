"""User management: the one place that decides who may change which account, and how.

The web pages (``/users/``), ``pyros user`` and the REST API (``/api/users/``) all call
:func:`change_user`, :func:`set_password` and :func:`delete_user`, so a rule written here
holds on every path. The rules:

- acting needs ACT on the "users" right of the matrix (PI, SysAdmin) and an active account
  (changing one's own password is the exception: anyone may);
- nobody changes their own profile, nor deactivates themselves;
- the PI cannot give the SysAdmin profile, nor change anything of a SysAdmin;
- only the SysAdmin changes the other fields (names, e-mail, username, programs…);
- the last active SysAdmin cannot be deactivated, deleted or demoted (the guard against
  deletion also runs for deletions made elsewhere, e.g. Django's admin: see
  :func:`_guard_last_sysadmin_delete`).

Every change is written to Django's admin log (``LogEntry``: who, what, when), which
also shows it in the admin's history of the account, with no table of our own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from pyros import clock
from pyros.accounts.models import Profile, User
from pyros.accounts.profiles import ProfileLevel
from pyros.accounts.rights import Access

log = logging.getLogger(__name__)

RIGHT = "users"
#: Plain fields only the SysAdmin changes, when the model has them ("institute" comes
#: with registration).
PLAIN_FIELDS = ("username", "first_name", "last_name", "email", "other_email", "institute")


class Refused(Exception):
    """The acting user may not make this change (HTTP 403)."""


class LastSysAdmin(Refused):
    """The change would leave no active SysAdmin (HTTP 409: the state, not the actor)."""


class Invalid(ValueError):
    """A value is wrong (HTTP 400); ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass
class Changes:
    """What to change; ``None`` (or absent from ``fields``) leaves it as it is."""

    profile: ProfileLevel | None = None
    is_active: bool | None = None
    #: plain fields (see :data:`PLAIN_FIELDS`) -> new value
    fields: dict[str, str] = field(default_factory=dict)
    #: names of the scientific programs the user is to be a member of, exactly
    programs: list[str] | None = None


@dataclass
class Outcome:
    """What was changed (human words, also logged) and whether the user was mailed."""

    changed: list[str]
    mailed: bool | None = None  # None: no mail was due


def editable_fields() -> tuple[str, ...]:
    """The plain fields this database's user model has."""
    names = {f.name for f in User._meta.get_fields()}
    return tuple(f for f in PLAIN_FIELDS if f in names)


def parse_profile(text: str) -> ProfileLevel:
    """A profile by its key (``ie_is``), name (``IE/IS``) or level (``3``)."""
    key = text.strip().upper().replace("/", "_").replace("-", "_")
    if (key.isascii() and key.isdigit() and len(key) < 3
            and int(key) in {p.value for p in ProfileLevel}):
        return ProfileLevel(int(key))
    try:
        return ProfileLevel[key]
    except KeyError:
        known = ", ".join(p.name.lower() for p in ProfileLevel)
        raise Invalid("profile", f"unknown profile '{text}' (profiles: {known})") from None


def profile_name(level: ProfileLevel) -> str:
    return Profile.objects.get(level=level).name


# --- Who may -------------------------------------------------------------------------------


def may_manage(actor: object) -> bool:
    """ACT on "users" with an active account: the PI and the SysAdmin."""
    return bool(getattr(actor, "is_authenticated", False)) and isinstance(actor, User) \
        and actor.can(RIGHT, Access.ACT)


def is_sysadmin(user: User) -> bool:
    return user.level == ProfileLevel.SYSADMIN


def may_change_account(actor: User, target: User) -> bool:
    """Whether ``actor`` may change anything of ``target`` (the PI never a SysAdmin)."""
    return may_manage(actor) and (is_sysadmin(actor) or not is_sysadmin(target))


def may_edit_fields(actor: User) -> bool:
    return may_manage(actor) and is_sysadmin(actor)


def assignable_profiles(actor: User, target: User) -> list[ProfileLevel]:
    """The profiles ``actor`` may give ``target``: what the profile select offers. Empty
    when the profile may not be changed at all (oneself, or a SysAdmin for the PI)."""
    if actor.pk == target.pk or not may_change_account(actor, target):
        return []
    top = ProfileLevel.SYSADMIN if is_sysadmin(actor) else ProfileLevel.PI
    return [p for p in ProfileLevel if p <= top]


def sysadmin_q() -> Q:
    """Users whose level is SysAdmin (the profile, or Django's superuser flag)."""
    return Q(profile__level=ProfileLevel.SYSADMIN) | Q(is_superuser=True)


def _lock_sysadmins() -> None:
    """Lock the active SysAdmins' rows, in id order, until the transaction ends, so that
    two SysAdmins demoting each other at once cannot both succeed nor deadlock (on
    SQLite, writes are serialised anyway). A sub-query, since PostgreSQL refuses FOR
    UPDATE on the nullable side of the profile's outer join."""
    list(User.objects.select_for_update()
         .filter(is_active=True, pk__in=User.objects.filter(sysadmin_q()).values("pk"))
         .order_by("pk").values_list("pk", flat=True))


def _check_not_last_sysadmin(target: User, what: str) -> None:
    if not (is_sysadmin(target) and target.is_active):
        return
    if not User.objects.filter(sysadmin_q(), is_active=True).exclude(pk=target.pk).exists():
        raise LastSysAdmin(f"{target.username} is the last active SysAdmin: they cannot be "
                           f"{what}; make another SysAdmin first")


# --- Changes -------------------------------------------------------------------------------


def _require_manager(actor: User, target: User) -> None:
    if not may_manage(actor):
        raise Refused("your profile may not manage users (only the PI and the SysAdmin)")
    if not may_change_account(actor, target):
        raise Refused("the PI cannot change a SysAdmin's account")


def _apply_profile(actor: User, target: User, level: ProfileLevel, changed: list[str]) -> None:
    if level == target.level and (target.profile_id is not None or level == ProfileLevel.VISITOR):
        return
    # The last SysAdmin first: it is the reason that matters most to whoever tries it.
    if level != ProfileLevel.SYSADMIN:
        _check_not_last_sysadmin(target, "demoted")
    if actor.pk == target.pk:
        raise Refused("nobody changes their own profile")
    if level not in assignable_profiles(actor, target):
        raise Refused(f"you may not give the {level.name} profile")
    before = target.profile.name if target.profile_id else "Visitor"
    target.profile = Profile.objects.get(level=level)
    # The SysAdmin profile and Django's superuser flags go together: a demoted SysAdmin
    # must not keep every right through is_superuser (User.level reads it first).
    target.is_superuser = target.is_staff = level == ProfileLevel.SYSADMIN
    changed.append(f"profile: {before} → {target.profile.name}")


def _apply_active(actor: User, target: User, active: bool, changed: list[str]) -> bool:
    if active == target.is_active:
        return False
    if not active:
        _check_not_last_sysadmin(target, "deactivated")
        if actor.pk == target.pk:
            raise Refused("nobody deactivates their own account")
    target.is_active = active
    changed.append("reactivated" if active else "deactivated")
    return True


def _apply_fields(target: User, values: dict[str, str], changed: list[str]) -> None:
    known = editable_fields()
    for name, raw in values.items():
        if name not in known:
            raise Invalid(name, "no such field")
        value = (raw or "").strip()
        if name == "username":
            if not value:
                raise Invalid(name, "a username is required")
            try:
                UnicodeUsernameValidator()(value)
            except ValidationError as exc:
                raise Invalid(name, " ".join(exc.messages)) from None
            if User.objects.filter(username__iexact=value).exclude(pk=target.pk).exists():
                raise Invalid(name, f"'{value}' is taken")
        elif name in ("email", "other_email") and value:
            try:
                validate_email(value)
            except ValidationError:
                raise Invalid(name, f"'{value}' is not an e-mail address") from None
        limit = User._meta.get_field(name).max_length
        if limit and len(value) > limit:
            raise Invalid(name, f"at most {limit} characters")
        if getattr(target, name) != value:
            changed.append(f"{name}: {getattr(target, name)!r} → {value!r}")
            setattr(target, name, value)


def _apply_programs(target: User, names: list[str], changed: list[str]) -> None:
    from pyros.programs.models import ScientificProgram

    wanted = set(names)
    found = {p.name: p for p in ScientificProgram.objects.filter(name__in=wanted)}
    missing = sorted(wanted - set(found))
    if missing:
        raise Invalid("programs", f"no scientific program {', '.join(missing)}")
    current = set(target.programs.values_list("name", flat=True))
    if current == wanted:
        return
    target.programs.set(found.values())
    changed.append(f"programs: {', '.join(sorted(current)) or '—'} → "
                   f"{', '.join(sorted(wanted)) or '—'}")


def change_user(actor: User, target: User, changes: Changes) -> Outcome:
    """Apply ``changes`` to ``target`` as ``actor``, all or nothing, logged; mail the user
    when their account is deactivated or reactivated. Raises :class:`Refused` or
    :class:`Invalid` and changes nothing when a rule forbids any part of it."""
    changed: list[str] = []
    toggled = False
    with transaction.atomic():
        if is_sysadmin(target) and (changes.profile is not None or changes.is_active is not None):
            _lock_sysadmins()
        target = User.objects.select_for_update().get(pk=target.pk)
        _require_manager(actor, target)
        if (changes.fields or changes.programs is not None) and not may_edit_fields(actor):
            raise Refused("only the SysAdmin changes a user's other fields and programs")
        if changes.fields:
            _apply_fields(target, changes.fields, changed)
        if changes.programs is not None:
            _apply_programs(target, changes.programs, changed)
        if changes.profile is not None:
            _apply_profile(actor, target, changes.profile, changed)
        if changes.is_active is not None:
            toggled = _apply_active(actor, target, changes.is_active, changed)
        if changed:
            target.save()
            record(actor, target, changed)
    outcome = Outcome(changed)
    if toggled:
        outcome.mailed = _mail_state(target, actor)
    return outcome


def set_password(actor: User, target: User, password: str) -> Outcome:
    """Set ``target``'s password: one's own, or as a manager who may change the account.
    Django's password validators apply."""
    if actor.pk != target.pk:
        _require_manager(actor, target)
    try:
        validate_password(password, target)
    except ValidationError as exc:
        raise Invalid("password", " ".join(exc.messages)) from None
    with transaction.atomic():
        target.set_password(password)
        target.save(update_fields=["password"])
        record(actor, target, ["password changed"])
    return Outcome(["password changed"])


def delete_user(actor: User, target: User) -> None:
    """Delete an account (SysAdmin only). Accounts that own requests or lead programs are
    protected by the database: deactivate them instead."""
    _require_manager(actor, target)
    if not is_sysadmin(actor):
        raise Refused("only the SysAdmin deletes accounts (the PI deactivates them)")
    name, pk = target.username, target.pk
    try:
        with transaction.atomic():
            _lock_sysadmins()
            _check_not_last_sysadmin(User.objects.get(pk=pk), "deleted")
            if actor.pk == target.pk:
                raise Refused("nobody deletes their own account")
            target.delete()
            record(actor, None, [f"deleted {name}"], object_id=pk, object_repr=name,
                   flag=DELETION)
    except ProtectedError:
        raise Refused(f"{name} owns requests or leads programs: deactivate the account "
                      "instead") from None


@receiver(pre_delete, sender=User, dispatch_uid="pyros-last-sysadmin")
def _guard_last_sysadmin_delete(sender: type, instance: User, **kwargs: Any) -> None:
    """Whatever deletes it (the admin, a shell), the last active SysAdmin stays."""
    if is_sysadmin(instance) and instance.is_active and not User.objects.filter(
            sysadmin_q(), is_active=True).exclude(pk=instance.pk).exists():
        raise LastSysAdmin(f"{instance.username} is the last active SysAdmin: they cannot "
                           "be deleted")


# --- The log -------------------------------------------------------------------------------


def record(actor: User, target: User | None, changed: list[str], *, object_id: int | None = None,
           object_repr: str = "", flag: int = CHANGE) -> None:
    """One admin-log entry: who (``actor``), what (``changed``), when (the clock's now)."""
    LogEntry.objects.create(
        user=actor, content_type=ContentType.objects.get_for_model(User),
        object_id=str(target.pk if target is not None else object_id),
        object_repr=(target.username if target is not None else object_repr)[:200],
        action_flag=flag, change_message=json.dumps([{"changed": {"pyros": changed}}]),
        action_time=clock.now())


def history(target_pk: int, limit: int = 50) -> QuerySet[LogEntry]:
    """The latest changes made to an account, newest first."""
    return (LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User),
                                    object_id=str(target_pk))
            .select_related("user").order_by("-action_time", "-pk")[:limit])


def described(entry: LogEntry) -> str:
    """An entry as words: ours are "a → b" lines; the admin's get Django's own text."""
    try:
        data = json.loads(entry.change_message or "[]")
        return "; ".join(data[0]["changed"]["pyros"])
    except (ValueError, LookupError, TypeError):
        return entry.get_change_message() or entry.get_action_flag_display()


def _mail_state(target: User, actor: User) -> bool:
    """Mail the user their account's new state, through the outbox (sent when the
    change commits, retried while the server is down, failures shown to the PI); a
    mail that cannot even be queued does not undo the change (``mailed`` False)."""
    from pyros.accounts.mails import notify_account_state

    try:
        notify_account_state(target, target.is_active, actor)
    except Exception:  # any mail failure (SMTP, DNS, refused) is reported
        log.exception("could not mail %s that their account was %s", target.username,
                      "reactivated" if target.is_active else "deactivated")
        return False
    return True
