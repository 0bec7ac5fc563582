"""The Strategy page's form: a new version of the alert strategy, checked, then saved
once its author has seen what the check says.

A version decides which bursts the telescope chases, so saving takes two steps: "Check"
validates the text (an error names the bad key) and shows what the unit says against
it; "Save" is accepted only for the very text that was checked (its digest travels with
the form), so an edit after the check is checked again instead of saved unseen.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms

from pyros.alerts.strategy import Strategy, StrategyError, load_strategy

#: Far above any real strategy (the shipped one is 4 KiB); a paste of something else
#: is refused before it is parsed.
MAX_TEXT = 200_000


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class StrategyForm(forms.Form):
    text = forms.CharField(
        label="Strategy (TOML)", max_length=MAX_TEXT, strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text="The whole strategy: rules in order of precedence, request templates.")
    comment = forms.CharField(label="Why this change", max_length=255, required=False,
                              help_text="Kept with the version, for whoever reads it later.")
    checked = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        try:
            self.strategy: Strategy = load_strategy(text)
        except StrategyError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        text = cleaned.get("text")
        cleaned["digest"] = digest(text) if text is not None else ""
        return cleaned

    def confirmed(self, action: str) -> bool:
        """Saving was asked for, and the text is the one checked."""
        return (action == "save" and bool(self.cleaned_data.get("checked"))
                and self.cleaned_data["checked"] == self.cleaned_data["digest"])
