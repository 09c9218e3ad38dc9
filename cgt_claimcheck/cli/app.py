"""The command line's shared pieces: the Typer apps, the consoles, and how a command fails or stops.

Every command module (one per command) registers on `app` or `reference_app` from here and
imports nothing from another command module.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from cgt_claimcheck import __version__
from cgt_claimcheck.env_vars import ENV_REFERENCE_DIR
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
        "--reference-dir",
        metavar="FOLDER",
        envvar=ENV_REFERENCE_DIR,
        help="Use this reference table set instead of the shipped one.",
    ),
]


def stdout_console() -> Console:
    # Created per call so tests (and --output) can swap sys.stdout; rich loads only when printing.
    from rich.console import Console

    class StdoutConsole(Console):
        def on_broken_pipe(self) -> None:
            """`rules | head`: the reader took what it wanted; exit 0 quietly, like `git log | head`."""
            from cgt_claimcheck.output_file import silence_stdout

            self.quiet = True
            silence_stdout()
            raise SystemExit(0)

    return StdoutConsole(file=sys.stdout, highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)


def fail(error: UsageError | str) -> NoReturn:
    """One clear line on stderr and exit 2: unusable input or usage."""
    from cgt_claimcheck.printable import shown

    # Values in messages are cut where they are quoted; this bounds whatever else got through.
    stderr_console().print(shown(f"cgt-claimcheck: error: {excerpt(error, 2000)}"), soft_wrap=True)
    raise typer.Exit(ExitStatus.ERROR)


def stopped(interrupt: KeyboardInterrupt, outcome: str) -> NoReturn:
    """Ctrl-C, SIGTERM or SIGHUP: say what was left as it was; exit 128 + the signal."""
    from cgt_claimcheck.printable import shown
    from cgt_claimcheck.stop_signals import interrupted_status, signal_name

    stderr_console().print(shown(f"cgt-claimcheck: interrupted ({signal_name(interrupt)}); {outcome}"), soft_wrap=True)
    raise typer.Exit(interrupted_status(interrupt)) from None


def dumps(data: Any, **options: Any) -> str:
    import json

    return json.dumps(data, **options)


def load_tables(reference_dir: Path | None, *, whole: bool = False) -> Reference:
    from cgt_claimcheck.reference import load_reference

    try:
        ref = load_reference(reference_dir)
        if whole:  # the ICD-10 validity tables are read on first use: read them now
            ref.icd10cm_validity, ref.icd10pcs_validity  # noqa: B018
        return ref
    except UsageError as exc:
        fail(exc)


def parse_day(text: str | None, option: str) -> date | None:
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
