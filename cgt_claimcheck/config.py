"""Settings from `cgt-claimcheck.toml` (or `[tool.cgt-claimcheck]` in pyproject.toml).

Precedence: built-in defaults < config file < command-line flags. Unknown keys are an error
(exit 2), so a typo never silently turns a check off.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cgt_claimcheck.check_settings import FAIL_ON, FORMATS, SETTINGS, file_metadata
from cgt_claimcheck.errors import ConfigError, UsageError
from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.printable import excerpt
from cgt_claimcheck.report import MAX_REPEATS
from cgt_claimcheck.severity import Severity
from cgt_claimcheck.toml_places import key_places, place_of

if TYPE_CHECKING:
    from cgt_claimcheck.engine.options import CheckOptions
    from cgt_claimcheck.reference import Reference

CONFIG_NAME = "cgt-claimcheck.toml"
FailOn = Literal[FAIL_ON]  # type: ignore[valid-type]  # built from the one declaration
# A report file's suffix names its format when neither --format nor the config does (-o report.xml
# is JUnit XML, not JSON under an XML name).
FORMAT_OF_SUFFIX = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".xml": "junit",
    ".sarif": "sarif",
    ".html": "html",
    ".htm": "html",
    ".txt": "rich",  # the text report a person reads, without colors
}
Format = Literal[FORMATS]  # type: ignore[valid-type]  # built from the one declaration


@dataclass
class FileSettings:
    """The settings a config file may hold, with their defaults (no file: all defaults).

    Declared once, without pydantic: a check with no config file never imports it. A file's
    settings are validated against this declaration by `config_file.py` (types, `alias` and bounds
    from each field's metadata, the checks below). The keys, bounds and case rules of the settings
    `check` also takes as flags come from `check_settings.SETTINGS` (`file_metadata`).
    """

    payer: str | None = None
    columns: dict[str, str] = field(default_factory=dict, metadata={"check": "known_columns"})
    payers: dict[str, str] = field(default_factory=dict)  # payer value in the extract -> profile
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list, metadata=file_metadata("extend_select"))
    extend_ignore: list[str] = field(default_factory=list, metadata=file_metadata("extend_ignore"))
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: FailOn | None = field(default=None, metadata=file_metadata("fail_on"))
    format: Format | None = field(default=None, metadata=file_metadata("format"))
    repeat_window_days: int | None = field(default=None, metadata=file_metadata("repeat_window_days"))
    facilities: str | None = None
    history: list[str] = field(default_factory=list)
    redact: bool | None = None
    delimiter: str | None = None
    encoding: str | None = None
    date_format: str | None = field(default=None, metadata=file_metadata("date_format", check="date_pattern"))
    unknown_payer: Literal["out-of-scope", "error"] | None = field(
        default=None, metadata=file_metadata("unknown_payer")
    )
    max_repeats: int | None = field(default=None, metadata=file_metadata("max_repeats"))
    jobs: int | None = field(default=None, metadata=file_metadata("jobs"))
    # A table set written by `reference import-hcpcs` / `import-icd10` (the flag and the
    # CGT_CLAIMCHECK_REFERENCE_DIR variable win over it).
    reference_dir: str | None = field(default=None, metadata={"alias": "reference-dir"})


def known_columns(value: dict[str, str]) -> dict[str, str]:
    unknown = [k for k in value if k not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown column {', '.join(excerpt(k) for k in unknown[:5])} (known: {', '.join(COLUMNS)})")
    return value


def date_pattern(value: str | None) -> str | None:
    return None if value is None else check_date_format(value)


def check_date_format(pattern: str) -> str:
    """A strptime pattern that names a four-digit year, a month and a day, and reads back what it writes."""
    from datetime import datetime

    if "%y" in pattern or "%Y" not in pattern:
        raise ValueError(
            f"{excerpt(pattern, 40)!r} needs a four-digit year (%Y); two-digit years (%y) are not accepted"
        )
    sample = datetime(2025, 3, 17)
    try:
        if datetime.strptime(sample.strftime(pattern), pattern).date() != sample.date():
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{excerpt(pattern, 40)!r} does not read back the date it writes (it needs %Y, a month and a day)"
        ) from None
    return pattern


DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "pipe": "|", "semicolon": ";"}


def delimiter_of(given: str | None) -> str | None:
    """One delimiter character; `\\t` as typed in a shell, and the names tab/comma/pipe, are accepted."""
    if given is None:
        return None
    delimiter = DELIMITER_NAMES.get(given.lower(), given)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise UsageError(
            f"--delimiter {excerpt(given, 20)!r} is not a usable delimiter (one character, not a quote or line break): use , | ; or a tab (\\t or tab)"
        )
    return delimiter


def find_config(start: Path) -> Path | None:
    """cgt-claimcheck.toml, or a pyproject.toml with [tool.cgt-claimcheck], from `start` upward."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError, RecursionError):
                continue
            tool = data.get("tool")
            if isinstance(tool, dict) and "cgt-claimcheck" in tool:
                return pyproject
    return None


def load_settings(path: Path | None) -> tuple[FileSettings, Path | None]:
    if path is None:
        return FileSettings(), None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config cannot be read ({exc.strerror})", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("config is not UTF-8 text", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config is not valid TOML: {excerpt(exc, 200)}", file=str(path)) from None
    except RecursionError:  # tomllib recurses once per nested array or table: 10,000 '[' exhaust the stack
        raise ConfigError("config nests arrays or tables too deeply to be a settings file", file=str(path)) from None
    table: tuple[str, ...] = ()
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        data = tool.get("cgt-claimcheck", {}) if isinstance(tool, dict) else {}
        table = ("tool", "cgt-claimcheck")
    from cgt_claimcheck.config_file import validated

    try:
        return validated(data), path
    except ConfigProblems as exc:
        places = key_places(path.read_text(encoding="utf-8"))  # for 'line 3, column 1: ...'
        problems = []
        for loc_parts, kind, message, given, expected in exc.problems:
            loc = tuple(str(p) for p in loc_parts)
            key = excerpt(".".join(loc))
            text = message.removeprefix("Value error, ")
            if kind == "extra_forbidden":
                text = "unknown key" + _did_you_mean(loc[-1], _config_keys())
            elif kind in ("literal_error", "enum"):  # a value off the list: the nearest one
                text += _did_you_mean(str(given), re.findall(r"'([^']*)'", expected))
            where = place_of(places, table + loc)
            problems.append(f"{where}{key}: {excerpt(text, 300)}")
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise ConfigError("; ".join(problems[:5]) + more, file=str(path)) from None


