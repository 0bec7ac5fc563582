"""PyROS's requests and sequences in the portal's shapes: request groups, requests,
their states and their observations (the blocks the scheduler gave them).

States: a sequence still waiting, planned or executing is PENDING while its window is
open; EXECUTED is COMPLETED; CANCELLED is CANCELED; once the window is over, a failed
sequence is FAILURE_LIMIT_REACHED and one never observed WINDOW_EXPIRED. The portal's
NOT_ATTEMPTED (never tried, no window reached) has no case here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyros.config.schema import UnitConfig
from pyros.observations.lifecycle import RequestStatus, SequenceStatus
from pyros.observations.models import Album, Request, Sequence
from pyros.ocs.payload import ipp_from_priority
from pyros.scheduling.models import ScheduledSequence

_S = SequenceStatus


def request_state(sequence: Sequence, now: datetime) -> str:
    status = SequenceStatus(sequence.status)
    if status is _S.EXECUTED:
        return "COMPLETED"
    if status is _S.CANCELLED:
        return "CANCELED"
    if sequence.end <= now and status is not _S.EXECUTING:
        return "FAILURE_LIMIT_REACHED" if status is _S.FAILED else "WINDOW_EXPIRED"
    return "PENDING"


def group_state(request: Request, now: datetime) -> str:
    if request.status == RequestStatus.CANCELLED:
        return "CANCELED"
    states = {request_state(s, now) for s in request.sequences.all()}
    if "PENDING" in states or not states:
        return "PENDING"
    if "COMPLETED" in states:  # every request ended, one of them observed
        return "COMPLETED"
    return "FAILURE_LIMIT_REACHED" if "FAILURE_LIMIT_REACHED" in states else "WINDOW_EXPIRED"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _configuration(album: Album, sequence: Sequence, channel_names: dict[str, str]
                   ) -> dict[str, Any]:
    return {
        "id": album.pk,
        "type": "EXPOSE",
        "instrument_type": channel_names.get(album.detector, album.detector),
        "target": {"type": "ICRS", "name": sequence.target_name, "ra": sequence.ra,
                   "dec": sequence.dec, "proper_motion_ra": 0.0, "proper_motion_dec": 0.0,
                   "epoch": 2000.0},
        "constraints": {"max_airmass": sequence.max_airmass,
                        "min_lunar_distance": sequence.min_moon_separation,
                        "max_lunar_phase": 1.0},
        "instrument_configs": [
            {"exposure_time": plan.exposure, "exposure_count": plan.nb_images,
             "mode": "full_frame", "optical_elements": {"filter": plan.filter}}
            for plan in album.plans.all()],
    }


def request_out(sequence: Sequence, unit: UnitConfig, now: datetime) -> dict[str, Any]:
    channel_names = {c.detector: c.name for c in unit.channels}
    return {
        "id": sequence.pk,
        "request_group_id": sequence.request_id,
        "state": request_state(sequence, now),
        "observation_note": sequence.status_reason,
        "duration": sequence.duration,
        "modified": _iso(sequence.request.updated_at),
        "location": {"telescope_class": unit.ocs.telescope_class},
        "windows": [{"start": _iso(sequence.start), "end": _iso(sequence.end)}],
        "configurations": [_configuration(a, sequence, channel_names)
                           for a in sequence.albums.all()],
        "configuration_repeats": 1,
        "optimization_type": "AIRMASS",
    }


def group_out(request: Request, unit: UnitConfig, now: datetime) -> dict[str, Any]:
    sequences = list(request.sequences.all())
    first = sequences[0] if sequences else None
    observation_type = "NORMAL"
    if first is not None and first.obs_type == "IMMEDIATE":
        observation_type = "RAPID_RESPONSE"
    return {
        "id": request.pk,
        "name": request.name,
        "proposal": request.program.name,
        "submitter": request.owner.get_username(),
        "state": group_state(request, now),
        "operator": "SINGLE",
        "observation_type": observation_type,
        "ipp_value": ipp_from_priority(first.priority) if first else 1.0,
        "created": _iso(request.created_at),
        "modified": _iso(request.updated_at),
        "requests": [request_out(s, unit, now) for s in sequences],
    }


def observations_of(sequence: Sequence, unit: UnitConfig, now: datetime
                    ) -> list[dict[str, Any]]:
    """The blocks the scheduler gave ``sequence``: the latest plan of each night that
    holds it. The last block of an executed sequence is COMPLETED, of one executing
    IN_PROGRESS; a block still ahead is PENDING, one gone by NOT_ATTEMPTED."""
    entries = (ScheduledSequence.objects.filter(sequence=sequence)
               .select_related("schedule").order_by("schedule__night", "-schedule__created_at"))
    latest: dict[Any, ScheduledSequence] = {}
    for entry in entries:
        latest.setdefault(entry.schedule.night, entry)
    blocks = sorted(latest.values(), key=lambda e: e.start)
    status = SequenceStatus(sequence.status)
    out = []
    for i, entry in enumerate(blocks):
        last = i == len(blocks) - 1
        if last and status is _S.EXECUTED:
            state = "COMPLETED"
        elif last and status is _S.EXECUTING:
            state = "IN_PROGRESS"
        elif last and status is _S.CANCELLED:
            state = "CANCELED"
        elif entry.end > now and status in (_S.PLANNED, _S.TOBEPLANNED):
            state = "PENDING"
        else:
            state = "NOT_ATTEMPTED"
        out.append({"id": entry.pk, "request_id": sequence.pk, "state": state,
                    "start": _iso(entry.start), "end": _iso(entry.end),
                    "site": unit.ocs.site_code, "enclosure": "dome",
                    "telescope": unit.ocs.telescope_class})
    return out
