"""Agent logs: to the database (for the System page and ``pyros agent logs``) and to a
file per agent in the data directory's ``logs`` folder."""

from __future__ import annotations

import logging
import time
from logging.handlers import RotatingFileHandler

from pyros import clock, paths

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Seconds the database log is left alone after a write failed: with the database out of
#: reach each attempt costs the link timeout, and an agent that logs its way through an
#: outage (the majordome closing) must not wait that long for every line. The file keeps
#: every line meanwhile.
QUIET_AFTER_FAILURE = 30.0


class DatabaseLogHandler(logging.Handler):
    def __init__(self, agent: str, computer: str, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.agent = agent
        self.computer = computer
        self._emitting = False
        self._quiet_until = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        if self._emitting:  # a log written while logging (a database error) stays out
            return
        if time.monotonic() < self._quiet_until:
            return
        self._emitting = True
        try:
            from pyros.agents.models import AgentLog

            message = self.format(record) if record.exc_info else record.getMessage()
            AgentLog.objects.create(agent=self.agent, computer=self.computer,
                                    level=record.levelno, message=message[:20_000],
                                    created_at=clock.now())
        except Exception:
            self._quiet_until = time.monotonic() + QUIET_AFTER_FAILURE
            self.handleError(record)
        finally:
            self._emitting = False


def setup_agent_logging(agent: str, computer: str, level: int = logging.INFO) -> logging.Logger:
    logger = logging.getLogger(f"pyros.agent.{agent}")
    logger.setLevel(level)
    logger.propagate = False
    paths.ensure_data_dirs()
    file_handler = RotatingFileHandler(paths.logs_dir() / f"{agent}.log",
                                       maxBytes=5_000_000, backupCount=3)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(file_handler)
    logger.addHandler(DatabaseLogHandler(agent, computer, level))
    return logger
