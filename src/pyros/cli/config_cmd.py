"""``pyros config``: check and show unit configuration files."""

from __future__ import annotations

from pathlib import Path

import click

from pyros.config.loader import ConfigError, load_config


@click.group()
def config() -> None:
    """Unit configuration files."""


@config.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--probe", is_flag=True,
              help="Also connect to the configured indiservers: is each INDI device there, "
                   "what does it lack, does it match the configuration?")
@click.option("--timeout", type=click.FloatRange(0.5, 120), default=10.0, show_default=True,
              help="Seconds each device gets to answer the probe.")
def check(file: Path, probe: bool, timeout: float) -> None:
    """Validate FILE; print what it describes, or every problem with its key."""
    try:
        unit = load_config(file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    site = unit.site
    click.echo(f"{file}: valid. Unit {unit.unit} at {site.name} "
               f"({site.latitude:+.4f}, {site.longitude:+.4f}, {site.elevation:g} m)")
    for channel in unit.channels:
        click.echo(f"  channel {channel.name}: {channel.detector}, filters "
                   f"{', '.join(channel.filters)}")
    click.echo(f"  devices: {', '.join(f'{n} ({d.backend})' for n, d in unit.devices.items())}")
    if probe:
        _probe(unit, timeout)


def _probe(unit, timeout: float) -> None:
    from pyros.devices.factory import UnsupportedBackend
    from pyros.devices.probe import probe

    try:
        results = probe(unit, timeout)
    except UnsupportedBackend as exc:
        raise click.ClickException(str(exc)) from exc
    if not results:
        click.echo("probe: no INDI device in this configuration")
        return
    for result in results:
        click.echo(f"  {result.describe()}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        raise click.ClickException(f"probe: {len(failed)} of {len(results)} INDI devices not "
                                   f"ready: {', '.join(failed)}")
    click.echo(f"probe: all {len(results)} INDI devices ready")


@config.command("path")
def path() -> None:
    """Print the configuration file this machine uses."""
    from pyros import paths

    click.echo(paths.config_path())


@config.command("history")
@click.option("--limit", default=20, show_default=True, help="how many versions, newest first")
def history(limit: int) -> None:
    """The versions saved through the Configuration page."""
    from pyros.cli.context import setup_django

    setup_django()
    from pyros.configpage.models import ConfigVersion

    versions = ConfigVersion.objects.select_related("author")[:limit]
    if not versions:
        click.echo("no version saved yet")
    for version in versions:
        who = version.author.username if version.author else "(found on disk)"
        click.echo(f"v{version.number}  {version.saved_at:%Y-%m-%d %H:%M:%S}Z  {who}  "
                   f"{version.comment}")


@config.command("show")
@click.argument("version", type=int)
def show(version: int) -> None:
    """Print VERSION's text, secrets masked."""
    from pyros.cli.context import setup_django

    setup_django()
    from pyros.config.editing import mask_secrets
    from pyros.configpage.models import ConfigVersion

    found = ConfigVersion.objects.filter(number=version).first()
    if found is None:
        raise click.ClickException(f"no configuration version {version}")
    click.echo(mask_secrets(found.text), nl=False)
