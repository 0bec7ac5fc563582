"""The proposal pages, under /proposals/: list, a proposal's page, create, edit,
submit, delete, the TAC's vote, the PI's decision and the call's dates.

Rights come from ``proposals.access`` (the matrix): "proposals" hidden → 403; a
proposal the user may not see → 404, so its existence is not revealed; a visible one
the user may not change → 403. What the clock forbids (the deadline passed) or the
status forbids answers 400 with the reason, and the page stays read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pyros import clock
from pyros.programs.models import ScientificProgram
from pyros.proposals import access, store
from pyros.proposals.calls import ensure_next_call, open_call
from pyros.proposals.forms import CallForm, DecisionForm, ProposalForm, VoteForm
from pyros.proposals.models import Call, Proposal, ProposalStatus

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def proposals_page(view: View) -> View:
    """Log in first; then 403 for the profiles the matrix hides proposals from."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.can_read(request.user):
            raise PermissionDenied("your profile has no access to proposals")
        try:
            return view(request, *args, **kwargs)
        except store.ProposalRefused as exc:
            return render(request, "proposals/refused.html", {"reason": str(exc)}, status=400)

    return login_required(wrapper)


def _visible(user: Any, pk: int) -> Proposal:
    return get_object_or_404(access.visible_proposals(user), pk=pk)


def _editable(user: Any, pk: int) -> Proposal:
    proposal = _visible(user, pk)
    if not access.may_edit(user, proposal):
        raise PermissionDenied(f"you may not change proposal #{pk}")
    return proposal


