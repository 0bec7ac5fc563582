"""The command bus in one process: states, conditional transitions, expiry, abort and
flush bookkeeping, and atomic claims under concurrency."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from pyros.agents import bus
from pyros.agents.models import Command
from pyros.agents.states import CommandState as S


@pytest.mark.django_db
def test_a_command_goes_from_pending_to_executed(simulated_clock):
    handle = bus.send_command("agentB", "calc", sender="me", expression="1+1")
    assert handle.state == S.PENDING and handle.command.args == {"expression": "1+1"}
    simulated_clock.advance(1)
    claimed = bus.claim_next("agentB", "agentB@test:1")
    assert claimed.pk == handle.id and claimed.state == S.RUNNING
    assert claimed.executor == "agentB@test:1" and claimed.read_at == claimed.started_at
    assert bus.claim_next("agentB", "agentB@test:2") is None
    assert bus.finish(claimed, S.EXECUTED, result=2)
    assert not bus.finish(claimed, S.FAILED, error="too late"), "a command ends once"
    handle.wait(0.1)
    assert (handle.state, handle.result, handle.error) == (S.EXECUTED, 2, "")
    assert handle.command.ended_at == handle.command.started_at


@pytest.mark.django_db
def test_generic_commands_are_claimed_first(simulated_clock):
    first = bus.send_command("agentB", "sleep", seconds=5)
    abort = bus.send_command("agentB", "abort")
    assert bus.claim_next("agentB", "b").pk == abort.id
    assert bus.claim_next("agentB", "b", generic_only=True) is None
    assert bus.claim_next("agentB", "b").pk == first.id


@pytest.mark.django_db
def test_commands_expire_when_nobody_reads_them(simulated_clock):
    """Either side may expire a command: the recipient when it looks for work, the
    sender when it waits (the guide's open question 2)."""
    waited = bus.send_command("nobody", "ping", validity=2)
    looked = bus.send_command("nobody", "ping", validity=2)
    simulated_clock.advance(3)
    assert waited.wait(0.05).state == S.EXPIRED
    assert "within its validity" in waited.error
    assert bus.claim_next("nobody", "x") is None, "an expired command is never claimed"
    assert bus.expire_pending("nobody") == 1
    assert looked.refresh().state == S.EXPIRED


@pytest.mark.django_db
def test_a_wall_validity_lasts_as_long_in_wall_time_at_any_speed(simulated_clock):
    """Agents waking each other give the reader wall seconds: on a clock at 60×, ten wall
    seconds are ten minutes of the clock (an alert's insert_now expired unread)."""
    assert bus.wall_validity(10) == 10  # a stepped clock: one clock second per second
    simulated_clock.set_speed(60.0)
    handle = bus.send_command("scheduler", "ping", validity=bus.wall_validity(10))
    command = handle.command
    assert (command.expires_at - command.created_at).total_seconds() == pytest.approx(600)


@pytest.mark.django_db
def test_skip_and_kill_touch_only_what_they_should(simulated_clock):
    mine = [bus.send_command("b", "specific1", sender="a") for _ in range(2)]
    theirs = bus.send_command("b", "specific1", sender="c")
    generic = bus.send_command("b", "ping", sender="a")
    later = bus.send_command("b", "specific1", sender="a")
    skipped = bus.skip_pending("b", "dropped", sender="a", before_id=later.id,
                               specific_only=True)
    assert skipped == [h.id for h in mine]
    assert [h.refresh().state for h in (theirs, generic, later)] == [S.PENDING] * 3
    running = bus.claim_next("b", "b@old:41")
    assert running.pk == generic.id
    assert bus.kill_running("b", "b@new:", "not mine") == []
    assert bus.kill_running("b", "b@old:", "died") == [generic.id]
    assert generic.refresh().state == S.KILLED and generic.error == "died"


def test_bad_commands_are_refused():
    with pytest.raises(bus.CommandError, match="recipient and a name"):
        bus.send_command("", "ping")
    with pytest.raises(bus.CommandError, match="positive"):
        bus.send_command("b", "ping", validity=0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_take_the_same_command(simulated_clock):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers: nothing to race")
    sent = [bus.send_command("worker", "ping").id for _ in range(200)]
    claims: list[list[int]] = [[] for _ in range(4)]

    def claim(into: list[int]) -> None:
        try:
            while (command := bus.claim_next("worker", "w")) is not None:
                into.append(command.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(c,)) for c in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    taken = [pk for c in claims for pk in c]
    assert sorted(taken) == sent, "every command claimed exactly once"
    assert sum(1 for c in claims if c) >= 2, "the claimers really raced"
    assert Command.objects.filter(state=S.RUNNING).count() == 200
    assert timedelta(0) <= simulated_clock.now() - Command.objects.first().started_at
