"""The REST API's pagination (``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]``): DRF's
limit and offset, bounded. DRF passes any ``limit`` or ``offset`` on to the database,
and ``limit=10^23`` or a 20-digit offset overflowed SQLite's integers (a 500): the limit
is clamped to :data:`MAX_LIMIT` (the list says so in ``limit`` of its answer's links),
an offset past :data:`MAX_OFFSET` is a 400."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_offset(self, request: Any) -> int:
        raw = request.query_params.get(self.offset_query_param, "")
        if raw.strip().lstrip("+").isdigit() and len(raw) < 4000 and int(raw) > MAX_OFFSET:
            raise ParseError(f"offset must be at most {MAX_OFFSET}")
        return super().get_offset(request)
