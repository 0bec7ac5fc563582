"""Signed, expiring download links: a frame's file for a client that holds no
credentials (a TOM, a script, a colleague's browser), for ``[archive]
signed_url_seconds``.

The link carries the frame and the user who asked for it, signed with the site's
secret key (``django.core.signing``, a salt of its own so that no other signature of
the site can stand in for it). It is not a right of its own: the download checks again
that this user, still active, may see this frame now, so a link stops working when its
user loses the right. Its age is counted on :mod:`pyros.clock`, not the wall clock, so
that a simulated night, and the tests, move it like everything else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core import signing

from pyros import clock

SALT = "pyros.archive.signed-download"


class LinkRefused(Exception):
    """A link that does not open the file: tampered, expired, for another frame."""


class ClockSigner(signing.TimestampSigner):
    """Django's TimestampSigner with its time from :func:`pyros.clock.now`."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(clock.now().timestamp()))

    def unsign(self, value: str, max_age: float | dt.timedelta | None = None) -> str:
        result = signing.Signer.unsign(self, value)
        value, stamp = result.rsplit(self.sep, 1)
        if max_age is not None:
            if isinstance(max_age, dt.timedelta):
                max_age = max_age.total_seconds()
            age = clock.now().timestamp() - signing.b62_decode(stamp)
            if age > max_age:
                raise signing.SignatureExpired(f"signature age {age:.0f} > {max_age} seconds")
        return value


@dataclass(frozen=True)
class Link:
    signature: str
    expires: dt.datetime


def sign(frame_id: int, user_id: int, seconds: int) -> Link:
    """A signature for ``frame_id`` on behalf of ``user_id``, valid ``seconds``."""
    signature = ClockSigner(salt=SALT).sign_object([int(frame_id), int(user_id)])
    return Link(signature, clock.now().replace(microsecond=0) + dt.timedelta(seconds=seconds))


def check(signature: str, frame_id: int, seconds: int) -> int:
    """The id of the user who signed a link to ``frame_id``; LinkRefused otherwise."""
    try:
        data: Any = ClockSigner(salt=SALT).unsign_object(signature, max_age=seconds)
    except signing.SignatureExpired:
        raise LinkRefused("this download link has expired; ask for a new one") from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise LinkRefused("this download link is not valid") from None
    if (not isinstance(data, list) or len(data) != 2
            or not all(type(v) is int for v in data)):
        raise LinkRefused("this download link is not valid")
    if data[0] != frame_id:
        raise LinkRefused("this download link is for another frame")
    return data[1]
