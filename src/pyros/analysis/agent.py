"""The "analysis" agent: every image through the pipeline as soon as it is written.

The majordome queues each image it records (:func:`pyros.analysis.store.enqueue`) and
wakes this agent: at once on PostgreSQL (a notification on ``pyros_images``), within
``IDLE_POLL`` seconds elsewhere. The agent's analyser thread then

1. makes the masters of every calibration set the majordome has finished (the night
   log's ``…:end`` entry), biases before darks before flats;
2. analyses the waiting light frames one by one, alert frames first, then in the order
   they were taken.

The work runs beside the agent's main loop, so that it keeps beating and answering
commands through a long solve. Nothing a frame holds can stop it: the pipeline turns
a bad frame into a FAILED analysis with its reason, and anything else that goes wrong
with one image is logged, recorded against that image, and the next one goes on.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import DatabaseError, close_old_connections, connection

from pyros.agents.agent import Agent, command
from pyros.agents.context import CommandContext
from pyros.agents.notify import Waiter, uses_notifications
from pyros.agents.schema import NightDate
from pyros.analysis import store
from pyros.analysis.models import AnalysisStatus, FrameAnalysis
from pyros.archive.ingest import previews_for_one
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.images.models import Image

#: Seconds between two looks at the queue when nothing wakes the agent.
IDLE_POLL = 0.25
#: Seconds a PostgreSQL listener waits before looking anyway (a missed notification).
LISTEN_TIMEOUT = 2.0


class AnalysisAgent(Agent):

    def __init__(self, name: str, computer: str = "localhost", *,
                 unit: UnitConfig | None = None, test_mode: bool = False) -> None:
        super().__init__(name, computer)
        self._unit = unit
        self._given_unit = unit
        self._thread = threading.Thread(target=self._analyse_forever, name=f"{name}-analyser",
                                        daemon=True)
        self.analysed = 0
        self.failed = 0
        self.last: dict[str, Any] = {}

    @property
    def unit(self) -> UnitConfig:
        if self._unit is None:
            self._unit = active_config()
        return self._unit

    def config_reloaded(self, changed: set[str]) -> None:
        """The analyser keeps the configuration it read: it reads it again."""
        self._unit = self._given_unit

    def init(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def describe(self) -> dict[str, Any]:
        return {"analysed": self.analysed, "failed": self.failed, "last": self.last,
                "waiting": FrameAnalysis.objects.filter(status=AnalysisStatus.PENDING).count()}

    @command
    def queue(self, ctx: CommandContext, night: NightDate) -> dict[str, Any]:
        """Queue the images of ``night`` (its evening's date) never queued before."""
        images = Image.objects.filter(night=night, analysis__isnull=True)
        return {"queued": sum(1 for image in images if store.enqueue(image))}

    # --- the analyser thread -------------------------------------------------------------

    def _analyse_forever(self) -> None:
        waiter = None
        try:
            while not self._stopping.is_set():
                try:
                    if self.work_once():
                        continue
                    if uses_notifications():
                        if waiter is None or waiter.is_closed:
                            waiter = Waiter(store.IMAGES_CHANNEL)
                        waiter.wait(LISTEN_TIMEOUT)
                    else:
                        self._stopping.wait(IDLE_POLL)
                except DatabaseError as exc:
                    self.log.error("database error in the analyser: %s", exc)
                    connection.close()
                    self._stopping.wait(1.0)
        finally:
            if waiter is not None:
                waiter.close()
            close_old_connections()
            connection.close()

    def work_once(self, *, previews: bool = True) -> bool:
        """Make the masters of one finished calibration set or analyse one frame, or
        else (``previews``) the archive previews of one frame; False when there was
        nothing to do."""
        for key in store.finished_calibration_keys():
            images = list(Image.objects.filter(
                work_key=key, analysis__status=AnalysisStatus.PENDING,
                frame_type__in=store.CALIBRATION_TYPES).order_by("date_obs"))
            made = store.make_masters(images, self.unit)
            self.log.info("calibration %s: %d masters from %d frames", key, len(made),
                          len(images))
            return True
        analysis = store.next_light()
        if analysis is None:  # idle: the archive's previews, one frame at a time
            return previews and previews_for_one(self.unit)
        began = time.perf_counter()
        try:
            done = store.analyse_image(analysis, self.unit)
        except DatabaseError:
            raise
        except Exception as exc:  # a bug met on one image costs that image only
            self.log.exception("analysing %s failed", analysis.image.path)
            done = store.record_failure(analysis, f"{type(exc).__name__}: {exc}")
        if done.status == AnalysisStatus.DONE:
            self.analysed += 1
        else:
            self.failed += 1
        self.last = {"image": done.image_id, "status": done.status,
                     "seconds": round(time.perf_counter() - began, 3),
                     "latency": done.latency, "fwhm": done.fwhm, "reason": done.reason[:200]}
        self.log.info("%s: %s in %.1f s (%s)", done.image.path, done.status,
                      time.perf_counter() - began, done.reason or "ok")
        return True
