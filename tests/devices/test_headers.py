"""An INDI camera's header made to agree with the unit's devices (the integration tests
do it against the simulators; here, the rules on files of known content)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

from pyros.devices.indi.headers import Circumstances, correct_header

DATA = (np.arange(64 * 48, dtype=np.uint32) % 65536).astype(np.uint16).reshape(48, 64)


def image(tmp_path: Path, **cards: object) -> Path:
    path = tmp_path / "image.fits"
    header = fits.Header()
    for key, value in cards.items():
        header[key] = value
    fits.PrimaryHDU(DATA, header).writeto(path)
    return path


def test_disagreeing_keywords_are_rewritten_with_history(tmp_path: Path) -> None:
    path = image(tmp_path, FILTER="Red", FOCUSPOS=50000, RA=1.6, DEC=89.85)
    changes = correct_header(path, Circumstances("H_Alpha", 150.0, 20.0, 41000))
    assert [c.split(":")[0] for c in changes] == ["FILTER", "FOCUSPOS", "RA/DEC"]
    with fits.open(path) as hdus:
        header, data = hdus[0].header, hdus[0].data
        assert (header["FILTER"], header["FOCUSPOS"], header["RA"], header["DEC"]) == \
            ("H_Alpha", 41000, 150.0, 20.0)
        assert (header["OBJCTRA"], header["OBJCTDEC"]) == ("10 00 00.00", "+20 00 00.00")
        assert len(header["HISTORY"]) == 3
        assert np.array_equal(data, DATA)  # the pixels are untouched


def test_agreeing_or_unknown_values_leave_the_header_alone(tmp_path: Path) -> None:
    # The driver's pointing within a minute of arc of the mount's counts as agreeing.
    path = image(tmp_path, FILTER="H_Alpha", FOCUSPOS=41000, RA=150.0, DEC=20.0 + 30 / 3600)
    before = fits.getheader(path).tostring()
    assert correct_header(path, Circumstances("H_Alpha", 150.0, 20.0, 41000)) == []
    assert correct_header(path, Circumstances()) == []  # no device answered
    assert fits.getheader(path).tostring() == before