class ConfigProblems(Exception):
    """What validation found wrong in a config file: (location, kind, message, value, expected)."""

    def __init__(self, problems: list[tuple[tuple[object, ...], str, str, object, str]]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _config_keys() -> list[str]:
    return [f.metadata.get("alias", f.name) for f in fields(FileSettings)]


def _did_you_mean(given: str, known: list[str]) -> str:
    from difflib import get_close_matches

    close = get_close_matches(given, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


# --- precedence: built-in defaults < config file < command-line flags ------------------------------
@dataclass
class CheckFlags:
    """What the command line said (None: not given)."""

    payer: str | None = None
    format: str | None = None
    to_terminal: bool = False  # the report goes to a terminal (the default format is then rich)
    output_suffix: str = ""  # of the -o file: names the format when nothing else does
    fail_on: str | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    extend_select: list[str] | None = None
    extend_ignore: list[str] | None = None
    facilities: str | None = None
    history: list[str] | None = None
    repeat_window_days: int | None = None
    redact: bool | None = None
    delimiter: str | None = None
    encoding: str | None = None
    date_format: str | None = None
    unknown_payer: str | None = None
    batch_rows: int = 250_000
    max_repeats: int | None = None
    jobs: int | None = None


@dataclass
class ResolvedCheck:
    options: CheckOptions
    format: str
    fail_on: str
    # Each setting's effective value and where it came from (`check --show-settings`).
    sources: dict[str, tuple[object, str]] | None = None


def split_codes(values: list[str] | None) -> list[str]:
    """--select CT,ND003 --select AU001 -> [CT, ND003, AU001]."""
    return [part.strip().upper() for value in values or [] for part in value.split(",") if part.strip()]


def _from_config(path: str | None, config_path: Path | None) -> str | None:
    """A path written in the config file is relative to the config file's folder (as in ruff)."""
    if path is None or config_path is None or Path(path).is_absolute():
        return path
    return str(config_path.parent / path)


def reference_dir_of(flag: Path | None, settings: FileSettings, config_path: Path | None) -> Path | None:
    """--reference-dir (or its environment variable), else the config's reference-dir (relative to the config)."""
    if flag is not None or settings.reference_dir is None:
        return flag
    return Path(_from_config(settings.reference_dir, config_path) or settings.reference_dir)


def _delimiter(flag: str | None, setting: str | None, config_path: Path | None) -> str | None:
    """The flag's delimiter, else the config file's (a bad one is reported as the config key it is)."""
    if flag is not None or setting is None:
        return delimiter_of(flag)
    try:
        return delimiter_of(setting)
    except UsageError as exc:
        raise ConfigError(str(exc).replace("--delimiter", "delimiter", 1), file=str(config_path)) from None


def _first_given(flag: int | None, setting: int | None, default: int) -> int:
    """The flag, else the config file, else the default (0 is a value, not "not given")."""
    return flag if flag is not None else setting if setting is not None else default


def resolve_check(flags: CheckFlags, settings: FileSettings, config_path: Path | None, ref: Reference) -> ResolvedCheck:
    """The effective options of a check run, validated; a bad value raises UsageError (exit 2)."""
    from cgt_claimcheck.engine.options import CheckOptions
    from cgt_claimcheck.rules import CATALOGUE, unknown_selectors

    by_suffix = FORMAT_OF_SUFFIX.get(flags.output_suffix.lower())
    chosen_format = (flags.format or "").lower() or settings.format or by_suffix
    chosen_format = chosen_format or ("rich" if flags.to_terminal else "json")
    if chosen_format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {excerpt(chosen_format)!r}")
    threshold = (flags.fail_on or "").lower() or settings.fail_on or "error"
    if threshold not in FAIL_ON:
        raise UsageError(f"--fail-on must be error, warning, info or never, not {excerpt(threshold)!r}")
    given_payer = flags.payer or settings.payer
    aliases = {k.lower(): v for k, v in settings.payers.items()}
    chosen_payer = None
    if given_payer is not None:
        chosen_payer = aliases.get(given_payer.lower(), given_payer.lower())
        if chosen_payer not in ref.payers:
            raise UsageError(f"--payer {excerpt(given_payer)!r} is not a payer profile ({', '.join(ref.payers)})")
    bad_alias = [
        f"{excerpt(k)} = {excerpt(v)}" for k, v in settings.payers.items() if v not in ref.payers and v != "skip"
    ]
    if bad_alias:
        raise ConfigError(
            f"[payers] maps to unknown profiles: {', '.join(bad_alias)} (profiles: {', '.join(ref.payers)}, or skip)",
            file=str(config_path),
        )
    unknown_payer = (flags.unknown_payer or "").lower() or settings.unknown_payer or "out-of-scope"
    if unknown_payer not in ("out-of-scope", "error"):
        raise UsageError(f"--unknown-payer must be out-of-scope or error, not {excerpt(unknown_payer)!r}")
    # Like ruff: --select / --ignore replace the configured lists, the extend forms add to them. An
    # extension of "every rule" (no select at all) changes nothing.
    selectors = split_codes(flags.select) or [s.upper() for s in settings.select]
    if selectors:
        selectors += split_codes(settings.extend_select) + split_codes(flags.extend_select)
    ignores = split_codes(flags.ignore) or [s.upper() for s in settings.ignore]
    ignores += split_codes(settings.extend_ignore) + split_codes(flags.extend_ignore)
    # An extension is checked even where it changes nothing: a typo must not pass silently.
    extensions = split_codes(settings.extend_select) + split_codes(flags.extend_select)
    unknown = unknown_selectors(selectors + ignores + extensions)
    if unknown:
        raise UsageError(f"no rule matches {', '.join(excerpt(u) for u in unknown[:5])} (see `cgt-claimcheck rules`)")
    bad_codes = [code for code in settings.severity if code.upper() not in CATALOGUE]
    if bad_codes:
        raise ConfigError(
            f"[severity] names unknown rules {', '.join(excerpt(c) for c in bad_codes[:5])}", file=str(config_path)
        )
    date_format = flags.date_format or settings.date_format
    if flags.date_format:
        try:
            check_date_format(flags.date_format)
        except ValueError as exc:
            raise UsageError(f"--date-format {exc}") from None
    options = CheckOptions(
        date_format=date_format,
        unknown_payer=unknown_payer,
        payer=chosen_payer,
        payer_aliases=aliases,
        column_map=settings.columns,
        delimiter=_delimiter(flags.delimiter, settings.delimiter, config_path),
        encoding=flags.encoding or settings.encoding or "utf-8",
        select=selectors,
        ignore=ignores,
        severity_overrides={code.upper(): sev for code, sev in settings.severity.items()},
        repeat_window_days=flags.repeat_window_days or settings.repeat_window_days,
        facilities=flags.facilities or _from_config(settings.facilities, config_path),
        history=list(flags.history or [_from_config(h, config_path) or h for h in settings.history]),
        redact=flags.redact if flags.redact is not None else bool(settings.redact),
        batch_rows=flags.batch_rows,
        max_repeats=_first_given(flags.max_repeats, settings.max_repeats, MAX_REPEATS),
        jobs=flags.jobs or settings.jobs,  # None: automatic
    )
    return ResolvedCheck(
        options=options,
        format=chosen_format,
        fail_on=threshold,
        sources=_sources(flags, settings, config_path, options, chosen_format, threshold),
    )


def _sources(
    flags: CheckFlags, settings: FileSettings, config_path: Path | None, options: CheckOptions, fmt: str, fail_on: str
) -> dict[str, tuple[object, str]]:
    from cgt_claimcheck.workers import default_jobs

    effective: dict[str, object] = {
        "format": fmt,
        "fail-on": fail_on,
        "payer": options.payer,
        "select": options.select or "every rule",
        "ignore": options.ignore,
        "extend-select": settings.extend_select + (flags.extend_select or []),
        "extend-ignore": settings.extend_ignore + (flags.extend_ignore or []),
        "facilities": options.facilities,
        "history": options.history,
        "repeat-window-days": options.repeat_window_days or 30,
        "redact": options.redact,
        "delimiter": options.delimiter or "sniffed",
        "encoding": options.encoding,
        "date-format": options.date_format,
        "unknown-payer": options.unknown_payer,
        "max-repeats": options.max_repeats,
        "jobs": options.jobs or f"auto (up to {default_jobs()}, for files of 32 MB or more)",
    }
    result: dict[str, tuple[object, str]] = {}
    for setting in SETTINGS:  # in the order the table declares them
        name = setting.key
        if getattr(flags, setting.field) not in (None, []):
            source = "command line"
        elif getattr(settings, setting.field) not in (None, [], {}):
            source = str(config_path)
        else:
            source = "default"
        result[name] = (effective[name], source)
    suffix = flags.output_suffix.lower()
    if result["format"][1] == "default" and suffix in FORMAT_OF_SUFFIX:
        result["format"] = (fmt, f"from the --output suffix {suffix}")
    result["columns"] = (settings.columns, str(config_path) if settings.columns else "default")
    result["payers"] = (settings.payers, str(config_path) if settings.payers else "default")
    result["severity"] = (
        {k: v.value for k, v in settings.severity.items()},
        str(config_path) if settings.severity else "default",
    )
    return result
