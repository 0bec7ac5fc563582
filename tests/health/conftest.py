"""A fixture night with known figures, written straight into the tables the health
summaries read: masters, analysed frames, the devices' history, the night log, the
weather. Every number a test asserts is chosen here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings

from pyros.analysis.models import AnalysisStatus, FrameAnalysis, MasterCalibration
from pyros.config.health import HealthConfig, Threshold
from pyros.images.models import Image
from pyros.instruments.models import DeviceState, DeviceStatusHistory
from pyros.majordome.models import LogKind, NightLogEntry, night_end_key
from pyros.monitoring.models import WeatherWatch

NIGHT = date(2026, 11, 21)
#: 04:00 UTC on the morning after: inside the night at the example unit's longitude.
DARK = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
#: (FWHM ″, zero point, sky mag/arcsec², pointing offset ″, WXTEMP °C) of the three lights.
LIGHTS = ((1.5, 23.0, 20.5, 10.0, 5.0), (1.7, 23.2, 20.7, 20.0, 7.0),
          (2.0, 23.4, 20.9, 30.0, 9.0))


def with_thresholds(**limits: dict[str, float]):
    """The unit configuration with these ``[health.thresholds]``."""
    return settings.UNIT.model_copy(update={"health": HealthConfig(
        thresholds={name: Threshold(**limit) for name, limit in limits.items()})})


def _image(n: int, when: datetime, frame_type: str = "LIGHT", band: str = "r",
           night: date = NIGHT, headers: dict | None = None) -> Image:
    return Image.objects.create(
        path=f"/tmp/fixture-{night}-{n}.fits", night=night, channel="VIS",
        frame_type=frame_type, filter=band, exposure=60.0, date_obs=when,
        date_end=when + timedelta(seconds=65), work_key=f"fixture-{n}",
        headers=headers or {})


def _master(kind: str, night: date, quality: dict, *, band: str = "",
            temperature: float | None = None, n: int = 0) -> MasterCalibration:
    return MasterCalibration.objects.create(
        kind=kind, channel="VIS", filter=band, ccd_temperature=temperature, night=night,
        date_obs=DARK - timedelta(hours=10), path=f"/tmp/master-{night}-{kind}-{band}-{n}",
        frame_count=5, quality=quality, created_at=DARK - timedelta(hours=10))


def make_night(night: date = NIGHT, *, fwhm_shift: float = 0.0) -> None:
    """The fixture night (see the module); ``fwhm_shift`` adds to each frame's FWHM."""
    dark = DARK + (night - NIGHT)
    _master("BIAS", night, {"level": 1000.0, "read_noise": 5.0}, n=1)
    _master("BIAS", night, {"level": 1002.0, "read_noise": 5.4}, n=2)
    _master("DARK", night, {"dark_current": 0.02, "level": 1001.0}, temperature=-20.0)
    _master("FLAT", night, {"level": 25000.0, "uniformity": 0.01}, band="r")
    _master("FLAT", night, {"level": 24000.0, "uniformity": 0.01}, band="i")
    for n, (fwhm, zp, sky, offset, temperature) in enumerate(LIGHTS):
        image = _image(n, dark + timedelta(minutes=10 * n), night=night,
                       headers={"WXTEMP": temperature})
        FrameAnalysis.objects.create(
            image=image, status=AnalysisStatus.DONE, queued_at=image.date_end,
            fwhm=fwhm + fwhm_shift, zero_point=zp, sky_brightness=sky,
            pointing_offset=offset)
    failed = _image(9, dark + timedelta(minutes=50), night=night)
    FrameAnalysis.objects.create(image=failed, status=AnalysisStatus.FAILED,
                                 queued_at=failed.date_end, fwhm=99.0, reason="broken")
    camera, _ = DeviceState.objects.get_or_create(name="camera_vis", kind="camera",
                                                  channel="VIS")
    focuser, _ = DeviceState.objects.get_or_create(name="focuser", kind="focuser")
    mount, _ = DeviceState.objects.get_or_create(name="mount", kind="mount")
    for minutes, temperature, position in ((0, -20.0, 1000), (1, -19.0, 1010)):
        when = dark + timedelta(minutes=minutes)
        DeviceStatusHistory.objects.create(device=camera, time=when, connected=True,
                                           data={"ccd_temperature": temperature})
        DeviceStatusHistory.objects.create(device=focuser, time=when, connected=True,
                                           data={"position": position})
        DeviceStatusHistory.objects.create(device=mount, time=when, connected=False,
                                           data={"error": "timed out"})
    opening, closing = dark - timedelta(hours=6), dark + timedelta(hours=2)
    for when, before, after in ((opening, "SCHEDULER_STANDBY", "OPENING"),
                                (opening + timedelta(seconds=40), "OPENING",
                                 "SCHEDULER_READY"),
                                (closing, "SCHEDULER_READY", "CLOSING"),
                                (closing + timedelta(seconds=60), "CLOSING",
                                 "SCHEDULER_STANDBY")):
        NightLogEntry.objects.create(time=when, night=night, kind=LogKind.STATE,
                                     message=f"{before} → {after}: fixture",
                                     detail={"from": before, "to": after, "cause": "fixture"})
    NightLogEntry.objects.create(time=dark, night=night, kind=LogKind.DEVICE,
                                 message="the dome did not open: fixture")
    NightLogEntry.objects.create(time=dark + timedelta(minutes=5), night=night,
                                 kind=LogKind.SAFETY, message="not closed within 180 s")
    NightLogEntry.objects.create(time=closing + timedelta(seconds=61), night=night,
                                 kind=LogKind.NIGHT,
                                 message="night ended: the observatory is closed",
                                 detail={"key": night_end_key(night)})
    for minutes, wind in ((0, 3.0), (30, 9.0)):
        WeatherWatch.objects.create(time=dark + timedelta(minutes=minutes), status="SAFE",
                                    safe=True, sky="clear", wind_speed=wind, humidity=40.0,
                                    temperature=6.0)


#: The morning after, when the pages look at the night.
MORNING = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


@pytest.fixture
def fixture_night(db, simulated_clock):
    make_night()
    simulated_clock.set(MORNING)
    return NIGHT
