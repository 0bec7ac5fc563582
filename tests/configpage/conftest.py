"""A unit file of the test's own (a copy of the example) named by PYROS_CONFIG, and the
process's cached configuration forgotten before and after."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyros import paths
from pyros.config import loader

EXAMPLE = paths.EXAMPLE_CONFIG.read_text(encoding="utf-8")


def forget() -> None:
    loader._cached.cache_clear()
    loader._stamp.clear()
    loader._rejected.clear()


@pytest.fixture
def unit_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "unit.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    monkeypatch.setenv("PYROS_CONFIG", str(path))
    forget()
    yield path
    forget()
