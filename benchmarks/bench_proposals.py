"""Benchmark of the proposal pages and API with 1,000 proposals (issue 16's figure:
p50 ≤ 300 ms). Figures, never pass/fail on time.

Run: ``pytest benchmarks/bench_proposals.py -s`` (SQLite, or the database
``DATABASE_URL`` names), or ``scripts/bench benchmarks/bench_proposals.py`` for the
three databases. Each figure is the median (p50) and the 90th percentile of 30 calls
through Django's test client, so template rendering and middleware are in them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from pyros import clock
from pyros.accounts.profiles import ProfileLevel
from pyros.proposals.calls import open_call
from pyros.proposals.models import Proposal, ProposalStatus, ProposalTarget, Vote
from tests.conftest import make_user

PROPOSALS = 1000
REPEAT = 30


def percentiles(action: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = action()
        times.append((time.perf_counter() - start) * 1000)
        assert getattr(response, "status_code", 200) == 200
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def fill(observers: list, tac: list) -> None:
    """1,000 proposals over 20 observers, each with 3 targets, 2 co-investigators and,
    when submitted, a vote from each of the 5 TAC members."""
    call, now = open_call(), clock.now()
    statuses = [ProposalStatus.SUBMITTED] * 3 + [ProposalStatus.DRAFT]
    proposals = Proposal.objects.bulk_create(
        Proposal(call=call, proposer=observers[i % len(observers)], title=f"Proposal {i}",
                 abstract="An abstract of a few words. " * 20,
                 requested_hours={"VIS": 10 + i % 7, "NIR": i % 3},
                 status=statuses[i % 4], created_at=now - timedelta(minutes=i),
                 updated_at=now) for i in range(PROPOSALS))
    ProposalTarget.objects.bulk_create(
        ProposalTarget(proposal=p, name=f"T{p.pk}-{k}", ra=k * 40.0, dec=k * 10.0)
        for p in proposals for k in range(3))
    through = Proposal.co_investigators.through
    through.objects.bulk_create(
        through(proposal_id=p.pk, user_id=observers[(i + k) % len(observers)].pk)
        for i, p in enumerate(proposals) for k in (1, 2))
    Vote.objects.bulk_create(
        Vote(proposal=p, voter=member, grade=1 + (p.pk + j) % 5, comment="ok",
             updated_at=now)
        for p in proposals if p.status == ProposalStatus.SUBMITTED
        for j, member in enumerate(tac))


def test_proposal_figures(initial_data):
    observers = [make_user(f"obs{i}", ProfileLevel.OBSERVER) for i in range(20)]
    tac = [make_user(f"tac{i}", ProfileLevel.TAC) for i in range(5)]
    pi = make_user("thepi", ProfileLevel.PI)
    fill(observers, tac)
    target = Proposal.objects.order_by("id")[500]

    results: dict[str, tuple[float, float]] = {}
    for name, user in (("PI", pi), ("TAC", tac[0]), ("observer", observers[0])):
        page = Client()
        page.force_login(user)
        rest = APIClient()
        rest.force_authenticate(user)
        results[f"page /proposals/ as {name}"] = percentiles(lambda p=page: p.get("/proposals/"))
        results[f"page /proposals/?page=20 as {name}"] = percentiles(
            lambda p=page: p.get("/proposals/?page=20&status=SUBMITTED"))
        results[f"API list (100) as {name}"] = percentiles(
            lambda r=rest: r.get("/api/proposals/"))
        results[f"API list offset 900 as {name}"] = percentiles(
            lambda r=rest: r.get("/api/proposals/?offset=900"))
        if name != "observer":
            results[f"page /proposals/<id>/ as {name}"] = percentiles(
                lambda p=page: p.get(f"/proposals/{target.pk}/"))
            results[f"API /proposals/<id>/ as {name}"] = percentiles(
                lambda r=rest: r.get(f"/api/proposals/{target.pk}/"))

    print(f"\n--- proposals, {PROPOSALS} in the database, on {connection.vendor} ---")
    print(f"{'what':<40} {'p50 ms':>8} {'p90 ms':>8}")
    for what, (p50, p90) in results.items():
        print(f"{what:<40} {p50:8.1f} {p90:8.1f}")
