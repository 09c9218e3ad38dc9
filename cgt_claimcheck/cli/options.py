"""The options of `cgt-claimcheck check`, declared once as annotated types (cli/check.py stays readable).

Each option's help text is what `check --help` prints; the command only wires them to CheckFlags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def _completing(name: str):  # type: ignore[no-untyped-def]
    """Shell completion (--install-completion) of an option's values, config.<name>, as typed so far.

    config is imported only when the shell asks: it costs 80 ms at every start-up otherwise.
    """

    def complete(incomplete: str) -> list[str]:
        from cgt_claimcheck import config

        return [v for v in getattr(config, name) if v.startswith(incomplete)]

    return complete


def _payer_profiles(incomplete: str) -> list[str]:
    from cgt_claimcheck.errors import UsageError
    from cgt_claimcheck.reference import load_reference

    try:
        profiles = load_reference().payers
    except UsageError:  # a broken reference directory: no completion, never a traceback in the shell
        return []
    return [name for name in profiles if name.startswith(incomplete)]


def _rule_codes_option(flag: str, help_: str):  # type: ignore[no-untyped-def]
    """A repeatable option of rule codes or prefixes, completing the catalogue's codes."""
    return Annotated[list[str] | None, typer.Option(flag, metavar="CODES", autocompletion=_rule_codes, help=help_)]


def _rule_codes(incomplete: str) -> list[str]:
    from cgt_claimcheck.rules import CATALOGUE  # only when the shell asks

    prefixes = sorted({code[:2] for code in CATALOGUE})
    return [c for c in [*prefixes, *sorted(CATALOGUE)] if c.startswith(incomplete.upper())]


Payer = Annotated[
    str | None,
    typer.Option(
        "--payer",
        metavar="PROFILE",
        autocompletion=_payer_profiles,
        help="Payer profile for rows without a payer value: wnc, medi-cal-ffs, medi-cal-mcp.",
    ),
]

OutputFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        autocompletion=_completing("FORMATS"),
        help=(
            "rich (default on a terminal), json (default otherwise), jsonl, csv, junit, concise, github, gitlab, "
            "sarif, html (one self-contained page); with -o and no --format, the file's suffix names it "
            "(.json .jsonl .csv .xml .sarif .html)."
        ),
    ),
]

Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to this file (atomically; - is stdout), never onto an input.",
    ),
]

FailOn = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        metavar="SEVERITY",
        autocompletion=_completing("FAIL_ON"),
        help="Exit 1 for findings at or above: error (default), warning, info, never.",
    ),
]

Select = _rule_codes_option("--select", "Rule codes or prefixes to run (CT, ND003); repeat or comma-separate.")

Ignore = _rule_codes_option("--ignore", "Rule codes or prefixes to skip; the longest match wins.")

Config = Annotated[
    Path | None,
    typer.Option(
        "--config", metavar="FILE", help="Config file (default: cgt-claimcheck.toml or pyproject.toml found upward)."
    ),
]

Facilities = Annotated[
    str | None,
    typer.Option(
        "--facilities",
        metavar="FILE",
        help="Facility registry CSV (npi, certification, product, effective_from, effective_to) for ST002.",
    ),
]

History = Annotated[
    list[str] | None,
    typer.Option(
        "--history", metavar="FILE", help="Prior claims (same format) for repeat-treatment and fertility rules."
    ),
]

RepeatWindowDays = Annotated[
    int | None,
    typer.Option("--repeat-window-days", metavar="DAYS", min=1, help="Days one CGT treatment spans (default 30)."),
]

Redact = Annotated[
    bool | None, typer.Option("--redact/--no-redact", help="Mask member IDs and dates of birth in the report.")
]

Delimiter = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        metavar="CHAR",
        autocompletion=_completing("DELIMITER_NAMES"),
        help="CSV delimiter (default: sniffed from the header).",
    ),
]

Encoding = Annotated[
    str | None, typer.Option("--encoding", metavar="NAME", help="Text encoding of the extracts (default utf-8).")
]

DateFormat = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        metavar="PATTERN",
        help="strptime pattern for dates in another layout (e.g. %d.%m.%Y); %Y required.",
    ),
]

UnknownPayer = Annotated[
    str | None,
    typer.Option(
        "--unknown-payer",
        metavar="out-of-scope|error",
        help="A payer value no profile maps: out-of-scope (counted; default) or error.",
    ),
]

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]

BatchRows = Annotated[int, typer.Option("--batch-rows", min=1, hidden=True, help="Rows per batch (memory vs speed).")]


ExtendSelect = _rule_codes_option(
    "--extend-select", "Codes or prefixes to add to the configured selection (--select replaces it)."
)

ExtendIgnore = _rule_codes_option(
    "--extend-ignore", "Codes or prefixes to add to the configured ignores (--ignore replaces them)."
)


Statistics = Annotated[
    bool, typer.Option("--statistics", help="Print only how many findings each rule has (instead of the report).")
]


Baseline = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        metavar="FILE",
        help="Suppress the findings this baseline file records; report how many, and stale entries.",
    ),
]

WriteBaseline = Annotated[
    Path | None,
    typer.Option(
        "--write-baseline",
        metavar="FILE",
        help="Record this run's findings in a baseline file (JSON, a reason per entry).",
    ),
]


ShowSettings = Annotated[
    bool, typer.Option("--show-settings", help="Print the effective settings and where each came from, then exit.")
]


MaxRepeats = Annotated[
    int | None,
    typer.Option(
        "--max-repeats",
        metavar="N",
        min=0,
        help="Findings listed per cause (rule, file, field, message) before one record says how many more "
        "there were (default 1000; 0: no limit). Counts and the exit code include them all.",
    ),
]


Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        metavar="N",
        min=1,
        help="Processes that read and screen the input files side by side (default: up to the machine's "
        "cores, at most 8, for files of 32 MB or more). The report is the same for any N; a file is read by "
        "one process.",
    ),
]
