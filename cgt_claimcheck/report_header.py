"""The parts of a report besides its findings: inputs, summary, what was not checked, errors,
the tool, the run, the reference tables and the baseline. The JSON report's header is these
dataclasses as they are (`report_schema.py` derives its models from them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# report_schema.py validates JSON reports against these dataclasses: unknown keys are an error.
_STRICT: Any = {"extra": "forbid"}


@dataclass
class InputSummary:
    __pydantic_config__ = _STRICT

    path: str
    rows_read: int = 0
    rows_checked: int = 0
    rows_rejected: int = 0
    rows_out_of_scope: int = 0  # read = checked + rejected + out of scope
    out_of_scope: dict[str, int] = field(default_factory=dict)  # rows per payer value that is not ours


@dataclass
class FindingCounts:
    __pydantic_config__ = _STRICT

    error: int = 0
    warning: int = 0
    info: int = 0


@dataclass
class Summary:
    __pydantic_config__ = _STRICT

    rows_read: int
    rows_checked: int
    rows_rejected: int
    claims: int
    cgt_claims: int
    findings: FindingCounts
    rows_out_of_scope: int = 0
    out_of_scope: dict[str, int] = field(default_factory=dict)
    # Claims with an error finding (the payer would deny them as they stand) and their billed
    # charges (lines that could not be read count nothing).
    claims_denied: int = 0
    charges_denied: float = 0.0
    # Findings counted above but not listed: a cause repeated past --max-repeats is listed that many
    # times, then one record says how many more there were.
    findings_not_listed: int = 0

    def out_of_scope_text(self, most: int = 5) -> str:
        """'812,344 rows: BCBS 401,200, MCR 300,111, ...' (largest first)."""
        ranked = sorted(self.out_of_scope.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{value} {count:,}" for value, count in ranked[:most])
        return f"{self.rows_out_of_scope:,} rows: {shown}{', ...' if len(ranked) > most else ''}"


@dataclass
class NotChecked:
    __pydantic_config__ = _STRICT

    rule: str
    reason: str


@dataclass
class InputError:
    """A file that could not be read while others were (the run exits 2)."""

    __pydantic_config__ = _STRICT

    file: str
    message: str


@dataclass
class ToolInfo:
    __pydantic_config__ = _STRICT

    name: str
    version: str


@dataclass
class RunInfo:
    """How the report was made, so that a report found later can be explained and run again."""

    __pydantic_config__ = _STRICT

    started_at: str  # UTC, ISO 8601 to the second
    seconds: float  # from the command's start to the report (reading the settings and tables included)
    command: str
    config: str | None  # the config file read, if any
    options: dict[str, Any]  # every setting's effective value (as --show-settings prints them)
    option_sources: dict[str, str]  # where each came from: default, the config file, a flag
    reference_release: str
    reference_verified_through: str | None  # the tables' horizon: later dates of service are not judged


@dataclass
class ReferenceInfo:
    __pydantic_config__ = _STRICT

    version: str
    path: str


# A finding's identity across runs: not the file name or row number, so it survives reordered
# rows and the next day's file (baselines, GitLab and SARIF fingerprints).
FINGERPRINT_FIELDS = ("rule", "claim_id", "line_number", "field", "value")


def fingerprint(values: tuple[Any, ...]) -> str:
    import hashlib

    joined = "\x1f".join("" if v is None else str(v) for v in values)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]


@dataclass
class BaselineInfo:
    """What a --baseline file suppressed, and which of its entries no longer occur."""

    __pydantic_config__ = _STRICT

    path: str
    suppressed: int
    stale: list[str] = field(default_factory=list)  # fingerprints of entries this run did not find
    # The same entries as a person finds them in the baseline file: rule, claim, line, field, value.
    stale_entries: list[StaleEntry] = field(default_factory=list)


@dataclass
class StaleEntry:
    __pydantic_config__ = _STRICT

    fingerprint: str
    rule: str | None
    claim_id: str | None
    line_number: str | None
    field: str | None
    value: str | None

    def __str__(self) -> str:
        where = " ".join(
            p
            for p in (self.claim_id and f"claim {self.claim_id}", self.line_number and f"line {self.line_number}")
            if p
        )
        return f"{self.rule or '?'} {where} {self.field or ''} {self.value!r}".replace("  ", " ").strip()
