"""`cgt-claimcheck convert`: the canonical claim-line extract of any input; it parses, calls `convert`, reports counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cgt_claimcheck.cli import options as O
from cgt_claimcheck.cli.app import app, fail, stderr_console, stopped
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.exitcodes import ExitStatus


@app.command("convert")
def convert(
    files: Annotated[list[str], typer.Argument(help="X12 837 files or extracts (CSV, .gz, Parquet); - for stdin.")],
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FILE", help="The file to write (never an input); - is stdout.")
    ],
    to: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="csv|parquet", help="csv or parquet (default: from the output's suffix, else csv)."
        ),
    ] = None,
    payer: O.Payer = None,
    delimiter: O.Delimiter = None,
    encoding: Annotated[str, typer.Option("--encoding", metavar="NAME", help="Text encoding of CSV inputs.")] = "utf-8",
) -> None:
    """Write the canonical claim-line extract that `check` reads: one row per service line."""
    from cgt_claimcheck import convert as conversion
    from cgt_claimcheck.arrow_pool import use_jemalloc
    from cgt_claimcheck.config import delimiter_of
    from cgt_claimcheck.engine.options import CheckOptions
    from cgt_claimcheck.output_file import ReaderClosed, refuse_inputs, write_output
    from cgt_claimcheck.printable import printable, shown

    suffix = Path(output).suffix.lower()
    if to is None and suffix in (".xlsx", ".xls", ".json", ".jsonl", ".xml", ".html", ".x12", ".837", ".edi"):
        fail(
            f"{printable(output)}: convert writes csv or parquet, not {suffix}; name it .csv or .parquet, or give --to"
        )
    fmt = (to or ("parquet" if suffix in (".parquet", ".pq") else "csv")).lower()
    if fmt not in conversion.FORMATS:
        fail(f"--to {printable(fmt)[:20]!r}: use csv or parquet")
    use_jemalloc()  # as check does: the leaner of pyarrow's pools
    outcome = conversion.Converted()
    try:
        refuse_inputs(output, files)
        options = CheckOptions(payer=payer, delimiter=delimiter_of(delimiter), encoding=encoding)
        batches = conversion.canonical_batches(files, options, outcome)

        def render(sink: object) -> None:
            conversion.write(batches, fmt, sink)
            if outcome.errors and not sum(outcome.lines.values()):  # nothing usable: keep any previous output as it was
                raise UsageError(outcome.errors[0])

        write_output(output, render, binary=True)
    except ReaderClosed:
        return  # `| head` took what it wanted: nothing more to say
    except UsageError as exc:
        fail(exc)
    except KeyboardInterrupt as interrupt:
        stopped(interrupt, "nothing was written (a previous output is unchanged)")
    err = stderr_console()
    for name, lines in outcome.lines.items():
        note = f"{name}: {lines:,} service lines"
        if outcome.unreadable.get(name):
            note += f"; {outcome.unreadable[name]:,} could not be read (cgt-claimcheck check says why)"
        problems = outcome.problems.get(name)
        if problems:
            note += "; file problems " + ", ".join(f"{code} x{n}" for code, n in sorted(problems.items()))
        err.print(shown(note), soft_wrap=True)
    total = sum(outcome.lines.values())
    where = "standard output" if output == "-" else output
    err.print(shown(f"wrote {total:,} lines to {where} ({fmt})"), soft_wrap=True)
    for error in outcome.errors:  # the other files were converted; the run still failed
        err.print(shown(f"cgt-claimcheck: error: {error}"), soft_wrap=True)
    if outcome.errors:
        raise typer.Exit(ExitStatus.ERROR)
