"""Who sees which archive frames: the guide's rights matrix (Images: personal / all) and
the proprietary period, one rule for every path (pages, API, downloads, previews, zip
files, the command line).

- ``images.all`` (IE/IS, Superoperator, PI, SysAdmin): every frame.
- ``images`` (Observer): the frames of the programs they lead or belong to, and of
  their own requests; and public ones.
- any other logged-in user (Visitor, TAC, Operator): public frames. Calibrations are
  public from the moment they are taken, so every logged-in user sees them.
- not logged in: public frames if ``[archive] public_to_anonymous``; else none.

A frame is public once its ``public_date`` (taken + ``proprietary_days``) has passed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.archive.models import ArchiveFrame
from pyros.config.schema import UnitConfig
from pyros.observations.access import member_programs

IMAGES, ALL_IMAGES = "images", "images.all"


def visible_frames(user: Any, unit: UnitConfig, now: datetime | None = None
                   ) -> QuerySet[ArchiveFrame]:
    frames = ArchiveFrame.objects.all()
    public = Q(public_date__lte=now or clock.now())
    if user is None or not getattr(user, "is_authenticated", False):
        return frames.filter(public) if unit.archive.public_to_anonymous else frames.none()
    if user_access(user, ALL_IMAGES) >= Access.READ:
        return frames
    if user_access(user, IMAGES) >= Access.READ:
        mine = Q(program__in=member_programs(user, active_only=False).values("pk")) \
            | Q(request__owner=user)
        return frames.filter(public | mine)
    return frames.filter(public)


def may_see(user: Any, unit: UnitConfig, frame: ArchiveFrame) -> bool:
    return visible_frames(user, unit).filter(pk=frame.pk).exists()
