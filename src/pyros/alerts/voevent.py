"""One VOEvent packet, read safely into a normalised :class:`Alert` record.

Packets arrive from brokers anyone can publish to, so the bytes are treated as hostile
(``alerts/safexml.py``: size limit, no DTD, no entities, no network). Anything that is
not a VOEvent 1.1 / 2.0 packet with sane values raises :class:`VOEventError` naming the
problem, so the caller can record why a packet was refused and carry on.

The missions do not agree on where they put things, so the record is normalised:

* mission and notice type come from the IVORN (``ivo://nasa.gsfc.gcn/SWIFT#...``,
  ``ivo://gwnet/LVC#...``, ``ivo://org.svom/fsc#...``) and the ``Packet_Type`` param
  (GCN and SVOM numbers), then ``AlertType`` (LVK), ``Notice_Type``, then the IVORN;
* the trigger id that ties the packets of one event together is ``TrigID`` for the GCN
  satellites, ``GraceID`` for LVK, ``Burst_Id`` for SVOM, run and event id for IceCube;
* times are put in UTC and positions in ICRS degrees (``alerts/wherewhen.py``), with
  the time scale and frame the coordinate system names (``alerts/stc.py``).

Hostile is not the same as odd. A real packet's quirk — a coordinate system written in
another order or only linked (``alerts/stc.py``), an error radius of -1 (SVOM GRM: no
position yet), an empty citation (ANTARES) — never refuses the packet: the part that
cannot be used is left out and named in :attr:`Alert.flags`, so that the alert is kept,
grouped with the later packets of its event, and says why it is not observed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from lxml import etree

from pyros.alerts.safexml import (  # noqa: F401  (re-exported: the intake's names)
    MAX_PACKET_BYTES,
    NAMESPACES,
    VOEventError,
    safe_parser,
    safe_root,
    text_of,
)
from pyros.alerts.stc import coord_system
from pyros.alerts.wherewhen import event_time, position

ROLES = ("observation", "prediction", "utility", "test")
CITES = ("followup", "supersedes", "retraction")

#: GCN notice type numbers (https://gcn.gsfc.nasa.gov/filtering.html) of the missions
#: PyROS follows; an unknown number falls back to the other conventions.
GCN_PACKET_TYPES = {
    1: "GRB_COORDS", 2: "TEST_COORDS", 3: "IM_ALIVE", 4: "KILL_SOCKET",
    51: "INTEGRAL_POINTDIR", 52: "INTEGRAL_SPIACS", 53: "INTEGRAL_WAKEUP",
    54: "INTEGRAL_REFINED", 55: "INTEGRAL_OFFLINE", 56: "INTEGRAL_WEAK",
    59: "KONUS_LC",
    60: "SWIFT_BAT_GRB_ALERT", 61: "SWIFT_BAT_GRB_POS_ACK", 62: "SWIFT_BAT_GRB_POS_NACK",
    63: "SWIFT_BAT_GRB_LC", 65: "SWIFT_FOM_OBS", 66: "SWIFT_SC_SLEW",
    67: "SWIFT_XRT_POSITION", 68: "SWIFT_XRT_SPECTRUM", 69: "SWIFT_XRT_IMAGE",
    70: "SWIFT_XRT_LC", 71: "SWIFT_XRT_CENTROID", 72: "SWIFT_UVOT_DBURST",
    73: "SWIFT_UVOT_FCHART", 81: "SWIFT_UVOT_POS", 82: "SWIFT_BAT_GRB_POS_TEST",
    83: "SWIFT_POINTDIR", 84: "SWIFT_BAT_TRANS", 89: "SWIFT_UVOT_POS_NACK",
    97: "SWIFT_BAT_QL_POS", 98: "SWIFT_BAT_SUB_THRESHOLD", 99: "SWIFT_BAT_SLEW_POS",
    100: "AGILE_GRB_WAKEUP", 101: "AGILE_GRB_GROUND", 102: "AGILE_GRB_REFINED",
    109: "AGILE_GRB_POS_TEST",
    110: "FERMI_GBM_ALERT", 111: "FERMI_GBM_FLT_POS", 112: "FERMI_GBM_GND_POS",
    115: "FERMI_GBM_FIN_POS", 118: "FERMI_GBM_TRANS", 119: "FERMI_GBM_POS_TEST",
    120: "FERMI_LAT_POS_INI", 121: "FERMI_LAT_POS_UPD", 122: "FERMI_LAT_POS_DIAG",
    123: "FERMI_LAT_TRANS", 124: "FERMI_LAT_POS_TEST", 125: "FERMI_LAT_MONITOR",
    127: "FERMI_LAT_GND", 128: "FERMI_LAT_OFFLINE", 129: "FERMI_POINTDIR",
    131: "FERMI_GBM_SUBTHRESH", 133: "SWIFT_BAT_MONITOR", 134: "MAXI_UNKNOWN",
    135: "MAXI_KNOWN", 136: "MAXI_TEST", 139: "MOA", 140: "SWIFT_BAT_SUBSUB",
    141: "SWIFT_BAT_KNOWN_SRC", 142: "VOE_11_IM_ALIVE", 143: "VOE_20_IM_ALIVE",
    145: "COINCIDENCE", 149: "SNEWS",
    150: "LVC_PRELIMINARY", 151: "LVC_INITIAL", 152: "LVC_UPDATE", 153: "LVC_TEST",
    154: "LVC_COUNTERPART", 157: "AMON_ICECUBE_COINC", 158: "AMON_ICECUBE_HESE",
    163: "LVC_EARLY_WARNING", 164: "LVC_RETRACTION", 168: "GWHEN_COINC",
    169: "AMON_ICECUBE_EHE", 171: "HAWC_BURST_MONITOR", 172: "AMON_NU_EM_COINC",
    173: "ICECUBE_ASTROTRACK_GOLD", 174: "ICECUBE_ASTROTRACK_BRONZE", 176: "ICECUBE_CASCADE",
    188: "GECAM_FLT", 189: "GECAM_GND",
}

#: The SVOM French Science Center's packet types (its own numbering, not GCN's).
SVOM_PACKET_TYPES = {
    201: "SVOM_GRM_TRIGGER", 202: "SVOM_ECLAIRS_WAKEUP", 203: "SVOM_ECLAIRS_CATALOG",
    204: "SVOM_ECLAIRS_SLEWING", 205: "SVOM_ECLAIRS_NOT_SLEWING", 209: "SVOM_MXT_INITIAL",
    210: "SVOM_MXT_UPDATE", 211: "SVOM_VT_CANDIDATE", 219: "SVOM_RETRACTION",
}

#: Packet types that are network housekeeping or tests, never a sky event.
_TEST_PACKET_TYPES = {2, 3, 4, 82, 109, 119, 124, 136, 142, 143, 153}
_RETRACTION_TYPES = {("LVK", 164), ("SVOM", 219)}

#: The stream part of a ``ivo://nasa.gsfc.gcn/<stream>`` IVORN -> mission.
_GCN_STREAMS = {
    "swift": "Swift", "fermi": "Fermi", "integral": "INTEGRAL", "lvc": "LVK",
    "maxi": "MAXI", "agile": "AGILE", "konus": "Konus-Wind", "moa": "MOA",
    "gecam": "GECAM", "snews": "SNEWS", "antares_alert": "ANTARES", "icecube": "IceCube",
    "amon": "AMON", "calet": "CALET", "hawc": "HAWC", "gcn": "GCN",
}
_INSTRUMENTS = {"BAT", "XRT", "UVOT", "GBM", "LAT"}

#: Where each mission puts the id shared by all the packets of one event.
_TRIGGER_PARAMS = {
    "LVK": ("GraceID",),
    "SVOM": ("Burst_Id",),
}
_DEFAULT_TRIGGER_PARAMS = ("TrigID", "trigger_id", "GraceID", "Burst_Id", "event_id")

@dataclass(frozen=True)
class Reference:
    """A citation of an earlier packet: ``cite`` is followup, supersedes or retraction."""

    ivorn: str
    cite: str


@dataclass(frozen=True)
class Alert:
    """One packet, normalised. Positions are ICRS degrees; ``ra``, ``dec`` and
    ``error_radius`` are None when the packet has no real position (``has_position``).
    ``params`` maps each What/Param name (``Group.Param`` inside a group) to its value
    as written. ``test_reason`` says why a packet is a test (None for real ones).
    ``flags`` name the parts of a real packet that could not be used, each with why (a
    position in no sky frame, an error radius of -1, an empty citation): the packet is
    kept and grouped, and what it lacks is said on the alert's page."""

    ivorn: str
    role: str
    version: str
    author_ivorn: str | None
    issued: datetime | None
    mission: str
    instrument: str | None
    notice_type: str
    packet_type: int | None
    trigger_id: str | None
    event_time: datetime | None
    ra: float | None
    dec: float | None
    error_radius: float | None
    frame: str | None
    references: tuple[Reference, ...]
    params: Mapping[str, str]
    skymap_url: str | None
    is_retraction: bool
    test_reason: str | None
    raw: bytes = field(repr=False, compare=False)
    flags: tuple[str, ...] = ()

    @property
    def is_test(self) -> bool:
        return self.test_reason is not None

    @property
    def has_position(self) -> bool:
        return self.ra is not None

    def summary(self) -> dict[str, Any]:
        """The record as JSON-ready values (no raw packet), for logs and ``--json``."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat().replace("+00:00", "Z") if value else None

        return {
            "ivorn": self.ivorn, "role": self.role, "version": self.version,
            "author_ivorn": self.author_ivorn, "issued": iso(self.issued),
            "mission": self.mission, "instrument": self.instrument,
            "notice_type": self.notice_type, "packet_type": self.packet_type,
            "trigger_id": self.trigger_id, "event_time": iso(self.event_time),
            "ra": self.ra, "dec": self.dec, "error_radius": self.error_radius,
            "frame": self.frame, "has_position": self.has_position,
            "references": [{"ivorn": r.ivorn, "cite": r.cite} for r in self.references],
            "skymap_url": self.skymap_url, "is_retraction": self.is_retraction,
            "is_test": self.is_test, "test_reason": self.test_reason,
            "flags": list(self.flags),
        }


def parse_voevent(data: bytes) -> Alert:
    """Read one packet. Raises :class:`VOEventError` with the reason it was refused."""
    root, version = safe_root(data)
    ivorn = (root.get("ivorn") or "").strip()
    if not ivorn:
        raise VOEventError("the VOEvent has no ivorn attribute")
    if not ivorn.startswith("ivo://") or len(ivorn) <= len("ivo://"):
        raise VOEventError(f"ivorn {ivorn!r} is not an ivo:// identifier")
    role = (root.get("role") or "").strip().lower()
    if not role:
        raise VOEventError("the VOEvent has no role attribute")
    if role not in ROLES:
        raise VOEventError(f"role {role!r} is not one of {', '.join(ROLES)}")

    stream, _, fragment = ivorn[len("ivo://"):].partition("#")
    params = _params(root)
    packet_type = _packet_type(params)
    mission = _mission(stream, fragment)
    notice_type = _notice_type(mission, stream, fragment, packet_type, params)
    references, citation_flags = _references(root)
    system = coord_system(root.find("WhereWhen/ObsDataLocation/ObservationLocation"))
    where = position(root, system, unavailable=_param(params, "Coords_Type") == "0")
    instrument = _instrument(mission, notice_type, params)
    return Alert(
        ivorn=ivorn,
        role=role,
        version=version,
        author_ivorn=text_of(root.find("Who/AuthorIVORN")),
        issued=_issued(root),
        mission=mission,
        instrument=instrument,
        notice_type=notice_type,
        packet_type=packet_type,
        trigger_id=_trigger_id(mission, fragment, params),
        event_time=event_time(root, system.scale),
        ra=where.ra,
        dec=where.dec,
        error_radius=where.error,
        frame=where.frame,
        references=references,
        params=MappingProxyType(params),
        skymap_url=_param(params, "skymap_fits"),
        is_retraction=_is_retraction(mission, packet_type, params, references),
        test_reason=_test_reason(role, stream, mission, packet_type, notice_type, params),
        flags=(*((where.flag,) if where.flag else ()), *citation_flags),
        raw=bytes(data),
    )


def _issued(root: etree._Element) -> datetime | None:
    """When the packet was written (Who/Date); it only orders packets, so a bad one is
    left out rather than refusing the packet."""
    text = text_of(root.find("Who/Date"))
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# -- What: params, mission, notice type, trigger --------------------------------------------

def _params(root: etree._Element) -> dict[str, str]:
    params: dict[str, str] = {}
    what = root.find("What")
    if what is None:
        return params

    def value_of(param: etree._Element) -> str | None:
        value = param.get("value")
        if value is None:
            value = text_of(param.find("Value"))
        return value.strip() if value is not None else None

    for child in what:
        if child.tag == "Param" and child.get("name"):
            value = value_of(child)
            if value is not None:
                params[child.get("name").strip()] = value
        elif child.tag == "Group":
            prefix = (child.get("name") or child.get("type") or "").strip()
            for param in child.iter("Param"):
                name, value = (param.get("name") or "").strip(), value_of(param)
                if name and value is not None:
                    params[f"{prefix}.{name}" if prefix else name] = value
    return params


def _param(params: dict[str, str], name: str) -> str | None:
    """A param by name, top level first, then inside any group."""
    if params.get(name):
        return params[name]
    suffix = "." + name
    for key, value in params.items():
        if key.endswith(suffix) and value:
            return value
    return None


def _flag(params: dict[str, str], name: str) -> bool:
    return (_param(params, name) or "").lower() in ("true", "1", "yes")


def _packet_type(params: dict[str, str]) -> int | None:
    value = _param(params, "Packet_Type")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise VOEventError(f"Packet_Type {value!r} is not a number") from exc


def _mission(stream: str, fragment: str) -> str:
    authority, _, path = stream.partition("/")
    authority = authority.lower()
    if authority == "gwnet":
        return "LVK"
    if authority == "org.svom" or "svom" in path.lower():
        return "SVOM"
    if authority == "nasa.gsfc.gcn":
        mission = _GCN_STREAMS.get(path.lower(), path or "GCN")
        if mission == "AMON":
            head = fragment.upper()
            if head.startswith("ICECUBE"):
                return "IceCube"
            if head.startswith("HAWC"):
                return "HAWC"
        return mission
    return path.split("/")[-1] or authority


def _notice_type(mission: str, stream: str, fragment: str, packet_type: int | None,
                 params: dict[str, str]) -> str:
    table = SVOM_PACKET_TYPES if mission == "SVOM" else GCN_PACKET_TYPES
    if packet_type in table:
        return table[packet_type]
    alert_type = _param(params, "AlertType")
    if mission == "LVK" and alert_type:
        return "LVC_" + _upper_token(alert_type)
    for name in ("Notice_Type", "NoticeType", "AlertType"):
        value = _param(params, name)
        if value:
            return _upper_token(value)
    return _notice_type_from_ivorn(mission, stream, fragment)


def _notice_type_from_ivorn(mission: str, stream: str, fragment: str) -> str:
    if mission == "LVK":
        return "LVC_" + _upper_token(fragment.rsplit("-", 1)[-1]) if fragment else "LVC"
    if mission == "SVOM":
        kind = fragment.partition("_")[2]
        kind = re.sub(r"_qf\d+$", "", kind, flags=re.IGNORECASE)
        return "SVOM_" + _upper_token(kind) if kind else "SVOM"
    words = []
    for word in fragment.split("_"):
        alpha = re.match(r"[A-Za-z]+", word)
        if not alpha:
            break
        words.append(alpha.group())
        if alpha.group() != word:
            break
    prefix = _upper_token(stream.partition("/")[2] or mission)
    return "_".join([prefix, *(_upper_token(word) for word in words)])


def _upper_token(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def _instrument(mission: str, notice_type: str, params: dict[str, str]) -> str | None:
    if mission == "SVOM":
        return _param(params, "Instrument")
    for word in notice_type.split("_")[1:2]:
        if word in _INSTRUMENTS:
            return word
    return None


def _trigger_id(mission: str, fragment: str, params: dict[str, str]) -> str | None:
    if mission == "INTEGRAL":
        # The refined packet's TrigID is not the wake-up's; the IVORN keeps the trigger
        # number (Wakeup_Pos_010042-0-941, Refined_Pos_010042-1-942).
        number = re.search(r"_(\d+)-\d+-\d+$", fragment)
        if number:
            return _normal_id(number.group(1))
    if mission in ("IceCube", "AMON", "HAWC"):
        run, event = _param(params, "run_id"), _param(params, "event_id")
        if run and event:
            return f"{_normal_id(run)}_{_normal_id(event)}"
        value = _param(params, "AMON_ID")
        if value:
            return _normal_id(value)
    for name in _TRIGGER_PARAMS.get(mission, _DEFAULT_TRIGGER_PARAMS):
        value = _param(params, name)
        if value:
            return _normal_id(value)
    if mission == "LVK" and fragment:
        return fragment.split("-")[0]
    if mission == "SVOM" and fragment:
        return fragment.split("_")[0]
    return None


def _normal_id(value: str) -> str:
    """``010042`` and ``10042`` are the same INTEGRAL trigger."""
    value = value.strip()
    if re.fullmatch(r"[+-]?\d{1,30}", value):
        return str(int(value))
    return value


# -- Citations, retractions, tests -------------------------------------------------------------

def _references(root: etree._Element) -> tuple[tuple[Reference, ...], tuple[str, ...]]:
    """The citations, and what was ignored in them: an empty ``EventIVORN`` (ANTARES
    notices cite nothing that way) says nothing, so the packet is kept without it."""
    references, flags = [], []
    for cited in root.iterfind("Citations/EventIVORN"):
        ivorn = text_of(cited)
        cite = (cited.get("cite") or "").strip().lower()
        if not ivorn:
            flags.append(f"an empty citation (Citations/EventIVORN cite={cite!r}) was "
                         "ignored: the packet is grouped by its trigger id")
            continue
        if cite not in CITES:
            raise VOEventError(f"citation cite={cite!r} is not one of {', '.join(CITES)}")
        references.append(Reference(ivorn, cite))
    return tuple(references), tuple(flags)


def _is_retraction(mission: str, packet_type: int | None, params: dict[str, str],
                   references: tuple[Reference, ...]) -> bool:
    if (mission, packet_type) in _RETRACTION_TYPES:
        return True
    if (_param(params, "AlertType") or "").lower() == "retraction":
        return True
    if _flag(params, "Retraction"):
        return True  # AMON / IceCube's Trigger_ID flag
    return any(reference.cite == "retraction" for reference in references)


def _test_reason(role: str, stream: str, mission: str, packet_type: int | None,
                 notice_type: str, params: dict[str, str]) -> str | None:
    """Why a packet is a test that must never be observed (None for a real one)."""
    if role in ("test", "utility"):
        return f"role is {role}"
    if packet_type in _TEST_PACKET_TYPES and mission != "SVOM":
        return f"{notice_type} is a network test or housekeeping packet"
    if mission == "GCN":
        return "a GCN broker packet, not a sky event"
    if "TEST" in (part.upper() for part in stream.split("/")[1:]):
        return "published on a TEST stream"
    for flag in ("Test_Submission", "Test_Notice", "Test", "InternalTest"):
        if _flag(params, flag):
            return f"the {flag} flag is set"
    return None
