"""The forms of the proposal pages. A proposal's form turns into the same
``ProposalSpec`` an API body does, so both are checked by the same rules."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from pydantic import ValidationError

from pyros.proposals.models import Call, Proposal
from pyros.proposals.spec import MAX_HOURS, ProposalSpec, problems_of

TARGETS_HELP = ("One target a line: its name, then RA and Dec in degrees, "
                "e.g. \"M 31 10.6847 41.2690\".")


def hours_field(channel: str) -> str:
    return f"hours_{channel}"


class ProposalForm(forms.Form):
    title = forms.CharField(max_length=100)
    abstract = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=20_000)
    targets = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False,
                              help_text=TARGETS_HELP)
    co_investigators = forms.CharField(
        required=False, help_text="Usernames, separated by commas or spaces.")

    def __init__(self, *args: Any, proposal: Proposal | None = None, **kwargs: Any) -> None:
        if proposal is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(proposal)
        super().__init__(*args, **kwargs)
        for channel in settings.UNIT.channels:
            self.fields[hours_field(channel.name)] = forms.DecimalField(
                label=f"Hours on {channel.name} ({channel.detector})", required=False,
                min_value=Decimal(0), max_value=Decimal(MAX_HOURS), decimal_places=2)

    def hour_fields(self) -> list[forms.BoundField]:
        return [self[hours_field(c.name)] for c in settings.UNIT.channels]

    def clean_targets(self) -> list[dict[str, Any]]:
        targets = []
        for number, line in enumerate(self.cleaned_data["targets"].splitlines(), 1):
            if not line.strip():
                continue
            parts = line.replace(",", " ").rsplit(None, 2)
            try:
                name, ra, dec = parts[0], float(parts[1]), float(parts[2])
            except (IndexError, ValueError):
                raise forms.ValidationError(
                    f"line {number}: a name, then RA and Dec in degrees") from None
            targets.append({"name": name, "ra": ra, "dec": dec})
        return targets

    def clean_co_investigators(self) -> list[str]:
        return [n for n in re.split(r"[,\s]+", self.cleaned_data["co_investigators"]) if n]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        hours = {c.name: float(data.get(hours_field(c.name)) or 0)
                 for c in settings.UNIT.channels}
        try:
            self.spec = ProposalSpec(
                title=data["title"], abstract=data["abstract"], requested_hours=hours,
                targets=data["targets"], co_investigators=data["co_investigators"])
        except ValidationError as exc:
            self.add_problems(problems_of(exc))
        return data

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        """The store's or the spec's problems, each on its field when the form has it."""
        for field, messages in problems.items():
            target = field if field in self.fields else None
            if field == "requested_hours":
                target = None
            for message in messages:
                self.add_error(target, message)


def initial_of(proposal: Proposal) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title": proposal.title, "abstract": proposal.abstract,
        "targets": "\n".join(f"{t.name} {t.ra} {t.dec}" for t in proposal.targets.all()),
        "co_investigators": ", ".join(u.username for u in proposal.co_investigators.all()),
    }
    for channel, hours in proposal.requested_hours.items():
        initial[hours_field(channel)] = hours
    return initial


class VoteForm(forms.Form):
    grade = forms.TypedChoiceField(
        coerce=int, choices=[(g, f"{g}") for g in range(5, 0, -1)],
        help_text="5 excellent, 4 very good, 3 good, 2 fair, 1 poor")
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=5000)


class DecisionForm(forms.Form):
    ACCEPT, REJECT = "accept", "reject"

    decision = forms.ChoiceField(choices=[(ACCEPT, "Accept"), (REJECT, "Reject")],
                                 widget=forms.RadioSelect)
    program_name = forms.CharField(max_length=100, required=False,
                                   help_text="The new program's name (accepting).")
    quota_hours = forms.DecimalField(min_value=Decimal(0), max_value=Decimal(MAX_HOURS),
                                     decimal_places=2, required=False,
                                     help_text="Hours given for the call's period.")
    priority = forms.IntegerField(min_value=1, max_value=10, required=False,
                                  help_text="1 (lowest) to 10 (highest).")
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=5000, help_text="Mailed to the proposers.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == self.ACCEPT:
            for field in ("program_name", "quota_hours", "priority"):
                if data.get(field) in (None, "") and field not in self.errors:
                    self.add_error(field, "needed to accept")
        return data


class CallForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = ["opens", "deadline"]
        help_texts = {"opens": "UTC", "deadline": "UTC"}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, deadline = data.get("opens"), data.get("deadline")
        if opens and deadline and deadline <= opens:
            self.add_error("deadline", "the deadline comes after the opening")
        return data


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
