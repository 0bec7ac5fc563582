"""``pyros bench``: figures of PyROS's speed on this machine and database."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def bench() -> None:
    """Benchmarks (figures, never pass/fail)."""


@bench.command("commands")
@click.option("--json", "as_json", is_flag=True)
@click.option("--round-trips", type=click.IntRange(10, 100_000), default=500, show_default=True)
@click.option("--throughput", type=click.IntRange(10, 1_000_000), default=2000,
              show_default=True, help="Commands sent back to back.")
def commands(as_json: bool, round_trips: int, throughput: int) -> None:
    """Command round-trip latency (p50, p99) and throughput on the configured database."""
    setup_django()
    require_database_ready()
    from pyros.agents.bench import run_command_bench

    report = run_command_bench(round_trips, throughput,
                               progress=lambda m: None if as_json else click.echo(m))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    for key, value in report.as_dict().items():
        click.echo(f"{key:<20} {value}")


@bench.command("alerts")
@click.option("--json", "as_json", is_flag=True)
@click.option("--packets", type=click.IntRange(1, 10_000), default=30, show_default=True)
@click.option("--slew/--no-slew", default=True, show_default=True,
              help="Also measure (d), the slew command, with a majordome on simulated "
                   "devices in this process (it takes the safety state and operating mode "
                   "for the time of the run: not on a database PyROS observes with).")
@click.option("--busy", is_flag=True,
              help="A long sequence of the lowest priority executes when each alert comes: "
                   "(d) includes stopping it.")
def alerts(as_json: bool, packets: int, slew: bool, busy: bool) -> None:
    """Latency from a packet handed to the local broker to (a) the alert record, (b) the
    request submitted, (c) the plan updated, (d) the mount's slew command: p50 and p99,
    on the configured database."""
    setup_django()
    require_database_ready()
    from pyros.alerts.bench import run_alert_bench

    if busy and not slew:
        raise click.UsageError("--busy needs the slew stage (drop --no-slew)")
    report = run_alert_bench(packets, progress=lambda m: None if as_json else
                             click.echo(m, err=True), slew=slew, busy=busy)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    click.echo(f"{report.database}{' (notifications)' if report.notifications else ''}: "
               f"{report.packets} packets, {report.planned} planned")
    for stage, label in (("record", "(a) alert record"), ("request", "(b) request submitted"),
                         ("plan", "(c) plan updated"), ("slew", "(d) slew commanded")):
        if stage in report.p50_ms:
            click.echo(f"{label:<24} p50 {report.p50_ms[stage]:8.1f} ms   "
                       f"p99 {report.p99_ms[stage]:8.1f} ms")
    if slew:
        click.echo(f"{report.slewed} of {report.packets} alerts slewed to")
    if busy:
        click.echo(f"{report.preempted} of {report.packets} found a sequence exposing and "
                   "stopped it")


@bench.command("analysis")
@click.option("--json", "as_json", is_flag=True)
@click.option("--frames", type=click.IntRange(1, 200), default=6, show_default=True,
              help="Light frames of the simulated night.")
@click.option("--alerts", type=click.IntRange(0, 200), default=10, show_default=True,
              help="Alert frames, each with an afterglow of SNR 5 to 60.")
@click.option("--calibration-frames", type=click.IntRange(2, 50), default=10,
              show_default=True, help="Frames per master.")
def analysis(as_json: bool, frames: int, alerts: int, calibration_frames: int) -> None:
    """The pipeline on simulated 2048² frames: time per stage and per frame, masters,
    and its figures against the simulator's truth (astrometry, FWHM, zero point,
    limiting magnitude, completeness, afterglows found). No database needed."""
    from pyros.analysis.bench import run_analysis_bench
    from pyros.analysis.bench_report import print_report

    report = run_analysis_bench(frames, alerts, calibration_frames,
                                progress=lambda m: None if as_json else click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report))
        return
    print_report(report)


@bench.command("archive")
@click.option("--json", "as_json", is_flag=True)
@click.option("--rows", type=click.IntRange(1000, 20_000_000), default=1_000_000,
              show_default=True, help="Synthetic catalogue rows the cone searches run on.")
@click.option("--frames", type=click.IntRange(2, 500), default=20, show_default=True,
              help="2048² frames ingested, verified and zipped.")
@click.option("--postgres", "postgres_url", metavar="URL", default=None,
              help="Also search on this PostgreSQL server (a database is created for the "
                   "run and dropped), e.g. postgresql://postgres@127.0.0.1:5432/")
def archive(as_json: bool, rows: int, frames: int, postgres_url: str | None) -> None:
    """Archive ingest rate (checksum and previews included), cone search over a million
    rows (p50, p99), verify against sha256sum and zip downloads against cp; in
    sandboxes, never on PyROS's own data or database."""
    from pyros.archive.bench import run_archive_bench
    from pyros.archive.bench_report import print_archive_report

    try:
        report = run_archive_bench(rows, frames, postgres_url,
                                   progress=lambda m: None if as_json else
                                   click.echo(m, err=True))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report))
        return
    print_archive_report(report)


