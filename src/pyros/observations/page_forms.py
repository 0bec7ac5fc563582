"""The request pages' other forms: the list's filters, the cancel reason, the file
import. The step-by-step builder's forms, which write drafts, are in ``forms``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from pyros import clock
from pyros.config.loader import active_config
from pyros.observations import json_format, store, xml_format
from pyros.observations.lifecycle import RequestStatus
from pyros.observations.models import Request, Sequence
from pyros.observations.problems import Problem, RequestInvalid
from pyros.programs.models import ScientificProgram


class RequestFilterForm(forms.Form):
    """The list's filters; each one left empty (or invalid) filters nothing."""

    status = forms.ChoiceField(
        required=False, choices=[("", "any")] + [(s.value, s.value) for s in RequestStatus])
    program = forms.ModelChoiceField(queryset=ScientificProgram.objects.none(),
                                     required=False, empty_label="any")
    mine = forms.BooleanField(required=False, label="Only mine")
    q = forms.CharField(required=False, label="Name or target",
                        widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args: Any, programs: QuerySet[ScientificProgram],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]

    def filter(self, requests: QuerySet[Request], user: Any) -> QuerySet[Request]:
        self.is_valid()
        data = self.cleaned_data
        if data.get("status"):
            requests = requests.filter(status=data["status"])
        if data.get("program"):
            requests = requests.filter(program=data["program"])
        if data.get("mine"):
            requests = requests.filter(owner=user)
        if text := (data.get("q") or "").strip():
            requests = requests.filter(
                Q(name__icontains=text)
                | Q(pk__in=Sequence.objects.filter(target_name__icontains=text)
                    .values("request")))
        return requests


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=255, label="Reason (optional)",
                             widget=forms.TextInput())


class ImportForm(forms.Form):
    """A request file, XML (the guide's format) or JSON."""

    file = forms.FileField(label="Request file (.xml or .json)")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = max(xml_format.MAX_FILE_BYTES, json_format.MAX_FILE_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(f"too large ({upload.size} bytes; limit {limit})")
        return upload

    def save(self, owner: Any) -> Request:
        """Parse and store the file's request; raises RequestInvalid, storing nothing."""
        upload = self.cleaned_data["file"]
        data = upload.read()
        kind = sniff_format(upload.name or "", data)
        now = clock.now()
        filters = active_config().filters_by_detector()
        if kind == "xml":
            spec, lines = xml_format.parse_xml_request(data, now, filters)
            return store.create_request(spec, owner, now=now,
                                        field_names=xml_format.FIELD_NAMES, lines=lines)
        if kind == "json":
            return store.create_request(json_format.parse_json_request(data, filters), owner,
                                        now=now)
        raise RequestInvalid([Problem("file", None, "neither XML nor JSON (name it .xml or "
                                                    ".json, or start it with '<' or '{')")])


def sniff_format(filename: str, data: bytes) -> str | None:
    """'xml' or 'json' by the file's extension, else by its first character."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xml", ".json"):
        return suffix[1:]
    first = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    return {b"<": "xml", b"{": "json"}.get(first)
