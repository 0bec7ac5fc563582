"""Alpaca images as numpy arrays, from either form a camera sends.

``ImageArray`` answers JSON (``{"Type": t, "Rank": r, "Value": [[...]]}``) by default,
and the ImageBytes binary form (``application/imagebytes``: a 44-byte header of eleven
little-endian int32, then the pixels) when the client asks for it; ImageBytes is ~10x
smaller on the wire and needs no JSON parsing, so it is asked for first.

Alpaca arrays are indexed ``[x][y]`` (``[x][y][plane]`` in colour), the last index
varying fastest; FITS wants rows of ``y``: both decoders return ``(height, width)``
(``(planes, height, width)``) arrays.
"""

from __future__ import annotations

import struct

import numpy as np

IMAGEBYTES = "application/imagebytes"
HEADER = struct.Struct("<11i")

#: ImageElementType / TransmissionElementType codes of the Alpaca specification.
ELEMENT_TYPES: dict[int, np.dtype] = {
    1: np.dtype("<i2"), 2: np.dtype("<i4"), 3: np.dtype("<f8"), 4: np.dtype("<f4"),
    6: np.dtype("u1"), 7: np.dtype("<i8"), 8: np.dtype("<u2"), 9: np.dtype("<u4"),
    10: np.dtype("<u8"),
}
CODES = {dtype: code for code, dtype in ELEMENT_TYPES.items()}


class ImageFormatError(ValueError):
    """The bytes or JSON are not an image this decoder can read (the message says why)."""


class ImageBytesError(Exception):
    """The server put an Alpaca error into the ImageBytes answer instead of pixels."""

    def __init__(self, number: int, message: str, client_transaction: int) -> None:
        super().__init__(message)
        self.number, self.message, self.client_transaction = number, message, client_transaction


def _to_fits_order(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 2:
        return np.ascontiguousarray(pixels.T)
    if pixels.ndim == 3:
        return np.ascontiguousarray(pixels.transpose(2, 1, 0))
    raise ImageFormatError(f"an image of rank {pixels.ndim} (2 or 3 expected)")


def _narrowed(pixels: np.ndarray) -> np.ndarray:
    """Integer counts as 16-bit unsigned when they fit (what cameras produce and what
    FITS stores compactly), else as they came."""
    if pixels.dtype.kind in "iu" and pixels.size and pixels.dtype != np.uint16 and \
            pixels.min() >= 0 and pixels.max() <= 65535:
        return pixels.astype(np.uint16)
    return pixels


def decode_imagebytes(data: bytes) -> tuple[np.ndarray, int]:
    """(pixels as (height, width) or (planes, height, width), the echoed
    ClientTransactionID). ImageBytesError when the server sent an error instead."""
    if len(data) < HEADER.size:
        raise ImageFormatError(f"ImageBytes answer of {len(data)} bytes, shorter than its "
                               f"{HEADER.size}-byte header")
    (version, error, client_transaction, _server, start, _element, transmission, rank,
     *dimensions) = HEADER.unpack_from(data)
    if version != 1:
        raise ImageFormatError(f"ImageBytes metadata version {version} (1 expected)")
    if not HEADER.size <= start <= len(data):
        raise ImageFormatError(f"ImageBytes data start {start} outside the answer")
    if error:
        message = data[start:].decode("utf-8", "replace")
        raise ImageBytesError(error, message, client_transaction)
    dtype = ELEMENT_TYPES.get(transmission)
    if dtype is None:
        raise ImageFormatError(f"ImageBytes transmission element type {transmission} is "
                               "not supported")
    if rank not in (2, 3):
        raise ImageFormatError(f"ImageBytes rank {rank} (2 or 3 expected)")
    shape = tuple(dimensions[:rank])
    if any(d <= 0 for d in shape):
        raise ImageFormatError(f"ImageBytes dimensions {shape} are not positive")
    count = int(np.prod(shape))
    if len(data) - start != count * dtype.itemsize:
        raise ImageFormatError(f"ImageBytes carries {len(data) - start} bytes of pixels, "
                               f"{count * dtype.itemsize} expected for {shape} {dtype}")
    pixels = np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(shape)
    return _narrowed(_to_fits_order(pixels)), client_transaction


def decode_json_image(answer: dict) -> np.ndarray:
    """The ``Value`` of a JSON ImageArray answer, in FITS order."""
    value, rank = answer.get("Value"), answer.get("Rank")
    if not isinstance(value, list) or rank not in (2, 3):
        raise ImageFormatError(f"ImageArray answer without a rank-2/3 Value (Rank={rank!r})")
    try:
        pixels = np.asarray(value)
    except ValueError as exc:
        raise ImageFormatError(f"ImageArray Value is ragged: {exc}") from None
    if pixels.ndim != rank or pixels.dtype.kind not in "iuf":
        raise ImageFormatError(f"ImageArray Value is not a rank-{rank} array of numbers")
    return _narrowed(_to_fits_order(pixels))


def encode_imagebytes(pixels: np.ndarray, client_transaction: int,
                      server_transaction: int) -> bytes:
    """A (height, width) array as an ImageBytes answer (the simulator's side, and the
    round-trip tests'): Int32 image elements, sent as the array's own type."""
    dtype = pixels.dtype.newbyteorder("<") if pixels.dtype.kind in "iuf" else pixels.dtype
    code = CODES.get(np.dtype(dtype))
    if code is None:
        raise ImageFormatError(f"cannot send {pixels.dtype} as ImageBytes")
    alpaca_order = pixels.T if pixels.ndim == 2 else pixels.transpose(2, 1, 0)
    dimensions = [*alpaca_order.shape, 0, 0, 0][:3]
    image_type = 3 if pixels.dtype.kind == "f" else 2
    header = HEADER.pack(1, 0, client_transaction, server_transaction, HEADER.size,
                         image_type, code, pixels.ndim, *dimensions)
    return header + np.ascontiguousarray(alpaca_order, dtype=dtype).tobytes()


def encode_imagebytes_error(number: int, message: str, client_transaction: int,
                            server_transaction: int) -> bytes:
    header = HEADER.pack(1, number, client_transaction, server_transaction, HEADER.size,
                         0, 0, 0, 0, 0, 0)
    return header + message.encode()
