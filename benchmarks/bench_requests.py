"""Benchmarks of request management: how long validation, storage, the API and export
take for requests of realistic and large sizes. Figures, never pass/fail on time.

Run with ``scripts/bench`` (all three databases) or
``pytest benchmarks/bench_requests.py -s``. Each figure is the median of several runs;
ratios compare with pure validation measured in the same run.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from rest_framework.test import APIClient

from pyros.observations import json_format, store, xml_format
from pyros.observations.models import Request
from pyros.observations.spec import RequestSpec
from pyros.programs.models import Allocation
from tests.conftest import TEST_NOW, request_dict


def big_request(sequences: int) -> dict:
    data = request_dict()
    template = data["sequences"][0]
    data["sequences"] = [
        {**template, "name": f"seq {i}", "ra": (i * 7.3) % 360, "dec": -60 + (i % 120),
         "duration": 60} for i in range(sequences)
    ]
    return data


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_request_management_figures(admin_user, grb_program):
    Allocation.objects.update(quota_hours=Decimal("100000"))
    results: dict[str, float] = {}

    data_1000 = big_request(1000)
    spec_1000 = RequestSpec.model_validate(data_1000)
    xml_1000 = xml_format.write_xml_request(spec_1000)
    json_1000 = json_format.write_json_request(spec_1000)
    results["validate 1000-sequence XML (ms)"] = median_ms(
        lambda: xml_format.parse_xml_request(xml_1000, TEST_NOW), 5)
    results["validate 1000-sequence JSON (ms)"] = median_ms(
        lambda: json_format.parse_json_request(json_1000), 5)

    spec_100 = RequestSpec.model_validate(big_request(100))
    validate_100 = median_ms(lambda: RequestSpec.model_validate(big_request(100)), 5)
    store_100 = median_ms(lambda: store.create_request(spec_100, admin_user), 5)
    results["store 100-sequence request, 500 rows (ms)"] = store_100
    results["  ratio store / pure validation"] = store_100 / validate_100

    stored = Request.objects.latest("id")
    results["export 100-sequence request as XML (ms)"] = median_ms(
        lambda: xml_format.write_xml_request(store.spec_of(stored)), 5)

    client = APIClient()
    client.force_authenticate(admin_user)
    body = json.dumps(big_request(10))
    results["API create, 10 sequences (ms per call)"] = median_ms(
        lambda: client.post("/api/requests/", body, content_type="application/json"), 20)
    listed = client.get("/api/requests/").json()["results"]
    sequences = sum(len(r["sequences"]) for r in listed)
    results[f"API list, {len(listed)} requests, {sequences} sequences (ms)"] = median_ms(
        lambda: client.get("/api/requests/"), 10)

    vendor = connection.vendor
    print(f"\n--- request management on {vendor} ---")
    for name, value in results.items():
        print(f"{name:<45} {value:9.2f}")
    assert Request.objects.count() == 5 + 20
