"""`cgt-claimcheck check`: read the inputs, run the rules, write the report, exit by what was found."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from cgt_claimcheck.check_settings import SETTINGS
from cgt_claimcheck.cli import options as O
from cgt_claimcheck.cli.app import ReferenceDirOption, app, fail, load_tables, stderr_console, stopped
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.exitcodes import ExitStatus
from cgt_claimcheck.printable import excerpt


# --- check -------------------------------------------------------------------------------------
def _quiet_stderr(quiet: bool) -> bool:
    import os

    return quiet or bool(os.environ.get("CI")) or not sys.stderr.isatty()


@app.command()
@O.with_settings  # one keyword per setting of check_settings.SETTINGS (--payer, --format, ...), in `given`
def check(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Claim-line extracts (CSV with , | or tab, .gz, Parquet) or X12 837 files; - for stdin.",
            show_default=False,
        ),
    ] = None,
    output: O.Output = None,
    config: O.Config = None,
    quiet: O.Quiet = False,
    statistics: O.Statistics = False,
    show_settings: O.ShowSettings = False,
    baseline: O.Baseline = None,
    write_baseline: O.WriteBaseline = None,
    batch_rows: O.BatchRows = 250_000,
    reference_dir: ReferenceDirOption = None,
    **given: Any,
) -> None:
    """Check claim-line extracts against the CGT rules and report what to fix before submission."""
    started = time.perf_counter()  # the time a report states counts the settings and the tables too
    started_at = time.time()
    from cgt_claimcheck.config import CheckFlags, find_config, load_settings, reference_dir_of, resolve_check

    try:
        settings, config_path = load_settings(config if config is not None else find_config(Path.cwd()))
    except UsageError as exc:
        fail(exc)
    if config is not None and not config.is_file():
        fail(f"{config}: config file not found")
    ref = load_tables(reference_dir_of(reference_dir, settings, config_path))
    flags = CheckFlags(
        **{setting.field: given[setting.field] for setting in SETTINGS},
        to_terminal=str(output or "-") == "-" and sys.stdout.isatty(),
        output_suffix=Path(str(output)).suffix if output is not None else "",
        batch_rows=batch_rows,
    )
    try:
        resolved = resolve_check(flags, settings, config_path, ref)
    except UsageError as exc:
        fail(exc)
    if show_settings:  # like ruff: what would run, and why, without reading an extract
        for name, (value, source) in (resolved.sources or {}).items():
            typer.echo(excerpt(f"{name} = {value!r}  ({source})", 300))
        raise typer.Exit(ExitStatus.OK)
    if not files:
        fail("no input: give one or more files (or - for stdin)")
    from cgt_claimcheck.arrow_pool import use_jemalloc
    from cgt_claimcheck.workers import start_early

    start_early(files, resolved.options.jobs)  # a worker's interpreter starts while this one imports the engine
    use_jemalloc()  # before the first batch is read (after start_early: it imports pyarrow, 0.2 s)
    from cgt_claimcheck.engine import run_check
    from cgt_claimcheck.output_file import STDOUT, ReaderClosed, refuse_inputs, write_output
    from cgt_claimcheck.reporters import REPORTERS

    destination = str(output) if output is not None else STDOUT
    tables = [ref.directory / "manifest.json", *(ref.directory / t.file for t in ref.manifest.tables.values())]
    options = resolved.options
    inputs = [*files, *options.history, options.facilities, config_path, baseline, *tables]
    try:
        refuse_inputs(destination, inputs)
        if write_baseline is not None:
            refuse_inputs(
                str(write_baseline),
                [*inputs, None if destination == STDOUT else destination],
                option="--write-baseline",
            )
        known = None
        if baseline is not None:
            from cgt_claimcheck.baseline import load_baseline

            known = load_baseline(baseline)
    except UsageError as exc:
        fail(exc)

    from contextlib import nullcontext

    spinner = None
    if not _quiet_stderr(quiet):  # rich only at a terminal
        from cgt_claimcheck.terminal_views import ProgressSpinner

        spinner = ProgressSpinner(stderr_console())
    options.progress = spinner.update if spinner is not None else None
    render = REPORTERS["statistics" if statistics else resolved.format]
    try:
        with spinner if spinner is not None else nullcontext():
            report = run_check(files, ref, options)
        report.fail_on = resolved.fail_on
        if write_baseline is not None or known is not None:
            from cgt_claimcheck import baseline as baselines

            if write_baseline is not None:  # every finding of this run, before any is suppressed
                write_output(str(write_baseline), lambda stream: baselines.write_baseline(report, stream))
            if known is not None:
                baselines.apply_baseline(report, known)
        report.elapsed_seconds = time.perf_counter() - started
        report.run = run_record(started_at, report.elapsed_seconds, config_path, resolved.sources or {}, ref)
        write_output(destination, lambda stream: render(report, stream))
    except ReaderClosed:
        pass  # `| head` took what it wanted: no message, and the exit code is still the check's verdict
    except UsageError as exc:
        fail(exc)
    except KeyboardInterrupt as interrupt:
        stopped(interrupt, "no report was written (a previous one is unchanged)")

    from cgt_claimcheck.printable import shown
    from cgt_claimcheck.report import counted

    if destination != STDOUT and not _quiet_stderr(quiet):  # a person at a terminal: where the report went
        counts = report.summary.findings
        told = ", ".join(counted(n, noun) for n, noun in ((counts.error, "error"), (counts.warning, "warning")))
        told += f", {counts.info:,} info"
        what = "statistics" if statistics else f"{resolved.format} report"
        stderr_console().print(shown(f"cgt-claimcheck: wrote the {what} to {destination} ({told})"), soft_wrap=True)
    for error in report.errors:  # the other files were checked and reported; the run still failed
        stderr_console().print(shown(f"cgt-claimcheck: error: {error.message}"), soft_wrap=True)
    if report.errors:
        raise typer.Exit(ExitStatus.ERROR)
    if write_baseline is not None and known is None:
        return  # recording a baseline accepts this run's findings: the job that records it succeeds
    if report.fails():
        raise typer.Exit(ExitStatus.FINDINGS)


def run_record(
    started_at: float, seconds: float, config_path: Path | None, sources: dict[str, tuple[object, str]], ref: Any
) -> Any:
    """The report's `run`: when, how long, which config, every setting's value and origin, the horizon."""
    import json
    from datetime import UTC, datetime

    from cgt_claimcheck.report import RunInfo

    # As JSON has them (a tuple is a list, a path a string): the record is data, never an object.
    values = json.loads(json.dumps({name: value for name, (value, _) in sources.items()}, default=str))
    horizon = ref.manifest.verified_through
    return RunInfo(
        started_at=datetime.fromtimestamp(started_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        seconds=round(seconds, 3),
        command="check",
        config=str(config_path) if config_path is not None else None,
        options=values,
        option_sources={name: source for name, (_, source) in sources.items()},
        reference_release=ref.version,
        reference_verified_through=horizon.isoformat() if horizon is not None else None,
    )
