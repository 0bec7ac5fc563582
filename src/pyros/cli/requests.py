"""``pyros request``: import, export and list observation requests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pyros.cli.context import require_database_ready, setup_django


def _read_format(path: Path, data: bytes, declared: str) -> str:
    if declared != "auto":
        return declared
    if path.suffix.lower() == ".json":
        return "json"
    if path.suffix.lower() == ".xml":
        return "xml"
    return "json" if data.lstrip()[:1] in (b"{", b"[") else "xml"


@click.group()
def request() -> None:
    """Observation requests: import, export, list."""


@request.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "actor_name", default=lambda: os.environ.get("PYROS_USER", "admin"),
              show_default="$PYROS_USER or admin",
              help="Act as this user: their rights on the program apply.")
@click.option("--owner", default=None, show_default="the acting user",
              help="User the request belongs to (someone else: PI or SysAdmin only).")
@click.option("--format", "file_format", type=click.Choice(["auto", "xml", "json"]),
              default="auto", show_default=True)
def import_request(file: Path, actor_name: str, owner: str | None, file_format: str) -> None:
    """Validate FILE (XML or JSON) and store it; print the new request's id.

    Nothing is stored unless the whole request is valid and the acting user may write
    into its program; every problem is printed with the element, the field and, for
    XML, the line."""
    setup_django()
    require_database_ready()
    from pyros import clock
    from pyros.accounts.models import User
    from pyros.config.loader import active_config
    from pyros.observations import json_format, store, xml_format
    from pyros.observations.access import RequestForbidden
    from pyros.observations.problems import RequestInvalid

    actor = User.objects.filter(username=actor_name, is_active=True).first()
    if actor is None:
        raise click.ClickException(f"no active user '{actor_name}' (give one with --as)")
    user = actor if owner is None else User.objects.filter(username=owner,
                                                           is_active=True).first()
    if user is None:
        raise click.ClickException(f"no active user '{owner}' (give one with --owner)")
    data = file.read_bytes()
    filters = active_config().filters_by_detector()
    try:
        if _read_format(file, data, file_format) == "xml":
            spec, lines = xml_format.parse_xml_request(data, clock.now(), filters)
            created = store.create_request(spec, user, actor=actor,
                                           field_names=xml_format.FIELD_NAMES, lines=lines)
        else:
            created = store.create_request(json_format.parse_json_request(data, filters),
                                           user, actor=actor)
    except (RequestInvalid, RequestForbidden) as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    click.echo(created.pk)


@request.command("export")
@click.argument("request_id", type=int)
@click.option("--format", "file_format", type=click.Choice(["xml", "json"]), default="xml",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def export_request(request_id: int, file_format: str, output: Path | None) -> None:
    """Write request REQUEST_ID in a file that imports back to an identical request."""
    setup_django()
    require_database_ready()
    from pyros.observations import json_format, store, xml_format
    from pyros.observations.models import Request

    stored = Request.objects.filter(pk=request_id).select_related("program").first()
    if stored is None:
        raise click.ClickException(f"there is no request #{request_id}")
    spec = store.spec_of(stored)
    data = (xml_format.write_xml_request(spec) if file_format == "xml"
            else json_format.write_json_request(spec))
    if output:
        output.write_bytes(data)
    else:
        click.echo(data.decode(), nl=False)


@request.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--status", help="Only requests in this status (DRAFT, SUBMITTED, ...).")
@click.option("--program", help="Only requests of this scientific program.")
def list_requests(as_json: bool, status: str | None, program: str | None) -> None:
    """List the requests, newest first."""
    setup_django()
    require_database_ready()
    from django.db.models import Count

    from pyros.observations.models import Request

    requests = Request.objects.select_related("program", "owner").annotate(
        sequence_count=Count("sequences")).order_by("-created_at", "-id")
    if status:
        requests = requests.filter(status=status.upper())
    if program:
        requests = requests.filter(program__name=program)
    rows = [{"id": r.pk, "name": r.name, "program": r.program.name, "owner": r.owner.username,
             "status": r.status, "sequences": r.sequence_count,
             "created_at": r.created_at.isoformat().replace("+00:00", "Z")} for r in requests]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} request{'s' if len(rows) != 1 else ''}")
    for column in ("id", "name", "program", "owner", "status", "sequences", "created_at"):
        table.add_column(column, justify="right" if column in ("id", "sequences") else "left")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console().print(table)
