"""The [ocs] section: off by default, a port of its own, and gunicorn listening on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyros.config.loader import ConfigError, load_config
from pyros.paths import EXAMPLE_CONFIG
from pyros.web.serving import gunicorn_argv, ocs_binds
from tests.ocs.conftest import ocs_config_text


def test_the_ocs_api_is_off_unless_a_port_is_given():
    unit = load_config(EXAMPLE_CONFIG)
    assert unit.ocs.port is None
    assert ocs_binds("127.0.0.1:8000", unit.ocs) == []


def test_gunicorn_listens_on_the_site_and_the_ocs_port(tmp_path: Path):
    path = tmp_path / "unit.toml"
    path.write_text(ocs_config_text(tmp_path, 8001))
    unit = load_config(path)
    argv = gunicorn_argv("python", "0.0.0.0:8000", unit.web, pid_file=tmp_path / "p",
                         access_log=tmp_path / "a", error_log=tmp_path / "e",
                         extra_binds=ocs_binds("0.0.0.0:8000", unit.ocs))
    binds = [argv[i + 1] for i, part in enumerate(argv) if part == "--bind"]
    assert binds == ["0.0.0.0:8000", "0.0.0.0:8001"]


def test_the_ocs_port_cannot_be_the_sites(tmp_path: Path):
    path = tmp_path / "unit.toml"
    path.write_text(ocs_config_text(tmp_path, 8000))
    with pytest.raises(ConfigError, match="port of its own"):
        load_config(path)
