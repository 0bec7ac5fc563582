"""Forms of the Users pages. They only check shapes (choices, lengths); the rules of who
may change what are :mod:`pyros.accounts.management`'s, so the choices offered here are
built from it (:func:`management.assignable_profiles`)."""

from __future__ import annotations

from typing import Any

from django import forms

from pyros.accounts import management
from pyros.accounts.models import User
from pyros.accounts.profiles import PROFILES, ProfileLevel
from pyros.accounts.user_query import UserFilter


def _program_names() -> list[str]:
    from pyros.programs.models import ScientificProgram

    return list(ScientificProgram.objects.order_by("name").values_list("name", flat=True))


class UserFilterForm(forms.Form):
    """The list's filters, from the query string; a bad value is just ignored."""

    q = forms.CharField(required=False, max_length=100, label="Name or e-mail")
    profile = forms.ChoiceField(required=False, choices=[
        ("", "any"), *((p.level.name.lower(), p.name) for p in PROFILES)])
    active = forms.ChoiceField(required=False, label="Active",
                               choices=[("", "any"), ("yes", "active"), ("no", "inactive")])
    program = forms.ChoiceField(required=False, label="Member of")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = [("", "any"), *((n, n) for n in _program_names())]

    def wanted(self) -> UserFilter:
        data = self.cleaned_data if self.is_valid() else {}
        profile = data.get("profile") or ""
        active = data.get("active") or ""
        return UserFilter(text=data.get("q") or "",
                          profile=ProfileLevel[profile.upper()] if profile else None,
                          active={"yes": True, "no": False}.get(active),
                          program=data.get("program") or "")


class ProfileForm(forms.Form):
    """The profile select: only what the acting user may give this user."""

    profile = forms.ChoiceField()

    def __init__(self, actor: User, target: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {p.level: p.name for p in PROFILES}
        self.fields["profile"].choices = [
            (level.name.lower(), names[level])
            for level in management.assignable_profiles(actor, target)]
        self.fields["profile"].initial = target.level.name.lower()

    def level(self) -> ProfileLevel:
        return ProfileLevel[self.cleaned_data["profile"].upper()]


class FieldsForm(forms.Form):
    """Every other field, for the SysAdmin; built from the model so that a field added
    to the user (the institute) appears here with its own limits."""

    programs = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                         label="Member of")

    def __init__(self, target: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in management.editable_fields():
            model_field = User._meta.get_field(name)
            self.fields[name] = model_field.formfield(required=name == "username")
            self.initial.setdefault(name, getattr(target, name))
        self.fields["programs"].choices = [(n, n) for n in _program_names()]
        self.initial.setdefault("programs", list(
            target.programs.order_by("name").values_list("name", flat=True)))
        # The programs field last, after the text fields.
        self.order_fields([*management.editable_fields(), "programs"])

    def changes(self) -> management.Changes:
        fields = {n: self.cleaned_data[n] or "" for n in management.editable_fields()}
        return management.Changes(fields=fields, programs=list(self.cleaned_data["programs"]))
