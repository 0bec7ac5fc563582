"""The images API: each frame with its analysis for whom it belongs to, one frame in
full, the masters; bad parameters are a 400, not a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from pyros.accounts.profiles import ProfileLevel
from pyros.analysis.models import Candidate, MasterCalibration
from tests.analysis.conftest import START
from tests.analysis.test_pages import NIGHT, night_of_frames  # noqa: F401
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_list_gives_each_frame_its_figures(admin_user, observer, night_of_frames):  # noqa: F811
    body = api(admin_user).get("/api/images/", {"night": NIGHT}).json()
    assert body["count"] == 7
    first = body["images"][0]
    assert first["frame_type"] == "BIAS" and first["analysis"]["status"] == "PENDING"
    light = body["images"][1]["analysis"]
    assert light["fwhm"] == pytest.approx(1.4) and light["zero_point"] == pytest.approx(24.1)
    assert light["solved"] is True and light["latency"] == pytest.approx(4.2)
    mine = api(observer).get("/api/images/").json()
    assert mine["count"] == 6 and {i["frame_type"] for i in mine["images"]} == {"LIGHT"}
    page = api(observer).get("/api/images/", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 6 and len(page["images"]) == 2


def test_one_frame_in_full_with_its_candidates(observer, outsider, night_of_frames):  # noqa: F811
    first = night_of_frames[0]
    Candidate.objects.create(analysis=first.analysis, kind="NEW", ra=150.25, dec=-20.5,
                             mag=17.9, mag_err=0.04, snr=31.0, distance=0.01, found_at=START)
    body = api(observer).get(f"/api/images/{first.pk}/").json()
    assert body["results"]["flags"] == ["uncalibrated: no master flat"]
    assert body["candidates"][0]["mag"] == pytest.approx(17.9)
    assert api(outsider).get(f"/api/images/{first.pk}/").status_code == 404
    assert api(observer).get("/api/images/999999/").status_code == 404


def test_the_rights_and_bad_parameters(observer, night_of_frames):  # noqa: F811
    assert api().get("/api/images/").status_code in (401, 403)
    visitor = make_user("vic", ProfileLevel.VISITOR)
    assert api(visitor).get("/api/images/").status_code == 403
    for params in ({"night": "yesterday"}, {"limit": "0"}, {"offset": "x"}):
        response = api(observer).get("/api/images/", params)
        assert response.status_code == 400, params
        assert response.json()["detail"]
    assert api(observer).get("/api/images/masters/").status_code == 403


def test_the_masters_with_their_quality(admin_user, night_of_frames):  # noqa: F811
    MasterCalibration.objects.create(
        kind="BIAS", channel="VIS", binning=1, night=NIGHT, date_obs=START - timedelta(hours=2),
        path="/data/masters/master-bias-VIS-bin1.fits", frame_count=10,
        quality={"level": 1000.0, "read_noise": 7.9}, created_at=START)
    body = api(admin_user).get("/api/images/masters/", {"night": NIGHT}).json()
    [master] = body["masters"]
    assert master["file"] == "master-bias-VIS-bin1.fits"
    assert master["quality"]["read_noise"] == pytest.approx(7.9)
