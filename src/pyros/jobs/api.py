"""The jobs' REST API: a job's state, progress and result, for its owner
(``GET /api/jobs/ID/``, what the pages poll), and the answers every endpoint that
submits a job gives: 202 with the job's address, or 429 with why and when to retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.agents.api import DetailOut
from pyros.jobs import store
from pyros.jobs.models import Job, JobState

TAGS = ["jobs"]
#: Seconds a page waits between two looks at a running job.
POLL_SECONDS = 1


class JobOut(BaseModel):
    """A job: what it is doing, and its result once DONE."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: int
    kind: str
    state: JobState
    progress: float = Field(description="0 queued, 1 finished; running, the share of "
                                        "its time limit spent")
    queued_ahead: int = Field(description="jobs queued before this one")
    message: str = Field(description="why it failed")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str = Field(description="this address")
    result: Any = Field(description="the result (its kind's format) once DONE, else null")


class JobAcceptedOut(BaseModel):
    """The job queued: poll its ``url`` until its state is DONE or FAILED."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    id: int
    state: JobState
    url: str


class Busy(APIException):
    status_code = 429
    default_detail = "busy"
    default_code = "busy"

    def __init__(self, refused: store.JobRefused) -> None:
        super().__init__(str(refused))
        self.wait = refused.retry_after


BUSY_RESPONSE = OpenApiResponse(DetailOut, description="a limit of jobs reached (one per "
                                                       "user, a few site-wide): retry later")


def job_url(job: Job) -> str:
    return f"/api/jobs/{job.pk}/"


def job_out(job: Job) -> JobOut:
    return JobOut(id=job.pk, kind=job.kind, state=job.state, progress=store.progress(job),
                  queued_ahead=store.queued_ahead(job), message=job.message,
                  created_at=job.created_at, started_at=job.started_at,
                  finished_at=job.finished_at, url=job_url(job),
                  result=job.result if job.state == JobState.DONE else None)


def accepted(job: Job) -> Response:
    body = JobAcceptedOut(id=job.pk, state=job.state, url=job_url(job))
    return Response(body.model_dump(mode="json"), status=202,
                    headers={"Location": job_url(job)})


class JobDetailView(APIView):
    permission_classes: ClassVar = [IsAuthenticated]

    @extend_schema(
        operation_id="jobs_retrieve", tags=TAGS, summary="A job of yours",
        description="Its state (QUEUED, RUNNING, DONE, FAILED), progress and, once DONE, "
                    "its result. Only its owner sees it.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="the job's id")],
        responses={200: JobOut,
                   401: OpenApiResponse(DetailOut, description="not authenticated"),
                   404: OpenApiResponse(DetailOut, description="no such job of yours")},
    )
    def get(self, request: ApiRequest, pk: int) -> Response:
        job = store.visible_job(request.user, pk)
        if job is None:
            raise NotFound(f"no job #{pk} of yours (finished jobs are kept a day)")
        return Response(job_out(job).model_dump(mode="json"),
                        headers={"Cache-Control": "no-store"})
