"""A PLC simulator: an asyncio TCP server that answers status requests by playing a
scenario, in place of the site's PLC (in tests, the demo and at a desk).

Protocol (also what ``client`` speaks): newline-delimited JSON over TCP, UTF-8, one
JSON value per line, any number of requests per connection.

- request: ``{"request": "status"}``; the guide's ``{"command": [{"name": "STATUS"}]}``
  is accepted too;
- answer: the status document on one line (``document.PlcStatus.to_frame``), its
  ``date`` set to the simulator's "now";
- anything else is answered with ``{"error": "..."}`` and does not count as an
  iteration. Requests longer than 64 KiB close the connection.

Each status request is one PLC iteration (the first is iteration 1), counted across all
connections, which is what the guide's scenario "time" means. Elapsed time for
``at_seconds`` events is measured on the injected clock from the start of the run's
simulated clock (``PYROS_CLOCK_START``, as ``pyros start --sim-time`` sets it), else
from start-up.

Run it with ``python -m pyros.plc.simulator --port 5003 --scenario rain`` (a file path
or the name of a built-in scenario); tests use :class:`SimulatorThread`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pyros import clock as pyros_clock
from pyros.clock import Clock
from pyros.plc.document import PlcStatus, default_document, load_document
from pyros.plc.scenario import (
    Scenario,
    ScenarioError,
    ScenarioPlayer,
    builtin_scenario,
    load_scenario,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5003  # the guide's socket_config.ini
MAX_REQUEST_BYTES = 64 * 1024
#: Where the PLC says whether the control centre's PLC BYPASS is set (1) or not (0).
SITE, BYPASS = "SITE", "Bypass"

log = logging.getLogger(__name__)


class PlcSimulator:
    """The server. One instance per port; start it inside a running event loop."""

    def __init__(
        self,
        player: ScenarioPlayer,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        clock: Clock | None = None,
        origin: datetime | None = None,
    ) -> None:
        self.player = player
        # Where "at_seconds" count from: the run's clock start when there is one (a
        # restarted simulator, or one that started late, keeps the scenario's hours).
        self.origin = origin
        self.host = host
        self.port = port
        # Without an injected clock, read the process clock at each request, so that a
        # clock installed after construction (tests, the demo) is the one used.
        self._now: Callable[[], datetime] = clock.now if clock else pyros_clock.now
        self.iteration = 0
        self.bypass = False  # as the control centre last set it
        self._started_at: datetime | None = None
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}

    @property
    def elapsed(self) -> float:
        if self._started_at is None:
            return 0.0
        return (self._now() - self._started_at).total_seconds()

    async def start(self) -> int:
        """Listen; return the port (useful when asked for port 0)."""
        self._server = await asyncio.start_server(
            self._serve_connection, self.host, self.port, limit=MAX_REQUEST_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._started_at = self.origin or self._now()
        log.info("PLC simulator listening on %s:%d (%s, %d iterations, %d events)",
                 self.host, self.port, self.player.scenario.source,
                 self.player.scenario.length, len(self.player.scenario.events))
        return self.port

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        handlers = list(self._connections.values())
        for writer in list(self._connections):
            writer.close()
        # Let the handlers see their connection end: a handler cancelled later by
        # asyncio.run's clean-up makes Python 3.11's streams log a spurious error.
        if handlers:
            await asyncio.wait(handlers, timeout=1.0)
        await self._server.wait_closed()
        self._server = None

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        task = asyncio.current_task()
        if task is not None:
            self._connections[writer] = task
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    log.warning("request from %s longer than %d bytes: closing", peer,
                                MAX_REQUEST_BYTES)
                    return
                if not line:
                    return
                if not line.strip():
                    continue
                answer = self._answer(line)
                if isinstance(answer, _HangUp):
                    return
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
        except ConnectionError:
            return
        finally:
            self._connections.pop(writer, None)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, line: bytes) -> bytes | _HangUp | None:
        """The bytes to send back, None for silence, or HANG_UP to close the connection."""
        bypass, problem = read_request(line)
        if problem:
            return _line({"error": problem})
        if bypass is not None:
            log.info("PLC BYPASS set to %d by the control centre", bypass)
            self.bypass = bypass
        self.iteration += 1
        iteration, elapsed = self.iteration, self.elapsed
        document = self.player.document_at(iteration, elapsed).stamped(self._now())
        if document.has_value(SITE, BYPASS):
            document = document.with_value(SITE, BYPASS, int(self.bypass))
        failure = self.player.failure_at(iteration, elapsed)
        if iteration == self.player.scenario.length and self.player.scenario.events:
            log.info("scenario finished at iteration %d: holding the last state", iteration)
        if failure is None:
            log.debug("iteration %d (%.1f s): status", iteration, elapsed)
            return (document.to_frame() + "\n").encode()
        log.info("iteration %d (%.1f s): %s", iteration, elapsed, failure.describe())
        if failure.failure == "silent":
            return None
        if failure.failure == "disconnect":
            return HANG_UP
        frame = failure.frame if failure.frame is not None else _truncated(document)
        return (frame + "\n").encode()


class _HangUp:
    """What ``_answer`` returns to have the connection closed instead of answered."""


HANG_UP = _HangUp()


def read_request(line: bytes) -> tuple[bool | None, str | None]:
    """What ``line`` asks: (the PLC BYPASS to set, or None for a plain status request;
    why the line is no request, or None when it is one). Both requests are answered with
    the status document, the bypass already applied: that is how the control centre
    sees the PLC took it."""
    try:
        request = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None, 'not JSON; send {"request": "status"}'
    if isinstance(request, dict):
        kind = str(request.get("request", "")).lower()
        if kind == "status":
            return None, None
        if kind == "bypass":
            value = request.get("value")
            if value in (0, 1) and not isinstance(value, float):
                return bool(value), None
            return None, 'a bypass request needs "value": 0 or 1'
        command = request.get("command")
        if (
            isinstance(command, list)
            and len(command) == 1
            and isinstance(command[0], dict)
            and command[0].get("name") == "STATUS"
        ):
            return None, None
    return None, 'unknown request; send {"request": "status"} or {"request": "bypass", ...}'


def _line(payload: object) -> bytes:
    return (json.dumps(payload) + "\n").encode()


def _truncated(document: PlcStatus) -> str:
    """A frame cut in the middle, as a serial line or a crashed PLC program would send."""
    frame = document.to_frame()
    return frame[: len(frame) // 2]


def make_player(
    scenario: str | Path | Scenario | None = None, base: str | Path | PlcStatus | None = None
) -> ScenarioPlayer:
    """A player from a scenario (file path, built-in name such as ``"rain"``, or None)
    and a base document (file path, or None for the guide's document)."""
    if base is None:
        document = default_document()
    elif isinstance(base, PlcStatus):
        document = base
    else:
        try:
            document = load_document(Path(base).read_text(encoding="utf-8"))
        except OSError as error:
            reason = error.strerror or str(error)
            raise ValueError(f"base document {base}: cannot read: {reason}") from None
        except ValueError as error:
            raise ValueError(f"base document {base}: {error}") from None
    if scenario is None or isinstance(scenario, Scenario):
        return ScenarioPlayer(document, scenario)
    path = Path(scenario)
    if not path.exists() and path.suffix == "" and len(path.parts) == 1:
        return ScenarioPlayer(document, builtin_scenario(str(scenario)))
    return ScenarioPlayer(document, load_scenario(path))


async def serve(simulator: PlcSimulator, stop: asyncio.Event | None = None) -> None:
    """Start ``simulator`` and serve until ``stop`` is set (or forever)."""
    await simulator.start()
    try:
        await (stop.wait() if stop else asyncio.Event().wait())
    finally:
        await simulator.stop()


def run_simulator(
    port: int = DEFAULT_PORT,
    scenario_path: str | Path | None = None,
    *,
    host: str = DEFAULT_HOST,
    base_path: str | Path | None = None,
    clock: Clock | None = None,
    origin: datetime | None = None,
) -> None:
    """Serve the PLC protocol until interrupted (blocking)."""
    simulator = PlcSimulator(make_player(scenario_path, base_path), host, port, clock, origin)
    asyncio.run(serve(simulator))


class SimulatorThread:
    """A simulator in its own thread and event loop, for tests and the demo::

        with SimulatorThread(make_player("rain")) as sim:
            client = PlcClient("127.0.0.1", sim.port)
    """

    def __init__(
        self,
        player: ScenarioPlayer,
        host: str = DEFAULT_HOST,
        port: int = 0,
        clock: Clock | None = None,
    ) -> None:
        self.simulator = PlcSimulator(player, host, port, clock)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="plc-simulator", daemon=True)

    @property
    def port(self) -> int:
        return self.simulator.port

    @property
    def iteration(self) -> int:
        return self.simulator.iteration

    def start(self, timeout: float = 5.0) -> SimulatorThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"PLC simulator did not start within {timeout} s")
        if self._error is not None:
            raise self._error
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread; stopping twice is harmless."""
        if not self._thread.is_alive():
            return
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop ended meanwhile
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.simulator.start()
        except BaseException as error:
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.simulator.stop()


def run_clock_start(environ: Mapping[str, str] | None = None) -> datetime | None:
    """The start of the run's simulated clock (``pyros start --sim-time``), from which a
    scenario's ``at_seconds`` count; None without one (they count from the start)."""
    text = (os.environ if environ is None else environ).get("PYROS_CLOCK_START")
    if not text:
        return None
    start = datetime.fromisoformat(text)
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pyros.plc.simulator",
        description="Answer PLC status requests on a TCP port, playing a scenario.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0: any free port")
    parser.add_argument("--scenario", help="scenario file, or a built-in name: rain")
    parser.add_argument("--base", help="status document to start from (default: the guide's)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every iteration")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    try:
        pyros_clock.install_from_environment()
        run_simulator(args.port, args.scenario, host=args.host, base_path=args.base,
                      origin=run_clock_start())
    except (ScenarioError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
