"""agentA and agentB, the test agents of the guide (section 10.3).

agentB is a plain agent with a few specific commands. agentA, in test mode, drives
agentB through every generic command and every end of a command's life (executed,
failed, skipped, killed, timed out, expired), checks each result and state, and exits
with a pass/fail summary: ``pyros start agentA,agentB --test``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from pyros import clock
from pyros.agents.agent import Agent, command
from pyros.agents.bus import CommandHandle, send_command
from pyros.agents.context import CommandContext
from pyros.agents.models import AgentSurvey
from pyros.agents.schema import ShortText
from pyros.agents.states import CommandState

S = CommandState
#: The longest sleep a test command may take.
MAX_SLEEP = 3600.0
SleepSeconds = Annotated[float, Field(ge=0.0, le=MAX_SLEEP)]


class AgentB(Agent):
    def __init__(self, name: str, computer: str = "localhost", test_mode: bool = False):
        super().__init__(name, computer)
        self.test_mode = test_mode

    @command
    def specific1(self, ctx: CommandContext) -> str:
        """Take 0.2 s, then answer."""
        ctx.sleep(0.2)
        return "specific1 done"

    @command
    def sleep(self, ctx: CommandContext, seconds: SleepSeconds) -> float:
        """Take ``seconds``, abortable: what abort and timeout tests run."""
        ctx.sleep(seconds)
        return seconds

    @command
    def fail(self, ctx: CommandContext, message: ShortText = "failure on purpose") -> None:
        """Raise, so that the command FAILS with ``message``."""
        raise RuntimeError(message)

    @command
    def record(self, ctx: CommandContext, tag: ShortText = "") -> str:
        """Leaves one log line per execution, which the fault test counts."""
        self.log.info("executed command #%d tag=%s", ctx.command_id, tag)
        return tag


class ScenarioFailed(AssertionError):
    pass


class AgentA(Agent):
    routine_period = 0.1
    peer = "agentB"

    def __init__(self, name: str, computer: str = "localhost", test_mode: bool = False):
        super().__init__(name, computer)
        self.test_mode = test_mode
        self.assertions = 0
        self.failures: list[str] = []
        self._tested = False

    def routine(self) -> None:
        if self.test_mode and not self._tested:
            self._tested = True
            passed = self.run_scenario()
            self.stop(0 if passed else 1)

    # --- the scenario ------------------------------------------------------------------

    def check(self, condition: bool, what: str) -> None:
        self.assertions += 1
        if not condition:
            self.failures.append(what)
            self.log.error("FAILED: %s", what)

    def send(self, name: str, wait: float = 10.0, **args: Any) -> CommandHandle:
        return send_command(self.peer, name, sender=self.name, **args).wait(wait)

    def expect(self, handle: CommandHandle, state: CommandState,
               result: Callable[[Any], bool] | None = None, what: str = "") -> None:
        label = f"{handle.command.name} #{handle.id} {what}".strip()
        self.check(handle.state == state,
                   f"{label}: state {handle.state}, expected {state} ({handle.error})")
        if result is not None:
            self.check(result(handle.result), f"{label}: unexpected result {handle.result!r}")

    def _peer_alive(self) -> bool:
        survey = AgentSurvey.objects.filter(name=self.peer).order_by("-last_beat").first()
        return survey is not None and survey.status != "STOPPED" and survey.is_alive(
            clock.now())

    def run_scenario(self) -> bool:
        try:
            self._scenario()
        except ScenarioFailed as exc:
            self.failures.append(str(exc))
        except Exception as exc:
            self.log.exception("the scenario stopped")
            self.failures.append(f"{type(exc).__name__}: {exc}")
        verdict = "ok" if not self.failures else f"FAILED ({len(self.failures)} failures)"
        summary = (f"{self.name}: finished testing => result is {verdict} "
                   f"({self.assertions} assertions)")
        print(summary, flush=True)
        for failure in self.failures:
            print(f"  - {failure}", flush=True)
        self.log.info(summary)
        return not self.failures

    def _scenario(self) -> None:
        deadline = time.monotonic() + 20
        while not self._peer_alive():
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"{self.peer} did not start within 20 s")
            time.sleep(0.05)
        self.check(True, f"{self.peer} is alive")

        self.expect(self.send("ping"), S.EXECUTED, lambda r: r["agent"] == self.peer)
        self.expect(self.send("calc", expression="2+2"), S.EXECUTED, lambda r: r == 4)
        self.expect(self.send("calc", expression="(1+2)*3**2"), S.EXECUTED, lambda r: r == 27)
        refused = self.send("calc", expression="__import__('os').system('true')")
        self.expect(refused, S.FAILED, what="(code, not arithmetic)")
        self.check("only numbers" in refused.error, f"calc refusal says why: {refused.error}")
        self.expect(self.send("get_mode"), S.EXECUTED, lambda r: r == "ACTIVE")
        self.expect(self.send("specific1"), S.EXECUTED, lambda r: r == "specific1 done")
        failed = self.send("fail", message="boom")
        self.expect(failed, S.FAILED, what="(raises)")
        self.check("boom" in failed.error, f"the failure is reported: {failed.error}")
        self.expect(self.send("nope"), S.FAILED, what="(unknown command)")
        bad = self.send("sleep", seconds="a while")
        self.expect(bad, S.FAILED, what="(bad argument)")
        self.check("bad arguments for sleep" in bad.error, f"bad argument named: {bad.error}")

        self.expect(self.send("set_mode", mode="IDLE"), S.EXECUTED, lambda r: r == "IDLE")
        self.expect(self.send("specific1"), S.SKIPPED, what="(IDLE)")
        self.expect(self.send("get_status"), S.EXECUTED, lambda r: r["mode"] == "IDLE")
        self.expect(self.send("set_mode", mode="ACTIVE"), S.EXECUTED, lambda r: r == "ACTIVE")

        long = send_command(self.peer, "sleep", sender=self.name, seconds=30)
        self._wait_state(long, S.RUNNING)
        queued = send_command(self.peer, "specific1", sender=self.name)
        abort = self.send("abort")
        self.expect(abort, S.EXECUTED, lambda r: r["aborted"] == long.id
                    and queued.id in r["skipped"])
        self.expect(long.wait(5), S.KILLED, what="(aborted)")
        self.expect(queued.wait(5), S.SKIPPED, what="(dropped by the abort)")

        self.expect(send_command(self.peer, "sleep", sender=self.name, timeout=0.5,
                                 seconds=5).wait(5), S.TIMEOUT)

        running = send_command(self.peer, "sleep", sender=self.name, seconds=0.5)
        self._wait_state(running, S.RUNNING)
        waiting = [send_command(self.peer, "specific1", sender=self.name) for _ in range(2)]
        flush = self.send("flush")
        self.expect(flush, S.EXECUTED, lambda r: {w.id for w in waiting} <= set(r["skipped"]))
        self.expect(running.wait(5), S.EXECUTED, what="(flush spares the running one)")

        self.expect(self.send("restart_init"), S.EXECUTED, lambda r: r == "initialised")
        nobody = send_command("nobody", "ping", sender=self.name, validity=0.2).wait(2)
        self.expect(nobody, S.EXPIRED, what="(no such agent)")

        self.expect(self.send("exit"), S.EXECUTED, lambda r: r == "exiting")
        deadline = time.monotonic() + 10
        while self._peer_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.check(not self._peer_alive(), f"{self.peer} stopped after exit")

    def _wait_state(self, handle: CommandHandle, state: CommandState) -> None:
        deadline = time.monotonic() + 10
        while handle.refresh().state != state:
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"#{handle.id} never reached {state}")
            time.sleep(0.01)
