"""Room on the archive's disk: the sizes of a night, the System page's warning, and the
majordome that does not start a night whose plan would not fit, saying why. The free
space is the tests' (``space.free_bytes`` replaced): no disk is filled."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.archive import space
from pyros.archive.space import GB, fits_bytes, night_bytes, night_fits
from pyros.config.loader import load_config
from pyros.majordome import disk
from pyros.majordome.models import LogKind, MajordomeState, NightLogEntry
from pyros.majordome.states import State
from pyros.paths import EXAMPLE_CONFIG
from pyros.scheduling.problem import night_of
from tests.conftest import make_user


@pytest.fixture
def free(monkeypatch):
    """``free.bytes = n``: what the archive's disk has free."""

    class Free:
        bytes = 1000 * GB
        asked: list = []

    def free_bytes(path):
        Free.asked.append(path)
        return Free.bytes

    monkeypatch.setattr(space, "free_bytes", free_bytes)
    return Free


# --- the figures (plain Python) -----------------------------------------------------------


def test_night_fits_keeps_the_margin():
    assert night_fits(estimate=10 * GB, free=20 * GB, margin=10 * GB)
    assert not night_fits(estimate=10 * GB + 1, free=20 * GB, margin=10 * GB)
    assert not night_fits(estimate=0, free=4 * GB, margin=5 * GB)  # already under it
    assert night_fits(estimate=0, free=0, margin=0)


def test_a_night_is_sized_from_its_images_and_calibrations():
    unit = load_config(EXAMPLE_CONFIG)
    raw = fits_bytes(2048, 2048, 2)
    assert raw == 6 * 2880 + 2913 * 2880  # 8 388 608 bytes of pixels in whole blocks
    assert fits_bytes(2048, 2048, 4) == 6 * 2880 + 5826 * 2880  # calibrated: float32
    light = space.light_bytes(unit.channel("VIS"))
    assert light == raw + fits_bytes(2048, 2048, 4) + space.CATALOGUE_BYTES \
        + 2 * space.PREVIEWS_BYTES
    without = night_bytes(unit, {"Visible camera": 10}, calibrations=False)
    assert (without.light_images, without.bytes) == (10, 10 * light)
    calibrations = night_bytes(unit, {}).bytes
    assert calibrations == sum(space.calibration_bytes(unit, c) for c in unit.channels)
    assert 0 < calibrations < 3 * GB
    # An album on a detector the unit no longer has is sized as the largest channel.
    assert night_bytes(unit, {"gone": 1}, calibrations=False).bytes == light


def test_archive_space_asks_the_disk_of_the_root_or_its_nearest_parent(free, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    unit = load_config(EXAMPLE_CONFIG)  # archive in the data directory, not made yet
    free.bytes = 123
    assert space.archive_space(unit) == 123
    assert free.asked == [tmp_path]


def test_the_real_disk_is_asked_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    assert space.archive_space(load_config(EXAMPLE_CONFIG)) > 0


# --- the System page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_system_page_warns_under_min_free_gb(initial_data, free):
    client = Client()
    client.force_login(make_user("olga", ProfileLevel.OPERATOR))
    free.bytes = int(2.5 * GB)  # the example's min_free_gb is 5
    page = html.unescape(client.get("/system/").content.decode())
    assert 'id="archive-disk-low"' in page
    assert "The archive's disk is low:" in page
    assert "2.5 GB free" in page and "less than the\n  5.0 GB of" in page
    free.bytes = 50 * GB
    page = html.unescape(client.get("/system/").content.decode())
    assert 'id="archive-disk-low"' not in page
    assert "Archive disk: 50.0 GB free" in page


# --- the majordome --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_majordome_does_not_start_a_night_that_would_not_fit(night_factory, free):
    from tests.majordome.night import in_the_sky, sequence
    from tests.majordome.test_nights import MIDNIGHT

    night = night_factory()
    night.majordome.disk.every = 0.0  # look at the disk at every decision
    ra, dec = in_the_sky(MIDNIGHT, night.unit)
    night.submit(sequence("big", ra, dec, exposures=40, obs_type="IMMEDIATE", minutes=30))
    night.plan()
    tonight = night_of(MIDNIGHT, night.unit.site.longitude)
    estimate = disk.estimate_night(night.unit, tonight, MIDNIGHT)
    assert estimate.light_images == 80  # 40 on each channel
    margin = int(night.unit.archive.min_free_gb * GB)
    free.bytes = margin + estimate.bytes - 1  # one byte short
    night.until_state(State.SCHEDULER_STANDBY)
    for _ in range(5):
        night.majordome.tick()
    assert night.majordome.state == State.SCHEDULER_STANDBY  # held, dome closed
    row = MajordomeState.current()
    assert row.cause == "the archive's disk cannot hold tonight's plan"
    reason = space.describe(estimate.bytes, free.bytes, margin)
    assert f"the archive's disk cannot hold tonight's plan: {reason}" in row.why_not
    entry = NightLogEntry.objects.get(kind=LogKind.PLAN)
    assert entry.message == f"the night is not started: {reason}"
    assert entry.detail == {"estimate": estimate.bytes, "free": free.bytes, "margin": margin}
    # The operator frees space: the night starts (the dome opens) at the next look.
    free.bytes = margin + estimate.bytes
    night.until_state(State.OPENING)
    assert NightLogEntry.objects.filter(
        kind=LogKind.PLAN, message__startswith="the archive's disk has room again").exists()


@pytest.fixture
def night_factory(observer, tmp_path, monkeypatch):
    from tests.majordome.night import Night
    from tests.majordome.test_nights import MIDNIGHT

    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    nights = []

    def start(**majordome):
        night = Night(MIDNIGHT, observer, **majordome)
        nights.append(night)
        return night

    yield start
    for night in nights:
        night.stop()
