"""The Configuration page, under /config/: the unit configuration by section, its text
to edit, its versions and their diffs. For the profiles the rights matrix gives
"config" to (Superoperator, SysAdmin); hidden (403) for the others, login first."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from pyros import paths
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.config.editing import MAX_TEXT, Problem, check_text, mask_secrets, secret_keys_changed
from pyros.config.loader import refresh_if_changed
from pyros.configpage import reload, store
from pyros.configpage.models import ConfigVersion
from pyros.configpage.sections import sections_of

View = Callable[..., HttpResponse]
RIGHT = "config"


def config_page(view: View) -> View:
    """Log in first; then 403 unless the profile may act on the configuration."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if user_access(request.user, RIGHT) < Access.ACT:
            raise PermissionDenied("your profile has no access to the configuration")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


class ConfigForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 40, "spellcheck": "false"}),
                           max_length=MAX_TEXT, strip=False, label="The unit file (TOML)")
    comment = forms.CharField(max_length=500, required=False,
                              help_text="why: kept with the version")
    base = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


def _page(request: HttpRequest, form: ConfigForm, *, problems: list[Problem] | None = None,
          checked: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    on_disk = store.current_text()
    unit, disk_problems = check_text(on_disk)
    where = store.target()
    return render(request, "configpage/config.html", {
        "form": form, "problems": problems or [], "checked": checked,
        "sections": sections_of(unit) if unit else [], "disk_problems": disk_problems,
        "path": paths.config_path(), "target": where,
        "versions": ConfigVersion.objects.select_related("author")[:20],
    }, status=status)


def _diff_html(old: str, new: str, old_label: str, new_label: str) -> str:
    """Side by side, secrets masked; difflib escapes the text."""
    return difflib.HtmlDiff(wrapcolumn=90).make_table(
        mask_secrets(old).splitlines(), mask_secrets(new).splitlines(), old_label, new_label,
        context=True, numlines=3)


@config_page
def config(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        on_disk = store.current_text()
        form = ConfigForm(initial={"text": mask_secrets(on_disk), "base": store.digest(on_disk)})
        return _page(request, form)
    form = ConfigForm(request.POST)
    if not form.is_valid():
        problems = [Problem(f"({name})", " ".join(errors)) for name, errors in form.errors.items()]
        return _page(request, form, problems=problems, status=400)
    data = form.cleaned_data
    if request.POST.get("action") != "save":
        try:
            text, _ = store.check(data["text"])
        except store.SaveRefused as refused:
            return _page(request, form, problems=refused.problems, status=400)
        on_disk = store.current_text()
        return _page(request, form, checked={
            "diff": _diff_html(on_disk, text, "the file now", "this text"),
            "same": text == on_disk, "secrets": secret_keys_changed(on_disk, text)})
    old_unit, _ = check_text(store.current_text())
    try:
        version, where = store.save(data["text"], user=request.user, comment=data["comment"],
                                    base_digest=data["base"])
    except store.SaveRefused as refused:
        return _page(request, form, problems=refused.problems, status=400)
    refresh_if_changed()  # this worker at once; the others at their next request
    new_unit, _ = check_text(version.text)
    if old_unit is not None and new_unit is not None:
        version.reload_report = reload.tell_processes(
            old_unit, new_unit, sender=f"config:{request.user.get_username()}",
            new_file=where.instead_of_example)
        version.save(update_fields=["reload_report"])
    if where.instead_of_example:
        messages.warning(request, f"The example shipped with PyROS is never edited: written to "
                                  f"{where.path}, which is now the configuration in use.")
    messages.success(request, f"Version {version.number} saved to {where.path}.")
    return redirect("configpage:version", number=version.number)


@config_page
def versions(request: HttpRequest) -> HttpResponse:
    return render(request, "configpage/versions.html", {
        "versions": ConfigVersion.objects.select_related("author")})


@config_page
def version(request: HttpRequest, number: int) -> HttpResponse:
    shown = get_object_or_404(ConfigVersion.objects.select_related("author"), number=number)
    previous = ConfigVersion.objects.filter(number__lt=number).order_by("-number").first()
    return render(request, "configpage/version.html", {
        "shown": shown, "text": mask_secrets(shown.text), "previous": previous,
        "report": shown.reload_report or {}})


@config_page
def diff(request: HttpRequest, old: int, new: int) -> HttpResponse:
    before = get_object_or_404(ConfigVersion, number=old)
    after = get_object_or_404(ConfigVersion, number=new)
    return render(request, "configpage/diff.html", {
        "before": before, "after": after,
        "table": _diff_html(before.text, after.text, f"version {old}", f"version {new}"),
        "same": before.text == after.text,
        "secrets": secret_keys_changed(before.text, after.text)})
