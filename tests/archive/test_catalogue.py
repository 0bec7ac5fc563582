"""Every file a catalogue row: where it lies, its checksum, headers, centre, owner and
public date; previews made after ingest; the frame's relatives."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from astropy.io import fits

from pyros.archive import layout
from pyros.archive.ingest import previews_for_one, previews_of
from pyros.archive.models import ArchiveFrame, Previews, Product
from pyros.archive.relations import related
from tests.archive.conftest import M31, NIGHT, TAKEN

pytestmark = pytest.mark.django_db


def test_a_raw_frame_is_catalogued_where_the_layout_puts_it(archived_night):
    frame = archived_night.mine[0]
    unit = archived_night.unit
    assert frame.path == f"{unit.unit}/VIS/20261121/raw/m31-0.fits"
    path = layout.absolute(unit, frame.path)
    assert frame.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert frame.size == path.stat().st_size
    assert frame.product == Product.RAW and frame.reduction_level == 0
    assert frame.night == NIGHT and frame.date_obs == TAKEN and frame.filter == "r"
    assert (frame.ra, frame.dec) == pytest.approx(M31)
    assert frame.x ** 2 + frame.y ** 2 + frame.z ** 2 == pytest.approx(1.0)
    assert frame.program.name == "GRB" and frame.request.owner.username == "alice"
    assert frame.headers["IMAGETYP"] == "LIGHT" and "CHECKSUM" in frame.headers
    assert frame.public_date == TAKEN + timedelta(days=365)
    with fits.open(path, checksum=True) as hdus:  # DATASUM/CHECKSUM hold
        assert hdus[0].header["DATASUM"]


def test_calibrations_are_public_at_once_and_unowned(archived_night):
    for frame in (archived_night.bias, archived_night.master):
        assert frame.public_date == frame.date_obs and frame.program is None
    assert archived_night.master.path.endswith("/20261121/cal/master-bias-VIS-bin1.fits")
    assert archived_night.master.product == Product.MASTER
    assert archived_night.master.reduction_level == 91


def test_the_catalogue_takes_its_frames_centre(archived_night):
    assert archived_night.catalogue.product == Product.CATALOGUE
    assert (archived_night.catalogue.ra, archived_night.catalogue.dec) == pytest.approx(M31)
    assert archived_night.catalogue.previews == Previews.NONE


def test_each_frame_knows_its_relatives(archived_night):
    night = archived_night
    raw = night.mine[0]
    assert set(related(raw)) == {night.processed, night.catalogue, night.master}
    assert set(related(night.processed)) == {raw, night.catalogue, night.master}
    assert set(related(night.master)) == {night.bias, night.processed, night.catalogue}
    assert set(related(night.mine[1])) == set()


def test_ingesting_again_updates_the_row(archived_night):
    from pyros.archive.ingest import ingest_raw

    image = archived_night.mine[0].image
    count = ArchiveFrame.objects.count()
    again = ingest_raw(archived_night.unit, image)
    assert ArchiveFrame.objects.count() == count and again.pk == archived_night.mine[0].pk


def test_a_file_outside_the_archive_is_not_catalogued(archive_unit, tmp_path):
    from pyros.archive.ingest import catalogue_file

    stray = tmp_path / "elsewhere.fits"
    fits.PrimaryHDU().writeto(stray)
    with pytest.raises(layout.LayoutError):
        catalogue_file(archive_unit, stray, Product.RAW, {})
    with pytest.raises(layout.LayoutError):
        layout.absolute(archive_unit, "../../etc/passwd")


def test_previews_are_made_one_frame_at_a_time_then_remade_when_pruned(archived_night):
    unit = archived_night.unit
    pending = ArchiveFrame.objects.filter(previews=Previews.PENDING).count()
    assert pending == 7  # the catalogue has none
    made = 0
    while previews_for_one(unit):
        made += 1
    assert made == pending
    frame = ArchiveFrame.objects.get(pk=archived_night.mine[0].pk)
    root = layout.previews_root(unit)
    assert frame.previews == Previews.MADE
    assert (root / frame.thumbnail).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (root / frame.preview).unlink()
    assert previews_of(unit, frame) and (root / frame.preview).exists()
