"""The Images pages: a night's frames with their quality and plots, an image's
analysis, alert candidates with their cutouts; each for whom it belongs to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.analysis.models import AnalysisStatus, Candidate, FrameAnalysis
from pyros.images.models import Image
from pyros.observations import store as requests_store
from pyros.observations.json_format import spec_from_data
from tests.analysis.conftest import START
from tests.conftest import make_user, request_dict

pytestmark = pytest.mark.django_db
NIGHT = "2026-11-21"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def image(sequence=None, *, minutes: float = 0, kind: str = "LIGHT", **figures) -> Image:
    began = START + timedelta(minutes=minutes)
    taken = Image.objects.create(
        path=f"/data/{began:%H%M%S}.fits", night=NIGHT, channel="VIS", frame_type=kind,
        filter="r", exposure=60.0, date_obs=began, date_end=began + timedelta(seconds=62),
        work_key="sequence-1", sequence=sequence, target_name="GRB 261121A")
    FrameAnalysis.objects.create(
        image=taken, queued_at=began, status=AnalysisStatus.DONE if figures else
        AnalysisStatus.PENDING, analysed_at=began + timedelta(seconds=70),
        latency=4.2, results={"flags": ["uncalibrated: no master flat"], "seconds": 2.1},
        **figures)
    return taken


@pytest.fixture
def night_of_frames(observer):
    req = requests_store.create_request(spec_from_data(request_dict()), observer)
    sequence = req.sequences.first()
    return [image(sequence, minutes=m, fwhm=1.4 + m / 100, zero_point=24.1, sources=120,
                  background=300.0, background_rms=12.0, limiting_magnitude=20.8,
                  sky_brightness=21.3, solved=True, astrometric_rms=0.12)
            for m in range(0, 50, 10)] + [image(sequence, minutes=60),
                                          image(minutes=-100, kind="BIAS")]


def test_the_night_shows_every_frame_with_its_quality_and_plots(admin_user, night_of_frames):
    page = client_for(admin_user).get(f"/images/night/{NIGHT}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="plot-point"') == 4 * 5  # four figures, five analysed frames
    assert "1.40″" in text and "24.100" in text and "BIAS" in text
    assert "2 frames waiting for the analysis agent" in text
    listing = client_for(admin_user).get("/images/").content.decode()
    assert NIGHT in listing and "1.60″" in listing


def test_an_observer_sees_only_the_frames_of_their_requests(observer, outsider,
                                                            night_of_frames):
    mine = client_for(observer).get(f"/images/night/{NIGHT}/").content.decode()
    assert "BIAS" not in mine and mine.count('class="plot-point"') == 20
    assert client_for(outsider).get(f"/images/night/{NIGHT}/").status_code == 404
    assert client_for(outsider).get(f"/images/{night_of_frames[0].pk}/").status_code == 404
    visitor = make_user("vic", ProfileLevel.VISITOR)
    assert client_for(visitor).get("/images/").status_code == 403
    assert client_for(observer).get("/images/night/yesterday/").status_code == 404


def test_the_image_page_says_what_was_measured_and_found(admin_user, night_of_frames,
                                                         tmp_path):
    first = night_of_frames[0]
    cutout = tmp_path / "c1-new.png"
    cutout.write_bytes(b"\x89PNG\r\n\x1a\n")
    candidate = Candidate.objects.create(
        analysis=first.analysis, kind="NEW", ra=150.25, dec=-20.5, mag=17.9, mag_err=0.04,
        snr=31.0, distance=0.01, new_cutout=str(cutout), found_at=START)
    client = client_for(admin_user)
    text = client.get(f"/images/{first.pk}/").content.decode()
    assert "1.40″" in text and "4.2 s after the readout" in text
    assert "uncalibrated: no master flat" in text and "17.90 ± 0.04" in text
    png = client.get(f"/images/candidates/{candidate.pk}/new.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert client.get(f"/images/candidates/{candidate.pk}/reference.png").status_code == 404
    assert client.get(f"/images/candidates/{candidate.pk}/other.png").status_code == 404
    pending = night_of_frames[5]
    assert "Waiting" in client.get(f"/images/{pending.pk}/").content.decode()