def _sizes(_ctx: click.Context, _param: click.Parameter, value: str) -> list[int]:
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter("a comma-separated list of whole numbers") from None
    if not sizes or any(n < 1 or n > 20_000 for n in sizes):
        raise click.BadParameter("each size must be between 1 and 20000")
    return sizes


@bench.command("scheduler")
@click.option("--json", "as_json", is_flag=True)
@click.option("--sizes", default="50,200,1000,5000", show_default=True, callback=_sizes,
              help="Numbers of sequences per night, comma-separated.")
@click.option("--seeds", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Synthetic nights per size.")
@click.option("--time-limit", type=click.FloatRange(0.1, 600), default=None,
              help="Seconds for the optimal engine [default: the aims, 0.5 s for N=50, "
                   "1 s for 200, 3 s for 1000 and more].")
@click.option("--no-astroplan", is_flag=True, help="Leave out the astroplan reference.")
@click.option("--astroplan-max-size", type=click.IntRange(1, 20_000), default=200,
              show_default=True, help="Largest night given to astroplan.")
@click.option("--insertions", type=click.IntRange(0, 10_000), default=20, show_default=True,
              help="Alerts inserted into a planned 1000-sequence night (0: none).")
def scheduler(as_json: bool, sizes: list[int], seeds: int, time_limit: float | None,
              no_astroplan: bool, astroplan_max_size: int, insertions: int) -> None:
    """Night planner quality (share of the proven bound) and speed on synthetic nights,
    alert insertion latency, and astroplan's PriorityScheduler on the same nights."""
    from pyros.scheduling.bench import run_scheduler_bench

    report = run_scheduler_bench(
        sizes, seeds, time_limit, astroplan=not no_astroplan,
        astroplan_max_size=astroplan_max_size, insertion_trials=insertions,
        progress=lambda m: None if as_json else click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    _print_scheduler_report(report)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _print_scheduler_report(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if console.width < 110:  # a pipe or a file: rich would assume 80 columns
        console = Console(width=110)
    limits = ", ".join(f"{limit:g} s for N={size}" for size, limit in report.time_limits.items())
    table = Table(title=f"Night planner, synthetic nights at San Pedro Mártir "
                        f"(optimal engine's limit: {limits})")
    # "of bound": of the engine's own proven bound; "of best": of the lowest bound any
    # engine proved for the night (also valid for every plan of it).
    for column in ("N", "seed", "engine", "time s", "objective", "bound", "of bound",
                   "of best", "planned", "violations"):
        table.add_column(column, justify="left" if column == "engine" else "right")
    rows = [(r.size, r.seed, r.engine, r) for r in report.runs]
    rows += [(r.size, r.seed, "astroplan", r) for r in report.astroplan]
    order = {"fast": 0, "optimal": 1, "astroplan": 2}
    for size, seed, engine, r in sorted(rows, key=lambda x: (x[0], x[1], order[x[2]])):
        violations = str(r.violations) if not r.violations or engine == "astroplan" \
            else f"[red]{r.violations}[/red]"
        # astroplan proves no bound of its own: its row has the night's best one.
        own, best = (None, r.share_of_bound) if engine == "astroplan" \
            else (r.share_of_bound, r.share_of_best_bound)
        table.add_row(str(size), str(seed), engine, f"{r.elapsed_s:.3f}",
                      f"{r.objective:,.0f}", _fmt(r.bound, ",.0f"), _fmt(own, ".2%"),
                      _fmt(best, ".2%"), str(r.planned), violations)
    console.print(table)
    summary = report.summary

    def say(line: str) -> None:
        console.print(line, soft_wrap=True)

    for engine, figures in summary["engines"].items():
        say(f"{engine}: share of its own bound mean "
            f"{_fmt(figures['mean_share_of_bound'], '.2%')}, worst "
            f"{_fmt(figures['worst_share_of_bound'], '.2%')} ({figures['worst_at']}); "
            f"of the best bound mean {_fmt(figures['mean_share_of_best_bound'], '.2%')}, "
            f"worst {_fmt(figures['worst_share_of_best_bound'], '.2%')} "
            f"({figures['worst_of_best_at']}); proven optimal "
            f"{figures['proven_optimal']}/{figures['runs']}; violations "
            f"{summary['violations'][engine]}")
    first = ", ".join(f"N={n}: {v['mean'] * 1000:.0f} ms (max {v['max'] * 1000:.0f})"
                      for n, v in summary["first_valid_plan_s"].items())
    say(f"first valid plan (fast engine, visibility included): {first}; plus "
        f"{report.night_sky_s * 1000:.0f} ms once per night for the sky (then cached)")
    say(f"astroplan: {report.astroplan_note}")
    if "astroplan" in summary:
        ref = summary["astroplan"]
        say(f"astroplan: objective {_fmt(ref['mean_share_of_optimal'], '.2%')} of the "
            f"optimal engine's on average (worst {_fmt(ref['worst_share_of_optimal'], '.2%')}"
            f", best {_fmt(ref['best_share_of_optimal'], '.2%')}), "
            f"{_fmt(ref['mean_share_of_bound'], '.2%')} of the best bound; violations "
            f"{ref['violations']} (its plans checked by the same rules)")
        if ref["better_than_optimal_engine_at"]:
            say("[yellow]astroplan beats the optimal engine at "
                f"{', '.join(ref['better_than_optimal_engine_at'])}[/yellow]")
        if ref["better_than_fast_engine_at"]:
            say("astroplan beats the fast engine at "
                f"{', '.join(ref['better_than_fast_engine_at'])}")
    ins = report.insertion
    if ins is None:
        say(f"alert insertion: {report.insertion_note}")
    else:
        say(f"alert insertion into the N={ins.size} optimal plan ({ins.trials} alerts, "
            f"IMMEDIATE, priority 10, 20 min, a sequence executing): p50 {ins.p50_ms:.1f} ms, "
            f"p99 {ins.p99_ms:.1f} ms; alert planned {ins.alerts_planned}/{ins.trials}, "
            f"executing sequence untouched {ins.executing_untouched}/{ins.trials}, "
            f"violations {ins.violations}")


@bench.command("pointing")
@click.option("--json", "as_json", is_flag=True)
@click.option("--fields", type=click.IntRange(10, 200), default=30, show_default=True,
              help="Fields of the pointing run.")
@click.option("--checks", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Fields observed afterwards with the model in force.")
@click.option("--noise", type=click.FloatRange(0.0, 60.0), default=2.0, show_default=True,
              help="Random pointing error per slew, arcsec rms per axis.")
def pointing_bench(as_json: bool, fields: int, checks: int, noise: float) -> None:
    """The pointing model on the simulator against a known error: each term fitted vs
    true (within 3 sigma and 5″?), the RMS before, and after with the model in force."""
    from pyros.pointing.bench import run_pointing_bench

    report = run_pointing_bench(fields, checks, noise,
                                progress=lambda m: None if as_json else click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report))
        return
    for term in report["terms"]:
        click.echo(f"{term['term']:4s} true {term['true']:+8.2f}″  fitted {term['fitted']:+8.2f}"
                   f" ± {term['sigma']:.2f}″  {'ok' if term['recovered'] else 'MISSED'}")
    for key in ("fields_solved", "fields_lost", "rms_before_arcsec", "rms_fit_residual_arcsec",
                "check_fields", "rms_after_arcsec", "improvement", "run_seconds"):
        click.echo(f"{key:<24} {report[key]}")


@bench.command("focus")
@click.option("--json", "as_json", is_flag=True)
@click.option("--trials", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Autofocus runs, each at another tube temperature.")
def focus_bench(as_json: bool, trials: int) -> None:
    """Autofocus on the simulator: distance from the true best focus, frames taken."""
    from pyros.focus.bench import run_focus_bench

    report = run_focus_bench(trials,
                             progress=lambda m: None if as_json else click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report))
        return
    for key in ("depth_of_focus", "max_error_steps", "max_exposures",
                "all_within_depth_of_focus"):
        click.echo(f"{key:<26} {report[key]}")


@bench.command("users")
@click.option("--json", "as_json", is_flag=True)
@click.option("--users", "count", type=click.IntRange(100, 200_000), default=10_000,
              show_default=True)
@click.option("--repeats", type=click.IntRange(3, 1000), default=20, show_default=True)
def users(as_json: bool, count: int, repeats: int) -> None:
    """Users page and API with COUNT users: p50 and p99 per filter, on the configured
    database (the bench's accounts are deleted afterwards)."""
    setup_django()
    require_database_ready()
    from pyros.accounts.bench import run_users_bench

    report = run_users_bench(count, repeats,
                             progress=lambda m: None if as_json else click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    click.echo(f"{report.database}: {report.users} users, {report.repeats} requests each")
    for t in report.timings:
        click.echo(f"{t.name:<24} p50 {t.p50_ms:7.1f} ms   p99 {t.p99_ms:7.1f} ms   "
                   f"HTTP {t.status}")


@bench.command("load")
@click.option("--json", "as_json", is_flag=True)
@click.option("--visitors", type=click.IntRange(1, 200), default=8, show_default=True,
              help="Anonymous clients reading public pages in a loop.")
@click.option("--seconds", type=click.FloatRange(1, 3600), default=20.0, show_default=True,
              help="Length of each phase (idle, loaded).")
@click.option("--simulation-users", type=click.IntRange(0, 50), default=4, show_default=True)
@click.option("--time-limit", type=click.FloatRange(0.05, 30), default=10.0,
              show_default=True, help="Each simulation's, seconds (optimal engine).")
@click.option("--sequences", type=click.IntRange(1, 20_000), default=300, show_default=True)
@click.option("--token-hammers", type=click.IntRange(0, 50), default=4, show_default=True,
              help="Anonymous clients posting wrong passwords to /api/token/.")
@click.option("--zip-downloaders", type=click.IntRange(0, 50), default=2, show_default=True)
@click.option("--frame-megabytes", type=click.IntRange(1, 4096), default=32,
              show_default=True, help="Size of each of the zips' frames (sparse files).")
@click.option("--zip-rate", type=click.FloatRange(0.01, 10_000), default=4.0,
              show_default=True, help="A downloader's reading pace, MB/s.")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: a free loopback port.")
def load(as_json: bool, visitors: int, seconds: float, simulation_users: int,
         time_limit: float, sequences: int, token_hammers: int, zip_downloaders: int,
         frame_megabytes: int, zip_rate: float, port: int | None) -> None:
    """Public pages' p50/p99 idle, then under heavy requests (simulations, the token
    endpoint hammered, slow zip downloads), on a web server of the bench's own on
    loopback, sized by [web]; on the configured database (what it makes is deleted)."""
    setup_django()
    require_database_ready()
    from pyros.web.bench_load import LoadOptions, run_load_bench

    options = LoadOptions(visitors=visitors, seconds=seconds,
                          simulation_users=simulation_users, time_limit=time_limit,
                          sequences=sequences, token_hammers=token_hammers,
                          zip_downloaders=zip_downloaders, frame_megabytes=frame_megabytes,
                          zip_rate_megabytes=zip_rate, port=port)
    try:
        report = run_load_bench(options, progress=lambda m: None if as_json
                                else click.echo(m, err=True))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(f"{report['database']}, gunicorn {report['server']}, "
               f"{report['concurrent_clients']} concurrent clients, {report['cores']} cores, "
               f"load average {report['load_average_before']} → "
               f"{report['load_average_after']}")
    for name in ("idle", "loaded", "simulations", "token", "zips"):
        part = report[name]
        times = (f"p50 {part['p50_ms']:8.1f} ms  p99 {part['p99_ms']:8.1f} ms"
                 if "p50_ms" in part else "no request")
        click.echo(f"{name:<12} {part['requests']:6d} requests  {times}  "
                   f"HTTP {part['statuses']}")
    click.echo(f"simulations' jobs: {report['simulations']['jobs']}")
    click.echo(f"server errors (5xx): {report['server_errors']}; "
               f"no answer: {report['no_answer']}")


@bench.command("faults")
@click.option("--json", "as_json", is_flag=True)
@click.option("--speed", type=click.FloatRange(2.0, 100.0), default=20.0, show_default=True,
              help="The simulated clock's speed.")
@click.option("--hung-after", type=click.FloatRange(1.0, 120.0), default=30.0,
              show_default=True, help="PYROS_AGENT_HUNG_AFTER for the run (wall seconds).")
@click.option("--agents", default="monitoring,devices,scheduler,alerts,majordome",
              show_default=True, help="The agents started, each killed in turn (add "
                                      "'analysis' on a machine with CPU to spare).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the run's data, logs and table go (default: a new temporary "
                   "directory, kept).")
def faults(as_json: bool, speed: float, hung_after: float, agents: str,
           workdir: Path | None) -> None:
    """A night that survives its faults: a whole PyROS on a private PostgreSQL cluster,
    observing while each agent is killed, the majordome hung, the PLC link cut, a camera
    silenced mid-exposure, the database server restarted and the web server killed; the
    table of restart times, lost and duplicated work, safety actions (docs/faults.md).

    Needs PostgreSQL's server binaries (initdb, pg_ctl); run as root, the cluster belongs
    to the 'postgres' user. Takes some five minutes."""
    import tempfile

    from pyros.agents.registry import AGENTS
    from pyros.faults.cluster import ClusterError
    from pyros.faults.night import run_fault_night
    from pyros.faults.report import as_json as rows_json
    from pyros.faults.report import markdown

    names = tuple(name for name in agents.split(",") if name)
    unknown = [name for name in names if name not in AGENTS]
    if unknown:
        raise click.BadParameter(f"unknown agent {', '.join(unknown)} (agents: "
                                 f"{', '.join(AGENTS)})", param_hint="--agents")
    missing = [name for name in ("monitoring", "devices", "majordome") if name not in names]
    if missing:
        raise click.BadParameter(f"the night needs {', '.join(missing)} too",
                                 param_hint="--agents")
    folder = workdir or Path(tempfile.mkdtemp(prefix="pyros-faults-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        rows = run_fault_night(folder, speed=speed, hung_after=hung_after, agents=names,
                               progress=lambda m: None if as_json else click.echo(m, err=True))
    except ClusterError as exc:
        raise click.ClickException(f"no private PostgreSQL cluster: {exc}") from exc
    (folder / "faults.json").write_text(json.dumps(rows_json(rows), indent=1))
    (folder / "faults.md").write_text(markdown(rows) + "\n")
    click.echo(json.dumps(rows_json(rows)) if as_json else markdown(rows))
    if not as_json:
        click.echo(f"\n(written to {folder})")


@bench.command("logins")
@click.option("--json", "as_json", is_flag=True)
@click.option("--repeats", type=click.IntRange(3, 200), default=20, show_default=True)
def logins(as_json: bool, repeats: int) -> None:
    """What the token endpoint costs: a login (password hashed) against one refused by
    the login rate or the lockout (no hash); and the rate check of every API call."""
    setup_django()
    require_database_ready()
    from pyros.accounts.login_bench import run_login_bench

    report = run_login_bench(repeats, progress=lambda m: None if as_json else
                             click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    click.echo(f"{report.database}, hasher {report.hasher}, {report.repeats} requests each")
    for t in report.timings:
        click.echo(f"{t.name:<32} p50 {t.p50_ms:8.2f} ms   p99 {t.p99_ms:8.2f} ms   "
                   f"CPU p50 {t.cpu_p50_ms:8.2f} ms   HTTP {t.status}")
    click.echo(f"{'rate check of an API call':<32} p50 {report.api_rate_check_p50_ms:8.3f} ms"
               f"   CPU p50 {report.api_rate_check_cpu_p50_ms:8.3f} ms")


@bench.command("alpaca")
@click.option("--json", "as_json", is_flag=True)
@click.option("--repeats", type=click.IntRange(10, 100_000), default=200, show_default=True)
@click.option("--sensor", type=click.IntRange(16, 8192), default=1024, show_default=True,
              help="Side of the simulated camera's square sensor, pixels.")
@click.option("--address", help="An Alpaca server to measure instead of our simulator "
                                "(device 0 of each type is used: it will move).")
def alpaca(as_json: bool, repeats: int, sensor: int, address: str | None) -> None:
    """Per-operation time of the alpaca backend against the same requests sent directly
    (httpx) and through alpyca, in the same run (docs/alpaca.md)."""
    from pyros.simulators.alpaca.bench import run_alpaca_bench

    report = run_alpaca_bench(repeats, (sensor, sensor), address,
                              progress=lambda m: None if as_json else click.echo(m, err=True))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    click.echo(f"server {report.server}, sensor {sensor}x{sensor}")
    for operation, ratios in report.ratios().items():
        shown = "   ".join(f"{k} {v:5.2f}" for k, v in ratios.items())
        click.echo(f"{operation:<32} {shown}")
