"""A private PostgreSQL cluster, to be restarted at will.

The fault night restarts its database server; the machine's shared server must never be
the one (other users, other tests). So the night gets a cluster of its own: ``initdb``
in a temporary directory, ``pg_ctl`` on a port of ``PYROS_PORT_RANGE``, trust
authentication on loopback only, removed at the end. PostgreSQL refuses to run as
root: run as root, the cluster belongs to the ``postgres`` system user and its commands
run through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from pyros.ports import free_ports

READY_WAIT = 60.0


class ClusterError(Exception):
    """The private cluster could not be made or started: the message says why."""


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's ``bin`` directory (Debian's layout
    first, then the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parent.parent.name) if
                   Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


class PrivateCluster:
    """``start()``, ``restart()``, ``stop()`` and ``url(name)`` of a throw-away cluster."""

    def __init__(self, port: int | None = None) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise ClusterError("no PostgreSQL server installed (initdb and pg_ctl not found)")
        self.bin = binaries
        self.port = port or free_ports(1)[0]
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner is not None:
            try:
                pwd.getpwnam(self.owner)
            except KeyError:
                raise ClusterError("running as root with no 'postgres' user to own the "
                                   "cluster: PostgreSQL refuses to run as root") from None
        self.root = Path(tempfile.mkdtemp(prefix="pyros-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.owner is not None:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *argv: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise ClusterError(f"{argv[0]} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-2000:]}")
        return done

    def start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "--username=postgres", "--auth=trust",
                      "--encoding=UTF8", "--no-instructions")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", str(int(READY_WAIT)), "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> float:
        """Stop (fast: every connection cut) and start again; the seconds it took."""
        began = time.monotonic()
        # -l as at the start: a server writing to pg_ctl's own output would hold the
        # pipe open, and this call would wait for it to end.
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w",
                  "-t", str(int(READY_WAIT)), "restart")
        return time.monotonic() - began

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        """Stop the server if it runs and delete everything."""
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        except (ClusterError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
