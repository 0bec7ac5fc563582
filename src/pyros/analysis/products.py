"""The calibrated frame as a file that explains itself: its pixels, the solved WCS, the
masters it was calibrated with and what was measured on it, by which version of the
pipeline, in header keywords (BANZAI's L1 names where they exist), and its sources as
a table extension ``CAT``. Written atomically with FITS checksums."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from astropy.io import fits

from pyros import __version__
from pyros.analysis.frames import Frame

#: results key -> (keyword, comment, decimals)
RESULT_CARDS = {
    "fwhm_arcsec": ("L1FWHM", "median FWHM of point sources, arcsec", 3),
    "ellipticity": ("L1ELLIP", "median 1 - b/a of point sources", 4),
    "background": ("L1MEAN", "median background, ADU", 2),
    "background_rms": ("L1SIGMA", "background noise, ADU", 3),
    "sources": ("L1NSRC", "sources at 5 sigma of the local background", 0),
    "zero_point": ("L1ZP", "mag giving 1 ADU/s (extinction included)", 4),
    "zero_point_error": ("L1ZPERR", "error of the zero point, mag", 4),
    "limiting_magnitude": ("L1LIMMAG", "5 sigma point-source limit, mag", 3),
    "sky_brightness": ("L1SKYMAG", "sky brightness, mag/arcsec2", 3),
    "astrometric_rms_arcsec": ("L1WCSRMS", "astrometric RMS, arcsec", 4),
    "pointing_offset_arcsec": ("L1PNTOFF", "solved centre - header pointing, arcsec", 3),
}
CATALOGUE_COLUMNS = ("x", "y", "ra", "dec", "flux", "flux_err", "snr", "mag", "mag_err",
                     "fwhm", "a", "b", "theta", "peak", "flags")


def calibrated_header(frame: Frame) -> fits.Header:
    header = frame.header.copy()
    for key in ("BZERO", "BSCALE", "BLANK", "CHECKSUM", "DATASUM"):
        header.remove(key, ignore_missing=True, remove_all=True)
    if frame.wcs is not None:
        for key in list(header):  # the header's own WCS gives way to the solved one
            if key.startswith(("CTYPE", "CRVAL", "CRPIX", "CD1_", "CD2_", "CDELT", "PC1_",
                               "PC2_", "CUNIT", "A_", "B_", "AP_", "BP_")):
                header.remove(key, ignore_missing=True, remove_all=True)
        header.update(frame.wcs.to_header(relax=True))
    header["PYRVERS"] = (__version__, "PyROS pipeline version")
    header["L1CALIB"] = (not any(f.startswith("uncalibrated") for f in frame.flags),
                         "bias, dark and flat all applied")
    for key, value in frame.provenance.items():
        header[key] = (value, "master used")
    for key, (card, comment, decimals) in RESULT_CARDS.items():
        value = frame.results.get(key)
        if value is not None and math.isfinite(value):
            header[card] = (round(float(value), decimals) if decimals else int(value), comment)
    for flag in frame.flags:
        header.add_history(f"PyROS: {flag}"[:72])
    return header


def catalogue_hdu(frame: Frame) -> fits.BinTableHDU:
    sources = frame.sources if frame.sources is not None else np.zeros(0, dtype=[
        (name, "f8") for name in CATALOGUE_COLUMNS])
    columns = [fits.Column(name=name.upper(), format="J" if name == "flags" else "D",
                           array=np.asarray(sources[name])) for name in CATALOGUE_COLUMNS]
    return fits.BinTableHDU.from_columns(columns, name="CAT")


def write_calibrated(frame: Frame, path: Path) -> Path:
    """The calibrated pixels with the source catalogue as a second HDU (BANZAI's way:
    one file has it all)."""
    hdus = fits.HDUList([fits.PrimaryHDU(frame.data.astype(np.float32),
                                         calibrated_header(frame)), catalogue_hdu(frame)])
    return _write(hdus, path)


def write_catalogue(frame: Frame, path: Path) -> Path:
    """The source catalogue alone, with the calibrated frame's header and no pixels:
    what a user who wants positions and magnitudes downloads (kilobytes, not 16 MB)."""
    header = calibrated_header(frame)
    for key in ("NAXIS1", "NAXIS2"):
        header.remove(key, ignore_missing=True)
    return _write(fits.HDUList([fits.PrimaryHDU(header=header), catalogue_hdu(frame)]), path)


def _write(hdus: fits.HDUList, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    hdus.writeto(partial, overwrite=True, checksum=True)
    partial.replace(path)
    return path
