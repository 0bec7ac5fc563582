"""The cone search against an independent computation (astropy's separations), and the
filters."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from pyros.archive.ingest import unit_vector, zone_of
from pyros.archive.models import ArchiveFrame
from pyros.archive.search import Cone, Filters, SearchError

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 11, 22, tzinfo=UTC)


def scatter(count: int, seed: int = 3) -> list[ArchiveFrame]:
    """Frames with centres all over the sky, poles and RA 0/360 included."""
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0.0, 360.0, count)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, count)))
    ra[:4], dec[:4] = [0.05, 359.95, 180.0, 10.0], [0.0, 0.0, 89.9, -89.95]
    frames = []
    for i, (a, d) in enumerate(zip(ra, dec, strict=True)):
        x, y, z = unit_vector(float(a), float(d))
        frames.append(ArchiveFrame(
            basename=f"f{i}.fits", path=f"u/VIS/20261121/raw/f{i}.fits", product="RAW",
            unit="u", channel="VIS", frame_type="LIGHT", night="2026-11-21", date_obs=WHEN,
            ra=float(a), dec=float(d), x=x, y=y, z=z, zone=zone_of(float(d)), size=1,
            sha256="0" * 64,
            public_date=WHEN, ingested_at=WHEN, filter="r" if i % 2 else "g"))
    ArchiveFrame.objects.bulk_create(frames)
    return frames


@pytest.mark.parametrize(("ra", "dec", "radius"), [
    (0.0, 0.0, 2.0), (359.9, 0.5, 5.0), (123.0, 45.0, 10.0), (0.0, 89.0, 3.0),
    (200.0, -88.0, 4.0), (77.7, -30.0, 4.5)])
def test_the_cone_finds_exactly_what_astropy_finds(ra, dec, radius):
    frames = scatter(3000)
    found = {f.basename for f in Filters(cone=Cone(ra, dec, radius)).apply(
        ArchiveFrame.objects.all())}
    coords = SkyCoord([f.ra for f in frames] * u.deg, [f.dec for f in frames] * u.deg)
    distance = coords.separation(SkyCoord(ra * u.deg, dec * u.deg)).deg
    expected = {f.basename for f, d in zip(frames, distance, strict=True) if d <= radius}
    assert found == expected and len(expected) > 0


def test_filters_combine():
    scatter(200)
    both = Filters(cone=Cone(0.0, 0.0, 3.0), filter="r").apply(ArchiveFrame.objects.all())
    assert all(f.filter == "r" for f in both)


@pytest.mark.parametrize("bad", [dict(ra=360.0, dec=0.0, radius=1.0),
                                 dict(ra=1.0, dec=91.0, radius=1.0),
                                 dict(ra=1.0, dec=0.0, radius=0.0),
                                 dict(ra=1.0, dec=0.0, radius=11.0),
                                 dict(ra=float("nan"), dec=0.0, radius=1.0)])
def test_a_bad_cone_is_refused(bad):
    with pytest.raises(SearchError):
        Cone(**bad)
