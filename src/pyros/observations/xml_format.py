"""The XML request format of the PyROS guide, read safely and written back.

::

    <request name="..." scientific_program="GRB" target_type="test" submitted="1" relative="1">
      <sequence name="..." target="M31" ra="10.68" dec="41.27" jd1="15" jd2="60000" duration="10">
        <album detector="Visible camera" name="alb">
          <plan name="..." filter="First infrared filter" duration="10" nb_images="5"/>

The window is ``jd1``/``jd2`` (Julian dates, or days from now when the request has
``relative="1"``) or ``start``/``end`` in ISO UTC. A plan's ``duration`` is the exposure
time of one image. The guide's ``target_coords`` attribute is accepted and ignored.
Files are parsed with entities, DTDs and network access off; a DOCTYPE is refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from astropy.time import Time
from lxml import etree
from pydantic import ValidationError

from pyros.observations.problems import Problem, RequestInvalid, problems_from_validation
from pyros.observations.spec import RequestSpec, check_detectors_and_filters

MAX_FILE_BYTES = 2 * 1024 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_NO_DOCTYPE = "a DOCTYPE is not allowed in request files"

#: Spec field -> XML attribute, where they differ.
FIELD_NAMES = {"exposure": "duration", "scientific_program": "scientific_program"}

_ATTRIBUTES = {
    "request": {"name", "scientific_program", "target_type", "submitted", "relative"},
    "sequence": {"name", "target", "ra", "dec", "jd1", "jd2", "start", "end", "duration",
                 "priority", "obs_type", "preferred_time", "max_airmass",
                 "min_moon_separation"},
    "album": {"name", "detector"},
    "plan": {"name", "filter", "duration", "nb_images"},
}
_IGNORED_ATTRIBUTES = {"sequence": {"target_coords"}}
_CHILD = {"request": "sequence", "sequence": "album", "album": "plan"}
_LIST = {"sequence": "sequences", "album": "albums", "plan": "plans"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )


def parse_xml_request(data: bytes, now: datetime,
                      filters_by_detector: Mapping[str, Sequence[str]] | None = None
                      ) -> tuple[RequestSpec, dict]:
    """Parse and validate a request file. Returns the spec and each element's source line
    (keyed by its location in the spec, e.g. ``("sequences", 0)``).

    Raises RequestInvalid naming the element, the field and the line."""
    if len(data) > MAX_FILE_BYTES:
        raise RequestInvalid([Problem("file", None,
                                      f"too large ({len(data)} bytes; limit {MAX_FILE_BYTES})")])
    if _DOCTYPE.search(data[:4096]):
        raise RequestInvalid([Problem("file", None, _NO_DOCTYPE)])
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise RequestInvalid([Problem("file", None, f"not well-formed XML: {exc}")]) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise RequestInvalid([Problem("file", None, _NO_DOCTYPE)])
    if root.tag != "request":
        raise RequestInvalid([Problem("file", None,
                                      f"the root element must be <request>, not <{root.tag}>")])

    problems: list[Problem] = []
    lines: dict[tuple[int | str, ...], int] = {}
    relative = root.get("relative", "0").strip() in ("1", "true", "yes")
    raw = _element_to_dict(root, (), lines, problems, _window_reader(relative, now))
    unit_problems = [] if filters_by_detector is None else \
        check_detectors_and_filters(raw, filters_by_detector, FIELD_NAMES, lines)
    if problems:
        raise RequestInvalid(problems + unit_problems)
    try:
        spec = RequestSpec.model_validate(raw)
    except ValidationError as exc:
        raise RequestInvalid(problems_from_validation(exc, raw, FIELD_NAMES, lines)
                             + unit_problems) from exc
    return spec, lines


#: Days from now a relative window may be given in, either way: the guide's own example
#: ends its window 60,000 days (164 years) ahead, so the bound is generous; far beyond
#: it (1e308, or 3 million days) no date can hold the value.
MAX_RELATIVE_DAYS = 100_000
#: What an absolute jd1/jd2 may be: 1900-01-01 to 3000-01-01 UTC, the spec's range
#: (checked here too so that astropy is never asked about year 3501).
JD_RANGE = (2_415_020.5, 2_816_787.5)


def _window_reader(relative: bool, now: datetime) -> Callable[[str], datetime]:
    """Turns a jd1/jd2 attribute into a UTC datetime; a ValueError says why it cannot
    (every number is bounded first, so no OverflowError escapes as a server error)."""
    def read_jd(text: str) -> datetime:
        shown = text if len(text) <= 40 else f"{text[:40]}..."
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"'{shown}' is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"'{shown}' is not a finite number")
        if relative:
            if abs(value) > MAX_RELATIVE_DAYS:
                raise ValueError(f"{value:g} days from now is out of range "
                                 f"(at most {MAX_RELATIVE_DAYS} days either way)")
            return now + timedelta(days=value)
        if not JD_RANGE[0] <= value < JD_RANGE[1]:
            raise ValueError(f"{value} is not a Julian date from 1900 to 3000 (use "
                             "relative=\"1\" for days from now)")
        return Time(value, format="jd", scale="utc").to_datetime(timezone=UTC)

    return read_jd


def _element_to_dict(
    element: etree._Element,
    loc: tuple[int | str, ...],
    lines: dict,
    problems: list[Problem],
    read_jd: Callable[[str], datetime],
) -> dict[str, Any]:
    kind = str(element.tag)
    lines[loc] = element.sourceline
    where = f"<{kind} name='{element.get('name', '')}'>"
    out: dict[str, Any] = {}
    for attribute, value in element.attrib.items():
        if attribute in _IGNORED_ATTRIBUTES.get(kind, ()):
            continue
        if attribute not in _ATTRIBUTES[kind]:
            known = ", ".join(sorted(_ATTRIBUTES[kind]))
            problems.append(Problem(where, attribute, f"unknown attribute (known: {known})",
                                    element.sourceline))
            continue
        out[attribute] = value
    if kind == "request":
        out.pop("relative", None)
        out["submitted"] = out.get("submitted", "0").strip() in ("1", "true", "yes")
    elif kind == "sequence":
        _read_window(out, where, element.sourceline, problems, read_jd)
    elif kind == "plan" and "duration" in out:
        out["exposure"] = out.pop("duration")

    child_kind = _CHILD.get(kind)
    children = []
    for child in element:
        if child.tag != child_kind:
            expected = f"<{child_kind}>" if child_kind else "nothing"
            message = f"unexpected <{child.tag}> inside <{kind}> (expected {expected})"
            problems.append(Problem(where, None, message, child.sourceline))
            continue
        child_loc = (*loc, _LIST[child_kind], len(children))
        children.append(_element_to_dict(child, child_loc, lines, problems, read_jd))
    if child_kind:
        out[_LIST[child_kind]] = children
    if (element.text or "").strip():
        problems.append(Problem(where, None, "text is not allowed here", element.sourceline))
    return out


def _read_window(out: dict, where: str, line: int, problems: list[Problem],
                 read_jd: Callable[[str], datetime]) -> None:
    for jd_key, iso_key in (("jd1", "start"), ("jd2", "end")):
        if jd_key in out and iso_key in out:
            problems.append(Problem(where, jd_key, f"give {jd_key} or {iso_key}, not both", line))
            continue
        if jd_key in out:
            try:
                out[iso_key] = read_jd(out.pop(jd_key))
            except ValueError as exc:
                problems.append(Problem(where, jd_key, str(exc), line))


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_xml_request(spec: RequestSpec) -> bytes:
    """The request as XML with absolute ISO windows, which parses back to the same spec."""
    root = etree.Element("request")
    for key in ("name", "scientific_program", "target_type", "submitted"):
        root.set(key, _format(getattr(spec, key)))
    for sequence in spec.sequences:
        seq_el = etree.SubElement(root, "sequence")
        for key, value in sequence.model_dump(exclude={"albums"}).items():
            if value is not None:
                seq_el.set(key, _format(value))
        for album in sequence.albums:
            album_el = etree.SubElement(seq_el, "album", name=album.name, detector=album.detector)
            for plan in album.plans:
                etree.SubElement(album_el, "plan", name=plan.name, filter=plan.filter,
                                 duration=_format(plan.exposure),
                                 nb_images=str(plan.nb_images))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
