"""Downloads hold a web thread while the client reads, so they take slots: two per
user, half a worker's threads in all; beyond, 429 with Retry-After, and a slot comes
back when its response is closed, read to the end or not."""

from __future__ import annotations

import pytest

from pyros.accounts.profiles import ProfileLevel
from pyros.web.streams import SLOTS, ReleasingChunks
from tests.archive.clients import API, after_the_night, api, body  # noqa: F401
from tests.conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("after_the_night",
                                                              "slots_on")]


@pytest.fixture
def slots_on(download_slots_off):
    download_slots_off.enabled = True


def zip_of(night) -> dict:
    return {"id": [f.pk for f in night.mine]}


def test_a_third_download_of_one_user_waits_for_one_to_end(archived_night, observer):
    client = api(observer)
    first = client.get(f"{API}/zip/", zip_of(archived_night))
    second = client.get(f"{API}/frames/{archived_night.mine[0].pk}/file/")
    assert (first.status_code, second.status_code) == (200, 200)
    third = client.get(f"{API}/zip/", zip_of(archived_night))
    assert third.status_code == 429
    assert third["Retry-After"] == "30"
    assert third.json()["detail"] == ("you are already downloading 2 files or zips: wait "
                                      "for one to end. Expected available in 30 seconds.")
    body(first)  # read to its end: the response is closed, its slot given back
    assert SLOTS.in_use() == 1
    assert client.get(f"{API}/zip/", zip_of(archived_night)).status_code == 200


def test_downloads_never_take_more_than_half_the_threads(archived_night, observer,
                                                         grb_program):
    users = [observer, *(make_user(f"reader{i}", ProfileLevel.OBSERVER,
                                   programs=[grb_program]) for i in range(2))]
    half = SLOTS.total()
    assert half == 4  # [web] threads = 8
    answers = [api(users[i // 2]).get(f"{API}/zip/", zip_of(archived_night))
               for i in range(half)]
    assert {a.status_code for a in answers} == {200}
    refused = api(users[2]).get(f"{API}/zip/", zip_of(archived_night))
    assert refused.status_code == 429
    assert "as many downloads as it may at once" in refused.json()["detail"]


def test_a_download_closed_unread_gives_its_slot_back():
    release = SLOTS.take("someone")
    chunks = ReleasingChunks(iter([b"never read"]), release)
    assert SLOTS.in_use() == 1
    chunks.close()
    chunks.close()
    assert SLOTS.in_use() == 0


# --- Previews made on demand -----------------------------------------------------------


def test_previews_to_make_wait_for_a_free_maker_then_are_refused(archived_night, observer,
                                                                 monkeypatch):
    from django.test import Client

    from pyros.archive import on_demand
    from tests.conftest import OBSERVER_PASSWORD

    made, missing = archived_night.mine[0], archived_night.mine[1]
    client = api(observer)
    assert client.get(f"{API}/frames/{made.pk}/thumbnail.png").status_code == 200
    busy = on_demand.threading.BoundedSemaphore(1)
    assert busy.acquire()  # every maker of this worker at work
    monkeypatch.setattr(on_demand, "_makers", busy)
    monkeypatch.setattr(on_demand, "WAIT", 0.01)
    # made already: nothing to compute, never refused
    assert client.get(f"{API}/frames/{made.pk}/preview.png").status_code == 200
    refused = client.get(f"{API}/frames/{missing.pk}/thumbnail.png")
    assert refused.status_code == 429 and refused["Retry-After"] == "2"
    assert refused.json()["detail"].startswith("previews are being made for others: try "
                                               "again in a moment.")
    page = Client()
    assert page.login(username=observer.username, password=OBSERVER_PASSWORD)
    image = page.get(f"/images/frames/{missing.pk}/thumbnail.png")
    assert image.status_code == 429 and image["Retry-After"] == "2"
    assert page.get(f"/images/frames/{missing.pk}/").status_code == 200  # without its picture
    busy.release()
    assert client.get(f"{API}/frames/{missing.pk}/thumbnail.png").status_code == 200
