"""The mails not sent, on every page of those who manage users (the PI, the SysAdmin):
a registration whose mails are stuck must not go unnoticed."""

from __future__ import annotations

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access


def mail_failures(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or user_access(user, "users") < Access.ACT:
        return {}
    from pyros.mail.outbox import failures

    found = failures()
    return {"mail_failures": found} if found.count else {}
