from pathlib import Path

import pytest

from pyros import paths
from pyros.config.loader import ConfigError, load_config, parse_config

EXAMPLE = paths.EXAMPLE_CONFIG.read_text()


def test_example_configuration_is_valid():
    unit = load_config(paths.EXAMPLE_CONFIG)
    assert unit.unit == "COLIBRI-sim"
    filters = unit.filters_by_detector()
    assert set(filters) == {"Visible camera", "Infrared camera"}
    assert "First infrared filter" in filters["Visible camera"]
    assert unit.devices["plc"].address == "127.0.0.1:5003"
    assert unit.computers[0].name == "main"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("latitude = 31.0439", "latitude = 131.0"), "site.latitude: Input should be less than"),
        (("readout_time = 3.0", "readout_time = -3.0"), "channels[1].readout_time"),
        (("max_humidity = 90.0", "max_humidty = 90.0"), "safety.max_humidty: unknown key"),
        (('device = "mount"', 'device = "telescope"'), "mount.device 'telescope' is not a key"),
        (('backend = "sim"', 'backend = "ascom"'), "devices.mount.backend"),
        (('address = "127.0.0.1:5000"', 'address = "nowhere"'), "devices.mount.address"),
        (('filters = ["First infrared filter", "J", "H"]', 'filters = ["J", "J"]'),
         "channels[1].filters: filter names must be unique"),
        (("flat_count = 3\n", 'flat_count = 3\nflat_filters = { NIR = ["K"] }\n'),
         "flat_filters: channel 'NIR' has no filter K"),
    ],
)
def test_bad_keys_are_named(change, expected):
    old, new = change
    assert old in EXAMPLE
    with pytest.raises(ConfigError) as error:
        parse_config(EXAMPLE.replace(old, new, 1), "unit.toml")
    assert expected in str(error.value)
    assert str(error.value).startswith("unit.toml: invalid configuration")


def test_syntax_errors_and_missing_files_are_reported(tmp_path: Path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("unit = ", "broken.toml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_config_path_prefers_environment_then_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    monkeypatch.delenv("PYROS_CONFIG", raising=False)
    assert paths.config_path() == paths.EXAMPLE_CONFIG
    (tmp_path / "unit.toml").write_text(EXAMPLE)
    assert paths.config_path() == tmp_path / "unit.toml"
    monkeypatch.setenv("PYROS_CONFIG", str(tmp_path / "other.toml"))
    assert paths.config_path() == tmp_path / "other.toml"


def test_database_url_selects_the_backend(tmp_path):
    from pyros.config.settings import database_settings

    assert database_settings("", tmp_path)["NAME"] == str(tmp_path / "pyros.sqlite3")
    pg = database_settings("postgresql://obs:pw@db.example:5432/pyros", tmp_path)
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"], pg["USER"]) == ("db.example", 5432, "pyros", "obs")
    my = database_settings("mysql://root@127.0.0.1:3306/pyros", tmp_path)
    assert my["ENGINE"] == "django.db.backends.mysql"
    assert my["OPTIONS"]["charset"] == "utf8mb4"
