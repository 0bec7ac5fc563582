"""``pyros analyse``: the pipeline on FITS files of any origin, or on a night of ours."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from pyros.cli.context import require_database_ready, setup_django


def _settings():
    """The configuration's [analysis] section; its defaults when there is no usable
    configuration (files of another observatory need none)."""
    from pyros.config.analysis import AnalysisConfig
    from pyros.config.loader import ConfigError, active_config

    try:
        return active_config().analysis
    except ConfigError:
        return AnalysisConfig()


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array with one object per file.")
@click.option("--ra", type=float, help="Pointing right ascension, degrees (with --dec): "
              "overrides the header's.")
@click.option("--dec", type=float, help="Pointing declination, degrees.")
@click.option("--scale", type=float, help="Arcsec per image pixel: overrides the header's.")
@click.option("--blind", is_flag=True, help="Solve without the pointing (slower).")
@click.option("--index", "indexes", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="astrometry.net index file or directory (repeatable); default: "
                   "[analysis] index_dirs, else /usr/share/astrometry.")
@click.option("--catalogue", type=click.Path(exists=True, dir_okay=False),
              help="Reference stars (FITS table RA, DEC, MAG) for zero points; default: "
                   "[analysis] catalogue.")
@click.option("--out", "output", type=click.Path(file_okay=False, path_type=Path),
              help="Write each calibrated frame, with its source catalogue, there.")
@click.option("--night", type=click.DateTime(["%Y-%m-%d"]),
              help="Re-run the analysis of a night of this PyROS (its evening's date): "
                   "masters first, then every frame.")
def analyse(files: tuple[Path, ...], as_json: bool, ra: float | None, dec: float | None,
            scale: float | None, blind: bool, indexes: tuple[Path, ...], catalogue: str | None,
            output: Path | None, night) -> None:
    """Calibrate, measure, solve and photometre FITS images.

    Each FILE gets its sources (5 sigma, 5 pixels), FWHM, ellipticity, background, the
    solved WCS when index files cover it, and a zero point and limiting magnitude when a
    reference catalogue does. A file that cannot be analysed is reported and the others
    go on; the exit code is then 1."""
    if night is not None:
        if files:
            raise click.UsageError("give FILES or --night, not both")
        _analyse_night(night.date(), as_json)
        return
    if not files:
        raise click.UsageError("give FILES to analyse, or --night DATE")
    from pyros.analysis.files import FileOptions, analyse_file

    try:
        options = FileOptions(ra=ra, dec=dec, scale=scale, blind=blind, indexes=list(indexes),
                              catalogue=catalogue, output=output)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    settings = _settings()
    results = []
    for path in files:
        result = analyse_file(path, settings, options)
        results.append(result)
        if not as_json:
            _print_result(result)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    if any("error" in result for result in results):
        raise SystemExit(1)


def _print_result(result: dict[str, Any]) -> None:
    def show(key: str, unit: str = "", digits: int = 2) -> str:
        value = result.get(key)
        return "—" if value is None else f"{value:.{digits}f}{unit}"

    click.echo(result["file"])
    if "error" in result and "kind" not in result:
        click.echo(f"  error: {result['error']}")
        return
    solved = (f"solved, RMS {show('astrometric_rms_arcsec', '″')}, centre "
              f"{show('centre_ra', '°', 5)} {show('centre_dec', '°', 5)}, "
              f"{show('pixel_scale', '″/px', 4)}" if result["solved"] else "not solved")
    click.echo(f"  {result['kind']}, {solved}")
    if result.get("sources") is not None:
        click.echo(f"  {result['sources']} sources, FWHM {show('fwhm_arcsec', '″')} "
                   f"({show('fwhm_pixels', ' px')}), ellipticity {show('ellipticity')}, "
                   f"background {show('background')} ± {show('background_rms')} ADU")
    if result.get("zero_point") is not None:
        click.echo(f"  zero point {show('zero_point', '', 3)}, 5σ limit "
                   f"{show('limiting_magnitude')}, sky {show('sky_brightness', ' mag/″²')}")
    for flag in result.get("flags", []):
        click.echo(f"  note: {flag}")
    if "error" in result:
        click.echo(f"  error: {result['error']}")
    click.echo(f"  {result['seconds']:.2f} s")


def _analyse_night(night: date, as_json: bool) -> None:
    setup_django()
    require_database_ready()
    from pyros.analysis.night import reanalyse_night

    reanalyse_night(night, as_json=as_json)
