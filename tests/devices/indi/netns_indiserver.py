"""Run indiserver inside a private network namespace and relay a unix socket to it.

Started by the integration tests as ``unshare --net python netns_indiserver.py SOCKET
HOME DRIVER...``. indiserver listens on every interface and cannot be told to bind to
loopback only; in a namespace that has nothing but ``lo`` it cannot be reached from any
network. indiserver's own local socket is abstract, and abstract sockets belong to a
network namespace too, so the way in is a filesystem unix socket (SOCKET, in the test's
temporary directory) that this helper relays to 127.0.0.1:7624 inside the namespace.

Commands on stdin, one per line, each answered on stdout: ``kill`` (SIGKILL indiserver
and its drivers, to test a lost connection) and ``start``; ``run ["indi_getprop", ...]``
runs one of INDI's own command-line clients inside the namespace (how the tests read the
drivers' values without PyROS) and answers one JSON line ``{"rc", "out", "err",
"seconds"}``. End of stdin stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

PORT = 7624
#: What ``run`` may start: INDI's own clients, nothing else.
CLIENTS = ("indi_getprop", "indi_setprop", "indi_eval")
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    """What ``ip link set lo up`` does, without needing iproute2."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def interfaces() -> list[str]:
    return [name for _, name in socket.if_nameindex()]


class Server:
    def __init__(self, home: str, drivers: list[str]) -> None:
        self.home, self.drivers = home, drivers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(os.path.join(self.home, "indiserver.log"), "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["indiserver", "-p", str(PORT), *self.drivers], stdin=subprocess.DEVNULL,
            stdout=log, stderr=log, start_new_session=True, cwd=self.home,
            env={**os.environ, "HOME": self.home})
        log.close()
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", PORT), 1):
                return
            time.sleep(0.05)
        raise RuntimeError("indiserver did not start listening within 10 s")

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    writer.close()


async def relay(client_reader: asyncio.StreamReader,
                client_writer: asyncio.StreamWriter) -> None:
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", PORT)
    except OSError:
        client_writer.close()
        return
    with contextlib.suppress(asyncio.CancelledError):  # the helper is exiting
        await asyncio.gather(pipe(client_reader, server_writer),
                             pipe(server_reader, client_writer))


def run(argv_json: str) -> dict[str, object]:
    argv = json.loads(argv_json)
    if not argv or argv[0] not in CLIENTS:
        return {"rc": -1, "out": "", "err": f"not one of {CLIENTS}", "seconds": 0.0}
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return {"rc": done.returncode, "out": done.stdout, "err": done.stderr,
            "seconds": time.perf_counter() - started}


async def main(path: str, home: str, drivers: list[str]) -> None:
    loopback_up()
    if interfaces() != ["lo"]:
        raise SystemExit(f"refusing to start indiserver: interfaces {interfaces()} "
                         "(run me in a network namespace with only lo)")
    server = Server(home, drivers)
    server.start()
    relay_server = await asyncio.start_unix_server(relay, path)
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = line.strip()
            if command.startswith("run "):
                print(json.dumps(await loop.run_in_executor(None, run, command[4:])),
                      flush=True)
                continue
            if command == "kill":
                server.kill()
            elif command == "start":
                server.start()
            print(command, flush=True)
    finally:
        relay_server.close()
        server.kill()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
