"""Reading a unit configuration file, with errors that name the bad key."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from pyros import paths
from pyros.config.schema import UnitConfig


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and why."""


def _format_location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def describe_validation_error(error: ValidationError) -> list[str]:
    """One line per problem: ``key.path: message``."""
    lines = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if p not in ("function-after",))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (not part of the configuration schema)"
        lines.append(f"{_format_location(loc)}: {message}")
    return lines


def parse_config(text: str, source: str = "<text>") -> UnitConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return UnitConfig.model_validate(data)
    except ValidationError as exc:
        problems = "\n  ".join(describe_validation_error(exc))
        raise ConfigError(f"{source}: invalid configuration:\n  {problems}") from exc


def load_config(path: Path | str) -> UnitConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    return parse_config(text, str(path))


#: The file behind the cached configuration, as it was when read: (path, mtime_ns, size).
_stamp: dict[str, tuple[int, int]] = {}
#: A changed file refresh_if_changed() found invalid, not to be read again until it changes.
_rejected: dict[str, tuple[int, int]] = {}


def _file_stamp(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=1)
def _cached(path: str) -> UnitConfig:
    stamp = _file_stamp(path)
    unit = load_config(path)
    _stamp.clear()
    if stamp is not None:
        _stamp[path] = stamp
    return unit


def active_config() -> UnitConfig:
    """The configuration of this process: ``PYROS_CONFIG`` or the shipped example."""
    return _cached(str(paths.config_path()))


def reload_active_config() -> UnitConfig:
    """Read the configuration file again for this process (an agent's ``reload_config``).
    The new file is read and validated before the cache is dropped, so an invalid file
    leaves the process on the configuration it had (the ConfigError says why)."""
    load_config(paths.config_path())
    _cached.cache_clear()
    return active_config()


def refresh_if_changed() -> bool:
    """For the web processes: read the file again if it changed on disk since it was
    read (one stat). A changed file that does not validate is ignored, so a bad hand
    edit never turns every page into an error; the process keeps what it had."""
    path = str(paths.config_path())
    stamp = _file_stamp(path)
    if stamp == _stamp.get(path) or stamp == _rejected.get(path):
        return False
    if _cached.cache_info().currsize == 0:
        return False  # nothing read yet: the first active_config() will read it
    try:
        load_config(path)
    except ConfigError:
        if stamp is not None:
            _rejected[path] = stamp  # not parsed again on every request
        return False
    _cached.cache_clear()
    active_config()
    return True
