"""``pyros focus``: an autofocus on the unit's devices, and the runs kept."""

from __future__ import annotations

import json

import click

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def focus() -> None:
    """Autofocus: a V-curve of FWHM against focuser position."""


@focus.command("run")
@click.option("--around", type=click.IntRange(0, 10_000_000),
              help="Centre of the sweep, steps (default: where the focuser is).")
@click.option("--json", "as_json", is_flag=True)
def run(around: int | None, as_json: bool) -> None:
    """Sweep, fit and move to best focus, with the telescope where it points now (at
    stars, the dome open, the majordome leaving the devices alone); store the run."""
    from pyros import clock, paths
    from pyros.config.loader import ConfigError, active_config
    from pyros.devices.errors import DeviceError
    from pyros.devices.factory import UnsupportedBackend, build_devices
    from pyros.focus.store import save_run
    from pyros.focus.sweep import FocusError, autofocus

    try:
        unit = active_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    setup_django()
    require_database_ready()
    folder = paths.data_dir() / "focus" / clock.now().strftime("%Y%m%dT%H%M%S")
    try:
        outcome = autofocus(unit, build_devices(unit), folder, around=around,
                            progress=lambda line: click.echo(line, err=as_json))
    except (FocusError, DeviceError, UnsupportedBackend) as exc:
        raise click.ClickException(str(exc)) from exc
    record = save_run(outcome, "by hand")
    if as_json:
        click.echo(json.dumps(_row(record), indent=2))
    if not outcome.succeeded:
        raise SystemExit(1)


@focus.command("show")
@click.option("--last", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def show(last: int, as_json: bool) -> None:
    """The last autofocus runs: position, FWHM, temperature."""
    from pyros.focus.models import FocusRun

    setup_django()
    require_database_ready()
    rows = [_row(r) for r in FocusRun.objects.all()[:last]]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no autofocus yet: `pyros focus run`")
    for r in rows:
        where = (f"{r['position']} ± {r['position_error']:.0f}" if r["succeeded"]
                 else "failed")
        temperature = "—" if r["temperature"] is None else f"{r['temperature']:.1f} C"
        click.echo(f"{r['started_at'][:16]}  {r['reason']:<30.30} {where:>14}  "
                   f"FWHM {r['best_fwhm'] or float('nan'):.2f}″  {temperature}  "
                   f"{r['exposures']} frames")


def _row(record) -> dict:
    return {"id": record.pk, "started_at": record.started_at.isoformat(),
            "reason": record.reason, "succeeded": record.succeeded,
            "position": record.position, "position_error": record.position_error,
            "best_fwhm": record.best_fwhm, "temperature": record.temperature,
            "exposures": record.exposures, "points": record.points,
            "message": record.message}
