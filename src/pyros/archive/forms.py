"""The archive list's filter form: the browser's strings turned into ``search.Filters``.

The form only parses; what a filter means (the night order, the products, the cone's
limits) is checked by ``search.Filters`` and ``search.Cone``, the same code the API and
`pyros images list` use, so a page can never accept what the API refuses. Their
``SearchError`` comes back here as a form error, shown next to the filters: a bad value
is the user's to fix, never a server error.
"""

from __future__ import annotations

from typing import Any

from django import forms

from pyros.archive.models import CALIBRATION_TYPES, Product
from pyros.archive.search import MAX_RADIUS, Cone, Filters, SearchError

#: The radius of a cone when only RA and Dec are given (degrees): about a field of view.
DEFAULT_RADIUS = 0.5
FRAME_TYPES = ("LIGHT", *CALIBRATION_TYPES)


def _date(label: str) -> forms.DateField:
    return forms.DateField(required=False, label=label,
                           widget=forms.DateInput(attrs={"type": "date"}))


def _degrees(label: str, low: float, high: float, step: str = "any") -> forms.FloatField:
    # Limits as browser hints only: Cone says what is wrong in its own words.
    return forms.FloatField(required=False, label=label, widget=forms.NumberInput(
        attrs={"min": low, "max": high, "step": step, "inputmode": "decimal"}))


class ArchiveFilterForm(forms.Form):
    night_from = _date("Nights from")
    night_to = _date("to")
    target = forms.CharField(required=False, max_length=100, label="Target",
                             widget=forms.TextInput(attrs={"type": "search"}))
    ra = _degrees("RA (°)", 0.0, 360.0)
    dec = _degrees("Dec (°)", -90.0, 90.0)
    radius = _degrees("Radius (°)", 0.0, MAX_RADIUS)
    filter = forms.CharField(required=False, max_length=50, label="Filter",
                             widget=forms.TextInput(attrs={"list": "filter-names"}))
    frame_type = forms.ChoiceField(required=False, label="Frame type",
                                   choices=[("", "any"), *((t, t) for t in FRAME_TYPES)])
    product = forms.ChoiceField(required=False, label="Product",
                                choices=[("", "any"), *Product.choices])
    program = forms.CharField(required=False, max_length=100, label="Program",
                              widget=forms.TextInput(attrs={"list": "program-names"}))
    request = forms.IntegerField(required=False, min_value=1, label="Request #",
                                 widget=forms.NumberInput(attrs={"min": 1}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["radius"].widget.attrs["placeholder"] = f"{DEFAULT_RADIUS:g}"
        self.filters: Filters | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ra, dec, radius = data.get("ra"), data.get("dec"), data.get("radius")
        cone = None
        if ra is not None or dec is not None or radius is not None:
            if ra is None or dec is None:
                if "ra" not in self.errors and "dec" not in self.errors:
                    raise forms.ValidationError("A cone search needs both RA and Dec.")
                return data
            try:
                cone = Cone(ra, dec, DEFAULT_RADIUS if radius is None else radius)
            except SearchError as exc:
                raise forms.ValidationError(f"Cone search: {exc}.") from None
        self.filters = Filters(
            night_from=data.get("night_from"), night_to=data.get("night_to"),
            target=(data.get("target") or "").strip(), cone=cone,
            filter=(data.get("filter") or "").strip(), frame_type=data.get("frame_type") or "",
            product=data.get("product") or "", program=(data.get("program") or "").strip(),
            request=data.get("request"))
        return data

    @property
    def is_filtering(self) -> bool:
        """Whether any filter is set (the page says "every frame" otherwise)."""
        return self.filters is not None and self.filters != Filters()
