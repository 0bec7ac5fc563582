"""End to end: a real TOM Toolkit (tomtoolkit in a virtual environment of its own,
``.venv-tom``, made by scripts/run-tests) drives PyROS through its generic OCS facility,
configured only as docs/tom.md says, against PyROS served by gunicorn as ``pyros start``
serves it (the site's port and the OCS port). Instruments, proposals, validation
(valid and invalid), submit, status, data products after the night, cancel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pyros import clock
from pyros.accounts import api_tokens
from pyros.archive.models import ArchiveFrame
from pyros.config.loader import load_config
from pyros.observations.models import Request, Sequence
from pyros.ports import free_ports
from pyros.programs.models import Allocation, Period
from pyros.programs.periods import next_period, period_containing
from pyros.web.serving import gunicorn_argv, ocs_binds
from tests.agents.conftest import database_url
from tests.archive.conftest import raw_image
from tests.ocs.conftest import ocs_config_text

ROOT = Path(__file__).resolve().parents[2]
TOM_PYTHON = ROOT / ".venv-tom" / "bin" / "python"
DRIVER = Path(__file__).with_name("tom_driver.py")


def _allocated_now(program) -> None:
    """The GRB program has time in the periods of the wall clock (gunicorn's)."""
    current = period_containing(clock.now())
    for bounds in (current, next_period(current)):
        period, _ = Period.objects.get_or_create(
            name=bounds.name, defaults={"start": bounds.start, "end": bounds.end})
        Allocation.objects.get_or_create(program=program, period=period,
                                         defaults={"quota_hours": Decimal("100")})


class Gunicorn:
    def __init__(self, work: Path, site_port: int, ocs_port: int, env: dict[str, str]):
        from pyros.config.loader import active_config

        bind = f"127.0.0.1:{site_port}"
        argv = gunicorn_argv(sys.executable, bind, active_config().web,
                             pid_file=work / "web.pid", access_log=work / "access.log",
                             error_log=work / "web.log",
                             extra_binds=ocs_binds(bind, load_config(
                                 Path(env["PYROS_CONFIG"])).ocs))
        self.log = (work / "gunicorn.out").open("wb")
        self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _drive(*arguments: str) -> dict:
    result = subprocess.run([str(TOM_PYTHON), str(DRIVER), *arguments], capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.whole_pyros
def test_a_tom_toolkit_facility_submits_follows_downloads_and_cancels(
        transactional_db, initial_data, observer, grb_program, real_clock, tmp_path,
        monkeypatch):
    assert TOM_PYTHON.exists(), "scripts/run-tests makes .venv-tom (pip install tomtoolkit)"
    site_port, ocs_port = free_ports(2)
    config = tmp_path / "unit.toml"
    config.write_text(ocs_config_text(tmp_path, ocs_port))
    env = {**os.environ, "PYROS_CONFIG": str(config), "DATABASE_URL": database_url()}
    monkeypatch.setenv("PYROS_CONFIG", str(config))  # the frames below go to its archive
    _allocated_now(grb_program)
    token = api_tokens.issue(observer).key
    portal = f"http://127.0.0.1:{ocs_port}"
    server = Gunicorn(tmp_path, site_port, ocs_port, env)
    try:
        deadline = time.monotonic() + 120
        while not _answers(f"{portal}/api/instruments/"):
            assert server.process.poll() is None, (tmp_path / "gunicorn.out").read_text()
            assert time.monotonic() < deadline, "gunicorn did not answer in 120 s"
            time.sleep(0.5)
        now = clock.now()
        start = (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
        end = (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")

        submitted = _drive("submit", portal, token, start, end)
        assert submitted["instruments"] == ["NIR", "VIS"]
        assert submitted["proposals"] == [["GRB", "Gamma-ray burst follow-up (the guide's "
                                                  "example program). (GRB)"]]
        assert {"r", "J", "Clear"} <= set(submitted["filters"])
        # 'r' on the infrared camera: refused at validation, shown as form errors.
        assert submitted["invalid_is_valid"] is False
        assert "'r' is not a filter of NIR" in json.dumps(submitted["invalid_errors"])
        assert submitted["valid_is_valid"] is True, submitted["valid_errors"]
        assert submitted["validation"]["errors"] == {}
        assert submitted["validation"]["request_durations"]["duration"] == 90 + 2 * 66
        [request_id] = submitted["submitted"]
        sequence = Sequence.objects.get(pk=request_id)
        assert sequence.request.owner == observer and sequence.target_name == "SN 2026tom"
        assert Request.objects.count() == 1  # validation stored nothing

        # The night: the majordome's frames of this sequence, archived.
        unit = load_config(config)
        for i in range(2):
            raw_image(unit, f"tom-{i}.fits", sequence=sequence, minutes=i, target="SN 2026tom")
        followed = _drive("follow", portal, token, str(request_id))
        assert followed["status"]["state"] == "PENDING"
        frames = ArchiveFrame.objects.filter(sequence=sequence)
        assert sorted(p["id"] for p in followed["products"]) == sorted(f.pk for f in frames)
        assert followed["downloads"] == [[200, "SIMPLE"]] * frames.count()
        assert followed["cancelled"] is True
        assert followed["status_after_cancel"] == "CANCELED"
        assert "CANCELED" in followed["terminal_states"]
    finally:
        server.stop()
