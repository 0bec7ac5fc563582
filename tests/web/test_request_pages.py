"""The request pages through Django's test client: who sees what, the step-by-step
builder up to submission, import, export, submit and cancel."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pyros.accounts.profiles import ProfileLevel
from pyros.observations import store
from pyros.observations.json_format import parse_json_request, spec_from_data
from pyros.observations.lifecycle import RequestStatus, SequenceStatus
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.observations.xml_format import parse_xml_request
from pyros.programs.models import Allocation, Period, ScientificProgram
from tests.conftest import TEST_NOW, make_user, request_dict

pytestmark = pytest.mark.django_db

GUIDE_XML = b"""<request submitted="1" relative="1" name="RequestSimulator" scientific_program="GRB" target_type="test">
  <sequence duration="200" jd1="15" jd2="60000" name="Sequence1 (200secs)" target_coords="10" ra="10" dec="20">
    <album detector="Visible camera" name="alb">
      <plan duration="10" filter="First infrared filter" name="simulation" nb_images="5"/>
    </album>
  </sequence>
</request>
"""  # noqa: E501 (the guide's example, as is)


def url(name: str, *args: object) -> str:
    return reverse(f"observations:{name}", args=args)


def text(response) -> str:
    """The page as a person reads it: entities decoded (quotes are escaped in HTML)."""
    return html.unescape(response.content.decode())


def listed_names(response) -> list[str]:
    """The request names in the list's table, in order."""
    return [html.unescape(n) for n in re.findall(
        r'<td><a href="/requests/\d+/">([^<]*)</a></td>', response.content.decode())]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_request(owner, **overrides) -> Request:
    return store.create_request(spec_from_data(request_dict(**overrides)), owner)


@pytest.fixture
def sn_program(admin_user):
    """A second program, led by the admin, that the observer does not belong to."""
    program = ScientificProgram.objects.create(name="SN", pi=admin_user)
    for period in Period.objects.all():
        Allocation.objects.create(program=program, period=period, quota_hours=50)
    return program


@pytest.fixture
def engineer(initial_data):
    """IE/IS: may read every request ("requests.all" READ) but belongs to no program."""
    return make_user("carol", ProfileLevel.IE_IS)


@pytest.fixture
def draft(observer) -> Request:
    return make_request(observer, name="Draft of alice")


# --- Access ------------------------------------------------------------------------------

def test_anonymous_users_are_sent_to_the_login_page(initial_data):
    response = Client().get(url("request-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("level", [ProfileLevel.VISITOR, ProfileLevel.TAC,
                                   ProfileLevel.OPERATOR])
def test_profiles_without_requests_right_get_403(level, draft):
    client = client_for(make_user("hidden", level))
    assert client.get(url("request-list")).status_code == 403
    assert client.get(url("request-detail", draft.pk)).status_code == 403
    assert client.get(url("request-create")).status_code == 403


def test_observer_sees_only_the_requests_of_their_programs(observer, admin_user, sn_program):
    make_request(observer, name="Alice GRB")
    make_request(admin_user, name="Admin GRB")
    hidden = make_request(admin_user, name="Admin SN", scientific_program="SN")
    client = client_for(observer)

    assert sorted(listed_names(client.get(url("request-list")))) == ["Admin GRB", "Alice GRB"]
    assert client.get(url("request-detail", hidden.pk)).status_code == 404
    assert client.get(url("request-export-xml", hidden.pk)).status_code == 404
    assert client.get(url("request-cancel", hidden.pk)).status_code == 404


def test_outsider_sees_nothing(outsider, draft):
    client = client_for(outsider)
    response = client.get(url("request-list"))
    assert listed_names(response) == []
    assert "No request matches." in text(response)
    assert client.get(url("request-detail", draft.pk)).status_code == 404
    assert client.post(url("request-submit", draft.pk)).status_code == 404


