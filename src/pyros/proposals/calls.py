"""The call for proposals of each six-month period.

By default the call for a period opens when the period before it starts and closes one
month before it starts (2027A: 2026-07-01 to 2026-12-01), leaving the TAC and the PI a
month to vote and decide. The PI may move both dates on the call's page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from pyros import clock
from pyros.programs.models import Period
from pyros.programs.periods import PeriodBounds, next_period, period_containing
from pyros.proposals.models import Call


def default_dates(bounds: PeriodBounds) -> tuple[datetime, datetime]:
    """(opens, deadline) of the call for the period ``bounds``."""
    start = bounds.start.astimezone(UTC)
    if start.month == 1:
        deadline = datetime(start.year - 1, 12, 1, tzinfo=UTC)
    else:
        deadline = datetime(start.year, start.month - 1, 1, tzinfo=UTC)
    return period_containing(deadline).start, deadline


def ensure_next_call(now: datetime | None = None) -> tuple[Call, bool]:
    """The call for the period after the one ``now`` is in, created (with its period)
    if missing; True when it was created. ``pyros init`` calls it, and so does the
    proposals list, so that an observatory that runs for years without a new ``init``
    still has its next call."""
    bounds = next_period(period_containing(now or clock.now()))
    existing = Call.objects.select_related("period").filter(period__name=bounds.name).first()
    if existing is not None:
        return existing, False
    opens, deadline = default_dates(bounds)
    try:
        with transaction.atomic():
            period, _ = Period.objects.get_or_create(
                name=bounds.name, defaults={"start": bounds.start, "end": bounds.end})
            return Call.objects.create(period=period, opens=opens, deadline=deadline), True
    except IntegrityError:  # another process made it at the same moment
        return Call.objects.select_related("period").get(period__name=bounds.name), False


def open_call(now: datetime | None = None) -> Call | None:
    """The call proposals are made for now, if one is open (the earliest deadline
    first, should the PI have opened two at once)."""
    now = now or clock.now()
    return (Call.objects.select_related("period").filter(opens__lte=now, deadline__gt=now)
            .order_by("deadline").first())
