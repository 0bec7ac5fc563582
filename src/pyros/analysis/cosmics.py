"""Cosmic rays cleaned with astroscrappy (L.A.Cosmic: Laplacian edge detection), when the
configuration asks for it. It costs some 20 s per 2048² frame on a small machine, so it
is off by default: sep's cleaning and the point-source filters already keep single hits
out of the FWHM, the zero point and the candidates. The gain and read noise must be
right for it to tell a cosmic from a star: they come from the header."""

from __future__ import annotations

from pyros.analysis.frames import Frame

SIGMA_CLIP = 4.5
DEFAULT_READ_NOISE = 5.0  # electrons, when the header gives none


def clean_cosmic_rays(frame: Frame, context) -> None:
    if not context.settings.cosmic_rays:
        return
    try:
        import astroscrappy
    except ImportError:
        frame.flag("cosmic rays not cleaned: astroscrappy is not installed "
                   "(pip install 'pyros[cosmics]')")
        return
    hits, cleaned = astroscrappy.detect_cosmics(
        frame.data, inmask=frame.mask, gain=frame.gain or 1.0,
        readnoise=frame.read_noise or DEFAULT_READ_NOISE, sigclip=SIGMA_CLIP,
        satlevel=frame.saturation)
    frame.data[:] = cleaned
    frame.mask |= hits
    frame.results["cosmic_rays"] = int(hits.sum())
