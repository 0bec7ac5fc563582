"""``pyros bench load`` run small against a real gunicorn and job runner: its figures
are counted right, public pages are all served while the heavy requests run, and the
heavy endpoints answer at once (202 or 429 for simulations, a refusal for wrong
passwords, 200 or 429 for zips) rather than holding the server. No time is asserted:
the bench reports times, the machine decides them."""

from __future__ import annotations

import os

import pytest

from pyros.accounts.models import User
from pyros.archive.models import ArchiveFrame
from pyros.jobs.models import Job
from pyros.web.bench_load import PUBLIC_PAGES, LoadOptions, run_load_bench
from pyros.web.load import nearest_rank
from tests.agents.conftest import database_url


def test_nearest_rank_gives_a_value_that_was_measured():
    values = [0.3, 0.1, 0.2, 0.5, 0.4]
    assert nearest_rank(values, 0.5) == 0.3
    assert nearest_rank(values, 0.99) == 0.5
    assert nearest_rank(values, 0.2) == 0.1
    assert nearest_rank([7.0], 0.99) == 7.0
    with pytest.raises(ValueError, match="no values"):
        nearest_rank([], 0.5)


def _consistent(part: dict) -> None:
    assert part["requests"] == sum(part["statuses"].values()) > 0
    assert 0 < part["p50_ms"] <= part["p99_ms"] <= part["max_ms"]


@pytest.mark.whole_pyros
def test_a_small_load_bench_serves_every_page_and_refuses_or_queues_the_heavy(
        transactional_db, initial_data, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYROS_CONFIG"}
    env["DATABASE_URL"] = database_url()
    messages: list[str] = []
    report = run_load_bench(LoadOptions(
        visitors=2, seconds=2.0, simulation_users=2, time_limit=0.5, sequences=20,
        token_hammers=1, zip_downloaders=1, frames=2, frame_megabytes=1,
        zip_rate_megabytes=1.0), env=env, progress=messages.append)

    assert report["pages"] == list(PUBLIC_PAGES)
    assert report["concurrent_clients"] == 2 + 2 + 1 + 1
    assert report["server"]["threads"] == 8 and report["server"]["workers"] == 2
    for phase in ("idle", "loaded"):
        _consistent(report[phase])
        assert set(report[phase]["statuses"]) == {200}, report[phase]
    simulations = report["simulations"]
    _consistent(simulations)
    assert set(simulations["statuses"]) <= {202, 429} and simulations["statuses"][202] >= 1
    assert simulations["jobs"] == {"DONE": simulations["statuses"][202]}
    _consistent(report["token"])
    assert set(report["token"]["statuses"]) <= {400, 401, 403, 429}
    _consistent(report["zips"])
    assert set(report["zips"]["statuses"]) <= {200, 429} and report["zips"]["statuses"][200]
    assert report["server_errors"] == report["no_answer"] == 0
    assert messages[0].startswith("starting gunicorn on http://127.0.0.1:")
    # What the bench made is gone.
    assert not User.objects.filter(username__startswith="bench-load-").exists()
    assert not ArchiveFrame.objects.exists() and not Job.objects.exists()
