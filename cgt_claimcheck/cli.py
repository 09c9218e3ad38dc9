"""The command line: wires the pieces together and maps outcomes to exit codes. No checking here.

Heavy modules (pandas, the engine) are imported inside `check` only, so `lookup`, `rules`,
`reference` and `--help` start fast.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cgt_claimcheck import __version__
from cgt_claimcheck import cli_options as O
from cgt_claimcheck.env_vars import ENV_DEBUG, ENV_REFERENCE_DIR
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.exitcodes import ExitStatus
from cgt_claimcheck.printable import excerpt

if TYPE_CHECKING:
    from rich.console import Console

    from cgt_claimcheck.reference import Reference

app = typer.Typer(
    name="cgt-claimcheck",
    help="Catch problems in Medicaid cell and gene therapy (CGT) claims before submission.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
reference_app = typer.Typer(help="Show or validate the reference tables.", no_args_is_help=False)
app.add_typer(reference_app, name="reference")

ReferenceDirOption = Annotated[
    Path | None,
    typer.Option(
        "--reference-dir", envvar=ENV_REFERENCE_DIR, help="Use this reference table set instead of the shipped one."
    ),
]


def _stdout() -> Console:
    # Created per call so tests (and --output) can swap sys.stdout; rich loads only when printing.
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def _stderr() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)


def fail(error: UsageError | str) -> NoReturn:
    """One clear line on stderr and exit 2: unusable input or usage."""
    from cgt_claimcheck.printable import shown

    # Values in messages are cut where they are quoted; this bounds whatever else got through.
    _stderr().print(shown(f"cgt-claimcheck: error: {excerpt(error, 2000)}"), soft_wrap=True)
    raise typer.Exit(ExitStatus.ERROR)


def stopped(interrupt: KeyboardInterrupt, outcome: str) -> NoReturn:
    """Ctrl-C, SIGTERM or SIGHUP: say what was left as it was; exit 128 + the signal."""
    from cgt_claimcheck.printable import shown
    from cgt_claimcheck.stop_signals import interrupted_status, signal_name

    _stderr().print(shown(f"cgt-claimcheck: interrupted ({signal_name(interrupt)}); {outcome}"), soft_wrap=True)
    raise typer.Exit(interrupted_status(interrupt)) from None


def _dumps(data: Any, **options: Any) -> str:
    import json

    return json.dumps(data, **options)


def _load(reference_dir: Path | None, *, whole: bool = False) -> Reference:
    from cgt_claimcheck.reference import load_reference

    try:
        ref = load_reference(reference_dir)
        if whole:  # the ICD-10 validity tables are read on first use: read them now
            ref.icd10cm_validity, ref.icd10pcs_validity  # noqa: B018
        return ref
    except UsageError as exc:
        fail(exc)


def _parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    from cgt_claimcheck.value_parsers import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        fail(f"{option}: {exc}")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cgt-claimcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Catch problems in Medicaid cell and gene therapy (CGT) claims before submission."""


