"""Running a frame through a list of stages.

A stage is a plain function ``stage(frame, context) -> None`` that reads the frame and
adds to it. It stops the frame by raising :class:`FrameRejected` with the reason; any
other exception stops the frame too, its reason recorded as the stage's failure, and
never the caller's loop: a bad frame costs its own analysis and nothing else. Every
stage is timed, the stopped one included.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyros.analysis.frames import Frame

log = logging.getLogger(__name__)

Stage = Callable[[Frame, Any], None]


class FrameRejected(Exception):
    """A stage found the frame unusable; the message says why, for the night log."""


@dataclass
class Report:
    frame: Frame
    done: list[str] = field(default_factory=list)
    stopped_at: str | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.stopped_at is None

    @property
    def seconds(self) -> float:
        return sum(self.frame.timings.values())


def run_stages(frame: Frame, stages: Sequence[tuple[str, Stage]], context: Any) -> Report:
    report = Report(frame)
    for name, stage in stages:
        began = time.perf_counter()
        try:
            stage(frame, context)
        except FrameRejected as exc:
            report.stopped_at, report.reason = name, f"{name}: {exc}"
        except Exception as exc:  # any fault of a stage stops this frame only
            log.exception("stage %s failed on %s", name, frame.name)
            report.stopped_at = name
            report.reason = f"{name} failed: {type(exc).__name__}: {exc}"
        finally:
            frame.timings[name] = time.perf_counter() - began
        if report.stopped_at is not None:
            break
        report.done.append(name)
    return report
