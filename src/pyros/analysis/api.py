"""The REST API of the Images pages: the frames one may see with their analysis, one
frame's analysis in full (flags, solved WCS, time per stage, candidates), and the
master calibrations. Read-only: the analysis agent writes, people read.

Rights are the pages' (see :mod:`pyros.analysis.views`): ``images`` shows the frames of
one's requests, ``images.all`` every frame and the masters.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.agents.api import DetailOut
from pyros.analysis.models import Candidate, FrameAnalysis, MasterCalibration
from pyros.analysis.views import ALL_IMAGES, IMAGES, visible_images
from pyros.dates import parse_day
from pyros.images.models import Image
from pyros.monitoring.api import ReadsPage
from pyros.web.params import int_param

TAGS = ["images"]
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class AnalysisOut(BaseModel):
    """What the pipeline found; figures it could not measure are null."""

    status: str
    reason: str
    analysed_at: datetime | None
    latency: float | None  # wall seconds from the end of the readout
    calibrated: bool
    solved: bool
    sources: int | None
    fwhm: float | None  # arcsec
    ellipticity: float | None
    background: float | None  # ADU
    background_rms: float | None
    sky_brightness: float | None  # mag/arcsec²
    zero_point: float | None  # mag giving 1 ADU/s
    limiting_magnitude: float | None  # 5 sigma
    astrometric_rms: float | None  # arcsec
    pointing_offset: float | None  # arcsec
    masters: dict[str, str]  # bias/dark/flat: the master's file name


class CandidateOut(BaseModel):
    id: int
    kind: str
    ra: float
    dec: float
    mag: float
    mag_err: float
    snr: float
    reference_mag: float | None
    event: int | None


class ImageOut(BaseModel):
    id: int
    file: str
    night: date
    date_obs: datetime
    frame_type: str
    channel: str
    filter: str
    exposure: float
    target_name: str
    sequence: int | None
    analysis: AnalysisOut | None


class ImageDetailOut(ImageOut):
    results: dict[str, Any]  # everything measured: flags, wcs, timings per stage…
    calibrated_file: str
    candidates: list[CandidateOut]


class ImageListOut(BaseModel):
    count: int
    images: list[ImageOut]


class MasterOut(BaseModel):
    id: int
    kind: str
    channel: str
    binning: int
    filter: str
    exposure: float
    ccd_temperature: float | None
    night: date
    date_obs: datetime
    file: str
    frame_count: int
    quality: dict[str, float | None]


class MasterListOut(BaseModel):
    masters: list[MasterOut]


def analysis_out(analysis: FrameAnalysis | None) -> AnalysisOut | None:
    if analysis is None:
        return None
    masters = {kind: Path(master.path).name for kind in ("bias", "dark", "flat")
               if (master := getattr(analysis, kind)) is not None}
    return AnalysisOut(
        status=analysis.status, reason=analysis.reason, analysed_at=analysis.analysed_at,
        latency=analysis.latency, calibrated=analysis.calibrated, solved=analysis.solved,
        sources=analysis.sources, fwhm=analysis.fwhm, ellipticity=analysis.ellipticity,
        background=analysis.background, background_rms=analysis.background_rms,
        sky_brightness=analysis.sky_brightness, zero_point=analysis.zero_point,
        limiting_magnitude=analysis.limiting_magnitude,
        astrometric_rms=analysis.astrometric_rms, pointing_offset=analysis.pointing_offset,
        masters=masters)


def image_out(image: Image) -> dict[str, Any]:
    return {"id": image.pk, "file": Path(image.path).name, "night": image.night,
            "date_obs": image.date_obs, "frame_type": image.frame_type,
            "channel": image.channel, "filter": image.filter, "exposure": image.exposure,
            "target_name": image.target_name, "sequence": image.sequence_id,
            "analysis": analysis_out(getattr(image, "analysis", None))}


class ImagesApiView(APIView):
    permission_classes: ClassVar = [AllowAny, ReadsPage]
    right: ClassVar[str] = IMAGES


def _night_param(params) -> date | None:
    raw = params.get("night", "")
    if not raw:
        return None
    try:
        return parse_day(raw, "night")
    except ValueError as exc:
        raise ParseError(str(exc)) from None


class ImageListView(ImagesApiView):
    @extend_schema(
        operation_id="images_list", tags=TAGS, summary="The images, with their analysis",
        description="The frames you may see (your requests'; every frame with `images.all`), "
                    "in the order taken, each with its analysis: status (PENDING, DONE, "
                    "FAILED, USED in a master), FWHM, zero point, limiting magnitude, sky "
                    "brightness, astrometric RMS, the masters it was calibrated with.",
        parameters=[OpenApiParameter("night", OpenApiTypes.DATE,
                                     description="only this night (its evening's date)"),
                    OpenApiParameter("limit", int, default=DEFAULT_LIMIT,
                                     description=f"at most this many (up to {MAX_LIMIT})"),
                    OpenApiParameter("offset", int, default=0)],
        responses={200: ImageListOut,
                   400: OpenApiResponse(DetailOut, description="bad parameter"),
                   403: OpenApiResponse(DetailOut, description="no access to the images")},
    )
    def get(self, request: ApiRequest) -> Response:
        params = request.query_params
        images = visible_images(request.user).select_related(
            "analysis__bias", "analysis__dark", "analysis__flat").order_by("date_obs", "id")
        night = _night_param(params)
        if night is not None:
            images = images.filter(night=night)
        limit = int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = int_param(params, "offset", 0, 0, 2**31 - 1)
        page = ImageListOut(count=images.count(),
                            images=[image_out(i) for i in images[offset:offset + limit]])
        return Response(page.model_dump(mode="json"))


class ImageDetailView(ImagesApiView):
    @extend_schema(
        operation_id="images_retrieve", tags=TAGS, summary="One image and its analysis",
        description="The image, its analysis with everything measured (`results`: flags, "
                    "the solved WCS cards, seconds per stage…), the calibrated file, and "
                    "the transient candidates found in it.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ImageDetailOut,
                   404: OpenApiResponse(DetailOut, description="no such image of yours")},
    )
    def get(self, request: ApiRequest, pk: int) -> Response:
        image = visible_images(request.user).filter(pk=pk).first()
        if image is None:
            raise NotFound(f"no image {pk} of yours")
        analysis = getattr(image, "analysis", None)
        candidates = Candidate.objects.filter(analysis=analysis) if analysis else []
        out = ImageDetailOut(
            **image_out(image), results=analysis.results if analysis else {},
            calibrated_file=Path(analysis.calibrated_path).name
            if analysis and analysis.calibrated_path else "",
            candidates=[CandidateOut(id=c.pk, kind=c.kind, ra=c.ra, dec=c.dec, mag=c.mag,
                                     mag_err=c.mag_err, snr=c.snr,
                                     reference_mag=c.reference_mag, event=c.event_id)
                        for c in candidates])
        return Response(out.model_dump(mode="json"))


class MasterListView(ImagesApiView):
    right: ClassVar[str] = ALL_IMAGES

    @extend_schema(
        operation_id="images_masters_list", tags=TAGS, summary="The master calibrations",
        description="Master bias, darks and flats, newest first, with their quality: bias "
                    "level and read noise (e⁻), dark current (e⁻/s/pixel) at its CCD "
                    "temperature, flat level and large-scale uniformity.",
        parameters=[OpenApiParameter("night", OpenApiTypes.DATE,
                                     description="only this night's")],
        responses={200: MasterListOut,
                   400: OpenApiResponse(DetailOut, description="bad parameter")},
    )
    def get(self, request: ApiRequest) -> Response:
        masters = MasterCalibration.objects.all()
        night = _night_param(request.query_params)
        if night is not None:
            masters = masters.filter(night=night)
        out = MasterListOut(masters=[MasterOut(
            id=m.pk, kind=m.kind, channel=m.channel, binning=m.binning, filter=m.filter,
            exposure=m.exposure, ccd_temperature=m.ccd_temperature, night=m.night,
            date_obs=m.date_obs, file=Path(m.path).name, frame_count=m.frame_count,
            quality=m.quality) for m in masters[:MAX_LIMIT]])
        return Response(out.model_dump(mode="json"))
