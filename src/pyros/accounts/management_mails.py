"""The mail a user gets when the PI or the SysAdmin deactivates or reactivates their
account (the guide's workflow, version 1). One function, so that the registration work,
which brings the mail settings and retries, can take it over with its own
``notify_account_state``."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from pyros.accounts.models import User


def notify_account_state(user: User, active: bool, by: User | None) -> None:
    """Tell ``user`` their account is now active or not; raises when the mail cannot be
    handed to the mail server (the caller reports it, the change stays)."""
    if not user.email:
        return
    unit = getattr(settings, "UNIT", None)
    where = f"PyROS {getattr(unit, 'unit', '')}".strip()
    who = f" by {by.get_full_name() or by.username}" if by is not None else ""
    if active:
        subject = f"[{where}] Your account is active again"
        body = (f"Hello {user.get_full_name() or user.username},\n\nyour account "
                f"'{user.username}' on {where} was reactivated{who}: you may log in again.\n")
    else:
        subject = f"[{where}] Your account was deactivated"
        body = (f"Hello {user.get_full_name() or user.username},\n\nyour account "
                f"'{user.username}' on {where} was deactivated{who}: you cannot log in "
                "until it is reactivated. Write to the observatory's PI if you think "
                "this is a mistake.\n")
    send_mail(subject, body, None, [user.email], fail_silently=False)