# --- lookup ------------------------------------------------------------------------------------
@app.command()
def lookup(
    query: Annotated[
        str,
        typer.Argument(help="HCPCS/CPT code, NDC (any layout), ICD-10-PCS or ICD-10-CM code, or a brand/generic name."),
    ],
    on: Annotated[str | None, typer.Option("--on", help="Answer as of this date of service (YYYY-MM-DD).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="rich or json.")] = "rich",
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Look up a code, NDC or product name: product, codes with dates, NDCs, PCS, indications, rules."""
    from cgt_claimcheck.lookup import NotFound, product_card
    from cgt_claimcheck.lookup import lookup as run_lookup
    from cgt_claimcheck.rules import CATALOGUE

    if output_format not in ("rich", "json"):
        fail(f"--format must be rich or json, not {excerpt(output_format)!r}")
    day = _parse_day(on, "--on")
    ref = _load(reference_dir)
    try:
        answer = run_lookup(ref, query, day)
    except NotFound as missing:
        if output_format == "json":
            typer.echo(
                _dumps({"query": query, "found": False, "reason": missing.reason, "nearest": missing.nearest}, indent=2)
            )
        else:
            from cgt_claimcheck.terminal_views import render_not_found

            render_not_found(_stdout(), query, missing.reason, missing.nearest)
        raise typer.Exit(ExitStatus.FINDINGS) from None
    result: dict[str, Any] = {
        "query": answer.query,
        "found": True,
        "kind": answer.kind,
        "on": day.isoformat() if day else None,
        "reference_version": ref.version,
        "notes": answer.notes,
        "matched": answer.matched,
        "cards": [product_card(ref, pid, day, list(CATALOGUE.values())) for pid in answer.products],
    }
    if output_format == "json":
        typer.echo(_dumps(result, indent=2))
    else:
        from cgt_claimcheck.terminal_views import render_lookup

        render_lookup(_stdout(), result)


# --- rules -------------------------------------------------------------------------------------
@app.command()
def rules(
    code: Annotated[str | None, typer.Argument(help="A rule code (e.g. CT001) for its full documentation.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="rich or json.")] = "rich",
    reference_dir: ReferenceDirOption = None,
) -> None:
    """List the rule catalogue, or show one rule's documentation with examples."""
    from cgt_claimcheck.rules import CATALOGUE

    if output_format not in ("rich", "json"):
        fail(f"--format must be rich or json, not {excerpt(output_format)!r}")
    chosen = list(CATALOGUE.values())
    if code is not None:
        wanted = code.strip().upper()
        if wanted not in CATALOGUE:
            matches = [c for c in CATALOGUE if c.startswith(wanted)]
            if not matches:
                fail(f"no rule {excerpt(code)!r}; known: {', '.join(CATALOGUE) or 'none'}")
            chosen = [CATALOGUE[c] for c in matches]
        else:
            chosen = [CATALOGUE[wanted]]
    if output_format == "json":
        typer.echo(
            _dumps(
                [r.as_json() for r in chosen],
                indent=2,
            )
        )
        return
    from cgt_claimcheck.terminal_views import render_rule, render_rule_list

    console = _stdout()
    if code is None:
        render_rule_list(console, chosen)
    else:
        from contextlib import suppress

        from cgt_claimcheck.reference import load_reference

        ref = None
        with suppress(UsageError):  # the documentation does not need the tables; denial texts are a bonus
            ref = load_reference(reference_dir)
        for r in chosen:
            render_rule(console, r, ref)


# --- reference ---------------------------------------------------------------------------------
@reference_app.callback(invoke_without_command=True)
def reference_show(
    ctx: typer.Context,
    output_format: Annotated[str, typer.Option("--format", help="rich or json.")] = "rich",
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Show the reference version, its policies, tables, row counts, checksums and sources."""
    if ctx.invoked_subcommand is not None:
        return
    from cgt_claimcheck.reference.rows import as_json

    ref = _load(reference_dir)
    sources = ref.sources()
    if output_format == "json":
        tables = as_json(ref.manifest.tables)
        info = {"version": ref.version, "path": str(ref.directory), "policies": as_json(ref.manifest.policies)}
        info["verified_through"] = as_json(ref.manifest.verified_through)
        typer.echo(_dumps(info | {"tables": tables, "sources": sources}, indent=2))
        return
    from cgt_claimcheck.terminal_views import render_reference

    render_reference(_stdout(), ref, sources)


@reference_app.command("validate")
def reference_validate(
    directory: Annotated[Path, typer.Argument(help="A reference table set (a folder with manifest.json).")],
) -> None:
    """Validate an edited table set: checksums, formats, duplicates, overlapping windows."""
    ref = _load(directory, whole=True)
    rows = sum(e.rows or 0 for e in ref.manifest.tables.values())
    typer.echo(f"{directory}: valid reference {ref.version} ({len(ref.manifest.tables)} tables, {rows} rows)")


# --- check -------------------------------------------------------------------------------------
def _quiet_stderr(quiet: bool) -> bool:
    import os

    return quiet or bool(os.environ.get("CI")) or not sys.stderr.isatty()


@app.command()
def check(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Claim-line extracts (CSV with , | or tab, .gz, Parquet) or X12 837 files; - for stdin.",
            show_default=False,
        ),
    ] = None,
    payer: O.Payer = None,
    output_format: O.OutputFormat = None,
    output: O.Output = None,
    fail_on: O.FailOn = None,
    select: O.Select = None,
    ignore: O.Ignore = None,
    extend_select: O.ExtendSelect = None,
    extend_ignore: O.ExtendIgnore = None,
    config: O.Config = None,
    facilities: O.Facilities = None,
    history: O.History = None,
    repeat_window_days: O.RepeatWindowDays = None,
    redact: O.Redact = None,
    delimiter: O.Delimiter = None,
    encoding: O.Encoding = None,
    date_format: O.DateFormat = None,
    unknown_payer: O.UnknownPayer = None,
    quiet: O.Quiet = False,
    statistics: O.Statistics = False,
    show_settings: O.ShowSettings = False,
    baseline: O.Baseline = None,
    write_baseline: O.WriteBaseline = None,
    batch_rows: O.BatchRows = 250_000,
    max_repeats: O.MaxRepeats = None,
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Check claim-line extracts against the CGT rules and report what to fix before submission."""
    from cgt_claimcheck.config import CheckFlags, find_config, load_settings, reference_dir_of, resolve_check

    try:
        settings, config_path = load_settings(config if config is not None else find_config(Path.cwd()))
    except UsageError as exc:
        fail(exc)
    if config is not None and not config.is_file():
        fail(f"{config}: config file not found")
    ref = _load(reference_dir_of(reference_dir, settings, config_path))
    flags = CheckFlags(
        payer=payer,
        output_format=output_format,
        to_terminal=str(output or "-") == "-" and sys.stdout.isatty(),
        fail_on=fail_on,
        select=select,
        ignore=ignore,
        extend_select=extend_select,
        extend_ignore=extend_ignore,
        facilities=facilities,
        history=history,
        repeat_window_days=repeat_window_days,
        redact=redact,
        delimiter=delimiter,
        encoding=encoding,
        date_format=date_format,
        unknown_payer=unknown_payer,
        batch_rows=batch_rows,
        max_repeats=max_repeats,
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
    from cgt_claimcheck.engine import run_check
    from cgt_claimcheck.output_file import STDOUT, refuse_inputs, write_output
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

    from cgt_claimcheck.terminal_views import ProgressSpinner

    spinner = None if _quiet_stderr(quiet) else ProgressSpinner(_stderr())
    options.progress = spinner.update if spinner is not None else None
    render = REPORTERS["statistics" if statistics else resolved.format]
    try:
        started = time.perf_counter()
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
        write_output(destination, lambda stream: render(report, stream))
    except UsageError as exc:
        fail(exc)
    except KeyboardInterrupt as interrupt:
        stopped(interrupt, "no report was written (a previous one is unchanged)")

    from cgt_claimcheck.printable import shown

    for error in report.errors:  # the other files were checked and reported; the run still failed
        _stderr().print(shown(f"cgt-claimcheck: error: {error.message}"), soft_wrap=True)
    if report.errors:
        raise typer.Exit(ExitStatus.ERROR)
    if report.fails(report.worst_severity()):
        raise typer.Exit(ExitStatus.FINDINGS)


def main() -> None:
    import os

    from cgt_claimcheck import stop_signals

    stop_signals.stop_like_ctrl_c()
    try:
        app()
    except SystemExit as done:
        sys.exit(stop_signals.status_after_abort(done.code))
    except Exception as exc:  # never a traceback for a user; CGT_CLAIMCHECK_DEBUG=1 shows it
        if os.environ.get(ENV_DEBUG):
            raise
        print(
            f"cgt-claimcheck: internal error, please report it: {exc.__class__.__name__}: {excerpt(exc, 300)}",
            file=sys.stderr,
        )
        sys.exit(ExitStatus.ERROR)


from cgt_claimcheck import cli_convert, cli_reference  # noqa: E402,F401  (register `convert`, `reference import-hcpcs`)
