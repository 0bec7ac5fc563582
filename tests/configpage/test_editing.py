"""Checking a text with every problem named, secrets masked and put back, and what
changed: plain Python, no database."""

from __future__ import annotations

from pyros.config.editing import (
    MASK,
    MAX_TEXT,
    changed_sections,
    check_text,
    key_lines,
    mask_secrets,
    secret_keys_changed,
    unmask_secrets,
)
from tests.configpage.conftest import EXAMPLE

WITH_SECRETS = EXAMPLE.replace('url = ""', 'url = "postgresql://pyros:s3cr3t@db:5432/pyros"') \
    + '\n[mail]\nhost = "smtp.example.org"\npassword = "hunter2"\n'


def test_the_example_is_valid():
    unit, problems = check_text(EXAMPLE)
    assert unit is not None and problems == []


def test_every_bad_key_is_named_with_its_line():
    text = (EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speeed = 14.0")
            .replace("width = 2048", "width = -3", 1)
            .replace('kind = "dome"', 'kind = "domme"')
            .replace("port = 8000", 'port = "eight"'))
    unit, problems = check_text(text)
    assert unit is None
    found = {p.key: p for p in problems}
    assert set(found) == {"safety.max_wind_speeed", "channels[0].width", "devices.dome.kind",
                          "web.port"}
    lines = text.splitlines()
    assert "max_wind_speeed" in lines[found["safety.max_wind_speeed"].line - 1]
    assert "width = -3" in lines[found["channels[0].width"].line - 1]
    assert 'kind = "domme"' in lines[found["devices.dome.kind"].line - 1]
    assert "unknown key" in found["safety.max_wind_speeed"].message


def test_a_missing_key_points_at_its_table():
    text = EXAMPLE.replace("slew_rate_ra = 20.0", "")
    _, problems = check_text(text)
    assert [p.key for p in problems] == ["mount.slew_rate_ra"]
    assert text.splitlines()[problems[0].line - 1] == "[mount]"


def test_toml_syntax_huge_and_binary_texts_are_refused_not_raised():
    _, problems = check_text(EXAMPLE + "\n[site\n")
    assert problems[0].key == "(TOML syntax)" and problems[0].line
    _, problems = check_text("x" * (MAX_TEXT + 1))
    assert "more than" in problems[0].message
    _, problems = check_text("unit = 'a'\x00\x01\x02")
    assert "NUL" in problems[0].message
    _, problems = check_text(bytes(range(256)).decode("latin-1"))
    assert problems
    _, problems = check_text("")
    assert {p.key for p in problems} >= {"unit", "site", "mount"}


def test_secrets_are_masked_and_put_back():
    masked = mask_secrets(WITH_SECRETS)
    assert "s3cr3t" not in masked and "hunter2" not in masked
    assert f"postgresql://pyros:{MASK}@db" in masked and f'password = "{MASK}"' in masked
    assert unmask_secrets(masked, WITH_SECRETS) == WITH_SECRETS
    edited = masked.replace('port = 8000', 'port = 8001')
    assert unmask_secrets(edited, WITH_SECRETS) == WITH_SECRETS.replace("port = 8000",
                                                                        "port = 8001")
    retyped = masked.replace(f'password = "{MASK}"', 'password = "new-one"')
    assert 'password = "new-one"' in unmask_secrets(retyped, WITH_SECRETS)
    assert secret_keys_changed(WITH_SECRETS, unmask_secrets(retyped, WITH_SECRETS)) == \
        ["mail.password"]


def test_changed_sections_and_key_lines():
    old, _ = check_text(EXAMPLE)
    new, _ = check_text(EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speed = 12.0")
                        .replace('unit = "COLIBRI-sim"', 'unit = "other"'))
    assert changed_sections(old, new) == {"safety", "unit"}
    assert changed_sections(old, old) == set()
    lines = key_lines(EXAMPLE)
    assert ("channels", 1) in lines and ("devices", "mount", "kind") in lines
