"""``health_warnings`` for every template: the recent nights' figures outside their
thresholds, which the Observatory and System pages show (``health/_warnings.html``).
A callable, so that only the pages that show them query for them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from pyros import clock
from pyros.scheduling.problem import night_of


def health_warnings(request: HttpRequest) -> dict[str, Any]:
    def recent() -> list:
        from pyros.health.trends import recent_warnings

        unit = settings.UNIT
        return recent_warnings(unit, night_of(clock.now(), unit.site.longitude))

    return {"health_warnings": recent}
