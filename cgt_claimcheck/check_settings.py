"""Every setting of `check`, declared once: its config key (also its flag), help, bounds, completion.

From this table come the command line's options (`cli/options.py` builds each `typer.Option`),
the config file's keys and bounds (`config.FileSettings` reads its field metadata here), what
`--show-settings` lists and in which order, and the settings table of the README (a test holds
the README to it). A setting's Python type and default live on `config.FileSettings` and
`config.CheckFlags`, the typed dataclasses, whose fields carry the same names.

Imported by the command line at start-up: nothing heavier than the rules' base declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cgt_claimcheck.rules.base import ALL_PAYERS

# The report formats, named once (config.Format, the reporters, the --format help and completion).
FORMATS = ("rich", "json", "jsonl", "csv", "junit", "concise", "github", "gitlab", "sarif", "html")
FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Setting:
    key: str  # the config key; the flag is --key
    field: str  # the attribute of config.FileSettings and config.CheckFlags, and check's parameter
    kind: str  # the flag's value: text, texts (repeatable), count (an integer) or switch
    help: str
    metavar: str | None = None
    short: str | None = None  # a one-letter flag besides --key
    minimum: int | None = None
    completion: str | None = None  # a completer of cli/options.py: formats, fail_on, payers, rule_codes, delimiters
    negatable: bool = False  # --key/--no-key
    any_case: bool = False  # the config value is matched in any case

    @property
    def flag(self) -> str:
        return f"--{self.key}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "format",
        "format",
        "text",
        "rich (default on a terminal), json (default otherwise), jsonl, csv, junit, concise, github, gitlab, "
        "sarif, html (one self-contained page); with -o and no --format, the file's suffix names it "
        "(.json .jsonl .csv .xml .sarif .html).",
        metavar="FORMAT",
        completion="formats",
        any_case=True,
    ),
    Setting(
        "fail-on",
        "fail_on",
        "text",
        "Exit 1 for findings at or above: error (default), warning, info, never.",
        metavar="SEVERITY",
        completion="fail_on",
        any_case=True,
    ),
    Setting(
        "payer",
        "payer",
        "text",
        f"Payer profile for rows without a payer value: {', '.join(ALL_PAYERS)}.",
        metavar="PROFILE",
        completion="payers",
    ),
    Setting(
        "select",
        "select",
        "texts",
        "Rule codes or prefixes to run (CT, ND003); repeat or comma-separate.",
        metavar="CODES",
        completion="rule_codes",
    ),
    Setting(
        "ignore",
        "ignore",
        "texts",
        "Rule codes or prefixes to skip; the longest match wins.",
        metavar="CODES",
        completion="rule_codes",
    ),
    Setting(
        "extend-select",
        "extend_select",
        "texts",
        "Codes or prefixes to add to the configured selection (--select replaces it).",
        metavar="CODES",
        completion="rule_codes",
    ),
    Setting(
        "extend-ignore",
        "extend_ignore",
        "texts",
        "Codes or prefixes to add to the configured ignores (--ignore replaces them).",
        metavar="CODES",
        completion="rule_codes",
    ),
    Setting(
        "facilities",
        "facilities",
        "text",
        "Facility registry CSV (npi, certification, product, effective_from, effective_to) for ST002.",
        metavar="FILE",
    ),
    Setting(
        "history",
        "history",
        "texts",
        "Prior claims (same format) for repeat-treatment and fertility rules.",
        metavar="FILE",
    ),
    Setting(
        "repeat-window-days",
        "repeat_window_days",
        "count",
        "Days one CGT treatment spans (default 30).",
        metavar="DAYS",
        minimum=1,
    ),
    Setting("redact", "redact", "switch", "Mask member IDs and dates of birth in the report.", negatable=True),
    Setting(
        "delimiter",
        "delimiter",
        "text",
        "CSV delimiter (default: sniffed from the header).",
        metavar="CHAR",
        completion="delimiters",
    ),
    Setting("encoding", "encoding", "text", "Text encoding of the extracts (default utf-8).", metavar="NAME"),
    Setting(
        "date-format",
        "date_format",
        "text",
        "strptime pattern for dates in another layout (e.g. %d.%m.%Y); %Y required.",
        metavar="PATTERN",
    ),
    Setting(
        "unknown-payer",
        "unknown_payer",
        "text",
        "A payer value no profile maps: out-of-scope (counted; default) or error.",
        metavar="out-of-scope|error",
        any_case=True,
    ),
    Setting(
        "max-repeats",
        "max_repeats",
        "count",
        "Findings listed per cause (rule, file, field, message) before one record says how many more "
        "there were (default 1000; 0: no limit). Counts and the exit code include them all.",
        metavar="N",
        minimum=0,
    ),
    Setting(
        "jobs",
        "jobs",
        "count",
        "Processes that read and screen the input files side by side (default: up to the machine's "
        "cores, at most 8, for files of 32 MB or more; a large X12 file is read in parts). With N given, a "
        "large CSV extract is read in parts too. The report is the same for any N.",
        metavar="N",
        short="-j",
        minimum=1,
    ),
)
BY_FIELD = {s.field: s for s in SETTINGS}


def file_metadata(field: str, **more: Any) -> dict[str, Any]:
    """The metadata of a config.FileSettings field declared here: its key (when it is not the
    field's name), bounds and case rule, for config_file.py's validation."""
    setting = BY_FIELD[field]
    metadata: dict[str, Any] = dict(more)
    if setting.key != setting.field:
        metadata["alias"] = setting.key
    if setting.minimum is not None:
        metadata["ge"] = setting.minimum
    if setting.any_case:
        metadata["any_case"] = True
    return metadata
