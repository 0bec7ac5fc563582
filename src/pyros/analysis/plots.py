"""A night's quality as small SVG plots, drawn on the server: one figure against time
per plot, a point per frame. Plain markup (numbers and escaped labels), so the page
needs no script and no plotting library."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.html import escape

WIDTH, HEIGHT = 360, 140
LEFT, RIGHT, TOP, BOTTOM = 46, 8, 16, 22


@dataclass(frozen=True)
class Plot:
    key: str
    title: str
    unit: str
    inverted: bool = False  # magnitudes: brighter up
    svg: str = ""


def ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = 10 ** math.floor(math.log10(span / 2)) if span > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 4:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def series_svg(points: list[tuple[datetime, float]], title: str, unit: str, *,
               inverted: bool = False, css: str = "", time_format: str = "%H:%M",
               marks: tuple[float, ...] = ()) -> str:
    """An SVG of ``points`` (time, value); an empty frame saying so when there are none.
    ``marks`` are values drawn as dashed lines across (thresholds), always in range;
    ``time_format`` labels the first and last times (days for a trend)."""
    head = (f'<svg class="plot {escape(css)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<text x="{LEFT}" y="11" class="plot-title">{escape(title)} '
            f'({escape(unit)})</text>')
    points = [(t, v) for t, v in points if v is not None and math.isfinite(v)]
    if not points:
        return head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" ' \
                      f'class="plot-empty">no measurement</text></svg>'
    times = [t.timestamp() for t, _ in points]
    values = [v for _, v in points]
    t0, t1 = min(times), max(times)
    v0, v1 = min(values + list(marks)), max(values + list(marks))
    if v1 - v0 < 1e-9:
        half = abs(v0) * 0.05 or 0.5
        v0, v1 = v0 - half, v1 + half
    pad = (v1 - v0) * 0.08
    v0, v1 = v0 - pad, v1 + pad
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (inner_w * (t - t0) / (t1 - t0) if t1 > t0 else inner_w / 2)

    def y(v: float) -> float:
        share = (v - v0) / (v1 - v0)
        return TOP + (share if inverted else 1 - share) * inner_h

    parts = [head, f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" '
                   f'class="plot-frame"/>']
    for tick in ticks(v0, v1):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" class="plot-grid"/><text x="{LEFT - 4}" '
                     f'y="{y(tick) + 3:.1f}" text-anchor="end" class="plot-tick">'
                     f'{tick:g}</text>')
    parts += [f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(mark):.1f}" y2="{y(mark):.1f}" '
              f'class="plot-limit"><title>threshold {mark:g}</title></line>'
              for mark in marks]
    first, last = min(t for t, _ in points), max(t for t, _ in points)
    # The first label from its time rightwards, the last leftwards: inside the frame.
    anchors = ("start", "end") if t1 > t0 else ("middle", "middle")
    for stamp, label, anchor in ((t0, first, anchors[0]), (t1, last, anchors[1])):
        parts.append(f'<text x="{x(stamp):.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}" '
                     f'class="plot-tick">{label.strftime(time_format)}</text>')
    tip = time_format + (":%S" if time_format.endswith("%M") else "")
    ordered = sorted(zip(times, values, strict=True))
    line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in ordered)
    parts.append(f'<polyline points="{line}" class="plot-line"/>')
    parts += [f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.2" class="plot-point">'
              f'<title>{datetime.fromtimestamp(t, UTC).strftime(tip)}: {v:.3g}'
              f'</title></circle>'
              for t, v in ordered]
    parts.append("</svg>")
    return "".join(parts)
