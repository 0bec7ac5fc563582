"""The JSON request format: the RequestSpec itself, windows as ISO UTC strings."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from pyros import safejson
from pyros.observations.problems import Problem, RequestInvalid, problems_from_validation
from pyros.observations.spec import RequestSpec, check_detectors_and_filters

MAX_FILE_BYTES = 2 * 1024 * 1024


def spec_from_data(data: object,
                   filters_by_detector: Mapping[str, Sequence[str]] | None = None
                   ) -> RequestSpec:
    """Validate already-decoded JSON (an API body, say) as a request. Given the unit's
    filters, an invalid request's detectors and filters are checked too, so that every
    problem is said at once."""
    if not isinstance(data, dict):
        raise RequestInvalid([Problem("request", None, "must be a JSON object")])
    try:
        return RequestSpec.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, data)
        if filters_by_detector is not None:
            problems += check_detectors_and_filters(data, filters_by_detector)
        raise RequestInvalid(problems) from exc


def parse_json_request(data: bytes,
                       filters_by_detector: Mapping[str, Sequence[str]] | None = None
                       ) -> RequestSpec:
    if len(data) > MAX_FILE_BYTES:
        raise RequestInvalid([Problem("file", None,
                                      f"too large ({len(data)} bytes; limit {MAX_FILE_BYTES})")])
    try:
        decoded = safejson.loads(data, numbers=False)  # the spec names each number's field
    except safejson.JSONInputError as exc:
        raise RequestInvalid([Problem("file", None, str(exc))]) from None
    return spec_from_data(decoded, filters_by_detector)


def write_json_request(spec: RequestSpec) -> bytes:
    return (json.dumps(spec.model_dump(mode="json"), indent=2) + "\n").encode()