def test_admin_and_engineer_see_everything_but_only_admin_changes(admin_user, engineer,
                                                                 draft, sn_program):
    make_request(admin_user, name="Admin SN", scientific_program="SN")
    for user in (admin_user, engineer):
        names = listed_names(client_for(user).get(url("request-list")))
        assert sorted(names) == ["Admin SN", "Draft of alice"]

    engineer_client = client_for(engineer)
    page = text(engineer_client.get(url("request-detail", draft.pk)))
    assert "Draft of alice" in page
    assert url("request-edit", draft.pk) not in page
    assert engineer_client.get(url("request-edit", draft.pk)).status_code == 403
    assert engineer_client.post(url("request-cancel", draft.pk)).status_code == 403
    # IE/IS may make requests of their own, in programs they join.
    assert "You belong to no active scientific program" in text(
        engineer_client.get(url("request-create")))

    admin_page = text(client_for(admin_user).get(url("request-detail", draft.pk)))
    assert url("request-edit", draft.pk) in admin_page


def test_program_members_edit_each_others_drafts_but_cancel_only_their_own(
        observer, grb_program, draft):
    colleague = make_user("dave", ProfileLevel.OBSERVER, programs=[grb_program])
    client = client_for(colleague)
    response = client.post(url("request-edit", draft.pk), {
        "name": "co-authored", "program": grb_program.pk, "target_type": "grb"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.name == "co-authored" and draft.owner == observer
    response = client.post(url("request-cancel", draft.pk), {"reason": "dup"})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


# --- List --------------------------------------------------------------------------------

def test_list_shows_the_columns(observer, draft):
    page = text(client_for(observer).get(url("request-list")))
    row = re.search(rf"<tr>\s*<td>{draft.pk}</td>(.*?)</tr>", page, re.S)
    assert row is not None
    cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]
    assert cells[1:] == ["GRB", "alice", '<span class="status status-DRAFT">DRAFT</span>', "1",
                         TEST_NOW.strftime("%Y-%m-%d %H:%M")]


def test_list_filters(observer, admin_user, grb_program):
    make_request(observer, name="Mine draft")
    submitted = make_request(observer, name="Mine submitted", submitted=True)
    other = request_dict(name="Admin M31")
    other["sequences"][0]["target"] = "Andromeda"
    store.create_request(spec_from_data(other), admin_user)
    client = client_for(observer)

    def names(**params) -> list[str]:
        return sorted(listed_names(client.get(url("request-list"), params)))

    assert names() == ["Admin M31", "Mine draft", "Mine submitted"]
    assert names(status="SUBMITTED") == ["Mine submitted"]
    assert names(status="DRAFT") == ["Admin M31", "Mine draft"]
    assert names(mine="on") == ["Mine draft", "Mine submitted"]
    assert names(q="andromeda") == ["Admin M31"]      # by target name
    assert names(q="mine SUB") == ["Mine submitted"]  # by request name
    assert names(program=grb_program.pk, mine="on", status="DRAFT") == ["Mine draft"]
    assert names(status="NOPE") == ["Admin M31", "Mine draft", "Mine submitted"]
    assert submitted.status == RequestStatus.SUBMITTED


def test_list_program_filter_offers_only_visible_programs(observer, sn_program):
    page = text(client_for(observer).get(url("request-list")))
    assert ">GRB</option>" in page
    assert ">SN</option>" not in page


# --- The builder -------------------------------------------------------------------------

SEQUENCE_FORM = {
    "name": "first look", "target": "GRB 261121A", "ra": "150.25", "dec": "-20.5",
    "start": "2026-11-22T00:00", "end": "2026-11-23T00:00", "duration": "600",
    "priority": "8", "obs_type": "IMMEDIATE", "preferred_time": "",
    "max_airmass": "1.8", "min_moon_separation": "30",
}


def test_builder_creates_and_submits_a_request(observer, grb_program):
    client = client_for(observer)
    page = text(client.get(url("request-create")))
    assert f'<option value="{grb_program.pk}">GRB</option>' in page
    assert "-----" not in page  # the program is chosen: the user has just one

    response = client.post(url("request-create"), {
        "name": "Web-built", "program": grb_program.pk, "target_type": "grb"})
    req = Request.objects.get(name="Web-built")
    assert (req.owner, req.program, req.status) == (observer, grb_program, RequestStatus.DRAFT)
    assert response["Location"] == url("sequence-create", req.pk)

    response = client.post(url("sequence-create", req.pk), SEQUENCE_FORM)
    sequence = req.sequences.get()
    assert response["Location"] == url("album-create", req.pk, sequence.pk)
    assert (sequence.target_name, sequence.ra, sequence.dec) == ("GRB 261121A", 150.25, -20.5)
    assert sequence.start == TEST_NOW.replace(day=22, hour=0)
    assert sequence.end - sequence.start == timedelta(days=1)
    assert (sequence.obs_type, sequence.priority, sequence.max_airmass) == ("IMMEDIATE", 8, 1.8)
    assert sequence.preferred_time is None and sequence.status == SequenceStatus.DRAFT

    page = text(client.get(url("album-create", req.pk, sequence.pk)))
    assert '<option value="Visible camera" selected>' in page  # the first unused one
    assert '<option value="Infrared camera">' in page
    response = client.post(url("album-create", req.pk, sequence.pk),
                           {"name": "vis", "detector": "Visible camera"})
    album = sequence.albums.get()
    assert response["Location"] == url("plan-create", req.pk, album.pk)

    page = text(client.get(url("plan-create", req.pk, album.pk)))
    assert '<option value="g">g</option>' in page and '<option value="J">' not in page
    response = client.post(url("plan-create", req.pk, album.pk),
                           {"name": "r band", "filter": "r", "exposure": "30", "nb_images": "10"})
    plan = album.plans.get()
    assert (plan.filter, plan.exposure, plan.nb_images) == ("r", 30.0, 10)
    assert response["Location"] == url("request-detail", req.pk) + f"#album-{album.pk}"

    page = text(client.get(url("request-detail", req.pk)))
    for shown in ("Web-built", "first look", "GRB 261121A", "150.25, -20.5",
                  "2026-11-22 00:00:00 → 2026-11-23 00:00:00", "IMMEDIATE", "vis",
                  "Visible camera", "r band", "30 s", "Submit…", "Plan 'r band' added."):
        assert shown in page, shown

    confirm = text(client.get(url("request-submit", req.pk)))
    assert f"Submit request #{req.pk} 'Web-built'?" in confirm
    response = client.post(url("request-submit", req.pk), follow=True)
    page = text(response)
    assert f"Request #{req.pk} submitted" in page
    assert '<span class="status status-SUBMITTED">SUBMITTED</span>' in page
    assert '<span class="status status-TOBEPLANNED">TOBEPLANNED</span>' in page
    req.refresh_from_db()
    assert req.status == RequestStatus.SUBMITTED and req.submitted_at == TEST_NOW
    assert req.sequences.get().status == SequenceStatus.TOBEPLANNED
    assert "Submit…" not in page and url("sequence-create", req.pk) not in page


def test_editing_is_refused_after_submission(observer):
    req = make_request(observer, submitted=True)
    sequence = req.sequences.get()
    album = sequence.albums.first()
    client = client_for(observer)
    refusal = f"request #{req.pk} is SUBMITTED; only a DRAFT can be changed"

    for page in (url("request-edit", req.pk), url("sequence-create", req.pk),
                 url("sequence-edit", req.pk, sequence.pk),
                 url("album-delete", req.pk, album.pk), url("request-submit", req.pk)):
        response = client.get(page, follow=True)
        assert response.redirect_chain == [(url("request-detail", req.pk), 302)], page
        assert refusal in text(response)

    client.post(url("sequence-create", req.pk), SEQUENCE_FORM)
    client.post(url("sequence-edit", req.pk, sequence.pk), {**SEQUENCE_FORM, "name": "new"})
    client.post(url("album-delete", req.pk, album.pk))
    client.post(url("request-edit", req.pk), {"name": "renamed", "program": req.program_id})
    req.refresh_from_db()
    assert req.name == "GRB 261121A follow-up"
    assert [s.name for s in req.sequences.all()] == ["first look"]
    assert sequence.albums.count() == 2


def test_windows_are_typed_and_shown_in_utc_whatever_the_site_time_zone(observer, draft,
                                                                        settings):
    settings.TIME_ZONE = "America/Tijuana"
    client = client_for(observer)
    client.post(url("sequence-create", draft.pk), {**SEQUENCE_FORM, "name": "utc"})
    sequence = draft.sequences.get(name="utc")
    assert sequence.start == TEST_NOW.replace(day=22, hour=0)
    page = text(client.get(url("sequence-edit", draft.pk, sequence.pk)))
    assert 'name="start" value="2026-11-22 00:00:00"' in page  # 24 h UTC, typed as shown
    page = text(client.get(url("request-detail", draft.pk)))
    assert "2026-11-22 00:00:00 → 2026-11-23 00:00:00" in page


def test_invalid_sequence_shows_field_errors_and_stores_nothing(observer, draft):
    client = client_for(observer)
    response = client.post(url("sequence-create", draft.pk),
                           {**SEQUENCE_FORM, "ra": "400", "priority": "11", "dec": "north"})
    page = text(response)
    assert response.status_code == 200
    assert re.search(r'<ul class="errorlist"[^>]*><li>Input should be less than 360</li>', page)
    assert "Input should be less than or equal to 10" in page
    assert "'north' is not a declination" in page
    assert 'value="400"' in page  # what was typed is kept
    assert draft.sequences.count() == 1

    response = client.post(url("sequence-create", draft.pk),
                           {**SEQUENCE_FORM, "start": "2026-11-23T00:00",
                            "end": "2026-11-22T00:00"})
    assert "the window ends (2026-11-22 00:00:00) before it starts" in text(response)

    response = client.post(url("sequence-create", draft.pk),
                           {**SEQUENCE_FORM, "start": "2026-11-20T00:00",
                            "end": "2026-11-21T00:00"})
    assert re.search(r'<ul class="errorlist"[^>]*><li>the window is already over '
                     r'\(2026-11-21 00:00:00 UTC\)</li>', text(response))
    assert draft.sequences.count() == 1


def test_album_and_plan_are_checked_against_the_unit(observer, draft):
    client = client_for(observer)
    sequence = draft.sequences.get()
    response = client.post(url("album-create", draft.pk, sequence.pk),
                           {"name": "again", "detector": "Visible camera"})
    assert "the sequence already has an album on 'Visible camera'" in text(response)
    response = client.post(url("album-create", draft.pk, sequence.pk),
                           {"name": "x", "detector": "X-ray camera"})
    assert "the unit has no detector 'X-ray camera'" in text(response)
    assert sequence.albums.count() == 2

    album = sequence.albums.get(detector="Visible camera")
    response = client.post(url("plan-create", draft.pk, album.pk),
                           {"name": "J", "filter": "J", "exposure": "5", "nb_images": "1"})
    assert "'J' is not a filter of detector 'Visible camera'" in text(response)
    response = client.post(url("plan-create", draft.pk, album.pk),
                           {"name": "r", "filter": "r", "exposure": "0", "nb_images": "1"})
    assert "Input should be greater than 0" in text(response)
    assert album.plans.count() == 1

    # Moving an album to a detector its plans' filters do not suit is refused.
    response = client.post(url("album-edit", draft.pk, album.pk),
                           {"name": "vis", "detector": "Infrared camera"})
    assert "'r' is not a filter of detector 'Infrared camera'" in text(response)
    album.refresh_from_db()
    assert album.detector == "Visible camera"


def test_edit_and_delete_pieces(observer, draft, grb_program):
    client = client_for(observer)
    sequence = draft.sequences.get()
    album = sequence.albums.get(detector="Infrared camera")
    plan = album.plans.get()

    page = text(client.get(url("request-edit", draft.pk)))
    assert 'value="Draft of alice"' in page
    client.post(url("request-edit", draft.pk),
                {"name": "Renamed", "program": grb_program.pk, "target_type": "star"})
    page = text(client.get(url("sequence-edit", draft.pk, sequence.pk)))
    assert 'value="2026-11-22 00:00:00"' in page and 'value="150.25"' in page
    client.post(url("sequence-edit", draft.pk, sequence.pk),
                {**SEQUENCE_FORM, "name": "moved", "ra": "10"})
    client.post(url("plan-edit", draft.pk, plan.pk),
                {"name": "H band", "filter": "H", "exposure": "5", "nb_images": "3"})
    draft.refresh_from_db()
    sequence.refresh_from_db()
    plan.refresh_from_db()
    assert (draft.name, draft.target_type) == ("Renamed", "star")
    assert (sequence.name, sequence.ra) == ("moved", 10.0)
    assert (plan.name, plan.filter, plan.nb_images) == ("H band", "H", 3)

    assert "Delete Plan 'H band'?" in text(client.get(url("plan-delete", draft.pk, plan.pk)))
    assert Plan.objects.filter(pk=plan.pk).exists()  # a GET only asks
    client.post(url("plan-delete", draft.pk, plan.pk))
    assert not Plan.objects.filter(pk=plan.pk).exists()
    client.post(url("album-delete", draft.pk, album.pk))
    assert not Album.objects.filter(pk=album.pk).exists()
    response = client.post(url("sequence-delete", draft.pk, sequence.pk), follow=True)
    assert "Sequence 'moved' deleted." in text(response)
    assert "No sequence yet" in text(response)
    assert not Sequence.objects.filter(request=draft).exists()


def test_incomplete_request_is_not_submitted_and_problems_are_shown(observer, draft):
    client = client_for(observer)
    sequence = draft.sequences.get()
    client.post(url("sequence-create", draft.pk), {**SEQUENCE_FORM, "name": "bare"})
    Allocation.objects.filter(program=draft.program).update(quota_hours=0)

    response = client.post(url("request-submit", draft.pk))
    page = text(response)
    assert "The request was not submitted" in page
    assert ("request 'Draft of alice' > sequence 2 'bare', field 'albums': "
            "List should have at least 1 item after validation, not 0") in page
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT
    assert sequence.status == SequenceStatus.DRAFT

    client.post(url("sequence-delete", draft.pk, draft.sequences.get(name="bare").pk))
    page = text(client.post(url("request-submit", draft.pk)))
    assert "the quota of 'GRB' in 2026B would be exceeded" in page
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


def test_create_needs_a_program(outsider, grb_program):
    client = client_for(outsider)
    assert "You belong to no active scientific program" in text(client.get(url("request-create")))
    response = client.post(url("request-create"),
                           {"name": "x", "program": grb_program.pk, "target_type": ""})
    assert "You belong to no active scientific program" in text(response)
    assert not Request.objects.exists()


# --- Submit, cancel, export, import ------------------------------------------------------

def test_cancel_with_a_reason(observer):
    req = make_request(observer, submitted=True)
    client = client_for(observer)
    assert f"Cancel request #{req.pk}" in text(client.get(url("request-cancel", req.pk)))
    response = client.post(url("request-cancel", req.pk), {"reason": "GRB was a glitch"},
                           follow=True)
    page = text(response)
    assert f"Request #{req.pk} cancelled." in page
    assert '<span class="status status-CANCELLED">CANCELLED</span>' in page
    assert "GRB was a glitch" in page
    req.refresh_from_db()
    assert (req.status, req.status_reason) == (RequestStatus.CANCELLED, "GRB was a glitch")
    assert req.sequences.get().status == SequenceStatus.CANCELLED

    response = client.get(url("request-cancel", req.pk), follow=True)
    assert "is CANCELLED: it cannot be cancelled" in text(response)


@pytest.mark.parametrize("kind", ["xml", "json"])
def test_export_parses_back_to_the_same_spec(observer, kind, simulated_clock):
    original = spec_from_data(request_dict())
    req = store.create_request(original, observer)
    response = client_for(observer).get(url(f"request-export-{kind}", req.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="request-{req.pk}.{kind}"'
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if kind == "xml":
        assert response["Content-Type"] == "application/xml"
        back, _ = parse_xml_request(data, simulated_clock.now())
    else:
        assert response["Content-Type"] == "application/json"
        back = parse_json_request(data)
    assert back == original


def test_import_the_guides_xml(observer):
    upload = SimpleUploadedFile("guide.xml", GUIDE_XML, content_type="text/xml")
    response = client_for(observer).post(url("request-import"), {"file": upload}, follow=True)
    req = Request.objects.get()
    assert response.redirect_chain == [(url("request-detail", req.pk), 302)]
    page = text(response)
    assert f"Request #{req.pk} 'RequestSimulator' imported (SUBMITTED)." in page
    assert "Sequence1 (200secs)" in page and "First infrared filter" in page
    assert (req.name, req.owner, req.status) == ("RequestSimulator", observer,
                                                 RequestStatus.SUBMITTED)
    sequence = req.sequences.get()
    assert sequence.start == TEST_NOW + timedelta(days=15)
    assert sequence.end == TEST_NOW + timedelta(days=60000)
    plan = Plan.objects.get(album__sequence=sequence)
    assert (plan.album.detector, plan.filter, plan.exposure, plan.nb_images) == (
        "Visible camera", "First infrared filter", 10.0, 5)


def test_import_invalid_xml_names_the_lines_and_stores_nothing(observer):
    bad = GUIDE_XML.replace(b'filter="First infrared filter"', b'filter="J"').replace(
        b'ra="10"', b'ra="400"')
    upload = SimpleUploadedFile("bad.xml", bad, content_type="text/xml")
    response = client_for(observer).post(url("request-import"), {"file": upload})
    page = text(response)
    assert response.status_code == 200
    # Both problems at once: the bad RA does not hide the bad filter any more.
    assert "The file was not imported (2 problems)" in page
    assert ("line 2: request 'RequestSimulator' > sequence 1 'Sequence1 (200secs)', "
            "field 'ra': Input should be less than 360") in page
    assert "'J' is not a filter of detector" in page
    assert not Request.objects.exists()

    upload = SimpleUploadedFile("bad.xml", bad.replace(b'ra="400"', b'ra="10"'))
    page = text(client_for(observer).post(url("request-import"), {"file": upload}))
    assert ("line 4: request 'RequestSimulator' > sequence 1 'Sequence1 (200secs)' > "
            "album 1 'alb' > plan 1 'simulation', field 'filter': 'J' is not a filter of "
            "detector 'Visible camera'") in page
    assert not Request.objects.exists() and not Sequence.objects.exists()


def test_import_json_found_by_its_content(observer):
    data = spec_from_data(request_dict(name="From JSON")).model_dump_json().encode()
    upload = SimpleUploadedFile("request.txt", b"\n  " + data)
    response = client_for(observer).post(url("request-import"), {"file": upload})
    req = Request.objects.get()
    assert response["Location"] == url("request-detail", req.pk)
    assert req.name == "From JSON" and req.sequences.get().albums.count() == 2


def test_import_refuses_what_is_neither_xml_nor_json(observer):
    upload = SimpleUploadedFile("notes.txt", b"hello")
    page = text(client_for(observer).post(url("request-import"), {"file": upload}))
    assert "file: neither XML nor JSON" in page
    assert not Request.objects.exists()


def test_import_by_an_outsider_names_the_membership_problem(outsider):
    upload = SimpleUploadedFile("guide.xml", GUIDE_XML)
    page = text(client_for(outsider).post(url("request-import"), {"file": upload}))
    assert "bob is not a member of the program 'GRB'" in page
    assert not Request.objects.exists()
