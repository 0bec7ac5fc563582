"""``python -m pyros.agents.run NAME``: one agent process, as the supervisor starts it."""

from __future__ import annotations

import argparse
import os
import socket
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyros-agent", description=__doc__)
    parser.add_argument("name")
    parser.add_argument("--computer", default=socket.gethostname())
    parser.add_argument("--test", action="store_true", help="run the agent's self-test")
    parser.add_argument("--as", dest="alias", help="run under another name (benchmarks)")
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
    import django

    django.setup()
    from pyros import clock
    from pyros.agents.logs import setup_agent_logging
    from pyros.agents.registry import UnknownAgent, agent_class

    try:
        cls = agent_class(options.name)
    except UnknownAgent as exc:
        print(exc, file=sys.stderr)
        return 2
    clock.install_from_environment()
    name = options.alias or options.name
    setup_agent_logging(name, options.computer)
    agent = cls(name, options.computer, test_mode=options.test) if options.test \
        else cls(name, options.computer)
    agent.install_signal_handlers()
    return agent.run()


if __name__ == "__main__":
    sys.exit(main())
