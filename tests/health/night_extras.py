"""The rest of a fixture night the report reads: a plan of two sequences of GRB, one
executed (30 min charged) and one failed (10 min), and an alert slewed to 12.5 s after
its reception with one candidate."""

from __future__ import annotations

from datetime import timedelta

from pyros.alerts.models import AlertEvent, AlertLog, AlertPacket, Step
from pyros.analysis.models import Candidate, FrameAnalysis
from pyros.observations import json_format
from pyros.observations import store as requests_store
from pyros.programs.models import TimeCharge
from pyros.scheduling.models import Schedule, ScheduledSequence
from tests.conftest import request_dict
from tests.health.conftest import DARK, NIGHT


def _sequence(name: str) -> dict:
    return {"name": name, "target": name, "ra": 10.0, "dec": 20.0,
            "start": "2026-11-22T00:00:00Z", "end": "2026-11-23T00:00:00Z",
            "duration": 1800, "priority": 5, "obs_type": "BESTELEV", "max_airmass": 2.0,
            "albums": [{"name": "vis", "detector": "Visible camera",
                        "plans": [{"name": "r", "filter": "r", "exposure": 30,
                                   "nb_images": 2}]}]}


def add_plan_and_alert(owner) -> None:
    spec = json_format.spec_from_data(request_dict(
        name="tonight", submitted=True, sequences=[_sequence("M31"), _sequence("M33")]))
    request = requests_store.create_request(spec, owner)
    first, second = request.sequences.order_by("position")
    schedule = Schedule.objects.create(night=NIGHT, created_at=DARK - timedelta(hours=7),
                                       trigger="OPERATOR", engine="fast", objective=1.0,
                                       elapsed=0.1)
    for position, item in enumerate((first, second)):
        start = DARK + timedelta(minutes=30 * position)
        ScheduledSequence.objects.create(schedule=schedule, sequence=item, position=position,
                                         start=start, end=start + timedelta(minutes=30))
    TimeCharge.objects.create(program=request.program, sequence=first, start=DARK,
                              end=DARK + timedelta(minutes=30), seconds=1800.0,
                              outcome="EXECUTED")
    TimeCharge.objects.create(program=request.program, sequence=second,
                              start=DARK + timedelta(minutes=30),
                              end=DARK + timedelta(minutes=40), seconds=600.0,
                              outcome="FAILED", reason="the camera was silent")
    received = DARK + timedelta(minutes=45)
    event = AlertEvent.objects.create(key="SWIFT:1234", mission="SWIFT", trigger_id="1234",
                                      created_at=received, updated_at=received)
    packet = AlertPacket.objects.create(
        event=event, ivorn="ivo://test/1234", role="observation", mission="SWIFT",
        notice_type="BAT_GRB_POS", record={}, raw="", source="broker", received_at=received,
        decision="ACCEPTED")
    AlertLog.objects.create(packet=packet, step=Step.RECEIVED, at=received, message="in")
    AlertLog.objects.create(packet=packet, step=Step.SLEW, at=received + timedelta(seconds=12.5),
                            message="slew")
    Candidate.objects.create(analysis=FrameAnalysis.objects.first(), event=event, kind="NEW",
                             ra=10.0, dec=20.0, mag=16.0, mag_err=0.05, snr=40.0,
                             distance=0.01, found_at=received + timedelta(minutes=2))
