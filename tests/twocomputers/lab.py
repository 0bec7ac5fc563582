"""Two computers on one machine: a network namespace for the telescope computer, the
root namespace for the server, a veth pair as the cable between them, and a PostgreSQL
cluster of the test's own on the server's end of it.

A private cluster rather than the machine's shared PostgreSQL: the shared server listens
on 127.0.0.1 of the root namespace, which the telescope namespace cannot reach without a
forwarder, and a forwarder (a user-space relay) would turn the cut cable into closed
sockets, which is not what a cut cable does. The private cluster listens on the veth's
server address itself, so the telescope computer's connections cross the cable as they
would on a site, and cutting it leaves them silent, not closed.

The cable is cut by taking the server's end of the pair down: the telescope's end keeps
its address and its route (``linkdown``), so its packets vanish without an error, as on
a cut fibre; the server's own processes reach the cluster on 127.0.0.1 and do not notice.

Everything made here is named after the test's process id and undone by ``close()``,
whatever failed: the namespace (and with it the telescope's end of the pair), the
server's end, every process left in the namespace, the cluster and its directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

POSTGRES_USER = "postgres"


def why_not_available() -> str:
    """Why this machine cannot run the lab ("" when it can)."""
    if os.geteuid() != 0:
        return "network namespaces need root (run as root to test two computers)"
    if shutil.which("ip") is None:
        return "the `ip` command of iproute2 is missing"
    if postgres_bin() is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if shutil.which("runuser") is None:
        return "`runuser` is missing (the cluster runs as the postgres user)"
    probe = f"pyros-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True,
                          check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return ""


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): "
                           f"{done.stderr.strip() or done.stdout.strip()}")
    return done


class TwoComputers:
    """The namespaces, the cable and the cluster; a context manager that always cleans up."""

    def __init__(self, port: int) -> None:
        tag = os.getpid() % 16000
        self.namespace = f"pyros-telescope-{os.getpid()}"
        self.server_end = f"pyS{tag}"
        self.telescope_end = f"pyT{tag}"
        # A /30 of 10.213.0.0/16 per process id: two runs never share addresses.
        base = (tag // 64, (tag % 64) * 4)
        self.server_ip = f"10.213.{base[0]}.{base[1] + 1}"
        self.telescope_ip = f"10.213.{base[0]}.{base[1] + 2}"
        self.subnet = f"10.213.{base[0]}.{base[1]}/30"
        self.port = port
        self.cluster_dir: Path | None = None
        self.cable_up = False

    # --- the network ------------------------------------------------------------------

    def __enter__(self) -> TwoComputers:
        try:
            self._make_network()
            self._make_cluster()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _make_network(self) -> None:
        _run("ip", "netns", "add", self.namespace)
        _run("ip", "link", "add", self.server_end, "type", "veth", "peer", "name",
             self.telescope_end)
        _run("ip", "link", "set", self.telescope_end, "netns", self.namespace)
        _run("ip", "addr", "add", f"{self.server_ip}/30", "dev", self.server_end)
        _run("ip", "link", "set", self.server_end, "up")
        self.in_telescope("ip", "addr", "add", f"{self.telescope_ip}/30", "dev",
                          self.telescope_end)
        self.in_telescope("ip", "link", "set", self.telescope_end, "up")
        # The simulators listen on the telescope computer's own 127.0.0.1.
        self.in_telescope("ip", "link", "set", "lo", "up")
        self.cable_up = True

    def in_telescope(self, *argv: str) -> subprocess.CompletedProcess:
        return _run("ip", "netns", "exec", self.namespace, *argv)

    def telescope_argv(self, *argv: str) -> list[str]:
        """``argv`` run on the telescope computer."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def cut(self) -> None:
        _run("ip", "link", "set", self.server_end, "down")
        self.cable_up = False

    def mend(self) -> None:
        _run("ip", "link", "set", self.server_end, "up")
        self.cable_up = True

    # --- the database -----------------------------------------------------------------

    def _make_cluster(self) -> None:
        binaries = postgres_bin()
        assert binaries is not None
        self.cluster_dir = Path(tempfile.mkdtemp(prefix="pyros-two-computers-pg-"))
        shutil.chown(self.cluster_dir, POSTGRES_USER, POSTGRES_USER)
        data = self.cluster_dir / "data"
        as_postgres = ["runuser", "-u", POSTGRES_USER, "--"]
        _run(*as_postgres, str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "--no-sync", "-E", "UTF8")
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.subnet} trust\n")
        options = (f"-c listen_addresses=127.0.0.1,{self.server_ip} -c port={self.port} "
                   f"-c unix_socket_directories={self.cluster_dir} -c fsync=off "
                   "-c max_connections=200")
        _run(*as_postgres, str(binaries / "pg_ctl"), "-D", str(data), "-l",
             str(self.cluster_dir / "postgres.log"), "-w", "-t", "60", "-o", options, "start")
        _run(*as_postgres, str(binaries / "createdb"), "-h", "127.0.0.1", "-p",
             str(self.port), "-U", "postgres", "pyros_two_computers")

    def database_url(self, host: str) -> str:
        return f"postgresql://postgres@{host}:{self.port}/pyros_two_computers"

    # --- cleaning up ------------------------------------------------------------------

    def close(self) -> None:
        """Undo everything, each step whatever the others did."""
        self._kill_namespace_processes()
        with contextlib.suppress(Exception):
            _run("ip", "netns", "del", self.namespace, check=False)
        with contextlib.suppress(Exception):
            _run("ip", "link", "del", self.server_end, check=False)
        if self.cluster_dir is not None:
            binaries = postgres_bin()
            data = self.cluster_dir / "data"
            if binaries is not None and (data / "postmaster.pid").exists():
                with contextlib.suppress(Exception):
                    _run("runuser", "-u", POSTGRES_USER, "--", str(binaries / "pg_ctl"),
                         "-D", str(data), "-m", "immediate", "-w", "stop", check=False)
            shutil.rmtree(self.cluster_dir, ignore_errors=True)
            self.cluster_dir = None

    def namespace_pids(self) -> list[int]:
        done = _run("ip", "netns", "pids", self.namespace, check=False)
        return [int(p) for p in done.stdout.split() if p.strip().isdigit()]

    def _kill_namespace_processes(self) -> None:
        """The telescope computer's processes are this test's: end them, TERM then KILL."""
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            pids = self.namespace_pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self.namespace_pids():
                time.sleep(0.1)
