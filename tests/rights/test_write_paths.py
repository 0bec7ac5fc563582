"""Rights on every write path (issue 17, point 1): the acting user's rights, never the
owner's, on the program a request is written from and into.

The world of the penetration test: dave, an observer in GRB and XRB, and erin, in GRB
and SN, co-members of GRB. erin's draft is in GRB. dave may edit it there (program
members co-author their drafts) but may not move it into SN, which erin may use and he
may not, by any path: the API (PUT, PATCH, POST, DELETE), the web forms, the command
line and the store itself. Each refusal is a 400/403, a form error or a non-zero exit
with a message, and the database is unchanged. Cancelling is the owner's (or the PI's
and SysAdmin's), like the guide's "Delete: personal one".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner
from django.urls import reverse
from rest_framework.test import APIClient

from pyros.accounts.profiles import ProfileLevel
from pyros.cli.main import cli
from pyros.observations import json_format, store
from pyros.observations.access import RequestForbidden
from pyros.observations.forms import SequenceForm
from pyros.observations.lifecycle import RequestStatus
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.observations.problems import RequestInvalid
from tests.conftest import OBSERVER_PASSWORD, make_user, request_dict
from tests.rights.writes import recorded_writes

pytestmark = pytest.mark.django_db


@dataclass
class Programs:
    dave: Any      # observer in GRB and XRB: the acting user
    erin: Any      # observer in GRB and SN: the owner
    pi: Any        # the PI profile (ACT on "requests.all")
    draft: Request  # erin's draft in GRB
    grb: Any
    sn: Any
    xrb: Any


def _program_like(grb: Any, name: str) -> Any:
    from pyros.programs.models import Allocation, ScientificProgram

    program = ScientificProgram.objects.create(name=name, pi=grb.pi, description=name)
    for allocation in Allocation.objects.filter(program=grb):
        Allocation.objects.create(program=program, period=allocation.period,
                                  quota_hours=allocation.quota_hours)
    return program


@pytest.fixture
def world(grb_program) -> Programs:
    sn, xrb = _program_like(grb_program, "SN"), _program_like(grb_program, "XRB")
    dave = make_user("dave", ProfileLevel.OBSERVER, programs=[grb_program, xrb])
    erin = make_user("erin", ProfileLevel.OBSERVER, programs=[grb_program, sn])
    pi = make_user("pi", ProfileLevel.PI)
    draft = store.create_request(json_format.spec_from_data(request_dict(name="erin's")), erin)
    return Programs(dave, erin, pi, draft, grb_program, sn, xrb)


def snapshot() -> list[tuple]:
    """Everything a write could change, to compare before and after."""
    return [
        *Request.objects.order_by("pk").values_list("pk", "name", "program__name", "owner_id",
                                                    "status", "updated_at"),
        (Sequence.objects.count(), Album.objects.count(), Plan.objects.count()),
        *Sequence.objects.order_by("pk").values_list("pk", "name", "status", "request_id"),
    ]


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user: Any) -> Any:
    from django.test import Client

    client = Client()
    assert client.login(username=user.username, password=OBSERVER_PASSWORD)
    return client


def detail(pk: int, action: str = "") -> str:
    return f"/api/requests/{pk}/{action + '/' if action else ''}"


# --- The REST API -------------------------------------------------------------------------


def test_api_put_into_a_program_the_actor_is_not_in_is_refused(world):
    """The penetration test's case: saved, then answered 404. Now 400, nothing saved."""
    before = snapshot()
    answer = api(world.dave).put(detail(world.draft.pk), request_dict(
        name="moved", scientific_program="SN", submitted=True), format="json")
    assert answer.status_code == 400, answer.content[:300]
    assert "you (dave) are not a member of the program 'SN'" in answer.content.decode()
    assert snapshot() == before


def test_a_refused_put_issues_no_write_statement_and_an_allowed_one_does(world):
    """The statement recorder the matrix tests rely on sees writes (it is not blind),
    and the refusal comes before any of them."""
    client = api(world.dave)
    with recorded_writes() as writes:
        refused = client.put(detail(world.draft.pk), request_dict(scientific_program="SN"),
                             format="json")
    assert refused.status_code == 400 and writes == []
    with recorded_writes() as writes:
        allowed = client.put(detail(world.draft.pk), request_dict(name="co"), format="json")
    assert allowed.status_code == 200
    assert any("observations_request" in w for w in writes), writes


