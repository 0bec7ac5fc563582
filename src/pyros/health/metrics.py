"""The nightly figures the observatory's health is followed by: one entry per metric,
with its unit and what a change of it usually means. Plain Python: the configuration's
``[health.thresholds]`` is checked against these names, the summaries and the pages
read their units and words from here.

A metric is summarised per night and channel ("" for the unit: the dome, the mount,
the weather) and per key: the filter for the figures that depend on it, the device's
name for failures, "" otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    unit: str
    means: str  # what a drift of it usually says, for the page and the report
    per_filter: bool = False
    inverted: bool = False  # magnitudes: plotted brighter up


METRICS: dict[str, Metric] = {metric.name: metric for metric in (
    Metric("bias_level", "Bias level", "ADU", "the detector's electronics (offset drift)"),
    Metric("read_noise", "Read noise", "e⁻", "the detector's electronics, interference"),
    Metric("dark_current", "Dark current", "e⁻/s/px", "the cooling, a warming detector"),
    Metric("dark_temperature", "CCD temperature of the darks", "°C",
           "the temperature the dark current was measured at"),
    Metric("flat_level", "Flat level", "ADU", "the optics' throughput (dust, mirror)",
           per_filter=True),
    Metric("zero_point", "Zero point", "mag", "throughput and transparency",
           per_filter=True),
    Metric("fwhm", "FWHM", "″", "seeing, focus, tracking"),
    Metric("sky_brightness", "Sky brightness", "mag/arcsec²", "moon, clouds, light",
           per_filter=True, inverted=True),
    Metric("pointing_offset", "Pointing offset", "″",
           "the pointing model (solved centre − commanded)"),
    Metric("focus_position", "Focus position", "steps", "the focus against temperature"),
    Metric("ambient_temperature", "Temperature", "°C", "the focus' temperature"),
    Metric("ccd_temperature", "CCD temperature", "°C", "the cooler holding its setpoint"),
    Metric("cooler_power", "Cooler power", "%", "the cooler's margin"),
    Metric("dome_open_seconds", "Opening time", "s", "the dome's and the mount's motors"),
    Metric("dome_close_seconds", "Closing time", "s", "the dome's and the mount's motors"),
    Metric("device_failures", "Device failures", "count",
           "failed polls of a device and faults the majordome logged"),
    Metric("frames", "Frames", "count", "what the night produced"),
)}


def metric(name: str) -> Metric:
    """The metric called ``name``; KeyError with the known names otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"no metric {name!r} (metrics: {', '.join(METRICS)})") from None