@proposals_page
def proposal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    ensure_next_call()
    proposals = access.visible_proposals(user)
    status = request.GET.get("status", "")
    if status in ProposalStatus.values:
        proposals = proposals.filter(status=status)
    period = request.GET.get("period", "")
    if period:
        proposals = proposals.filter(call__period__name=period)
    q = request.GET.get("q", "").strip()[:100]
    if q:
        proposals = proposals.filter(title__icontains=q)
    if request.GET.get("mine"):
        proposals = proposals.filter(access.own_filter(user))
    shows_grades = access.can_vote(user) or access.can_decide(user)
    if shows_grades:
        proposals = proposals.annotate(nb_votes=Count("votes"), grade=Avg("votes__grade"))
        if access.can_vote(user):
            proposals = proposals.annotate(
                my_votes=Count("votes", filter=Q(votes__voter=user)))
    page = Paginator(proposals.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    programs = ScientificProgram.objects.filter(
        Q(pi=user) | Q(pk__in=user.programs.values("pk"))).order_by("name")
    return render(request, "proposals/proposal_list.html", {
        "page": page, "statuses": ProposalStatus.values, "status": status, "period": period,
        "q": q, "mine": bool(request.GET.get("mine")), "shows_grades": shows_grades,
        "can_create": access.can_create(user), "can_decide": access.can_decide(user),
        "call": open_call(), "calls": Call.objects.select_related("period")[:6],
        "my_programs": programs,
    })


@proposals_page
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _visible(request.user, pk)
    return _render_detail(request, proposal)


def _render_detail(request: HttpRequest, proposal: Proposal, vote_form: VoteForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = request.user
    view = access.vote_view(user, proposal)
    votes = list(proposal.votes.select_related("voter")) if view != access.VoteView.NONE else []
    mine = next((v for v in votes if v.voter_id == user.pk), None)
    can_vote = access.can_vote(user) and proposal.status == ProposalStatus.SUBMITTED
    if can_vote and vote_form is None:
        vote_form = VoteForm(initial={"grade": mine.grade, "comment": mine.comment}
                             if mine else None)
    is_open = proposal.call.is_open(clock.now())
    editable = access.may_edit(user, proposal) and is_open
    return render(request, "proposals/proposal_detail.html", {
        "proposal": proposal, "targets": proposal.targets.all(),
        "co_investigators": proposal.co_investigators.all(),
        "votes": votes, "vote_view": view.value, "my_vote": mine,
        "vote_form": vote_form if can_vote else None,
        "editable": editable,
        "can_submit": editable and proposal.status == ProposalStatus.DRAFT,
        "can_delete": access.may_delete(user, proposal) and (
            access.can_decide(user) or is_open),
        "can_decide": access.can_decide(user) and proposal.status == ProposalStatus.SUBMITTED,
        "call_open": is_open,
    }, status=status)


def _save_form(request: HttpRequest, form: ProposalForm,
               save: Callable[[], Proposal]) -> Proposal | None:
    if not form.is_valid():
        return None
    try:
        return save()
    except store.ProposalInvalid as exc:
        form.add_problems(exc.problems)
        return None


@proposals_page
def proposal_create(request: HttpRequest) -> HttpResponse:
    if not access.can_create(request.user):
        raise PermissionDenied("your profile may not make proposals")
    call = open_call()
    if call is None:
        raise store.ProposalRefused("no call for proposals is open now")
    form = ProposalForm(request.POST or None)
    if request.method == "POST":
        proposal = _save_form(request, form, lambda: store.create_proposal(
            form.spec, request.user, submit="submit" in request.POST))
        if proposal is not None:
            messages.success(request, f"Proposal #{proposal.pk} saved ({proposal.status}).")
            return redirect("proposals:detail", proposal.pk)
    return render(request, "proposals/proposal_form.html", {"form": form, "call": call},
                  status=400 if form.errors else 200)


@proposals_page
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _editable(request.user, pk)
    if not proposal.call.is_open(clock.now()):
        raise store.ProposalRefused(f"cannot change this proposal: the {proposal.call} "
                                    f"closed on {proposal.call.deadline:%Y-%m-%d %H:%M} UTC")
    form = ProposalForm(request.POST or None, proposal=proposal)
    if request.method == "POST":
        saved = _save_form(request, form, lambda: store.update_proposal(
            proposal, form.spec, submit="submit" in request.POST))
        if saved is not None:
            messages.success(request, f"Proposal #{saved.pk} saved ({saved.status}).")
            return redirect("proposals:detail", saved.pk)
    return render(request, "proposals/proposal_form.html", {
        "form": form, "call": proposal.call, "proposal": proposal},
        status=400 if form.errors else 200)


@require_POST
@proposals_page
def proposal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = store.submit_proposal(_editable(request.user, pk))
    messages.success(request, f"Proposal #{proposal.pk} submitted to the TAC.")
    return redirect("proposals:detail", pk)


@proposals_page
def proposal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _visible(request.user, pk)
    if not access.may_delete(request.user, proposal):
        raise PermissionDenied(f"you may not delete proposal #{pk}")
    if request.method == "POST":
        store.delete_proposal(proposal, any_time=access.can_decide(request.user))
        messages.success(request, f"Proposal #{pk} \"{proposal.title}\" deleted.")
        return redirect("proposals:list")
    return render(request, "proposals/confirm_delete.html", {"proposal": proposal})


@require_POST
@proposals_page
def proposal_vote(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _visible(request.user, pk)
    if not access.can_vote(request.user):
        raise PermissionDenied("only TAC members vote")
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, proposal, form, status=400)
    store.vote(proposal, request.user, form.cleaned_data["grade"],
               form.cleaned_data["comment"])
    messages.success(request, "Your vote is saved; you may change it until the decision.")
    return redirect("proposals:detail", pk)


@proposals_page
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _visible(request.user, pk)
    if not access.can_decide(request.user):
        raise PermissionDenied("only the PI decides on proposals")
    if proposal.status != ProposalStatus.SUBMITTED:
        raise store.ProposalRefused(f"proposal #{pk} is {proposal.status}: only a SUBMITTED "
                                    "proposal is decided")
    form = DecisionForm(request.POST or None, initial={
        "program_name": proposal.title, "quota_hours": round(proposal.total_hours, 2),
        "priority": 5})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == DecisionForm.ACCEPT:
                program = store.accept(proposal, request.user, store.Decision(
                    data["quota_hours"], data["priority"], data["program_name"].strip(),
                    data["comment"]))
                messages.success(request, f"Accepted: program {program.name} made; the "
                                          "proposers are mailed.")
            else:
                store.reject(proposal, request.user, data["comment"])
                messages.success(request, "Rejected; the proposers are mailed.")
            return redirect("proposals:detail", pk)
        except store.ProposalInvalid as exc:
            for field, problems in exc.problems.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
    votes = proposal.votes.select_related("voter")
    return render(request, "proposals/proposal_decide.html", {
        "proposal": proposal, "form": form, "votes": votes,
        "summary": votes.aggregate(n=Count("id"), grade=Avg("grade"))},
        status=400 if form.errors else 200)


@proposals_page
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not access.can_decide(request.user):
        raise PermissionDenied("only the PI changes a call's dates")
    call = get_object_or_404(Call.objects.select_related("period"), pk=pk)
    form = CallForm(request.POST or None, instance=call)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"The {call} is now open from {call.opens:%Y-%m-%d %H:%M} "
                                  f"to {call.deadline:%Y-%m-%d %H:%M} UTC.")
        return redirect("proposals:list")
    return render(request, "proposals/call_form.html", {"form": form, "call": call},
                  status=400 if form.errors else 200)
