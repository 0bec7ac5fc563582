"""Long work asked for from the web is a job: checked and queued at once (202), run by
the job runner, one at a time per user and a few site-wide (429 with Retry-After
beyond), seen by its owner only, and ended FAILED with a message when it cannot run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from pyros import paths
from pyros.accounts.profiles import ProfileLevel
from pyros.config import loader
from pyros.jobs import kinds, store
from pyros.jobs.models import Job, JobState
from pyros.jobs.runner import Runner, execute, run_queued
from tests.conftest import OBSERVER_PASSWORD, make_user
from tests.scheduling.test_api import SIMULATE, simulation_file

pytestmark = pytest.mark.django_db

FAST = f"{SIMULATE}?engine=fast"


def client_of(user) -> APIClient:
    client = APIClient()
    assert client.login(username=user.username, password=OBSERVER_PASSWORD)
    return client


@pytest.fixture
def limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A unit file whose [web] section allows 2 jobs site-wide."""
    path = tmp_path / "unit.toml"
    text = paths.EXAMPLE_CONFIG.read_text(encoding="utf-8")
    path.write_text(text.replace("[web]\n", "[web]\njob_queue = 2\n", 1), encoding="utf-8")
    monkeypatch.setenv("PYROS_CONFIG", str(path))
    loader._cached.cache_clear()
    yield
    loader._cached.cache_clear()


@pytest.fixture
def three_observers(grb_program):
    return [make_user(f"obs{i}", ProfileLevel.OBSERVER, programs=[grb_program])
            for i in range(3)]


def test_a_second_simulation_of_the_same_user_waits_for_the_first(observer):
    client = client_of(observer)
    first = client.post(FAST, simulation_file(), format="json")
    assert first.status_code == 202
    second = client.post(FAST, simulation_file(), format="json")
    assert second.status_code == 429
    assert second["Retry-After"] == "5"
    assert second.json()["detail"] == ("you already have 1 job(s) queued or running (at "
                                       "most 1 per user): wait for it to finish")
    assert Job.objects.count() == 1
    assert run_queued() == 1
    assert client.post(FAST, simulation_file(), format="json").status_code == 202


def test_beyond_the_site_wide_queue_everyone_is_told_the_server_is_busy(limits,
                                                                        three_observers):
    answers = [client_of(user).post(FAST, simulation_file(), format="json")
               for user in three_observers]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["detail"] == ("the server is busy: 2 jobs queued or running "
                                           "(at most 2); try again in a minute")
    assert answers[2]["Retry-After"] == "60"
    second = client_of(three_observers[1]).get(answers[1].json()["url"]).json()
    assert (second["state"], second["queued_ahead"], second["progress"]) == ("QUEUED", 1, 0.0)
    assert second["result"] is None


def test_a_job_is_seen_by_its_owner_only(observer, outsider):
    url = client_of(observer).post(FAST, simulation_file(), format="json").json()["url"]
    assert client_of(outsider).get(url).status_code == 404
    assert APIClient().get(url).status_code == 401
    assert client_of(outsider).get("/schedule/simulate/1/").status_code == 404


def test_the_form_answers_429_with_the_reason_while_a_simulation_runs(observer):
    client = Client()
    assert client.login(username=observer.username, password=OBSERVER_PASSWORD)
    form = {"text": json.dumps(simulation_file()), "engine": "optimal", "time_limit": "20"}
    assert client.post("/schedule/simulate/", form).status_code == 302
    job = Job.objects.get()
    assert job.expected_seconds == 20.0
    assert store.claim_next() == job
    response = client.post("/schedule/simulate/", form)
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    assert "you already have 1 job(s) queued or running" in response.content.decode()
    html = client.get(f"/schedule/simulate/{job.pk}/").content.decode()
    assert '<span id="job-state">planning</span>' in html


def test_a_job_that_cannot_run_fails_with_its_reason_and_the_runner_goes_on(observer):
    client = client_of(observer)
    url = client.post(FAST, simulation_file(), format="json").json()["url"]
    job = store.claim_next()
    execute(job.pk, job.kind, {**job.params, "file": {"night": "2026-11-21"}})
    body = client.get(url).json()
    assert body["state"] == "FAILED"
    assert body["message"].startswith("invalid simulation file: sequences: Field required")
    html = Client()
    assert html.login(username=observer.username, password=OBSERVER_PASSWORD)
    page = html.get(f"/schedule/simulate/{job.pk}/").content.decode()
    assert 'id="job-failed"' in page and "Field required" in page


def test_a_bug_in_a_job_fails_it_without_its_details(observer, monkeypatch):
    monkeypatch.setitem(kinds.KINDS, "broken", "json:loads")
    job = store.submit(observer, "broken", {}, expected_seconds=1)
    assert run_queued() == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.message == ("internal error (TypeError); the runner's log (logs/jobs.log) "
                           "has the details")


def test_jobs_left_running_by_a_stopped_runner_fail_and_are_not_run_again(observer):
    job = store.submit(observer, kinds.SIMULATION, {}, expected_seconds=1)
    assert store.claim_next() == job
    assert store.claim_next() is None  # claimed once
    assert store.fail_running("the job runner stopped") == 1
    job.refresh_from_db()
    assert (job.state, job.message) == (JobState.FAILED, "the job runner stopped")
    assert not store.finish(job.pk, {})  # ended once
    assert run_queued() == 0


def test_the_runner_runs_no_more_jobs_at_once_than_its_slots(three_observers, monkeypatch):
    for user in three_observers:
        store.submit(user, kinds.SIMULATION, {}, expected_seconds=1)

    class HeldPool:
        """Takes the jobs without running them, as busy threads would."""

        def __init__(self) -> None:
            self.taken: list[int] = []

        def submit(self, function, pk, kind, params):
            from concurrent.futures import Future

            self.taken.append(pk)
            return Future()

    runner = Runner(2)
    runner.pool = HeldPool()
    runner.step()
    runner.step()
    assert len(runner.pool.taken) == 2
    assert Job.objects.filter(state=JobState.RUNNING).count() == 2
    assert Job.objects.filter(state=JobState.QUEUED).count() == 1