def test_api_post_patch_and_delete_cannot_write_into_another_program(world):
    before = snapshot()
    client = api(world.dave)
    created = client.post("/api/requests/", request_dict(scientific_program="SN"),
                          format="json")
    assert created.status_code == 400
    assert "dave is not a member of the program 'SN'" in created.content.decode()
    patched = client.patch(detail(world.draft.pk), {"scientific_program": "SN"},
                           format="json")
    assert patched.status_code == 405
    deleted = client.delete(detail(world.draft.pk))
    assert deleted.status_code == 405
    assert snapshot() == before


def test_api_co_member_edits_and_submits_the_draft_but_does_not_cancel_it(world):
    client = api(world.dave)
    answer = client.put(detail(world.draft.pk), request_dict(name="co-authored"),
                        format="json")
    assert answer.status_code == 200, answer.content[:300]
    assert answer.json()["owner"] == "erin" and answer.json()["scientific_program"] == "GRB"
    before = snapshot()
    refused = client.post(detail(world.draft.pk, "cancel"), {"reason": "mine now"},
                          format="json")
    assert refused.status_code == 403
    assert "only its owner, the PI and the SysAdmin" in refused.json()["detail"]
    assert snapshot() == before
    assert client.post(detail(world.draft.pk, "submit")).status_code == 200
    assert client.post(detail(world.draft.pk, "cancel"), format="json").status_code == 403
    own = api(world.erin).post(detail(world.draft.pk, "cancel"), format="json")
    assert own.status_code == 200 and own.json()["status"] == RequestStatus.CANCELLED


def test_api_a_former_member_no_longer_edits_the_programs_drafts(world):
    world.grb.members.remove(world.dave)
    before = snapshot()
    answer = api(world.dave).put(detail(world.draft.pk), request_dict(name="x"),
                                 format="json")
    assert answer.status_code == 404  # GRB's requests are no longer his to see
    assert snapshot() == before


def test_api_the_pi_moves_a_draft_only_where_its_owner_belongs(world):
    client = api(world.pi)
    before = snapshot()
    refused = client.put(detail(world.draft.pk), request_dict(scientific_program="XRB"),
                         format="json")
    assert refused.status_code == 400
    assert "erin is not a member of the program 'XRB'" in refused.content.decode()
    assert snapshot() == before
    moved = client.put(detail(world.draft.pk), request_dict(scientific_program="SN"),
                       format="json")
    assert moved.status_code == 200 and moved.json()["scientific_program"] == "SN"


# --- The store, whatever calls it ---------------------------------------------------------


def test_the_store_judges_the_actor_inside_the_transaction(world):
    before = snapshot()
    moved = json_format.spec_from_data(request_dict(scientific_program="SN"))
    with pytest.raises(RequestInvalid, match="you \\(dave\\) are not a member"):
        store.replace_request(world.draft, moved, world.dave)
    with pytest.raises(RequestForbidden, match="may not cancel"):
        store.cancel_request(world.draft, "no", actor=world.dave)
    with pytest.raises(RequestForbidden, match="may not file a request for erin"):
        store.create_request(json_format.spec_from_data(request_dict()), world.erin,
                             actor=world.dave)
    outsider = make_user("zoe", ProfileLevel.OBSERVER)
    with pytest.raises(RequestForbidden, match="may not change"):
        store.submit_request(world.draft, actor=outsider)
    assert snapshot() == before


# --- The web forms ------------------------------------------------------------------------


def test_the_edit_form_offers_only_programs_both_may_use_and_refuses_the_others(world):
    url = reverse("observations:request-edit", kwargs={"pk": world.draft.pk})
    client = page(world.dave)
    form = client.get(url).context["form"]
    assert sorted(p.name for p in form.fields["program"].queryset) == ["GRB"]
    before = snapshot()
    for program in (world.sn, world.xrb):
        answer = client.post(url, {"name": "moved", "program": program.pk,
                                   "target_type": "grb"})
        assert answer.status_code == 400
        assert "Select a valid choice" in answer.content.decode()
    assert snapshot() == before
    # The PI is offered what the owner may use: GRB and SN, not XRB.
    offered = page(world.pi).get(url).context["form"].fields["program"].queryset
    assert sorted(p.name for p in offered) == ["GRB", "SN"]


