"""Where each nightly figure comes from: one function per source of measurements, each
reading one night and answering ``Measure``s (the values of a metric for a channel and
key). ``SOURCES`` lists them; ``summarise`` reduces their values to one row each.

Adding a trend is adding a function here and its name to ``SOURCES`` (and the metric to
``metrics.METRICS``): the pointing fits and the focus runs of the pointing-model and
autofocus work plug in that way, reading their own tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pyros.analysis.models import AnalysisStatus, FrameAnalysis, MasterCalibration
from pyros.images.models import Image
from pyros.instruments.models import DeviceStatusHistory
from pyros.majordome.models import LogKind, NightLogEntry
from pyros.majordome.states import State


@dataclass(frozen=True)
class NightWindow:
    """A night from noon to noon, local mean solar time at the site's longitude (the
    same cut as ``scheduling.problem.night_of``)."""

    night: date
    start: datetime
    end: datetime


@dataclass
class Measure:
    """Values of one metric, for one channel ("" the unit) and key (filter, device)."""

    metric: str
    channel: str = ""
    key: str = ""
    values: list[float] = field(default_factory=list)
    how: str = "median"  # median, mean or sum

    def add(self, value: object) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
            self.values.append(float(value))


class Measures:
    """Measures gathered by (metric, channel, key)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str], Measure] = {}

    def of(self, metric: str, channel: str = "", key: str = "", how: str = "median") \
            -> Measure:
        found = self._by_key.get((metric, channel, key))
        if found is None:
            found = self._by_key[(metric, channel, key)] = Measure(metric, channel, key,
                                                                   how=how)
        return found

    def __iter__(self):
        return iter(self._by_key.values())


Source = Callable[[NightWindow, Measures], None]


def masters(window: NightWindow, out: Measures) -> None:
    """Bias level and read noise, dark current and the CCD temperature it was taken at,
    flat level per filter: the quality of the night's masters."""
    for master in MasterCalibration.objects.filter(night=window.night):
        quality = master.quality or {}
        if master.kind == "BIAS":
            out.of("bias_level", master.channel).add(quality.get("level"))
            out.of("read_noise", master.channel).add(quality.get("read_noise"))
        elif master.kind == "DARK":
            out.of("dark_current", master.channel).add(quality.get("dark_current"))
            out.of("dark_temperature", master.channel).add(master.ccd_temperature)
        elif master.kind == "FLAT":
            out.of("flat_level", master.channel, master.filter).add(quality.get("level"))


def frames(window: NightWindow, out: Measures) -> None:
    """FWHM, zero point and sky per filter, pointing offsets: the night's analysed
    light frames; and how many frames of each type were taken."""
    analysed = FrameAnalysis.objects.filter(
        image__night=window.night, image__frame_type="LIGHT",
        status=AnalysisStatus.DONE).select_related("image")
    for analysis in analysed:
        channel, band = analysis.image.channel, analysis.image.filter
        out.of("fwhm", channel).add(analysis.fwhm)
        out.of("zero_point", channel, band).add(analysis.zero_point)
        out.of("sky_brightness", channel, band).add(analysis.sky_brightness)
        out.of("pointing_offset", channel).add(analysis.pointing_offset)
    for image in Image.objects.filter(night=window.night).only("channel", "frame_type",
                                                                "headers"):
        out.of("frames", image.channel, image.frame_type, how="sum").add(1)
        headers = image.headers or {}
        out.of("ambient_temperature", how="mean").add(headers.get("WXTEMP"))


def devices(window: NightWindow, out: Measures) -> None:
    """CCD temperature and cooler power (when the camera reports it), focus position,
    and the failed polls of every device, from the devices' history."""
    rows = DeviceStatusHistory.objects.filter(
        time__gte=window.start, time__lt=window.end).select_related("device")
    for row in rows.iterator(chunk_size=2000):
        device, data = row.device, row.data or {}
        if not row.connected or "error" in data:
            out.of("device_failures", "", device.name, how="sum").add(1)
            continue
        if device.kind == "camera":
            out.of("ccd_temperature", device.channel, how="mean").add(
                data.get("ccd_temperature"))
            out.of("cooler_power", device.channel, how="mean").add(data.get("cooler_power"))
        elif device.kind == "focuser":
            out.of("focus_position", device.channel, device.name, how="mean").add(
                data.get("position"))


def night_log(window: NightWindow, out: Measures) -> None:
    """Opening and closing times (unpark and open, close and park: the dome's and the
    mount's motions together) from the state transitions, and the device faults the
    majordome logged."""
    entered: dict[str, datetime] = {}
    entries = NightLogEntry.objects.filter(night=window.night,
                                           kind__in=[LogKind.STATE, LogKind.DEVICE])
    for entry in entries.order_by("time", "id"):
        if entry.kind == LogKind.DEVICE:
            out.of("device_failures", "", "majordome", how="sum").add(1)
            continue
        before, after = entry.detail.get("from"), entry.detail.get("to")
        for moving, metric in ((State.OPENING, "dome_open_seconds"),
                               (State.CLOSING, "dome_close_seconds")):
            if after == moving.value:
                entered[metric] = entry.time
            elif before == moving.value and metric in entered:
                seconds = (entry.time - entered.pop(metric)).total_seconds()
                # Only a motion that ended where it was going: an interrupted opening
                # (rain) says nothing of the motors.
                done = (after != State.CLOSING.value if moving == State.OPENING
                        else after != State.OPENING.value)
                if done:
                    out.of(metric, how="mean").add(seconds)


#: The sources of a night's figures, in order. See the module for adding one.
SOURCES: list[Source] = [masters, frames, devices, night_log]


def gather(window: NightWindow, sources: Iterable[Source] = SOURCES) -> Measures:
    measures = Measures()
    for source in sources:
        source(window, measures)
    return measures


def window_of(night: date, longitude: float) -> NightWindow:
    start = datetime(night.year, night.month, night.day, 12, tzinfo=UTC) \
        - timedelta(hours=longitude / 15.0)
    return NightWindow(night, start, start + timedelta(days=1))
