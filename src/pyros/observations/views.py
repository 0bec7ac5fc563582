"""The request pages: list, detail, the step-by-step builder, import, export, submit and
cancel.

Who may do what follows the rights matrix: a profile the matrix hides "requests" from
gets 403. READ or ACT on "requests.all" shows every request; anyone else sees only the
requests of the programs they belong to (and their own), and gets 404 for the others
so that their existence is not revealed. Who may edit, move or cancel a visible request
is ``access``'s rule about the acting user; the writes themselves (``store``, ``drafts``
and the forms' ``save``) ask it again inside their transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.observations import store
from pyros.observations.access import (
    REQUESTS,
    RequestForbidden,
    may_cancel,
    may_edit,
    member_programs,
    visible_programs,
    visible_requests,
    writable_programs,
)
from pyros.observations.drafts import delete_piece, ensure_draft
from pyros.observations.forms import AlbumForm, PlanForm, RequestHeaderForm, SequenceForm
from pyros.observations.json_format import write_json_request
from pyros.observations.lifecycle import REQUEST_TRANSITIONS, InvalidTransition, RequestStatus
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.observations.page_forms import CancelForm, ImportForm, RequestFilterForm
from pyros.observations.problems import RequestInvalid
from pyros.observations.xml_format import write_xml_request
from pyros.programs.models import ScientificProgram

PAGE_SIZE = 50

View = Callable[..., HttpResponse]


# --- Rights ------------------------------------------------------------------------------

def requests_page(view: View) -> View:
    """Log in first; then 403 for the profiles the rights matrix hides requests from."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if user_access(request.user, REQUESTS) == Access.HIDDEN:
            raise PermissionDenied("your profile has no access to observation requests")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _require_act(user: Any) -> None:
    if user_access(user, REQUESTS) < Access.ACT:
        raise PermissionDenied("your profile may not create or change requests")


def _visible_or_404(user: Any, pk: int) -> Request:
    return get_object_or_404(visible_requests(user), pk=pk)


def _changeable(user: Any, pk: int) -> Request:
    req = _visible_or_404(user, pk)
    if not may_edit(user, req):
        raise PermissionDenied(f"you may not change request #{req.pk}")
    return req


def _cancellable_by(user: Any, pk: int) -> Request:
    req = _visible_or_404(user, pk)
    if not may_cancel(user, req):
        raise PermissionDenied(f"you may not cancel request #{req.pk}: only its owner, "
                               "the PI and the SysAdmin may")
    return req


def _cancellable(req: Request) -> bool:
    return RequestStatus.CANCELLED in REQUEST_TRANSITIONS[RequestStatus(req.status)]


def _detail_url(req: Request, anchor: str = "") -> str:
    url = reverse("observations:request-detail", args=[req.pk])
    return f"{url}#{anchor}" if anchor else url


def builder_page(view: View) -> View:
    """A page that changes a draft: the request must be visible (else 404), changeable
    by this user (else 403) and still a DRAFT (else back to its page, saying why). The
    view gets the request object instead of its id."""
    @requests_page
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        req = _changeable(request.user, pk)
        try:
            ensure_draft(req)
            return view(request, req, *args, **kwargs)
        except InvalidTransition as exc:  # also raised by a save that lost a race
            messages.error(request, str(exc))
            return redirect(_detail_url(req))
        except RequestForbidden as exc:  # a right lost between the page and the save
            raise PermissionDenied(str(exc)) from exc

    return wrapper


# --- List and detail ---------------------------------------------------------------------

@requests_page
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = RequestFilterForm(request.GET, programs=visible_programs(user))
    # Meta.ordering is not applied to aggregating queries: order explicitly.
    requests = form.filter(visible_requests(user), user).annotate(
        nb_sequences=Count("sequences")).order_by("-created_at", "-id")
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "observations/request_list.html", {
        "form": form, "page": page, "can_create": user_access(user, REQUESTS) == Access.ACT})


def _render_detail(request: HttpRequest, req: Request,
                   problems: Iterable[str] = ()) -> HttpResponse:
    return render(request, "observations/request_detail.html", {
        "req": req,
        "sequences": req.sequences.prefetch_related("albums__plans"),
        "editable": may_edit(request.user, req) and req.is_editable,
        "can_cancel": may_cancel(request.user, req) and _cancellable(req),
        "problems": problems,
    })


@requests_page
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_or_404(request.user, pk))


# --- Header ------------------------------------------------------------------------------

