"""``pyros bench archive``'s report: each figure beside what issue 15 asks of it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _figure(value: Any, spec: str, unit: str = "") -> str:
    return "—" if value is None else f"{format(value, spec)}{unit}"


def print_archive_report(report: dict[str, Any]) -> None:
    console = Console()
    if console.width < 100:
        console = Console(width=100)
    files = report["files"]
    table = Table(title=f"pyros bench archive ({report['frames']} frames of 2048², "
                        f"{files['frame_mb']:.1f} MB each)")
    table.add_column("figure")
    table.add_column("measured", justify="right")
    table.add_column("aim", justify="right")
    table.add_row("ingest (checksum, headers, previews, row)",
                  f"{files['ingest_frames_per_second']:.2f} frames/s, "
                  f"{files['ingest_mb_per_second']:.0f} MB/s", "")
    table.add_row("verify vs sha256sum",
                  f"{_figure(files.get('verify_ratio_to_sha256sum'), '.2f', '×')} "
                  f"({files['verify_mb_per_second']:.0f} vs "
                  f"{_figure(files.get('sha256sum_mb_per_second'), '.0f')} MB/s)", "")
    table.add_row("zip download vs cp",
                  f"{_figure(files.get('zip_ratio_to_cp'), '.2f', '×')} "
                  f"({_figure(files.get('zip_mb_per_second'), '.0f')} vs "
                  f"{_figure(files.get('cp_mb_per_second'), '.0f')} MB/s)", "≥ 0.5×")
    for database in ("sqlite", "postgresql"):
        search = report.get(database)
        if search is None:
            continue
        table.add_row(f"cone search + filters, {search['rows']:,} rows, {database} (p50 / p99)",
                      f"{search['cone_p50_ms']:.1f} / {search['cone_p99_ms']:.1f} ms",
                      "p50 ≤ 50 ms")
    console.print(table)
