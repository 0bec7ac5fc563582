"""`pyros analyse`: files of any origin, one JSON object each, bad files refused with a
reason while the others go on; and a recorded night analysed again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.cli.main import cli
from tests.analysis.conftest import request

#: The example's [analysis] section, without the solver.
WITHOUT_SOLVER = "[analysis]\npipelines = { LIGHT = [" \
    "\"header\", \"saturation\", \"bias\", \"dark\", \"flat\", \"background\", " \
    "\"sources\", \"quality\", \"write\"] }\n"


def analyse(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["analyse", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def light(write) -> Path:
    return write(request(seed=11), "light.fits")


def test_a_good_file_gets_the_figures_the_issue_names(light, tmp_path):
    code, out, _ = analyse("--json", str(light), "--out", str(tmp_path / "out"))
    assert code == 0, out
    [entry] = json.loads(out)
    for key in ("file", "solved", "wcs", "sources", "fwhm_arcsec", "ellipticity",
                "background", "background_rms"):
        assert key in entry
    assert entry["file"] == str(light)
    assert 40 <= entry["sources"] <= 80
    assert entry["fwhm_arcsec"] == pytest.approx(1.5, rel=0.05)
    assert entry["ellipticity"] < 0.1
    assert Path(entry["output"]).exists()


def test_bad_files_get_an_error_and_the_others_go_on(light, tmp_path):
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    text = tmp_path / "notes.fits"
    text.write_text("not a FITS file\n")
    truncated = tmp_path / "truncated.fits"
    truncated.write_bytes(light.read_bytes()[:200_000])
    missing = tmp_path / "missing.fits"
    code, out, _ = analyse("--json", str(empty), str(light), str(text), str(truncated),
                           str(missing))
    assert code == 1
    entries = {Path(e["file"]).name: e for e in json.loads(out)}
    assert "sources" in entries["light.fits"] and "error" not in entries["light.fits"]
    for name in ("empty.fits", "notes.fits", "truncated.fits", "missing.fits"):
        assert entries[name]["error"], name
    assert "empty" in entries["empty.fits"]["error"]


def test_the_options_are_checked(light):
    code, _, err = analyse("--json", "--ra", "10", str(light))
    assert code == 2 and "--dec" in err
    code, _, err = analyse("--dec", "95", "--ra", "10", str(light))
    assert code == 2 and "[-90, 90]" in err
    code, _, err = analyse()
    assert code == 2 and "FILES" in err


def test_the_human_summary(light):
    code, out, _ = analyse(str(light))
    assert code == 0
    assert "sources, FWHM 1.5" in out and "light.fits" in out


@pytest.mark.django_db
def test_a_night_is_analysed_again_masters_first(tmp_path, monkeypatch):
    from pyros.analysis.models import AnalysisStatus, FrameAnalysis, MasterCalibration
    from pyros.config.loader import _cached
    from tests.analysis import test_store as recorded

    config = tmp_path / "unit.toml"
    example = Path(__import__("pyros.paths").paths.EXAMPLE_CONFIG).read_text()
    config.write_text(example.replace("[analysis]\n", WITHOUT_SOLVER))
    monkeypatch.setenv("PYROS_CONFIG", str(config))
    _cached.cache_clear()
    key = "calibration-2026-11-21-dusk-darks"
    recorded.take(tmp_path, recorded.FrameType.BIAS, 3, key, minutes=-100)
    lights = recorded.take(tmp_path, recorded.FrameType.LIGHT, 2, "sequence-1")
    code, out, err = analyse("--night", "2026-11-21", "--json")
    _cached.cache_clear()
    assert code == 0, out + err
    report = json.loads(out)
    assert report["masters"] == 1 and len(report["frames"]) == 2
    assert MasterCalibration.objects.get().kind == "BIAS"
    assert all(FrameAnalysis.objects.get(image=i).status == AnalysisStatus.DONE for i in lights)
    assert all(FrameAnalysis.objects.get(image=i).bias is not None for i in lights)
    code, _, err = analyse("--night", "2020-01-01")
    assert code == 1 and "no images" in err
