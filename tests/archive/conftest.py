"""An archive on disk for the tests: a unit whose archive root is the test's folder,
and a small night of real FITS files (256² pixels) catalogued as PyROS catalogues them:
the GRB program's light frames (alice's request), another program's, a bias, a master
bias, and a calibrated frame with its catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from pyros.analysis.models import AnalysisStatus, FrameAnalysis, MasterCalibration
from pyros.archive import layout
from pyros.archive.ingest import catalogue_file, ingest_master, ingest_raw
from pyros.archive.models import ArchiveFrame, Product
from pyros.config.loader import load_config
from pyros.config.schema import UnitConfig
from pyros.images.models import Image
from pyros.observations import store as requests_store
from pyros.observations.json_format import spec_from_data
from pyros.paths import EXAMPLE_CONFIG
from tests.conftest import make_user, request_dict

NIGHT = datetime(2026, 11, 21).date()
TAKEN = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
M31 = (10.6847, 41.2690)
M42 = (83.8221, -5.3911)


@pytest.fixture
def archive_unit(tmp_path: Path, monkeypatch) -> UnitConfig:
    """The example unit with its archive (and replica root) in the test's folder, as the
    configuration every process of the test reads (PYROS_CONFIG)."""
    text = EXAMPLE_CONFIG.read_text().replace(
        'root = ""                     # empty', f'root = "{tmp_path / "archive"}"  # empty'
    ).replace('replica = ""', f'replica = "{tmp_path / "replica"}"')
    path = tmp_path / "unit.toml"
    path.write_text(text)
    monkeypatch.setenv("PYROS_CONFIG", str(path))
    unit = load_config(path)
    assert unit.archive.root == str(tmp_path / "archive")
    return unit


def write_raw(unit: UnitConfig, name: str, *, ra: float | None, dec: float | None,
              frame_type: str = "LIGHT", seed: int = 0, when: datetime = TAKEN) -> Path:
    """A raw frame as the camera and the majordome leave it: 16-bit, headers, checksums."""
    pixels = np.random.default_rng(seed).normal(1000.0, 10.0, (256, 256))
    pixels[100:104, 120:124] += 5000.0  # a star
    header = fits.Header()
    header["IMAGETYP"] = frame_type
    header["DATE-OBS"] = when.strftime("%Y-%m-%dT%H:%M:%S")
    header["EXPTIME"] = 60.0
    header["XBINNING"] = 1
    if ra is not None:
        header["RA"], header["DEC"] = ra, dec
    path = layout.folder(unit, "VIS", NIGHT, "raw") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.PrimaryHDU(pixels.astype(np.uint16), header).writeto(path, checksum=True)
    return path


def raw_image(unit: UnitConfig, name: str, *, sequence=None, position=M31,
              frame_type: str = "LIGHT", minutes: float = 0.0, target: str = "M31") -> Image:
    when = TAKEN + timedelta(minutes=minutes)
    ra, dec = position if position else (None, None)
    path = write_raw(unit, name, ra=ra, dec=dec, frame_type=frame_type, when=when,
                     seed=int(abs(minutes)))
    image = Image.objects.create(
        path=str(path), night=NIGHT, channel="VIS", frame_type=frame_type, filter="r",
        exposure=60.0, date_obs=when, date_end=when + timedelta(seconds=62),
        work_key=f"sequence-{sequence.pk}" if sequence else "calibration",
        sequence=sequence, target_name=target if frame_type == "LIGHT" else "",
        airmass=1.2 if frame_type == "LIGHT" else None)
    FrameAnalysis.objects.create(image=image, queued_at=when)
    ingest_raw(unit, image)
    return image


@dataclass
class ArchivedNight:
    unit: UnitConfig
    mine: list[ArchiveFrame] = field(default_factory=list)  # GRB's (alice's request)
    theirs: list[ArchiveFrame] = field(default_factory=list)  # another program's
    bias: ArchiveFrame | None = None
    master: ArchiveFrame | None = None
    processed: ArchiveFrame | None = None
    catalogue: ArchiveFrame | None = None

    @property
    def all(self) -> list[ArchiveFrame]:
        return [*self.mine, *self.theirs, self.bias, self.master, self.processed,
                self.catalogue]


@pytest.fixture
def archived_night(archive_unit, observer, grb_program) -> ArchivedNight:
    from pyros.accounts.profiles import ProfileLevel
    from pyros.programs.models import Allocation, ScientificProgram

    unit = archive_unit
    night = ArchivedNight(unit)
    mine = requests_store.create_request(spec_from_data(request_dict()), observer)
    other_program = ScientificProgram.objects.create(name="SN", pi=grb_program.pi,
                                                     description="Supernovae")
    for allocation in Allocation.objects.filter(program=grb_program):
        Allocation.objects.create(program=other_program, period=allocation.period,
                                  quota_hours=allocation.quota_hours)
    carol = make_user("carol", ProfileLevel.OBSERVER, programs=[other_program])
    theirs = requests_store.create_request(
        spec_from_data(request_dict(name="SN 2026abc", scientific_program="SN")), carol)
    images = [raw_image(unit, f"m31-{i}.fits", sequence=mine.sequences.first(), minutes=i)
              for i in range(3)]
    night.mine = [i.archive_frames.get() for i in images]
    night.theirs = [raw_image(unit, "m42-0.fits", sequence=theirs.sequences.first(),
                              position=M42, minutes=10, target="M42").archive_frames.get()]
    bias = raw_image(unit, "bias-0.fits", position=None, frame_type="BIAS", minutes=-60)
    night.bias = bias.archive_frames.get()
    master_path = layout.folder(unit, "VIS", NIGHT, "cal") / "master-bias-VIS-bin1.fits"
    master_path.parent.mkdir(parents=True, exist_ok=True)
    fits.PrimaryHDU(np.full((256, 256), 1000.0, np.float32)).writeto(master_path,
                                                                      checksum=True)
    record = MasterCalibration.objects.create(
        kind="BIAS", channel="VIS", binning=1, night=NIGHT, date_obs=TAKEN - timedelta(hours=1),
        path=str(master_path), frame_count=1, created_at=TAKEN)
    record.frames.set([bias])
    night.master = ingest_master(unit, record)
    # The first light frame, calibrated with that master, and its catalogue.
    first = images[0]
    FrameAnalysis.objects.filter(image=first).update(
        status=AnalysisStatus.DONE, bias=record, calibrated=True)
    folder = layout.folder(unit, "VIS", NIGHT, "processed")
    folder.mkdir(parents=True, exist_ok=True)
    header = fits.getheader(first.path)
    fits.PrimaryHDU(fits.getdata(first.path).astype(np.float32) - 1000.0, header).writeto(
        folder / "m31-0-cal.fits", checksum=True)
    table = fits.BinTableHDU.from_columns([fits.Column("RA", "D", array=[M31[0]]),
                                           fits.Column("DEC", "D", array=[M31[1]])], name="CAT")
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(folder / "m31-0-cat.fits", checksum=True)
    fields = {"channel": "VIS", "frame_type": "LIGHT", "night": NIGHT,
              "date_obs": first.date_obs, "exposure": 60.0, "filter": "r",
              "target_name": "M31", "sequence": first.sequence,
              "request": first.sequence.request, "program": grb_program, "image": first}
    night.processed = catalogue_file(unit, folder / "m31-0-cal.fits", Product.PROCESSED,
                                     fields)
    night.catalogue = catalogue_file(unit, folder / "m31-0-cat.fits", Product.CATALOGUE,
                                     {**fields, "position": M31})
    return night
