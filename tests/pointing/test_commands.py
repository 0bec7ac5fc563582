"""`pyros pointing fit/show/adopt` against the test database: the fit stored with its
data, put in force where the devices read it, and the corrected mount sending slews
elsewhere; science frames' offsets as observations."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from pyros.cli.main import cli
from pyros.pointing.active import model_file, read_active
from pyros.pointing.models import PointingFitRecord
from tests.pointing.test_fit import TRUE, observations


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    monkeypatch.delenv("PYROS_CONFIG", raising=False)
    return tmp_path


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


@pytest.mark.django_db
def test_fit_from_a_file_is_stored_shown_and_put_in_force(home):
    rows = [o.to_dict() for o in observations(TRUE, 40, noise=1.0)]
    given = home / "observations.json"
    given.write_text(json.dumps(rows))
    shown = json.loads(run("pointing", "fit", "--observations", str(given), "--adopt",
                           "--json").output)
    assert shown["in_force"] and shown["fields"] == 40
    assert shown["rms_before"] > 60 and shown["rms_after"] < 3
    for term, value in TRUE.items():
        assert abs(shown["terms"][term]["value"] - value) <= 3 * shown["terms"][term]["sigma"]
    record = PointingFitRecord.objects.get()
    assert record.observations == rows and record.source == "GIVEN"
    model = read_active()
    assert model is not None and model.coefficients == record.coefficients
    text = run("pointing", "show").output
    assert "IH" in text and "in force" in text and "±" in text
    run("pointing", "adopt", "--none")
    assert read_active() is None and model_file().exists()
    assert not PointingFitRecord.objects.filter(in_force=True).exists()


@pytest.mark.django_db
def test_bad_input_is_refused_with_a_message(home):
    bad = home / "bad.json"
    bad.write_text('[{"ra": 1}]')
    assert "not a list of observations" in run("pointing", "fit", "--observations", str(bad),
                                               code=1).output
    few = home / "few.json"
    few.write_text(json.dumps([o.to_dict() for o in observations(TRUE, 3, noise=1.0)]))
    assert "no fit" in run("pointing", "fit", "--observations", str(few), code=1).output
    assert "YYYY-MM-DD" in run("pointing", "fit", "--nights", "yesterday", code=2).output
    assert "no pointing fit 99" in run("pointing", "adopt", "99", code=1).output
    assert "no pointing fit stored" in run("pointing", "show", code=1).output


@pytest.mark.django_db
def test_science_frames_offsets_become_observations(home):
    from pyros.analysis.models import FrameAnalysis
    from pyros.config.loader import active_config
    from pyros.images.models import Image
    from pyros.pointing.store import observations_from_frames

    night = date(2026, 11, 21)
    moment = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    for number, (east, north) in enumerate([(30.0, -20.0), (-10.0, 45.0)]):
        image = Image.objects.create(
            path=f"/data/frame-{number}.fits", night=night, channel="VIS",
            frame_type="LIGHT", exposure=60.0, date_obs=moment + timedelta(minutes=number),
            date_end=moment + timedelta(minutes=number, seconds=66), work_key="seq-1")
        FrameAnalysis.objects.create(
            image=image, queued_at=moment, solved=True, status="DONE",
            results={"centre_ra": 40.0 + number, "centre_dec": 30.0,
                     "pointing_offset_east_arcsec": east,
                     "pointing_offset_north_arcsec": north})
    found = observations_from_frames(active_config(), night, night)
    assert len(found) == 2
    hour_angle, north = found[0].offsets()
    # Encoder − sky: the header pointed 30″ (on the sky) west and 20″ north of the solved
    # centre; in hour angle that is 30″ / cos(dec).
    assert hour_angle == pytest.approx(30.0 / math.cos(math.radians(30.0)), abs=0.01)
    assert north == pytest.approx(20.0, abs=0.01)
