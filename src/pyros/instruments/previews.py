"""PNG previews of the cameras' last images, for the Cameras page.

A raw frame is 16-bit and mostly sky: shown linearly it is a grey field with a few white
dots, and clipped between two plain percentiles it is all noise (stars are far fewer
than 1 % of the pixels). The preview is binned down to at most ``MAX_SIZE`` pixels
(block averages, which also beat down the noise), clipped from just under the sky
(its median less ``SKY_SIGMAS`` robust standard deviations) to a high percentile (or
``MIN_RANGE_SIGMAS`` over the sky, if higher), and compressed with an asinh curve,
which keeps faint stars visible without burning the bright ones. North is up as in
DS9: FITS rows count from the bottom.

Plain Python (numpy, astropy, Pillow); the devices agent calls it, the web serves the
files from ``preview_path``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from astropy.io import fits
from PIL import Image

from pyros import paths

MAX_SIZE = 512  # pixels, the larger side
SKY_SIGMAS = 2.0  # the black level, in standard deviations under the sky
HIGH_PERCENTILE = 99.9  # the white level...
# ...but at least this far above the sky: a field with few stars would otherwise be
# stretched to its noise.
MIN_RANGE_SIGMAS = 30.0
ASINH_SOFTENING = 0.1  # smaller: more contrast for the faint end
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$")


class PreviewError(Exception):
    """The image cannot be turned into a preview (missing, unreadable, no pixels)."""


def preview_dir() -> Path:
    return paths.data_dir() / "previews"


def preview_path(channel: str) -> Path:
    """Where the preview of ``channel``'s last image is kept. Channel names come from the
    configuration; anything that could climb out of the folder is refused."""
    if not _CHANNEL_NAME.match(channel) or ".." in channel:
        raise ValueError(f"'{channel}' is not a usable channel name")
    return preview_dir() / f"{channel}.png"


def stretch(pixels: np.ndarray, max_size: int = MAX_SIZE) -> np.ndarray:
    """An 8-bit image, binned to at most ``max_size`` on its larger side, clipped from
    under the sky to a high percentile and asinh stretched, top row first."""
    image = np.asarray(pixels, dtype=np.float32)
    if image.ndim > 2:  # a cube: its first plane
        image = image.reshape(-1, *image.shape[-2:])[0]
    if image.ndim != 2 or image.size == 0:
        raise PreviewError(f"not an image: pixel array of shape {pixels.shape}")
    factor = max(1, -(-max(image.shape) // max_size))  # ceiling division
    if factor > 1:
        height, width = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
        image = image[:height, :width].reshape(height // factor, factor,
                                               width // factor, factor).mean(axis=(1, 3))
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        raise PreviewError("the image has no finite pixel")
    sky = float(np.median(finite))
    sigma = 1.4826 * float(np.median(np.abs(finite - sky)))  # robust: stars do not count
    low = sky - SKY_SIGMAS * sigma
    high = max(float(np.percentile(finite, HIGH_PERCENTILE)), sky + MIN_RANGE_SIGMAS * sigma)
    if high <= low:
        high = low + 1.0  # a uniform frame (a saturated one): black, not a division by 0
    scaled = np.clip((np.nan_to_num(image, nan=low) - low) / (high - low), 0.0, 1.0)
    curve = np.arcsinh(scaled / ASINH_SOFTENING) / np.arcsinh(1.0 / ASINH_SOFTENING)
    return np.flipud(np.round(curve * 255.0).astype(np.uint8))


def write_preview(fits_path: Path | str, png_path: Path, max_size: int = MAX_SIZE) -> Path:
    """Write the preview of the FITS image ``fits_path`` at ``png_path``, atomically (the
    web server may be reading the previous one)."""
    try:
        with fits.open(fits_path, memmap=False) as hdus:
            pixels = next((hdu.data for hdu in hdus if hdu.data is not None
                           and getattr(hdu.data, "ndim", 0) >= 2), None)
            if pixels is None:
                raise PreviewError(f"{fits_path}: no image in the file")
            image = stretch(pixels, max_size)
    except (OSError, ValueError) as exc:
        raise PreviewError(f"{fits_path}: cannot read the image: {exc}") from exc
    png_path.parent.mkdir(parents=True, exist_ok=True)
    partial = png_path.with_name(f".{png_path.name}.{os.getpid()}.part")
    Image.fromarray(image).save(partial, format="PNG")
    partial.replace(png_path)
    return png_path
