"""How the web server runs: gunicorn's command line from the ``[web]`` section, the one
place the supervisor (``pyros start``) and ``pyros bench load`` take it from.

gthread workers: each worker process serves ``threads`` requests at once, so a streamed
zip or a slow client holds one thread, never a whole process, as a sync worker would.
Long computations never run here (:mod:`pyros.jobs`), so ``timeout`` only has to cover
the slowest page, and a worker that stays silent longer is stuck and restarted.
"""

from __future__ import annotations

from pathlib import Path

from pyros.config.ocs import OcsConfig
from pyros.config.schema import Web


def ocs_binds(bind: str, ocs: OcsConfig) -> list[str]:
    """The OCS API's address (docs/tom.md): the site's host on ``[ocs] port``, if set."""
    if ocs.port is None:
        return []
    return [f"{bind.rsplit(':', 1)[0]}:{ocs.port}"]


def gunicorn_argv(python: str, bind: str, web: Web, *, pid_file: Path, access_log: Path,
                  error_log: Path, extra_binds: list[str] | None = None) -> list[str]:
    binds = [part for address in [bind, *(extra_binds or [])] for part in ("--bind", address)]
    return [
        python, "-m", "gunicorn", "pyros.web.wsgi:application", *binds,
        "--worker-class", "gthread", "--workers", str(web.workers),
        "--threads", str(web.threads), "--timeout", str(web.timeout),
        "--graceful-timeout", "5", "--pid", str(pid_file),
        "--access-logfile", str(access_log), "--error-logfile", str(error_log),
    ]
