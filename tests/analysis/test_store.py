"""The analysis in the database: images queued as the majordome records them, masters
made when a calibration set ends and chosen for each frame, frames analysed alert first,
bad files failed with their reason, nothing else stopped."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from pyros.analysis import store
from pyros.analysis.agent import AnalysisAgent
from pyros.analysis.models import AnalysisStatus, FrameAnalysis, MasterCalibration
from pyros.archive.models import ArchiveFrame
from pyros.config.analysis import AnalysisConfig
from pyros.images.models import Image
from pyros.majordome.models import LogKind, NightLogEntry
from pyros.simulators.sky import FrameType, render_frame
from tests.analysis.conftest import SMALL, START, request

NIGHT = date(2026, 11, 21)
#: The store's work, without the solver (tests/analysis/test_astrometry.py has it).
SETTINGS = AnalysisConfig(min_calibration_frames=3, pipelines={"LIGHT": [
    "header", "saturation", "bias", "dark", "flat", "background", "sources", "quality",
    "write"]})
pytestmark = pytest.mark.django_db


def image_of(path: Path, frame, key: str, *, channel: str = "VIS") -> Image:
    kind = frame.frame_type.value
    began = frame.time
    return store.enqueue(Image.objects.create(
        path=str(path), night=NIGHT, channel=channel, frame_type=kind,
        filter=frame.filter_name if kind in ("FLAT", "LIGHT") else "", exposure=frame.exposure,
        date_obs=began, date_end=began + timedelta(seconds=frame.exposure + 2),
        work_key=key)).image


def take(tmp_path: Path, kind: FrameType, count: int, key: str, *, minutes: float = 0.0,
         **changes) -> list[Image]:
    taken = []
    for number in range(count):
        frame = request(kind, detector=SMALL, seed=hash((key, kind.value, number)) % 10_000,
                        minutes=minutes + number, **changes)
        if kind is FrameType.BIAS:
            frame = replace(frame, exposure=0.0)
        path = tmp_path / f"{key}-{kind.value.lower()}-{number}.fits"
        render_frame(frame).writeto(path)
        taken.append(image_of(path, frame, key))
    return taken


def end_of(key: str) -> None:
    NightLogEntry.objects.create(time=START, night=NIGHT, kind=LogKind.CALIBRATION,
                                 message="done", detail={"key": f"{key}:end"})


@pytest.fixture
def agent(settings_home) -> AnalysisAgent:
    from pyros.config.loader import active_config

    unit = active_config().model_copy(update={"analysis": SETTINGS})
    return AnalysisAgent("analysis", unit=unit)


@pytest.fixture
def settings_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PYROS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def drain(agent: AnalysisAgent) -> int:
    """The analyses and master sets done (the archive previews are the archive's tests)."""
    done = 0
    while agent.work_once(previews=False):
        done += 1
    return done


def test_masters_wait_for_the_end_of_their_set_and_calibrate_the_frames(tmp_path, agent):
    key = "calibration-2026-11-21-dusk-darks"
    take(tmp_path, FrameType.BIAS, 3, key, minutes=-120)
    take(tmp_path, FrameType.DARK, 3, key, minutes=-110, exposure=60.0)
    lights = take(tmp_path, FrameType.LIGHT, 2, "sequence-1")
    assert drain(agent) == 2  # the set has not ended: the frames are measured uncalibrated
    first = FrameAnalysis.objects.get(image=lights[0])
    assert first.status == AnalysisStatus.DONE and not first.calibrated
    assert "uncalibrated: no master bias" in first.results["flags"]

    end_of(key)
    assert drain(agent) == 1
    made = {m.kind: m for m in MasterCalibration.objects.all()}
    assert set(made) == {"BIAS", "DARK"}
    assert made["BIAS"].quality["read_noise"] == pytest.approx(8.0, rel=0.1)
    assert made["DARK"].quality["dark_current"] == pytest.approx(0.02, abs=0.02)
    assert Path(made["DARK"].path).exists() and made["DARK"].frames.count() == 3
    assert set(FrameAnalysis.objects.filter(image__frame_type__in=["BIAS", "DARK"])
               .values_list("status", flat=True)) == {AnalysisStatus.USED}

    later = take(tmp_path, FrameType.LIGHT, 1, "sequence-2", minutes=30)[0]
    drain(agent)
    analysis = FrameAnalysis.objects.get(image=later)
    assert analysis.bias == made["BIAS"] and analysis.dark == made["DARK"]
    assert analysis.flat is None and not analysis.calibrated  # no flats were taken
    assert analysis.fwhm == pytest.approx(1.5, rel=0.1)
    assert analysis.latency is not None and analysis.seconds > 0
    assert Path(analysis.calibrated_path).exists()
    # The masters and the frame's products are in the archive, catalogued, and the
    # agent makes their previews when it has nothing else to do.
    archived = {f.product: f for f in ArchiveFrame.objects.filter(image=later)}
    assert set(archived) == {"PROCESSED", "CATALOGUE"}
    assert archived["PROCESSED"].path.endswith(
        f"/VIS/{later.night:%Y%m%d}/processed/{Path(analysis.calibrated_path).name}")
    assert archived["CATALOGUE"].headers["L1CALIB"] is False
    assert ArchiveFrame.objects.filter(product="MASTER").count() == 2
    assert agent.work_once() and ArchiveFrame.objects.filter(previews="MADE").count() == 1


def test_masters_are_chosen_by_channel_binning_filter_age_and_temperature(tmp_path, agent):
    key = "calibration-2026-11-21-dusk-darks"
    take(tmp_path, FrameType.BIAS, 3, key, minutes=-120)
    take(tmp_path, FrameType.DARK, 3, key, minutes=-110, exposure=60.0, ccd_temperature=-10.0)
    end_of(key)
    drain(agent)
    when = START
    assert store.choose_master("BIAS", "VIS", 1, when, SETTINGS) is not None
    assert store.choose_master("BIAS", "NIR", 1, when, SETTINGS) is None
    assert store.choose_master("BIAS", "VIS", 2, when, SETTINGS) is None
    assert store.choose_master("BIAS", "VIS", 1, when + timedelta(days=30), SETTINGS) is None
    assert store.choose_master("DARK", "VIS", 1, when, SETTINGS, temperature=-11.0) is not None
    assert store.choose_master("DARK", "VIS", 1, when, SETTINGS, temperature=-20.0) is None


def test_too_few_frames_make_no_master_and_say_why(tmp_path, agent):
    key = "calibration-2026-11-21-dawn-darks"
    biases = take(tmp_path, FrameType.BIAS, 2, key)
    end_of(key)
    drain(agent)
    assert not MasterCalibration.objects.exists()
    for image in biases:
        analysis = FrameAnalysis.objects.get(image=image)
        assert analysis.status == AnalysisStatus.FAILED
        assert "no master" in analysis.reason and "3" in analysis.reason


def test_a_bad_file_fails_its_analysis_and_the_next_goes_on(tmp_path, agent):
    good = take(tmp_path, FrameType.LIGHT, 1, "sequence-1", minutes=5)[0]
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"SIMPLE  =                    T" + b" " * 50)
    bad = image_of(broken, request(), "sequence-1")
    missing = image_of(tmp_path / "gone.fits", request(minutes=1), "sequence-1")
    assert drain(agent) == 3
    assert FrameAnalysis.objects.get(image=good).status == AnalysisStatus.DONE
    for image in (bad, missing):
        analysis = FrameAnalysis.objects.get(image=image)
        assert analysis.status == AnalysisStatus.FAILED and analysis.reason
    assert agent.failed == 2 and agent.analysed == 1


def test_alert_frames_jump_the_queue(tmp_path, agent):
    ordinary = take(tmp_path, FrameType.LIGHT, 2, "sequence-1")
    urgent = take(tmp_path, FrameType.LIGHT, 1, "sequence-9", minutes=10)[0]
    FrameAnalysis.objects.filter(image=urgent).update(priority=1)
    assert store.next_light().image == urgent
    agent.work_once()
    assert FrameAnalysis.objects.get(image=urgent).status == AnalysisStatus.DONE
    assert all(FrameAnalysis.objects.get(image=i).status == AnalysisStatus.PENDING
               for i in ordinary)
