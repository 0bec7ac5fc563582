"""The step-by-step builder's forms (header, sequence, album, plan) and their writes;
the list's, cancel's and import's forms are in ``page_forms``.

Each piece of a request (header, sequence, album, plan) is checked by the pydantic
model that files and the API use (spec.py), and against the unit by
``spec.check_against_unit``, so a request built on the web obeys exactly the rules of
an imported one. The Django fields here only turn the browser's strings into values
and put each message next to the field it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from pyros import clock
from pyros.observations.access import RequestForbidden, may_file_for, write_into_problem
from pyros.observations.drafts import lock_draft, next_position, touch
from pyros.observations.lifecycle import ObsType, RequestStatus, SequenceStatus
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.observations.problems import Problem
from pyros.observations.spec import (
    AlbumFields,
    AlbumSpec,
    PlanSpec,
    RequestFields,
    RequestSpec,
    SequenceFields,
    SequenceSpec,
    check_against_unit,
)
from pyros.programs.models import ScientificProgram

M = TypeVar("M", bound=BaseModel)

#: Far enough that a probe's window is never "already over" when only a detector or a
#: filter is being checked.
_FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


# --- Validation by the spec models -------------------------------------------------------

def _html_limits(info: FieldInfo) -> dict[str, Any]:
    """Browser-side hints (min, max, maxlength) read from the pydantic constraints, so
    that the limits are written once; the server still checks with pydantic."""
    attrs: dict[str, Any] = {}
    for constraint in info.metadata:
        for name, attr in (("ge", "min"), ("le", "max"), ("max_length", "maxlength")):
            value = getattr(constraint, name, None)
            if value is not None:
                attrs[attr] = value
    return attrs


class SpecForm(forms.Form, Generic[M]):
    """A form whose cleaned values must also pass ``spec_model``; after ``is_valid()``,
    ``spec`` is the validated piece."""

    spec_model: ClassVar[type[BaseModel]]
    #: spec field -> form field, where the names differ.
    form_names: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec: M | None = None
        for spec_name, info in self.spec_model.model_fields.items():
            field = self.fields.get(self.form_names.get(spec_name, spec_name))
            if field is None:
                continue
            field.required = info.is_required()
            if not field.required and info.default not in (None, "") and field.initial is None:
                field.initial = info.default
            if isinstance(field.widget, forms.widgets.Input):
                field.widget.attrs.update(_html_limits(info))

    def to_spec(self, name: str, value: Any) -> Any:
        """A cleaned form value as the spec wants it (a program object as its name...)."""
        return value

    def spec_data(self) -> dict[str, Any]:
        data = {}
        for spec_name, info in self.spec_model.model_fields.items():
            form_name = self.form_names.get(spec_name, spec_name)
            if form_name not in self.fields:
                continue
            value = self.cleaned_data.get(form_name)
            if value is None or (value == "" and not info.is_required()):
                continue  # missing (its error is already shown) or the spec's default
            data[spec_name] = self.to_spec(form_name, value)
        return data

    def unit_problems(self, spec: M) -> list[Problem]:
        """What the unit says against the piece; none unless a piece needs the unit."""
        return []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            spec = self.spec_model.model_validate(self.spec_data())
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"]
                self._place(str(loc[0]) if loc else None,
                            error["msg"].removeprefix("Value error, "))
            return cleaned
        for problem in self.unit_problems(spec):  # type: ignore[arg-type]
            self._place(problem.field, problem.message)
        if not self.errors:
            self.spec = spec  # type: ignore[assignment]
        return cleaned

    def _place(self, spec_name: str | None, message: str) -> None:
        name = self.form_names.get(spec_name, spec_name) if spec_name else None
        if name not in self.fields:
            name = None
        if name is not None and name in self.errors:
            return  # Django already said what is wrong with this field
        self.add_error(name, message)


class UtcDateTimeField(forms.DateTimeField):
    """A date and time in 24-hour UTC, typed as ``2026-11-22 04:00`` (seconds and a
    final ``Z`` allowed): windows are UTC everywhere in PyROS. Not the browser's
    ``datetime-local`` picker, which shows the visitor's locale (AM/PM in some) and
    says nothing of UTC."""

    INPUT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                     "%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateTimeInput(
            attrs={"class": "utc-time", "placeholder": "YYYY-MM-DD HH:MM (UTC, 24 h)",
                   "pattern": r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?Z?",
                   "inputmode": "numeric", "autocomplete": "off", "size": "20"},
            format="%Y-%m-%d %H:%M:%S"))
        kwargs.setdefault("input_formats", self.INPUT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str):
            value = value.strip().removesuffix("Z").removesuffix("z")
        with timezone.override(UTC):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(UTC):
            return super().prepare_value(value)


def _probe(end: datetime = _FAR_FUTURE, detector: str | None = None,
           plans: Iterable[PlanSpec] = ()) -> RequestSpec:
    """A minimal request holding one piece, to ask ``check_against_unit`` about it."""
    albums = [] if detector is None else [
        AlbumSpec.model_construct(name="album", detector=detector, plans=list(plans))]
    sequence = SequenceSpec.model_construct(name="sequence", end=end, albums=albums)
    return RequestSpec.model_construct(name="request", scientific_program="",
                                       sequences=[sequence])


def _unit_check(spec: RequestSpec) -> list[Problem]:
    return check_against_unit(spec, settings.UNIT.filters_by_detector(), clock.now())


# --- The builder's forms -----------------------------------------------------------------

class RequestHeaderForm(SpecForm[RequestFields]):
    """Step 1: the request's own fields."""

    spec_model = RequestFields
    form_names = {"scientific_program": "program"}

    name = forms.CharField(label="Name")
    program = forms.ModelChoiceField(queryset=ScientificProgram.objects.none(),
                                     label="Scientific program", empty_label=None,
                                     help_text="programs both you and the owner belong to")
    target_type = forms.CharField(label="Target type", help_text="free text, e.g. grb, star")

    def __init__(self, *args: Any, programs: QuerySet[ScientificProgram],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(request: Request) -> dict[str, Any]:
        return {"name": request.name, "program": request.program_id,
                "target_type": request.target_type}

    def to_spec(self, name: str, value: Any) -> Any:
        return value.name if name == "program" else value

    def save(self, owner: Any, instance: Request | None = None, *, actor: Any) -> Request:
        """Create a new draft, or change a draft's header, as ``actor``: RequestForbidden
        if they may not write into the chosen program (the list offers only those they
        may, but a crafted POST is judged here, inside the transaction)."""
        assert self.spec is not None, "save() needs a valid form"
        program, now = self.cleaned_data["program"], clock.now()
        with transaction.atomic():
            if instance is None:
                if not may_file_for(actor, owner):
                    raise RequestForbidden(f"you ({actor}) may not file a request for {owner}")
                _require_write_into(actor, owner, program)
                return Request.objects.create(
                    name=self.spec.name, owner=owner, program=program,
                    target_type=self.spec.target_type, status=RequestStatus.DRAFT,
                    created_at=now, updated_at=now)
            request = lock_draft(instance, actor)
            _require_write_into(actor, request.owner, program)
            request.name, request.program = self.spec.name, program
            request.target_type, request.updated_at = self.spec.target_type, now
            request.save()
            return request


def _require_write_into(actor: Any, owner: Any, program: ScientificProgram) -> None:
    refused = write_into_problem(actor, owner, program)
    if refused:
        raise RequestForbidden(refused)


class SequenceForm(SpecForm[SequenceFields]):
    """Step 2: one target in one time window."""

    spec_model = SequenceFields

    name = forms.CharField(label="Name")
    target = forms.CharField(label="Target name")
    ra = forms.CharField(label="RA", max_length=40,
                         help_text="ICRS degrees (0 to 360), or hours: 12:34:56.7, 12h34m56s")
    dec = forms.CharField(label="Dec", max_length=40,
                          help_text="ICRS degrees (-90 to 90), or +12:34:56, -05 30 00")
    start = UtcDateTimeField(label="Window start (UTC)")
    end = UtcDateTimeField(label="Window end (UTC)")
    duration = forms.FloatField(label="Duration (s)", help_text="telescope time needed")
    priority = forms.IntegerField(label="Priority", help_text="1 (lowest) to 10 (highest)")
    obs_type = forms.CharField(
        label="Observation type",
        widget=forms.Select(choices=[(t.value, t.value) for t in ObsType]),
        help_text="BESTELEV: when the target is highest in the window; "
                  "IMMEDIATE: as soon as possible")
    preferred_time = UtcDateTimeField(label="Preferred time (UTC)", help_text="optional")
    max_airmass = forms.FloatField(label="Maximum airmass")
    min_moon_separation = forms.FloatField(label="Minimum moon separation (degrees)")

    @staticmethod
    def initial_new() -> dict[str, Any]:
        """A window from the next full hour, for a day: a start to edit, not a guess."""
        start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return {"start": start, "end": start + timedelta(days=1)}

    @staticmethod
    def initial_from(sequence: Sequence) -> dict[str, Any]:
        names = [n for n in SequenceFields.model_fields if n != "target"]
        return {"target": sequence.target_name, **{n: getattr(sequence, n) for n in names}}

    def unit_problems(self, spec: SequenceFields) -> list[Problem]:
        return _unit_check(_probe(end=spec.end))

    def save(self, request: Request, instance: Sequence | None = None, *,
             actor: Any) -> Sequence:
        assert self.spec is not None, "save() needs a valid form"
        with transaction.atomic():
            locked = lock_draft(request, actor)
            sequence = instance or Sequence(
                request=locked, position=next_position(locked.sequences.all()),
                status=SequenceStatus.DRAFT)
            for name, value in self.spec.model_dump().items():
                setattr(sequence, "target_name" if name == "target" else name, value)
            sequence.save()
            touch(locked)
        return sequence


def _detector_choices() -> list[tuple[str, str]]:
    return [(c.detector, f"{c.detector} ({c.name})") for c in settings.UNIT.channels]


class AlbumForm(SpecForm[AlbumFields]):
    """Step 3: what one detector of the unit does during the sequence."""

    spec_model = AlbumFields

    name = forms.CharField(label="Name")
    detector = forms.CharField(label="Detector", widget=forms.Select(),
                               help_text="one album per detector in a sequence")

    def __init__(self, *args: Any, sequence: Sequence, instance: Album | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sequence, self.instance = sequence, instance
        choices = _detector_choices()
        self.fields["detector"].widget.choices = choices  # type: ignore[attr-defined]
        if instance is None:  # offer the first detector the sequence does not use yet
            used = set(sequence.albums.values_list("detector", flat=True))
            free = [detector for detector, _ in choices if detector not in used]
            self.fields["detector"].initial = free[0] if free else None

    @staticmethod
    def initial_from(album: Album) -> dict[str, Any]:
        return {"name": album.name, "detector": album.detector}

    def unit_problems(self, spec: AlbumFields) -> list[Problem]:
        # When editing, the album's plans must still suit the (maybe new) detector.
        plans = [] if self.instance is None else [
            PlanSpec.model_construct(name=p.name, filter=p.filter)
            for p in self.instance.plans.all()]
        problems = [p if p.field == "detector" else Problem(p.where, "detector", p.message)
                    for p in _unit_check(_probe(detector=spec.detector, plans=plans))]
        others = self.sequence.albums.filter(detector=spec.detector)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            problems.append(Problem("album", "detector",
                                    f"the sequence already has an album on '{spec.detector}' "
                                    "(one album per detector)"))
        return problems

    def save(self, request: Request, *, actor: Any) -> Album:
        assert self.spec is not None, "save() needs a valid form"
        with transaction.atomic():
            locked = lock_draft(request, actor)
            album = self.instance or Album(
                sequence=self.sequence, position=next_position(self.sequence.albums.all()))
            album.name, album.detector = self.spec.name, self.spec.detector
            album.save()
            touch(locked)
        return album


class PlanForm(SpecForm[PlanSpec]):
    """Step 4: images to take through one filter of the album's detector."""

    spec_model = PlanSpec

    name = forms.CharField(label="Name")
    filter = forms.CharField(label="Filter", widget=forms.Select())
    exposure = forms.FloatField(label="Exposure (s)", help_text="of one image")
    nb_images = forms.IntegerField(label="Number of images")

    def __init__(self, *args: Any, album: Album, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.album = album
        filters = settings.UNIT.filters_by_detector().get(album.detector, [])
        self.fields["filter"].widget.choices = [(f, f) for f in filters]  # type: ignore[attr-defined]
        self.fields["filter"].help_text = escape(f"the filters of {album.detector}")

    @staticmethod
    def initial_from(plan: Plan) -> dict[str, Any]:
        return {n: getattr(plan, n) for n in PlanSpec.model_fields}

    def unit_problems(self, spec: PlanSpec) -> list[Problem]:
        return _unit_check(_probe(detector=self.album.detector, plans=[spec]))

    def save(self, request: Request, instance: Plan | None = None, *, actor: Any) -> Plan:
        assert self.spec is not None, "save() needs a valid form"
        with transaction.atomic():
            locked = lock_draft(request, actor)
            plan = instance or Plan(album=self.album,
                                    position=next_position(self.album.plans.all()))
            for name, value in self.spec.model_dump().items():
                setattr(plan, name, value)
            plan.save()
            touch(locked)
        return plan
