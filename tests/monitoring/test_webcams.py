"""The Webcams page: every profile (anonymous visitors included) sees it from the top bar;
the simulated all-sky frame is a PNG with cache headers; a site's own cameras come from
``[[webcams]]``; bad input is a 400 or a 404 with a sentence, never a 500."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from pyros.config.schema import Webcam
from pyros.instruments.models import DeviceState
from pyros.monitoring.webcams import _dome, _latest_cover
from tests.conftest import TEST_NOW
from tests.monitoring.conftest import RAIN, record_at, watcher

pytestmark = pytest.mark.django_db


@pytest.fixture
def cameras(settings):
    """Give the unit these cameras: ``cameras([Webcam(...), ...])``."""
    def use(listed: list[Webcam]) -> None:
        settings.UNIT = settings.UNIT.model_copy(update={"webcams": listed})
    return use


def test_anonymous_visitors_reach_the_page_from_the_top_bar():
    home = Client().get("/").content.decode()
    assert '<a href="/webcams/">Webcams</a>' in home
    assert '<a class="tile" href="/webcams/"><h2>Webcams</h2>' in home
    html = Client().get("/webcams/").content.decode()
    assert "<h1>Webcams</h1>" in html
    assert "All-sky camera (simulated)" in html
    assert 'src="/webcams/0/image/"' in html and 'data-refresh="5.0"' in html
    assert "/static/monitoring/webcams.js" in html and "<script>" not in html


def test_the_simulated_frame_is_a_bounded_png_with_cache_headers():
    response = Client().get("/webcams/0/image/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=2"
    assert Image.open(io.BytesIO(response.content)).size == (480, 480)
    small = Client().get("/webcams/0/image/?size=128")
    assert Image.open(io.BytesIO(small.content)).size == (128, 128)


@pytest.mark.parametrize("size", ["abc", "0", "63", "1025", "99999999999", "-5", "1e3", ""])
def test_a_bad_size_is_a_400_with_a_sentence(size):
    response = Client().get(f"/webcams/0/image/?size={size}")
    assert response.status_code == 400
    assert "size must be a whole number of pixels from 64 to 1024" in response.content.decode()


def test_an_unknown_camera_is_a_404():
    response = Client().get("/webcams/7/image/")
    assert response.status_code == 404 and "no webcam 7" in response.content.decode()


def test_the_frame_follows_the_weather_and_the_dome():
    assert _latest_cover() is None and _dome() is None
    record_at(watcher(), TEST_NOW, RAIN)
    assert _latest_cover() == 1.0  # raining: overcast
    DeviceState.objects.create(name="dome", kind="dome", connected=True,
                               data={"shutter": "OPEN", "azimuth": 123.0})
    dome = _dome()
    assert dome is not None and dome.shutter == "OPEN" and dome.azimuth == 123.0
    assert Client().get("/webcams/0/image/").status_code == 200


def test_a_site_camera_file_is_served_as_it_is(cameras, tmp_path: Path):
    png = tmp_path / "latest.png"
    Image.new("RGB", (32, 24), (10, 20, 30)).save(png)
    cameras([Webcam(name="East", file=str(png), refresh=30.0),
             Webcam(name="Broken", file=str(tmp_path / "none.jpg")),
             Webcam(name="Text", file=str(tmp_path / "notes.txt"))])
    (tmp_path / "notes.txt").write_text("not an image")
    html = Client().get("/webcams/").content.decode()
    assert "East" in html and "All-sky camera (simulated)" not in html
    response = Client().get("/webcams/0/image/")
    assert response.status_code == 200 and response.content == png.read_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=15" and response["Last-Modified"]
    missing = Client().get("/webcams/1/image/")
    assert missing.status_code == 503 and "Broken: no image to show" in missing.content.decode()
    text = Client().get("/webcams/2/image/")
    assert text.status_code == 503 and "neither a PNG nor a JPEG" in text.content.decode()


def test_a_site_camera_url_is_loaded_by_the_browser_and_allowed_by_the_policy(cameras):
    cameras([Webcam(name="Dome cam", url="http://192.168.1.20:8080/snapshot.jpg")])
    response = Client().get("/webcams/")
    assert 'src="http://192.168.1.20:8080/snapshot.jpg"' in response.content.decode()
    policy = response["Content-Security-Policy"]
    img_src = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert "http://192.168.1.20:8080" in img_src
    assert "192.168.1.20" not in Client().get("/weather/")["Content-Security-Policy"]
    assert Client().get("/webcams/0/image/").status_code == 404


@pytest.mark.parametrize("fields", [{}, {"file": "/a.png", "simulated": True},
                                    {"url": "javascript:alert(1)"},
                                    {"url": "http://x/\"onerror=\"alert(1)"}])
def test_a_camera_needs_exactly_one_valid_source(fields):
    with pytest.raises(ValueError):
        Webcam(name="cam", **fields)
