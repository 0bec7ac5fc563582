"""ImageBytes and JSON image arrays decode to FITS-ordered arrays; what is not an image
is refused with a reason."""

from __future__ import annotations

import numpy as np
import pytest

from pyros.devices.alpaca.images import (
    HEADER,
    ImageBytesError,
    ImageFormatError,
    decode_imagebytes,
    decode_json_image,
    encode_imagebytes,
    encode_imagebytes_error,
)


def test_imagebytes_round_trip_keeps_rows_and_columns():
    pixels = np.arange(12, dtype=np.int32).reshape(3, 4)  # 3 rows (y), 4 columns (x)
    decoded, echoed = decode_imagebytes(encode_imagebytes(pixels, 77, 5))
    assert echoed == 77
    assert decoded.shape == (3, 4) and decoded.dtype == np.uint16
    assert (decoded == pixels).all()


def test_imagebytes_are_in_alpaca_order_x_major():
    pixels = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)  # y=0: 1 2 3
    data = encode_imagebytes(pixels, 1, 1)
    # Alpaca's [x][y] with y varying fastest: (x0,y0) (x0,y1) (x1,y0) ...
    assert list(np.frombuffer(data[HEADER.size:], "<i4")) == [1, 4, 2, 5, 3, 6]
    assert HEADER.unpack_from(data)[8:10] == (3, 2)  # Dimension1 = width


def test_negative_or_large_counts_keep_their_type_and_floats_stay_floats():
    signed = np.array([[-5, 70_000]], dtype=np.int32)
    assert decode_imagebytes(encode_imagebytes(signed, 1, 1))[0].dtype == np.int32
    floats = np.array([[0.5, 1.5]], dtype=np.float64)
    decoded = decode_imagebytes(encode_imagebytes(floats, 1, 1))[0]
    assert decoded.dtype == np.float64 and (decoded == floats).all()


def test_an_error_sent_as_imagebytes_is_raised_with_its_number():
    with pytest.raises(ImageBytesError) as caught:
        decode_imagebytes(encode_imagebytes_error(0x40B, "no image is ready", 9, 1))
    assert (caught.value.number, caught.value.message) == (0x40B, "no image is ready")


@pytest.mark.parametrize(("data", "reason"), [
    (b"short", "shorter than its 44-byte header"),
    (HEADER.pack(2, 0, 0, 0, 44, 2, 2, 2, 1, 1, 0) + b"\0" * 4, "metadata version 2"),
    (HEADER.pack(1, 0, 0, 0, 44, 2, 5, 2, 1, 1, 0) + b"\0" * 16, "element type 5"),
    (HEADER.pack(1, 0, 0, 0, 44, 2, 2, 2, 2, 2, 0) + b"\0" * 4, "4 bytes of pixels, 16"),
    (HEADER.pack(1, 0, 0, 0, 900, 2, 2, 2, 1, 1, 0), "data start 900"),
    (HEADER.pack(1, 0, 0, 0, 44, 2, 2, 1, 4, 0, 0) + b"\0" * 16, "rank 1"),
])
def test_malformed_imagebytes_are_refused_with_the_reason(data, reason):
    with pytest.raises(ImageFormatError, match=reason):
        decode_imagebytes(data)


def test_a_json_image_array_is_transposed_to_rows():
    answer = {"Type": 2, "Rank": 2, "Value": [[1, 4], [2, 5], [3, 6]]}  # [x][y]
    assert decode_json_image(answer).tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("answer", [{"Rank": 2}, {"Rank": 4, "Value": [[1]]},
                                    {"Rank": 2, "Value": [[1, 2], [3]]},
                                    {"Rank": 2, "Value": [["a", "b"]]}])
def test_a_json_answer_that_is_no_image_is_refused(answer):
    with pytest.raises(ImageFormatError):
        decode_json_image(answer)