@requests_page
def request_create(request: HttpRequest) -> HttpResponse:
    _require_act(request.user)
    programs = member_programs(request.user)
    form = RequestHeaderForm(request.POST if request.method == "POST" else None,
                             programs=programs)
    if form.is_valid():
        try:
            req = form.save(owner=request.user, actor=request.user)
        except RequestForbidden as exc:
            form.add_error("program", str(exc))
        else:
            messages.success(request, f"Request #{req.pk} created as a draft: "
                                      "now add its first sequence.")
            return redirect("observations:sequence-create", pk=req.pk)
    return render(request, "observations/request_form.html",
                  {"form": form, "has_programs": programs.exists()},
                  status=400 if form.errors else 200)


@builder_page
def request_edit(request: HttpRequest, req: Request) -> HttpResponse:
    # Only the programs both the acting user and the owner may use (and the current one,
    # so that the form shows it; the save says why if it is no longer allowed).
    programs = ScientificProgram.objects.filter(
        Q(pk__in=writable_programs(request.user, req.owner).values("pk"))
        | Q(pk=req.program_id))
    form = RequestHeaderForm(request.POST if request.method == "POST" else None,
                             programs=programs, initial=RequestHeaderForm.initial_from(req))
    if form.is_valid():
        try:
            form.save(owner=req.owner, instance=req, actor=request.user)
        except RequestForbidden as exc:
            form.add_error("program", str(exc))
        else:
            messages.success(request, "Request updated.")
            return redirect(_detail_url(req))
    return render(request, "observations/request_form.html",
                  {"form": form, "req": req, "has_programs": True},
                  status=400 if form.errors else 200)


# --- Sequences, albums, plans ------------------------------------------------------------

def _piece_page(request: HttpRequest, req: Request, form: Any, *, title: str, step: str,
                save: Callable[[], Any], done: Callable[[Any], tuple[str, str]],
                **context: Any) -> HttpResponse:
    """Show a builder form; once valid, save it and go on with ``done(saved)``'s
    (message, url)."""
    if request.method == "POST" and form.is_valid():
        message, url = done(save())
        messages.success(request, message)
        return redirect(url)
    return render(request, "observations/piece_form.html",
                  {"req": req, "form": form, "title": title, "step": step, **context})


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@builder_page
def sequence_create(request: HttpRequest, req: Request) -> HttpResponse:
    form = SequenceForm(_data(request), initial=SequenceForm.initial_new())
    return _piece_page(
        request, req, form, title="New sequence", step="2",
        save=lambda: form.save(req, actor=request.user),
        done=lambda s: (f"Sequence '{s.name}' added: now add an album (one per detector).",
                        reverse("observations:album-create", args=[req.pk, s.pk])))


@builder_page
def sequence_edit(request: HttpRequest, req: Request, sequence_id: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=sequence_id, request=req)
    form = SequenceForm(_data(request), initial=SequenceForm.initial_from(sequence))
    return _piece_page(
        request, req, form, title=f"Sequence '{sequence.name}'", step="2",
        save=lambda: form.save(req, sequence, actor=request.user),
        done=lambda s: (f"Sequence '{s.name}' updated.", _detail_url(req, f"sequence-{s.pk}")))


@builder_page
def album_create(request: HttpRequest, req: Request, sequence_id: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=sequence_id, request=req)
    form = AlbumForm(_data(request), sequence=sequence)
    return _piece_page(
        request, req, form, title="New album", step="3", sequence=sequence,
        save=lambda: form.save(req, actor=request.user),
        done=lambda a: (f"Album '{a.name}' added: now add a plan (the images to take).",
                        reverse("observations:plan-create", args=[req.pk, a.pk])))


@builder_page
def album_edit(request: HttpRequest, req: Request, album_id: int) -> HttpResponse:
    album = get_object_or_404(Album.objects.select_related("sequence"), pk=album_id,
                              sequence__request=req)
    form = AlbumForm(_data(request), sequence=album.sequence, instance=album,
                     initial=AlbumForm.initial_from(album))
    return _piece_page(
        request, req, form, title=f"Album '{album.name}'", step="3", sequence=album.sequence,
        save=lambda: form.save(req, actor=request.user),
        done=lambda a: (f"Album '{a.name}' updated.", _detail_url(req, f"album-{a.pk}")))


@builder_page
def plan_create(request: HttpRequest, req: Request, album_id: int) -> HttpResponse:
    album = get_object_or_404(Album.objects.select_related("sequence"), pk=album_id,
                              sequence__request=req)
    form = PlanForm(_data(request), album=album)
    return _piece_page(
        request, req, form, title="New plan", step="4", sequence=album.sequence, album=album,
        save=lambda: form.save(req, actor=request.user),
        done=lambda p: (f"Plan '{p.name}' added. Add more pieces, or submit the request.",
                        _detail_url(req, f"album-{album.pk}")))


