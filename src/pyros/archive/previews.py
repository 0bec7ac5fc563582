"""The thumbnail and the preview of an archive frame, made when it is ingested.

The stretch is the Cameras page's (``instruments.previews.stretch``: binned by block
means, clipped from under the sky to a high percentile, asinh), which shows faint stars
without burning bright ones and works as well on a bias or a flat. Both are PNG files in
the previews' tree, named after the frame; they are remade from the FITS file when a
retention rule has pruned them and someone asks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits
from PIL import Image as PILImage

from pyros.instruments.previews import PreviewError, stretch

THUMBNAIL_SIZE = 256
PREVIEW_SIZE = 1024


def first_image(path: Path) -> np.ndarray:
    """The pixels of the first HDU that has an image."""
    with fits.open(path, memmap=False) as hdus:
        for hdu in hdus:
            if hdu.is_image and hdu.data is not None and np.ndim(hdu.data) >= 2:
                return np.asarray(hdu.data, dtype=np.float32)
    raise PreviewError(f"{path.name} has no image")


def write_previews(fits_path: Path, thumbnail: Path, preview: Path) -> None:
    """Both PNG files for ``fits_path`` (written whole, then renamed into place)."""
    pixels = first_image(fits_path)
    for target, size in ((preview, PREVIEW_SIZE), (thumbnail, THUMBNAIL_SIZE)):
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        PILImage.fromarray(stretch(pixels, size), mode="L").save(
            partial, format="PNG", compress_level=3)  # 3: twice as fast as 6, 10 % larger
        partial.replace(target)


def preview_names(relative_fits: str) -> tuple[str, str]:
    """(thumbnail, preview) paths in the previews' tree for a catalogue path."""
    stem = relative_fits.removesuffix(".fits").removesuffix(".fz")
    return f"{stem}-thumb.png", f"{stem}-preview.png"