def test_the_new_request_form_offers_only_the_actors_programs(world):
    url = reverse("observations:request-create")
    client = page(world.dave)
    offered = client.get(url).context["form"].fields["program"].queryset
    assert sorted(p.name for p in offered) == ["GRB", "XRB"]
    before = snapshot()
    answer = client.post(url, {"name": "sneaky", "program": world.sn.pk, "target_type": "x"})
    assert answer.status_code == 400
    assert snapshot() == before


def test_the_header_form_save_refuses_a_crafted_program(world):
    """The form's list is the first line; its save is the second, for a form built with
    a wider list than the acting user may use."""
    from pyros.observations.forms import RequestHeaderForm
    from pyros.programs.models import ScientificProgram

    form = RequestHeaderForm({"name": "moved", "program": world.sn.pk, "target_type": "x"},
                             programs=ScientificProgram.objects.all())
    assert form.is_valid(), form.errors
    before = snapshot()
    with pytest.raises(RequestForbidden, match="you \\(dave\\) are not a member of the "
                                               "program 'SN'"):
        form.save(owner=world.erin, instance=world.draft, actor=world.dave)
    assert snapshot() == before


def test_a_right_lost_between_the_page_and_the_save_is_refused(world):
    form = SequenceForm(None, initial=SequenceForm.initial_new())
    form.spec = object()  # as if validated; the rights are checked before it is read
    world.grb.members.remove(world.dave)
    before = snapshot()
    with pytest.raises(RequestForbidden, match="may not change request"):
        form.save(world.draft, actor=world.dave)
    assert snapshot() == before


def test_the_web_cancel_is_the_owners(world):
    url = reverse("observations:request-cancel", kwargs={"pk": world.draft.pk})
    before = snapshot()
    assert page(world.dave).post(url, {"reason": "no"}).status_code == 403
    assert snapshot() == before
    page(world.erin).post(url, {"reason": "mine"})
    world.draft.refresh_from_db()
    assert world.draft.status == RequestStatus.CANCELLED


def test_the_detail_page_shows_the_co_member_edit_buttons_but_no_cancel(world):
    url = reverse("observations:request-detail", kwargs={"pk": world.draft.pk})
    html = page(world.dave).get(url).content.decode()
    assert reverse("observations:sequence-create", args=[world.draft.pk]) in html
    assert reverse("observations:request-cancel", args=[world.draft.pk]) not in html
    owner_html = page(world.erin).get(url).content.decode()
    assert reverse("observations:request-cancel", args=[world.draft.pk]) in owner_html


# --- The command line ---------------------------------------------------------------------


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_cli_import_writes_only_where_the_acting_user_may(world, tmp_path):
    into_sn = tmp_path / "sn.json"
    into_sn.write_text(json.dumps(request_dict(scientific_program="SN")))
    mine = tmp_path / "grb.json"
    mine.write_text(json.dumps(request_dict()))
    before = snapshot()
    result = run("request", "import", str(into_sn), "--as", "dave")
    assert result.exit_code == 1
    assert "dave is not a member of the program 'SN'" in result.output
    result = run("request", "import", str(mine), "--as", "dave", "--owner", "erin")
    assert result.exit_code == 1
    assert "you (dave) may not file a request for erin" in result.output
    result = run("request", "import", str(into_sn), "--as", "nobody")
    assert result.exit_code == 1 and "no active user 'nobody'" in result.output
    assert snapshot() == before
    # The PI files for erin, into a program of hers; dave files his own.
    created = int(run("request", "import", str(into_sn), "--as", "pi", "--owner", "erin")
                  .output.strip())
    assert Request.objects.get(pk=created).owner == world.erin
    assert run("request", "import", str(mine), "--as", "dave").exit_code == 0