@builder_page
def plan_edit(request: HttpRequest, req: Request, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(Plan.objects.select_related("album__sequence"), pk=plan_id,
                             album__sequence__request=req)
    form = PlanForm(_data(request), album=plan.album, initial=PlanForm.initial_from(plan))
    return _piece_page(
        request, req, form, title=f"Plan '{plan.name}'", step="4",
        sequence=plan.album.sequence, album=plan.album,
        save=lambda: form.save(req, plan, actor=request.user),
        done=lambda p: (f"Plan '{p.name}' updated.", _detail_url(req, f"album-{plan.album_id}")))


def _delete_page(request: HttpRequest, req: Request, piece: Sequence | Album | Plan,
                 what: str, consequence: str) -> HttpResponse:
    if request.method == "POST":
        delete_piece(req, piece, request.user)
        messages.success(request, f"{what} deleted.")
        return redirect(_detail_url(req))
    return render(request, "observations/confirm.html", {
        "req": req, "title": f"Delete {what}?", "text": consequence,
        "button": "Delete", "button_class": "danger"})


@builder_page
def sequence_delete(request: HttpRequest, req: Request, sequence_id: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=sequence_id, request=req)
    return _delete_page(request, req, sequence, f"Sequence '{sequence.name}'",
                        "Its albums and their plans are deleted with it.")


@builder_page
def album_delete(request: HttpRequest, req: Request, album_id: int) -> HttpResponse:
    album = get_object_or_404(Album, pk=album_id, sequence__request=req)
    return _delete_page(request, req, album, f"Album '{album.name}'",
                        "Its plans are deleted with it.")


@builder_page
def plan_delete(request: HttpRequest, req: Request, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=plan_id, album__sequence__request=req)
    return _delete_page(request, req, plan, f"Plan '{plan.name}'",
                        f"{plan.nb_images} x {plan.exposure:g} s in {plan.filter}.")


# --- Submit, cancel ----------------------------------------------------------------------

@builder_page
def request_submit(request: HttpRequest, req: Request) -> HttpResponse:
    if request.method != "POST":
        return render(request, "observations/confirm.html", {
            "req": req, "title": f"Submit request #{req.pk} '{req.name}'?",
            "text": "It is checked as a whole (every sequence needs an album, every album a "
                    "plan; the unit's detectors and filters; the program's time left), then "
                    "handed to the scheduler. A submitted request can only be cancelled.",
            "button": "Submit", "button_class": "primary"})
    try:
        store.submit_request(req, actor=request.user)
    except RequestInvalid as exc:
        messages.error(request, "The request was not submitted; fix these problems first.")
        return _render_detail(request, req, [str(p) for p in exc.problems])
    messages.success(request, f"Request #{req.pk} submitted: its sequences now wait "
                              "for the scheduler.")
    return redirect(_detail_url(req))


@requests_page
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    req = _cancellable_by(request.user, pk)
    if not _cancellable(req):
        messages.error(request, f"Request #{req.pk} is {req.status}: it cannot be cancelled.")
        return redirect(_detail_url(req))
    form = CancelForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            store.cancel_request(req, form.cleaned_data["reason"], actor=request.user)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        except RequestForbidden as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, f"Request #{req.pk} cancelled.")
        return redirect(_detail_url(req))
    return render(request, "observations/confirm.html", {
        "req": req, "title": f"Cancel request #{req.pk} '{req.name}'?",
        "text": "Its sequences that have not been observed yet are cancelled too; "
                "this cannot be undone.",
        "form": form, "button": "Cancel the request", "button_class": "danger"})


# --- Files -------------------------------------------------------------------------------

@requests_page
def request_export(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The stored request as a file that imports back to the same request."""
    req = _visible_or_404(request.user, pk)
    spec = store.spec_of(req)
    if kind == "xml":
        response = HttpResponse(write_xml_request(spec), content_type="application/xml")
    else:
        response = HttpResponse(write_json_request(spec), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="request-{req.pk}.{kind}"'
    return response


@requests_page
def request_import(request: HttpRequest) -> HttpResponse:
    _require_act(request.user)
    form = ImportForm(_data(request), request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            req = form.save(request.user)
        except RequestInvalid as exc:
            problems = [str(p) for p in exc.problems]
        else:
            messages.success(request, f"Request #{req.pk} '{req.name}' imported "
                                      f"({req.status}).")
            return redirect(_detail_url(req))
    example = member_programs(request.user).first()
    return render(request, "observations/request_import.html", {
        "form": form, "problems": problems, "example_program": example.name if example else ""})
