"""The science archive's ``/frames/`` as a TOM reads it: a request's frames (``REQNUM``
is the OCS request, a PyROS sequence), each with a ``url`` the TOM downloads without
credentials.

That ``url`` is a signed, expiring link made on behalf of the caller
(:mod:`pyros.archive.signed`), served on the OCS port by the archive's own download
view: the download checks again that the caller may see the frame, so the link dies
with the right. Who sees which frame is the archive's one rule (``visible_frames``).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.archive import signed
from pyros.archive.access import visible_frames
from pyros.archive.models import ArchiveFrame
from pyros.config.loader import active_config
from pyros.ocs.auth import ExplainsTokens
from pyros.web.params import int_param

URLCONF = "pyros.ocs.urls"
_FILTERS = {"REQNUM": "sequence_id", "RLEVEL": "reduction_level"}


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class FramesApi(ExplainsTokens, APIView):
    permission_classes: ClassVar = [IsAuthenticated]

    def frames(self) -> QuerySet[ArchiveFrame]:
        return visible_frames(self.request.user, active_config()).select_related("program")

    def record(self, frame: ArchiveFrame) -> dict[str, Any]:
        unit = active_config()
        link = signed.sign(frame.pk, self.request.user.pk, unit.archive.signed_url_seconds)
        path = reverse("ocs-frame-file", args=[frame.pk], urlconf=URLCONF)
        url = self.request.build_absolute_uri(path) + "?" + urlencode(
            {"signature": link.signature})
        return {
            "id": frame.pk,
            "basename": frame.basename,
            "filename": PurePosixPath(frame.path).name,
            "DATE_OBS": _iso(frame.date_obs),
            "DAY_OBS": frame.night.isoformat(),
            "PROPID": frame.program.name if frame.program else "",
            "INSTRUME": frame.channel,
            "OBJECT": frame.target_name,
            "SITEID": unit.ocs.site_code,
            "TELID": unit.ocs.telescope_class,
            "EXPTIME": frame.exposure,
            "FILTER": frame.filter,
            "REQNUM": frame.sequence_id,
            "BLKUID": None,
            "RLEVEL": frame.reduction_level,
            "OBSTYPE": "EXPOSE" if frame.frame_type == "LIGHT" else frame.frame_type,
            "area": None,
            "related_frames": [],
            "url": url,
            "url_expires": _iso(link.expires),
            "version_set": [{"id": frame.pk, "key": frame.sha256, "md5": None,
                             "extension": "".join(PurePosixPath(frame.path).suffixes),
                             "url": url, "created": _iso(frame.ingested_at)}],
        }


class FrameListView(FramesApi):
    def get(self, request: ApiRequest) -> Response:
        frames = self.frames()
        params = request.query_params
        for name, field in _FILTERS.items():
            if name in params:
                frames = frames.filter(**{field: int_param(params, name, 0, 0, 2**63 - 1)})
        limit = int_param(params, "limit", 100, 1, 1000)
        offset = int_param(params, "offset", 0, 0, 2**31 - 1)
        count = frames.count()
        page = list(frames.order_by("date_obs", "pk")[offset:offset + limit])
        following = None
        if offset + limit < count:
            query = {**{k: params[k] for k in _FILTERS if k in params},
                     "limit": limit, "offset": offset + limit}
            following = request.build_absolute_uri(request.path) + "?" + urlencode(query)
        return Response({"count": count, "next": following, "previous": None,
                         "results": [self.record(f) for f in page]})


class FrameDetailView(FramesApi):
    def get(self, request: ApiRequest, pk: int) -> Response:
        frame = self.frames().filter(pk=pk).first()
        if frame is None:
            raise NotFound(f"no frame {pk} that you may see")
        return Response(self.record(frame))
