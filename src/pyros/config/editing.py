"""Editing a unit configuration as text (plain Python, for the Configuration page and
the CLI): every problem with its key and, when it can be found, its line; secrets
masked for display and put back on save; which sections two configurations differ in.

The schema is the one of ``pyros config check`` (``loader.parse_config``): the page must
never accept a file the agents would refuse at their next start.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from pydantic import ValidationError

from pyros.config.loader import describe_validation_error
from pyros.config.schema import UnitConfig

#: Larger texts are refused before parsing: a unit file is a few kilobytes.
MAX_TEXT = 256 * 1024
MASK = "********"


@dataclass(frozen=True)
class Problem:
    """One reason a text is refused: the key (``safety.max_wind_speed``), its line when
    the text shows it, and what is wrong."""

    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.key}: {self.message}"


def check_text(text: str) -> tuple[UnitConfig | None, list[Problem]]:
    """The configuration the text describes, or every problem pydantic found in it."""
    if len(text) > MAX_TEXT:
        return None, [Problem("(file)", f"{len(text)} characters: more than the "
                                        f"{MAX_TEXT} a unit configuration may have")]
    if "\x00" in text:
        return None, [Problem("(file)", "contains NUL characters: not a text file")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        return None, [Problem("(TOML syntax)", f"not valid TOML: {exc}",
                              int(found.group(1)) if found else None)]
    try:
        return UnitConfig.model_validate(data), []
    except ValidationError as exc:
        lines = key_lines(text)
        problems = []
        for item, described in zip(exc.errors(), describe_validation_error(exc), strict=True):
            key, _, message = described.partition(": ")
            loc = tuple(p for p in item["loc"] if p != "function-after")
            problems.append(Problem(key, message, _line_of(loc, lines)))
        return None, problems


# --- where a key is ---------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_ASSIGN = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)
    return tuple(p.strip("\"'") for p in parts)


def key_lines(text: str) -> dict[tuple, int]:
    """Each table header and key written in the text -> its first line (1-based). An
    array of tables gets its index (``("channels", 1)``), as pydantic's locations do."""
    found: dict[tuple, int] = {}
    counts: dict[tuple, int] = {}
    table: tuple = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            path = _split_key(header.group(2))
            if header.group(1) == "[[":
                index = counts.get(path, -1) + 1
                counts[path] = index
                table = (*path, index)
            else:
                table = path
            found.setdefault(table, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            found.setdefault((*table, *_split_key(assign.group(1))), number)
    return found


def _line_of(loc: tuple, lines: dict[tuple, int]) -> int | None:
    """The line of the key, else of its nearest parent that the text shows."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


# --- secrets ----------------------------------------------------------------------------

_SECRET_VALUE = re.compile(
    r"""^(\s*[A-Za-z0-9_-]*(?:password|passwd|secret|token)[A-Za-z0-9_-]*\s*=\s*)(["'])(.*?)\2""",
    re.IGNORECASE)
_URL_PASSWORD = re.compile(r"""(://[^:/@\s"']*:)([^@\s"']+)(@)""")


def _secret_spans(line: str) -> list[tuple[int, int]]:
    """Where the secrets of one line are: a password-like key's value, the password of
    a URL (``postgresql://user:PASSWORD@host``)."""
    spans = []
    value = _SECRET_VALUE.match(line)
    if value and value.group(3):
        spans.append(value.span(3))
    spans += [m.span(2) for m in _URL_PASSWORD.finditer(line)]
    return sorted(set(spans))


def _owners(text: str) -> list[tuple[tuple, str]]:
    """Per line: the (table, key) it assigns, so a masked line can find its original."""
    owners, table, counts = [], (), {}
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            path = _split_key(header.group(2))
            if header.group(1) == "[[":
                counts[path] = counts.get(path, -1) + 1
                table = (*path, counts[path])
            else:
                table = path
        assign = None if header else _ASSIGN.match(line)
        owners.append((table, assign.group(1).replace(" ", "") if assign else ""))
    return owners


def mask_secrets(text: str) -> str:
    """The text with every secret replaced by ``********`` (what pages and the CLI
    show; the file and the stored versions keep the real values)."""
    out = []
    for line in text.splitlines(keepends=True):
        for start, end in reversed(_secret_spans(line)):
            line = line[:start] + MASK + line[end:]
        out.append(line)
    return "".join(out)


def unmask_secrets(edited: str, original: str) -> str:
    """Put back, in a text edited from the masked one, the secrets still shown as
    ``********``: taken from the same key of the original text. A secret typed anew is
    kept as typed."""
    originals: dict[tuple, list[str]] = {}
    for owner, line in zip(_owners(original), original.splitlines(), strict=True):
        spans = _secret_spans(line)
        if spans and owner[1]:
            originals[owner] = [line[s:e] for s, e in spans]
    out = []
    for owner, line in zip(_owners(edited), edited.splitlines(keepends=True), strict=True):
        secrets = originals.get(owner)
        spans = _secret_spans(line)
        if secrets and len(secrets) == len(spans):
            for (start, end), secret in reversed(list(zip(spans, secrets, strict=True))):
                if line[start:end] == MASK:
                    line = line[:start] + secret + line[end:]
        out.append(line)
    return "".join(out)


def secret_keys_changed(old: str, new: str) -> list[str]:
    """The keys whose secret differs between two texts (a masked diff cannot show it)."""
    def secrets(text: str) -> dict[str, list[str]]:
        found = {}
        for (table, key), line in zip(_owners(text), text.splitlines(), strict=True):
            spans = _secret_spans(line)
            if spans and key:
                name = ".".join(str(p) for p in (*table, key))
                found[name] = [line[s:e] for s, e in spans]
        return found

    before, after = secrets(old), secrets(new)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


# --- what changed -----------------------------------------------------------------------


def changed_sections(old: UnitConfig, new: UnitConfig) -> set[str]:
    """The top-level keys (``site``, ``safety``, ``unit``...) whose value differs."""
    return {name for name in UnitConfig.model_fields if getattr(old, name) != getattr(new, name)}
