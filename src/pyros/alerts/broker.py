"""The local VOEvent broker: Comet, run with the unit's ``[alerts]`` settings, handing
every event it receives to the alerts agent at once.

``pyros start`` runs it (``python -m pyros.alerts.broker``) whenever the alerts agent
runs on this computer. It listens on ``alerts.host`` (loopback by default) for authors
(``pyros alert send``, the simulator, a mission's own feed) and subscribes to the
``alerts.remotes`` brokers (none by default; GCN's when configured); both the author
and the subscriber whitelists are always set (loopback by default). Each event Comet
accepts — schema-valid, not seen before — becomes an ``ingest`` command for the alerts
agent, written from a worker thread so that the broker never waits on the database:
no process is spawned, no folder is polled, and on PostgreSQL the agent is woken by a
notification.
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

AGENT = "alerts"
#: How the broker's nak of an already received packet begins (see :func:`_readable_check`).
DUPLICATE_MARK = "duplicate: "
COMMAND_VALIDITY = 300.0  # seconds the agent has to take a packet


def _handler(agent: str):
    from comet.icomet import IHandler
    from twisted.internet.threads import deferToThread
    from zope.interface import implementer

    @implementer(IHandler)
    class ForwardToAgent:
        """Hand the event to the alerts agent, as the raw packet."""

        name = "pyros-forward"

        def __call__(self, event):
            from pyros.agents.bus import send_command, wall_validity

            # A command's arguments are JSON, where PostgreSQL refuses NUL characters;
            # a packet holding one is no XML, and the agent refuses it anyway.
            packet = event.raw_bytes.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
            return deferToThread(send_command, agent, "ingest", sender="broker",
                                 validity=wall_validity(COMMAND_VALIDITY), packet=packet,
                                 source="broker")

    return ForwardToAgent()


def _readable_check(schema: str | None = None):
    """What the broker checks a submitted event against, in place of Comet's VOEvent 2.0
    schema (``schema`` is that schema's path, not used).

    The schema refused real alerts: every VOEvent 1.1 packet, and ANTARES notices whose
    params say ``dataType="bool"``. The intake's own reading (:func:`parse_voevent`:
    size, DOCTYPE and entities, well-formedness, the fields PyROS uses) refuses hostile
    and unreadable packets and lets a real one's quirks through, flagged; so the broker
    naks exactly what the agent would refuse, with the same reason. Remote brokers'
    events were never schema-checked by Comet, so nothing else changes.

    A packet the database already holds (received by the drop folder, `pyros alert
    ingest --store`, or before the broker's own memory began) is naked as a duplicate,
    saying when it came and what was decided: an author learns it was not acted on."""
    from comet.icomet import IValidator
    from twisted.internet.threads import deferToThread
    from zope.interface import implementer

    from pyros.alerts.voevent import parse_voevent

    def readable_and_new(data: bytes) -> None:
        alert = parse_voevent(data)
        from django.db import close_old_connections

        from pyros.alerts.store import already_received, duplicate_reason

        close_old_connections()
        original = already_received(alert.ivorn)
        if original is not None:
            raise ValueError(duplicate_reason(original))

    @implementer(IValidator)
    class ReadableByPyROS:
        def __call__(self, event):
            return deferToThread(readable_and_new, bytes(event.raw_bytes))

    return ReadableByPyROS()


def comet_arguments(port: int, eventdb: Path) -> list[str]:
    from pyros.config.loader import active_config

    intake = active_config().alerts
    arguments = ["--receive", f"--receive-port={port}", f"--local-ivo={intake.local_ivo}",
                 f"--eventdb={eventdb}", "--broadcast-test-interval=0"]
    arguments += [f"--author-whitelist={network}" for network in intake.author_whitelist]
    arguments += [f"--subscriber-whitelist={network}"
                  for network in intake.subscriber_whitelist]
    arguments += [f"--remote={remote}" for remote in intake.remotes]
    return arguments


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyros-broker", description=__doc__)
    parser.add_argument("--port", type=int, help="instead of the configuration's alerts.port")
    parser.add_argument("--agent", default=AGENT, help="the alerts agent to hand events to")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
    import django

    django.setup()
    from pyros import clock

    clock.install_from_environment()
    from comet.service import broker as comet
    from twisted.application import internet
    from twisted.internet import reactor

    from pyros import paths
    from pyros.config.loader import active_config

    intake = active_config().alerts
    eventdb = paths.data_dir() / "alerts" / "eventdb"
    eventdb.mkdir(parents=True, exist_ok=True)
    # Comet listens on every interface; PyROS listens where the configuration says.
    comet.TCPServer = partial(internet.TCPServer, interface=intake.host)
    comet.CheckSchema = _readable_check
    config = comet.Options()
    config.parseOptions(comet_arguments(options.port or intake.port, eventdb))
    config["handlers"].append(_handler(options.agent))
    service = comet.makeService(config)
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
