"""A program's page under /proposals/programs/<id>/: its PI, members and allocations;
the program's own PI (and the PI and SysAdmin profiles) add and remove members, who
are mailed (the guide's workflow, version 2). Programs a user may not see answer 404.

Time accounting (used, remaining) has a page of its own; this one is about people.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from pyros.accounts.models import User
from pyros.programs.models import ScientificProgram
from pyros.proposals import access, store
from pyros.proposals.forms import MemberForm
from pyros.proposals.models import Proposal


def _program(request: HttpRequest, pk: int) -> ScientificProgram:
    program = get_object_or_404(ScientificProgram.objects.select_related("pi"), pk=pk)
    if not access.may_view_program(request.user, program):
        raise Http404(f"no program #{pk}, or not one you may see")
    return program


def _manageable(request: HttpRequest, pk: int) -> ScientificProgram:
    program = _program(request, pk)
    if not access.may_manage_members(request.user, program):
        raise PermissionDenied(f"only the PI of {program} adds and removes its members")
    return program


def _render(request: HttpRequest, program: ScientificProgram, form: MemberForm | None = None,
            status: int = 200) -> HttpResponse:
    manage = access.may_manage_members(request.user, program)
    return render(request, "proposals/program_detail.html", {
        "program": program, "members": program.members.order_by("username"),
        "allocations": program.allocations.select_related("period"),
        "proposal": Proposal.objects.filter(program=program).first(),
        "can_manage": manage, "form": form or (MemberForm() if manage else None),
    }, status=status)


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _program(request, pk))


@require_POST
@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    program = _manageable(request, pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            user = store.add_member(program, form.cleaned_data["username"], request.user)
        except store.ProposalInvalid as exc:
            for problem in exc.problems.get("username", []):
                form.add_error("username", problem)
        else:
            messages.success(request, f"{user.username} is a member of {program} (mailed).")
            return redirect("proposals:program", pk)
    return _render(request, program, form, status=400)


@require_POST
@login_required
def member_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    program = _manageable(request, pk)
    user = get_object_or_404(User, pk=user_id)
    try:
        store.remove_member(program, user, request.user)
    except store.ProposalRefused as exc:
        messages.error(request, str(exc))
        return _render(request, program, status=400)
    messages.success(request, f"{user.username} is no longer a member of {program} (mailed).")
    return redirect("proposals:program", pk)
