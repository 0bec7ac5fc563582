"""The analysis benchmark's report, as a person reads it: each figure beside what the
issue asks of it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _show(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_report(report: dict[str, Any]) -> None:
    console = Console()
    if console.width < 100:  # a pipe or a file: rich would assume 80 columns
        console = Console(width=100)
    table = Table(title="pyros bench analysis (2048² frames)")
    table.add_column("figure")
    table.add_column("measured", justify="right")
    table.add_column("aim", justify="right")
    n = report["calibration_frames"]
    rows = [
        (f"master bias from {n} frames", _show(report["master_bias_seconds"], ".2f") + " s",
         "≤ 10 s"),
        (f"master dark from {n} frames", _show(report["master_dark_seconds"], ".2f") + " s",
         "≤ 10 s"),
        (f"master flat from {n} frames", _show(report["master_flat_seconds"], ".2f") + " s",
         "≤ 10 s"),
        ("frame, all stages (p50 / max)",
         f"{_show(report['frame_seconds_p50'], '.2f')} / "
         f"{_show(report['frame_seconds_max'], '.2f')} s", "≤ 5 s"),
        ("index build per sky cell (p50, once)",
         _show(report["index_build_seconds_p50"], ".2f") + " s", ""),
        ("frames solved", f"{report['solved']} / {report['frames']}", "all"),
        ("solved centre vs truth (max)",
         _show(report["centre_error_arcsec_max"], ".3f") + "″", "≤ 1″"),
        ("solver RMS (max)", _show(report["solver_rms_arcsec_max"], ".3f") + "″", "≤ 0.3″"),
        ("positions vs true stars, RMS (max)",
         _show(report["rms_against_truth_arcsec_max"], ".3f") + "″", "≤ 0.3″"),
        ("FWHM vs seeing (max error)", _show(report["fwhm_error_max"], ".1%"), "≤ 5 %"),
        ("zero point vs truth (max error)",
         _show(report["zero_point_error_max"], ".3f") + " mag", "≤ 0.03 mag"),
        ("5σ limit vs truth (max error)",
         _show(report["limit_error_max"], ".3f") + " mag", "≤ 0.3 mag"),
        ("completeness at SNR ≥ 10", _show(report["completeness_snr10"], ".1%"), "≥ 95 %"),
        (f"afterglows found, SNR ≥ 10 ({report['afterglows_snr10']})",
         _show(report["afterglows_found_snr10"], ".0%"), "≥ 95 %"),
        ("false candidates per alert frame",
         _show(report["false_candidates_per_frame"], ".2f"), "≤ 1"),
        ("file written → candidates (p50)",
         _show(report["file_to_candidates_seconds_p50"], ".2f") + " s", "≤ 10 s"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    stages = Table(title="time per stage (p50 over the night's frames)")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for name, seconds in report["stage_seconds_p50"].items():
        stages.add_row(name, f"{seconds:.3f}")
    console.print(stages)
