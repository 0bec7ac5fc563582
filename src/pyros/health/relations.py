"""Two figures against each other, night by night: dark current against the CCD
temperature of the darks (a detector warming or its dark current growing at the same
temperature), focus position against the temperature (the focus' walk with the
season). Drawn as SVG scatter plots on the server, like the trends."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape

from pyros.analysis.plots import HEIGHT, LEFT, RIGHT, TOP, WIDTH, ticks
from pyros.health.metrics import METRICS
from pyros.health.models import NightMetric

BOTTOM = 30

#: (name, y metric, x metric, whether the x metric is per channel like the y one)
RELATIONS = (("dark", "dark_current", "dark_temperature", True),
             ("focus", "focus_position", "ambient_temperature", False))


@dataclass(frozen=True)
class Relation:
    name: str
    svg: str
    points: int


def pairs(y_metric: str, x_metric: str, same_channel: bool, last: date,
          days: int) -> dict[str, list[tuple[float, float]]]:
    """Per series of ``y_metric`` (channel and key), (x, y) of the nights both exist."""
    rows = NightMetric.objects.filter(metric__in=[y_metric, x_metric],
                                      night__gt=last - timedelta(days=days), night__lte=last)
    xs: dict[tuple[date, str], float] = {}
    ys: dict[tuple[str, str], list[tuple[date, float]]] = {}
    for night, channel, metric, key, value in rows.values_list("night", "channel", "metric",
                                                               "key", "value"):
        if metric == x_metric:
            xs[(night, channel if same_channel else "")] = value
        else:
            ys.setdefault((channel, key), []).append((night, value))
    found = {}
    for (channel, key), values in sorted(ys.items()):
        points = [(xs[(night, channel if same_channel else "")], value)
                  for night, value in values if (night, channel if same_channel else "") in xs]
        if points:
            found[" ".join(p for p in (channel, key) if p) or "unit"] = points
    return found


def scatter_svg(points: list[tuple[float, float]], title: str, x_label: str,
                css: str) -> str:
    head = (f'<svg class="plot relation {escape(css)}" viewBox="0 0 {WIDTH} {HEIGHT + 8}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<text x="{LEFT}" y="11" class="plot-title">{escape(title)}</text>')
    xs, ys = [x for x, _ in points], [y for _, y in points]

    def span(values: list[float]) -> tuple[float, float]:
        low, high = min(values), max(values)
        if high - low < 1e-12:
            half = abs(low) * 0.05 or 0.5
            return low - half, high + half
        pad = (high - low) * 0.08
        return low - pad, high + pad

    (x0, x1), (y0, y1) = span(xs), span(ys)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT + 8 - TOP - BOTTOM

    def px(v: float) -> float:
        return LEFT + inner_w * (v - x0) / (x1 - x0)

    def py(v: float) -> float:
        return TOP + inner_h * (1 - (v - y0) / (y1 - y0))

    parts = [head, f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" '
                   f'class="plot-frame"/>']
    parts += [f'<text x="{LEFT - 4}" y="{py(t) + 3:.1f}" text-anchor="end" '
              f'class="plot-tick">{t:g}</text>' for t in ticks(y0, y1)]
    parts += [f'<text x="{px(t):.1f}" y="{TOP + inner_h + 11:.1f}" text-anchor="middle" '
              f'class="plot-tick">{t:g}</text>' for t in ticks(x0, x1)]
    parts.append(f'<text x="{LEFT + inner_w / 2:.1f}" y="{HEIGHT + 6}" text-anchor="middle" '
                 f'class="plot-tick">{escape(x_label)}</text>')
    parts += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.4" class="plot-point">'
              f'<title>{x:.4g}, {y:.4g}</title></circle>'
              for x, y in points if math.isfinite(x) and math.isfinite(y)]
    parts.append("</svg>")
    return "".join(parts)


def relations(last: date, days: int) -> list[Relation]:
    """Every relation with at least one night where both figures exist."""
    found = []
    for name, y_metric, x_metric, same_channel in RELATIONS:
        y_info, x_info = METRICS[y_metric], METRICS[x_metric]
        for label, points in pairs(y_metric, x_metric, same_channel, last, days).items():
            title = f"{y_info.title} ({y_info.unit}) · {label}"  # x: the axis' label
            found.append(Relation(name, scatter_svg(points, title,
                                                    f"{x_info.title} ({x_info.unit})",
                                                    f"relation-{name}"), len(points)))
    return found
