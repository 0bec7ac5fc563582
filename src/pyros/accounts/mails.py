"""The mails about accounts (the guide's workflow, section 13.12.1.2): to a new user
(account created, awaiting validation), to the PIs (a link to activate it), to a user
whose account is activated, deactivated or reactivated.

Every mail goes through the outbox (``pyros.mail.outbox.queue_mail``): called inside the
transaction that changes the account, it is stored with the change and sent once the
change is committed; a mail server that is down delays the mail, never the change.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from pyros.accounts.tokens import activation_tokens
from pyros.mail.models import OutgoingMail
from pyros.mail.outbox import queue_mail


def site_url(path: str = "/") -> str:
    """An absolute link to the web site ([mail] site_url), for mails."""
    return f"{settings.PYROS_SITE_URL}{path}"


def _mail(template: str, to: str | list[str], kind: str, **context) -> list[OutgoingMail]:
    """Render ``accounts/mail/<template>.txt``: its first line is the subject."""
    context.setdefault("site_url", settings.PYROS_SITE_URL)
    context.setdefault("unit", getattr(settings, "UNIT", None))
    text = render_to_string(f"accounts/mail/{template}.txt", context).strip()
    subject, _, body = text.partition("\n")
    return queue_mail(to, subject.strip(), body.strip() + "\n", kind=kind)


def managers_addresses() -> list[str]:
    """Who is told of new registrations: the active PIs; when there is none (or none
    with an address), the active system administrators, so that a registration is
    never mailed to nobody."""
    with_mail = User.objects.filter(is_active=True).exclude(email="")
    pis = with_mail.filter(profile__level=ProfileLevel.PI, is_superuser=False)
    addresses = list(pis.order_by("pk").values_list("email", flat=True))
    if not addresses:
        admins = with_mail.filter(Q(profile__level=ProfileLevel.SYSADMIN) | Q(is_superuser=True))
        addresses = list(admins.order_by("pk").values_list("email", flat=True))
    return addresses


def activation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return site_url(reverse("activate_account", args=[uid, activation_tokens.make_token(user)]))


def notify_registration(user: User) -> None:
    """A new account: tell its owner it awaits validation, and the PIs how to activate it."""
    _mail("registered", user.email, "registration", user=user,
          login_url=site_url(reverse("login")))
    _mail("to_validate", managers_addresses(), "registration", user=user,
          link=activation_link(user),
          days=settings.PYROS_ACTIVATION_TIMEOUT // 86400)


def notify_account_state(user: User, active: bool, by: User | None = None) -> None:
    """Tell ``user`` that their account was activated (``active``) or deactivated, by
    ``by``. Call it in the transaction that changes ``is_active`` (the user-management
    pages do, for deactivate and reactivate; the activation page for a new account)."""
    _mail("activated" if active else "deactivated", user.email,
          "activation" if active else "deactivation", user=user, by=by,
          login_url=site_url(reverse("login")),
          reset_url=site_url(reverse("password_reset")))
