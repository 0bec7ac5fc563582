"""`pyros images list` and `pyros images get`, in-process against the test database:
the acting user sees and gets what the archive's rights give them, every copy is the
catalogued file, and nothing half-written is ever left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.archive import layout
from pyros.cli.main import cli
from tests.archive.clients import after_the_night  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("after_the_night")]


def run(*args: str, code: int = 0, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, ["images", *args], catch_exceptions=False, env=env)
    assert result.exit_code == code, result.output
    return result


def listed(*args: str, env: dict[str, str] | None = None) -> list[dict]:
    return json.loads(run("list", "--json", *args, env=env).stdout)


def file_of(night, frame) -> Path:
    return layout.absolute(night.unit, frame.path)


def test_list_shows_what_the_user_may_see(archived_night, observer, outsider):
    mine = {r["basename"] for r in listed("--user", "alice")}
    assert mine == {"m31-0.fits", "m31-1.fits", "m31-2.fits", "m31-0-cal.fits",
                    "m31-0-cat.fits", "bias-0.fits", "master-bias-VIS-bin1.fits"}
    assert {r["basename"] for r in listed("--user", "bob")} == {"bias-0.fits",
                                                               "master-bias-VIS-bin1.fits"}
    assert len(listed()) == 8  # admin, the default
    assert len(listed(env={"PYROS_USER": "bob"})) == 2
    request_id = archived_night.mine[0].request_id
    assert len(listed("--user", "alice", "--request", str(request_id))) == 5
    assert listed("--user", "bob", "--request", str(request_id)) == []
    assert len(listed("--night", "2026-11-21")) == 8 and listed("--night", "2026-11-22") == []
    [m42] = listed("--target", "m42")
    assert m42["program"] == "SN" and m42["sha256"] == archived_night.theirs[0].sha256
    assert len(listed("--request", str(request_id), "--product", "raw")) == 3


def test_list_as_a_table(archived_night, observer):
    output = run("list", "--user", "alice").output
    assert "7 frames" in output and "m42" not in output
    for name in ("m31-0-cal.fits", "master-bias-VIS-bin1.fits"):  # whole on 80 columns
        assert name in output


def test_bad_users_and_options(archived_night, observer):
    assert "no active user 'nobody'" in run("list", "--user", "nobody", code=1).output
    observer.is_active = False
    observer.save()
    run("list", "--user", "alice", code=1)
    run("list", "--night", "yesterday", code=2)
    run("list", "--request", "0", code=2)
    run("get", "-o", "x", code=2)  # neither ids nor --request
    run("get", "1", "--request", "1", code=2)


def test_get_copies_the_files_verified(archived_night, observer, tmp_path):
    night, out = archived_night, tmp_path / "out"
    ids = [str(f.pk) for f in night.mine]
    result = run("get", *ids, "-o", str(out), "--user", "alice")
    assert "3 of 3 files copied" in result.stdout
    for frame in night.mine:
        assert (out / frame.basename).read_bytes() == file_of(night, frame).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["m31-0.fits", "m31-1.fits", "m31-2.fits"]


def test_get_a_request(archived_night, observer, tmp_path):
    request_id = str(archived_night.mine[0].request_id)
    run("get", "--request", request_id, "-o", str(tmp_path / "all"), "--user", "alice")
    assert len(list((tmp_path / "all").iterdir())) == 5
    run("get", "--request", request_id, "--product", "RAW", "-o", str(tmp_path / "raw"),
        "--user", "alice")
    assert len(list((tmp_path / "raw").iterdir())) == 3


def test_unknown_or_invisible_frames_copy_nothing(archived_night, outsider, tmp_path):
    night, out = archived_night, tmp_path / "out"
    hers = night.mine[0].pk
    refused = run("get", str(night.bias.pk), str(hers), "-o", str(out), "--user", "bob", code=1)
    assert f"no frame {hers} that you may see" in refused.output
    unknown = run("get", "99999", "-o", str(out), "--user", "bob", code=1)
    assert "no frame 99999 that you may see" in unknown.output
    request_id = str(night.mine[0].request_id)
    theirs = run("get", "--request", request_id, "-o", str(out), "--user", "bob", code=1)
    assert f"no frame of request {request_id} that you may see" in theirs.output
    assert not out.exists() or list(out.iterdir()) == []


def test_a_corrupt_or_missing_file_is_not_left_behind(archived_night, observer, tmp_path):
    night, out = archived_night, tmp_path / "out"
    corrupt, gone, fine = night.mine
    path = file_of(night, corrupt)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # one bit of a pixel: the same size, another checksum
    path.write_bytes(bytes(data))
    file_of(night, gone).unlink()
    result = run("get", str(corrupt.pk), str(gone.pk), str(fine.pk), "-o", str(out),
                 "--user", "alice", code=1)
    assert "1 of 3 files copied" in result.output
    assert "corrupt" in result.output and "No such file" in result.output
    assert [p.name for p in out.iterdir()] == ["m31-2.fits"]  # no .part, nothing wrong


def test_help():
    for command in (["list"], ["get"]):
        assert "Usage: " in run(*command, "--help").output
