"""Changing a draft piece by piece, as the web builder does: every write locks the
request's row and checks that it is still a DRAFT and that the acting user may still edit
it (``access.may_edit``), so that a request submitted meanwhile (another tab, the API)
never changes under the scheduler, and a right lost meanwhile is a right lost."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max, QuerySet

from pyros import clock
from pyros.observations.access import require_edit
from pyros.observations.lifecycle import InvalidTransition
from pyros.observations.models import Album, Plan, Request, Sequence


def ensure_draft(request: Request) -> None:
    if not request.is_editable:
        raise InvalidTransition(f"request #{request.pk} is {request.status}; "
                                "only a DRAFT can be changed")


def lock_draft(request: Request, actor) -> Request:
    """The request's row, locked until the transaction ends, if it is still a draft and
    ``actor`` may edit it (else RequestForbidden)."""
    locked = Request.objects.select_for_update().select_related("program").get(pk=request.pk)
    require_edit(actor, locked)
    ensure_draft(locked)
    return locked


def touch(request: Request) -> None:
    request.updated_at = clock.now()
    request.save(update_fields=["updated_at"])


def next_position(children: QuerySet) -> int:
    top = children.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def delete_piece(request: Request, piece: Sequence | Album | Plan, actor) -> None:
    """Delete a sequence, album or plan (and what it holds) of a draft."""
    with transaction.atomic():
        locked = lock_draft(request, actor)
        piece.delete()
        touch(locked)
