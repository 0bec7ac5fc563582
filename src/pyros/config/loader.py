"""Reading a unit configuration file, with errors that name the bad key."""

from __future__ import annotations

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


@lru_cache(maxsize=1)
def _cached(path: str) -> UnitConfig:
    return load_config(path)


def active_config() -> UnitConfig:
    """The configuration of this process: ``PYROS_CONFIG`` or the shipped example."""
    return _cached(str(paths.config_path()))
