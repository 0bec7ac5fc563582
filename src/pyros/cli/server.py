"""``pyros start``, ``stop`` and ``status``: the web server now, the agents later.

The web server is gunicorn serving ``pyros.web.wsgi``, run as a daemon whose pid file
and logs are in the data directory, so that ``stop`` and ``status`` find it from any
shell.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from pyros import paths
from pyros.cli.context import require_database_ready, setup_django

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclass
class WebStatus:
    running: bool
    pid: int | None
    url: str | None
    answering: bool


def _pid_file() -> Path:
    return paths.run_dir() / "web.pid"


def _url_file() -> Path:
    return paths.run_dir() / "web.url"


def _read_pid() -> int | None:
    try:
        pid = int(_pid_file().read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def _answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except (urllib.error.URLError, OSError):
        return False


def web_status() -> WebStatus:
    pid = _read_pid()
    url = _url_file().read_text().strip() if pid and _url_file().exists() else None
    return WebStatus(pid is not None, pid, url, bool(url) and _answers(url))


def _gunicorn_args(host: str, port: int, workers: int, daemon: bool) -> list[str]:
    logs = paths.logs_dir()
    args = [sys.executable, "-m", "gunicorn", "pyros.web.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers),
            "--pid", str(_pid_file()),
            "--access-logfile", str(logs / "web-access.log"),
            "--error-logfile", str(logs / "web.log"),
            "--graceful-timeout", "5"]
    if daemon:
        args.append("--daemon")
    return args


@click.command()
@click.option("--host", help="Address to listen on (default: [web] host of the configuration).")
@click.option("--port", type=int, help="Port (default: [web] port of the configuration).")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True)
@click.option("--foreground", is_flag=True, help="Stay attached (for systemd or a terminal).")
def start(host: str | None, port: int | None, workers: int, foreground: bool) -> None:
    """Start PyROS on this computer: the web server (the agents join it in later versions)."""
    setup_django()
    require_database_ready()
    from django.conf import settings

    host = host or settings.UNIT.web.host
    port = port or settings.UNIT.web.port
    status = web_status()
    if status.running:
        click.echo(f"web: already running (pid {status.pid}) at {status.url}")
        return
    paths.ensure_data_dirs()
    url = f"http://{host}:{port}/"
    _url_file().write_text(url)
    args = _gunicorn_args(host, port, workers, daemon=not foreground)
    if foreground:
        click.echo(f"web: serving {url} (Ctrl-C stops)")
        os.execv(args[0], args)
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise click.ClickException(f"the web server did not start:\n{result.stderr.strip()}")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _read_pid() and _answers(url, timeout=1.0):
            click.echo(f"web: running (pid {_read_pid()}) at {url}")
            return
        time.sleep(0.1)
    log = paths.logs_dir() / "web.log"
    tail = log.read_text()[-2000:] if log.exists() else ""
    raise click.ClickException(f"the web server did not answer at {url} within "
                               f"{START_TIMEOUT:g} s; its log ends with:\n{tail}")


@click.command()
def stop() -> None:
    """Stop what `pyros start` started on this computer."""
    pid = _read_pid()
    if pid is None:
        click.echo("web: not running")
        _pid_file().unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and _read_pid() == pid:
        time.sleep(0.1)
    if _read_pid() == pid:
        os.kill(pid, signal.SIGKILL)
    _pid_file().unlink(missing_ok=True)
    click.echo(f"web: stopped (pid {pid})")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Say what is running on this computer; exit 3 when the web server is not."""
    current = web_status()
    if as_json:
        click.echo(json.dumps({"web": asdict(current)}))
    elif current.running:
        answering = "answering" if current.answering else "NOT answering"
        click.echo(f"web: running (pid {current.pid}) at {current.url}, {answering}")
    else:
        click.echo("web: stopped")
    if not current.running:
        sys.exit(3)
