"""The options of `cgt-claimcheck check`, declared once as annotated types (cli.py stays readable).

Each option's help text is what `check --help` prints; the command only wires them to CheckFlags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Payer = Annotated[
    str | None,
    typer.Option("--payer", help="Payer profile for rows without a payer value: wnc, medi-cal-ffs, medi-cal-mcp."),
]

OutputFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="rich (default on a terminal), json (default otherwise), jsonl, csv, junit, concise, github, gitlab, sarif.",
    ),
]

Output = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the report to this file (atomically; - is stdout), never onto an input."
    ),
]

FailOn = Annotated[
    str | None,
    typer.Option("--fail-on", help="Exit 1 for findings at or above: error (default), warning, info, never."),
]

Select = Annotated[
    list[str] | None,
    typer.Option("--select", help="Rule codes or prefixes to run (CT, ND003); repeat or comma-separate."),
]

Ignore = Annotated[
    list[str] | None, typer.Option("--ignore", help="Rule codes or prefixes to skip; the longest match wins.")
]

Config = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default: cgt-claimcheck.toml or pyproject.toml found upward)."),
]

Facilities = Annotated[
    str | None,
    typer.Option(
        "--facilities",
        help="Facility registry CSV (npi, certification, product, effective_from, effective_to) for ST002.",
    ),
]

History = Annotated[
    list[str] | None,
    typer.Option("--history", help="Prior claims (same format) for repeat-treatment and fertility rules."),
]

RepeatWindowDays = Annotated[
    int | None, typer.Option("--repeat-window-days", min=1, help="Days one CGT treatment spans (default 30).")
]

Redact = Annotated[
    bool | None, typer.Option("--redact/--no-redact", help="Mask member IDs and dates of birth in the report.")
]

Delimiter = Annotated[str | None, typer.Option("--delimiter", help="CSV delimiter (default: sniffed from the header).")]

Encoding = Annotated[str | None, typer.Option("--encoding", help="Text encoding of the extracts (default utf-8).")]

DateFormat = Annotated[
    str | None,
    typer.Option("--date-format", help="strptime pattern for dates in another layout (e.g. %d.%m.%Y); %Y required."),
]

UnknownPayer = Annotated[
    str | None,
    typer.Option("--unknown-payer", help="A payer value no profile maps: out-of-scope (counted; default) or error."),
]

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]

BatchRows = Annotated[int, typer.Option("--batch-rows", min=1, hidden=True, help="Rows per batch (memory vs speed).")]


ExtendSelect = Annotated[
    list[str] | None,
    typer.Option(
        "--extend-select", help="Codes or prefixes to add to the configured selection (--select replaces it)."
    ),
]

ExtendIgnore = Annotated[
    list[str] | None,
    typer.Option(
        "--extend-ignore", help="Codes or prefixes to add to the configured ignores (--ignore replaces them)."
    ),
]


Statistics = Annotated[
    bool, typer.Option("--statistics", help="Print only how many findings each rule has (instead of the report).")
]


Baseline = Annotated[
    Path | None,
    typer.Option(
        "--baseline", help="Suppress the findings this baseline file records; report how many, and stale entries."
    ),
]

WriteBaseline = Annotated[
    Path | None,
    typer.Option("--write-baseline", help="Record this run's findings in a baseline file (JSON, a reason per entry)."),
]


ShowSettings = Annotated[
    bool, typer.Option("--show-settings", help="Print the effective settings and where each came from, then exit.")
]
