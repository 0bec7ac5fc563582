"""The simulation form of the Schedule pages: a simulation file, uploaded or pasted, and
how to plan it."""

from __future__ import annotations

from typing import Any

from django import forms

from pyros import safejson
from pyros.scheduling.api import ENGINES, MAX_TIME_LIMIT, MIN_TIME_LIMIT
from pyros.scheduling.planner import DEFAULT_TIME_LIMIT

#: A file of the largest simulation allowed (20 000 sequences) is about this big.
MAX_FILE_BYTES = 8 * 1024 * 1024


class SimulationForm(forms.Form):
    file = forms.FileField(label="Simulation file (.json)", required=False,
                           help_text="The format of docs/scheduling.md.")
    text = forms.CharField(label="…or paste it here", required=False,
                           widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))
    engine = forms.ChoiceField(
        choices=[(e, e) for e in ENGINES], initial="optimal",
        help_text="optimal: CP-SAT until it proves optimality or reaches the time limit; "
                  "fast: the greedy plan, in milliseconds.")
    time_limit = forms.FloatField(
        label="Time limit (s)", initial=DEFAULT_TIME_LIMIT, min_value=MIN_TIME_LIMIT,
        max_value=MAX_TIME_LIMIT, help_text=f"At most {MAX_TIME_LIMIT:g} s (optimal engine).")

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"too large ({upload.size} bytes; limit "
                                        f"{MAX_FILE_BYTES})")
        return upload

    def clean(self) -> dict[str, Any]:
        """Decode the JSON: of the file when one is given, else of the pasted text."""
        cleaned = super().clean()
        upload, text = cleaned.get("file"), (cleaned.get("text") or "").strip()
        if self.errors.get("file"):
            return cleaned
        if upload is None and not text:
            raise forms.ValidationError("Choose a simulation file or paste one.")
        where = f"{upload.name}: " if upload is not None else ""
        try:
            raw = upload.read() if upload is not None else text.encode()
            cleaned["data"] = safejson.loads(raw)
        except safejson.JSONInputError as exc:
            raise forms.ValidationError(f"{where}not a JSON file ({exc})") from None
        return cleaned
