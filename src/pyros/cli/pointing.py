"""``pyros pointing``: a dedicated pointing run, a fit from science frames, the fits
stored and the one in force."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from pyros.cli.context import require_database_ready, setup_django


def _unit():
    from pyros.config.loader import ConfigError, active_config

    try:
        return active_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _ready():
    setup_django()
    require_database_ready()


@click.group()
def pointing() -> None:
    """The pointing model: TPOINT terms fitted to solved-minus-commanded offsets."""


@pointing.command("run")
@click.option("--fields", type=click.IntRange(3, 500), default=30, show_default=True,
              help="Fields on the grid (those beyond the hour-angle limit are dropped).")
@click.option("--channel", default="", help="Camera channel (default: the first).")
@click.option("--exposure", type=click.FloatRange(0.01, 600), default=10.0,
              show_default=True, help="Seconds per field.")
@click.option("--window", type=click.IntRange(64, 100_000), default=1024, show_default=True,
              help="Side of the central window read, pixels.")
@click.option("--adopt", is_flag=True, help="Put the fitted model in force.")
@click.option("--json", "as_json", is_flag=True)
def run(fields: int, channel: str, exposure: float, window: int, adopt: bool,
        as_json: bool) -> None:
    """Observe a grid of fields directly on the devices (the majordome must leave the
    mount alone: manual mode or stopped), solve each, fit and store the model."""
    from pyros import clock, paths
    from pyros.devices.errors import DeviceError
    from pyros.devices.factory import UnsupportedBackend, build_devices
    from pyros.pointing.run import RunSettings, pointing_run

    unit = _unit()
    if channel:
        try:
            unit.channel(channel)
        except KeyError as exc:
            raise click.BadParameter(str(exc), param_hint="--channel") from None
    _ready()
    folder = paths.data_dir() / "pointing" / "runs" / clock.now().strftime("%Y%m%dT%H%M%S")
    try:
        devices = build_devices(unit)
        outcome = pointing_run(unit, devices, RunSettings(fields, channel, exposure, window),
                               folder, progress=lambda line: click.echo(line, err=as_json))
    except (DeviceError, UnsupportedBackend, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    description = (f"run of {len(outcome.observations)} solved fields of "
                   f"{len(outcome.observations) + len(outcome.failures)} ({folder})")
    _fit_and_report(unit, outcome.observations, "RUN", description, adopt, as_json)


@pointing.command("fit")
@click.option("--nights", metavar="FIRST[..LAST]", help="Science frames of these nights "
              "(evening dates), solved by the analysis.")
@click.option("--observations", "given", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
              help="A JSON list of {ra, dec, solved_ra, solved_dec, lst} (degrees).")
@click.option("--adopt", is_flag=True, help="Put the fitted model in force.")
@click.option("--json", "as_json", is_flag=True)
def fit(nights: str | None, given: Path | None, adopt: bool, as_json: bool) -> None:
    """Fit the model to science frames' offsets, or to observations in a file. The
    frames' RA/DEC are the mount's own coordinates, so frames taken with a model in
    force serve as well."""
    from pyros.pointing.fit import Observation
    from pyros.pointing.store import observations_from_frames

    unit = _unit()
    if (nights is None) == (given is None):
        raise click.UsageError("give --nights or --observations")
    if given is not None:
        try:
            rows = json.loads(given.read_text())
            observations = [Observation(**{k: float(row[k]) for k in
                                           ("ra", "dec", "solved_ra", "solved_dec", "lst")})
                            for row in rows]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise click.ClickException(f"{given}: not a list of observations: {exc}") from exc
        _ready()
        _fit_and_report(unit, observations, "GIVEN", f"observations of {given}", adopt,
                        as_json)
        return
    first, _, last = nights.partition("..")
    try:
        first_night = date.fromisoformat(first)
        last_night = date.fromisoformat(last) if last else first_night
    except ValueError:
        raise click.BadParameter(f"{nights!r}: YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD",
                                 param_hint="--nights") from None
    _ready()
    observations = observations_from_frames(unit, first_night, last_night)
    _fit_and_report(unit, observations, "FRAMES", f"science frames of {nights}", adopt,
                    as_json)


def _fit_and_report(unit, observations, source: str, description: str, adopt: bool,
                    as_json: bool) -> None:
    from pyros.pointing.fit import FitError, fit
    from pyros.pointing.store import fitted_terms, save_fit

    try:
        result = fit(observations, fitted_terms(unit), unit.site.latitude)
    except FitError as exc:
        raise click.ClickException(f"no fit: {exc}") from exc
    record = save_fit(unit, result, observations, source, description, adopt=adopt)
    _show(record, as_json)
    if adopt and not unit.mount.pointing_model.enabled and not as_json:
        click.echo("note: [mount.pointing_model] enabled is false: the model is stored and "
                   "in force, but the slews use it only once that is true")


@pointing.command("show")
@click.argument("fit_id", required=False, type=int)
@click.option("--json", "as_json", is_flag=True)
def show(fit_id: int | None, as_json: bool) -> None:
    """A stored fit (default: the one in force, else the last): each term with its
    uncertainty, the RMS before and after."""
    from pyros.pointing.models import PointingFitRecord

    _ready()
    records = PointingFitRecord.objects.all()
    record = (records.filter(pk=fit_id).first() if fit_id is not None
              else records.filter(in_force=True).first() or records.first())
    if record is None:
        raise click.ClickException("no such pointing fit" if fit_id is not None
                                   else "no pointing fit stored yet: `pyros pointing run`")
    _show(record, as_json)


@pointing.command("adopt")
@click.argument("fit_id", required=False, type=int)
@click.option("--none", "nothing", is_flag=True, help="No model: slews uncorrected.")
def adopt(fit_id: int | None, nothing: bool) -> None:
    """Put a stored fit in force (or none)."""
    from pyros.pointing.models import PointingFitRecord
    from pyros.pointing.store import put_in_force

    if (fit_id is None) == (not nothing):
        raise click.UsageError("give FIT_ID or --none")
    _ready()
    record = None
    if fit_id is not None:
        record = PointingFitRecord.objects.filter(pk=fit_id).first()
        if record is None:
            raise click.ClickException(f"no pointing fit {fit_id}")
    put_in_force(record)
    click.echo("no pointing model in force" if record is None else f"in force: {record}")


def _show(record, as_json: bool) -> None:
    body = {"id": record.pk, "fitted_at": record.fitted_at.isoformat(),
            "source": record.source, "description": record.description,
            "mount_type": record.mount_type, "fields": record.fields,
            "in_force": record.in_force, "rms_before": record.rms_before,
            "rms_after": record.rms_after,
            "terms": {t: {"value": record.coefficients[t], "sigma": record.sigmas[t]}
                      for t in record.terms}}
    if as_json:
        click.echo(json.dumps(body, indent=2))
        return
    click.echo(f"fit {record.pk} of {record.fitted_at:%Y-%m-%d %H:%M} UTC"
               f"{' (in force)' if record.in_force else ''}: {record.description}")
    click.echo(f"  {record.fields} fields, RMS {record.rms_before:.1f}″ before, "
               f"{record.rms_after:.2f}″ after")
    for term in record.terms:
        click.echo(f"  {term:4s} {record.coefficients[term]:+9.2f}″ "
                   f"± {record.sigmas[term]:.2f}″")
