"""A frame's relatives: its raw frame, calibrated frame and catalogue (one Image between
them), the masters its calibration used, and for a master the frames it was made from
and those it calibrated. Found through the rows that made them, never stored twice."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from pyros.analysis.models import FrameAnalysis
from pyros.archive.models import ArchiveFrame, Product


def related(frame: ArchiveFrame) -> QuerySet[ArchiveFrame]:
    if frame.product == Product.MASTER:
        if frame.master_id is None:
            return ArchiveFrame.objects.none()
        made_from = Q(image__masters_made=frame.master_id)
        calibrated = Q(image__analysis__bias=frame.master_id) \
            | Q(image__analysis__dark=frame.master_id) | Q(image__analysis__flat=frame.master_id)
        return ArchiveFrame.objects.filter(made_from | (calibrated & ~Q(product=Product.RAW))) \
            .exclude(pk=frame.pk).distinct()
    if frame.image_id is None:
        return ArchiveFrame.objects.none()
    same_image = Q(image_id=frame.image_id)
    used = FrameAnalysis.objects.filter(image_id=frame.image_id) \
        .values_list("bias_id", "dark_id", "flat_id").first() or ()
    masters = [m for m in used if m]
    return ArchiveFrame.objects.filter(same_image | Q(master_id__in=masters)) \
        .exclude(pk=frame.pk).distinct()
