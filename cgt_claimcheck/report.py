"""The finished report: what reporters render. Findings stay columnar (one Arrow table).

A nightly file can give millions of findings; an object per finding costs tens of microseconds
and hundreds of bytes, a row of the table a few bytes (the repetitive columns are dictionary
encoded: a rule's policy text is stored once, not once per finding). Reporters read the table in
batches (`Findings.batches`) or, for the human-sized reports, as records (`iter(findings)`).

The JSON shape is pinned by `report_schema.py` (pydantic, used by tests and for the published
schema only: the check path never builds a pydantic object per finding).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.finding_records import (  # noqa: F401  (reporters import them from here)
    CLAIM_HEADER_COLUMNS,
    ClaimHeader,
    FindingRecord,
    counted,
    denial_codes,
    editor_line,
    file_byte,
    place_of,
)
from cgt_claimcheck.report_header import (  # noqa: F401  (the report's parts, imported from here by many)
    FINGERPRINT_FIELDS,
    BaselineInfo,
    FindingCounts,
    InputError,
    InputSummary,
    NotChecked,
    ReferenceInfo,
    RunInfo,
    StaleEntry,
    Summary,
    ToolInfo,
    fingerprint,
)
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = "1.7"  # 1.1: rows_out_of_scope and out_of_scope (per payer value); 1.2: baseline;
# 1.3: summary.claims_denied and summary.charges_denied; 1.4: a finding's X12 location;
# 1.5: summary.findings_not_listed (a cause repeated past --max-repeats); 1.6: baseline.stale_entries;
# 1.7: run (when, how long, the config file and the effective settings, the reference horizon)

# The columns of a finding, in the order of the JSON record and the CSV report.
FINDING_COLUMNS = (
    "rule",
    "name",
    "severity",
    "payer",
    "claim_id",
    "line_number",
    "file",
    "row",
    "location",
    "field",
    "value",
    "message",
    "hint",
    "policy",
    "carc",
    "rarc",
)
# Written as null when empty (the others are always strings, `row` an integer).
NULLABLE_COLUMNS = frozenset({"payer", "claim_id", "line_number", "location", "carc", "rarc"})
SYSTEMIC_MIN = 20  # this many findings with one cause (rule, file, field, message) are shown as one
# Only the input rules' findings (the file's layout: rejected values, unusable rows, X12 faults) group this
# way. A claim rule's finding on 100 claims is 100 claims to fix, each listed under its claim.
SYSTEMIC_RULE_PREFIXES = ("IN", "XE")  # an X12 writer's fault repeats on every claim it wrote
BATCH_ROWS = 8_192  # findings a writer holds as text at once (a few MB)
# A cause (rule, file, field, message) repeated past this many findings is listed this many times
# and closed by one record that says how many more there were: a hostile file (ten million empty
# X12 segments in 11 KB of gzip) cannot make a report of gigabytes. Counts stay true.
MAX_REPEATS = 1_000
# The hidden column of the findings table: how many findings a record stands for (1, or 1 + the
# findings of its cause that were not listed, on a closing record). Writers never show it.
REPRESENTS = "represents"
# The other hidden columns: on a closing record, the hashes of the distinct claims its unlisted
# findings name (in its file), so the denied claims stay true when those records are gone.
UNLISTED_CLAIMS = "unlisted_claims"
CLAIM_HASH = "claim_hash"  # and each record's own claim, hashed the same way (null when it names none)


def not_listed_note(more: int) -> str:
    """What a closing record adds to its message: how many findings of its cause were not listed."""
    noun = "finding" if more == 1 else "findings"
    return f" [and {more:,} more {noun} like this in this file, not listed; the counts include them]"


@dataclass
class SystemicGroup:
    """Many findings with one cause: same rule, file, field and message (a bad column, a wrong layout)."""

    rule: str
    name: str
    severity: str
    file: str
    field: str
    message: str
    hint: str
    count: int
    examples: list[tuple[int, str]]  # (row, value) of the first few


class Findings:
    """All findings of a run, sorted by file, row and rule: a read-only Arrow table."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def __bool__(self) -> bool:
        return len(self) > 0

    def batches(self, rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        yield from self.table.to_batches(max_chunksize=rows)

    def fingerprints(self) -> Iterator[str]:
        """Each finding's fingerprint (FINGERPRINT_FIELDS), in table order, a batch at a time."""
        for batch in self.batches():
            columns = [batch.column(name).to_pylist() for name in FINGERPRINT_FIELDS]
            yield from (fingerprint(values) for values in zip(*columns, strict=True))

    def __iter__(self) -> Iterator[FindingRecord]:
        for batch in self.batches():
            columns = [batch.column(name).to_pylist() for name in FINDING_COLUMNS]
            severity = FINDING_COLUMNS.index("severity")
            columns[severity] = [Severity(s) for s in columns[severity]]
            for values in zip(*columns, strict=True):
                yield FindingRecord(*values)

    def split_systemic(self, min_count: int = SYSTEMIC_MIN, examples: int = 3) -> tuple[list[SystemicGroup], Findings]:
        """(the causes behind min_count or more findings each, the findings that remain)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        keys = ["rule", "file", "field", "message"]
        if len(self) < min_count:
            return [], self
        plain = self.table.select(keys).cast(pa.schema([(k, pa.string()) for k in keys]))
        tally = plain.append_column(REPRESENTS, self.weights()).group_by(keys).aggregate([(REPRESENTS, "sum")])
        count = tally.column(f"{REPRESENTS}_sum")
        input_rule = pc.or_(*(pc.starts_with(tally.column("rule"), p) for p in SYSTEMIC_RULE_PREFIXES))
        big = tally.filter(pc.and_(pc.greater_equal(count, min_count), input_rule))
        if not big.num_rows:
            return [], self
        joined = pc.binary_join_element_wise(*(plain.column(k) for k in keys), "\x1f")
        wanted = pc.binary_join_element_wise(*(big.column(k) for k in keys), "\x1f")
        member = pc.is_in(joined, value_set=wanted)
        groups = []
        for i, key in enumerate(wanted.to_pylist()):
            first = self.table.filter(pc.equal(joined, key)).slice(0, examples)
            row = {
                name: first.column(name)[0].as_py()
                for name in ("rule", "name", "severity", "file", "field", "message", "hint")
            }
            shown = list(zip(first.column("row").to_pylist(), first.column("value").to_pylist(), strict=True))
            groups.append(SystemicGroup(**row, count=int(big.column(f"{REPRESENTS}_sum")[i].as_py()), examples=shown))
        groups.sort(key=lambda g: -g.count)
        return groups, Findings(self.table.filter(pc.invert(member)))

    def weights(self) -> pa.Array:
        """How many findings each record stands for (1, more on a closing record of a repeated cause)."""
        import pyarrow as pa

        if REPRESENTS in self.table.column_names:
            return self.table.column(REPRESENTS).combine_chunks().cast(pa.int64())
        return pa.array([1] * len(self), pa.int64())

    def total(self) -> int:
        """How many findings there are, the ones a closing record stands for included."""
        import pyarrow.compute as pc

        return int(pc.sum(self.weights()).as_py() or 0) if len(self) else 0

    def not_listed(self) -> int:
        """How many findings closing records stand for beyond themselves."""
        return self.total() - len(self)

    def counts(self, column: str) -> dict[str, int]:
        """How many findings per value of a column (sorted by value), closing records' included."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if not len(self):
            return {}
        # Per dictionary code (the columns a report counts are encoded), a null last.
        values = self.table.column(column).combine_chunks()
        encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
        names = [str(value) for value in encoded.dictionary.to_pylist()] + ["None"]
        codes = encoded.indices.fill_null(len(names) - 1).to_numpy(zero_copy_only=False)
        present = np.bincount(codes, minlength=len(names)) > 0
        sums = np.bincount(codes, weights=self.weights().to_numpy(zero_copy_only=False), minlength=len(names))
        per_text: dict[str, int] = {}
        for name, seen, total in zip(names, present.tolist(), sums.tolist(), strict=True):
            if seen:  # a dictionary may hold a value twice (merged batches): one count per text
                per_text[name] = per_text.get(name, 0) + int(total)
        return dict(sorted(per_text.items()))


@dataclass
class Report:
    tool: ToolInfo
    reference: ReferenceInfo
    inputs: list[InputSummary]
    summary: Summary
    findings: Findings
    not_checked: list[NotChecked] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    schema_version: str = SCHEMA_VERSION
    # The --fail-on threshold (error, warning, info, never): the exit code and the JUnit failures
    # both come from `fails`, so they always agree. A setting of the run, not part of the JSON.
    fail_on: str = "error"
    baseline: BaselineInfo | None = None
    # The header of each claim with findings (a CLAIM_HEADER_COLUMNS table), for the reports a
    # person reads; and the seconds the run took. Neither is part of the JSON report.
    claims: pa.Table | None = None
    elapsed_seconds: float | None = None
    # (file, claim_hash, billed) of claims with rejected rows: their charges count as denied too.
    # `claims` carries the same claim_hash column beside its header columns.
    rejected_billed: pa.Table | None = None
    run: RunInfo | None = None  # set by the command line; a report made through the API has none

    def recount(self) -> None:
        """Set the summary's finding counts and denied claims from the findings (after any baseline)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from cgt_claimcheck.denied_claims import denied_charges, denied_claims

        counts = self.findings.counts("severity")
        for severity in ("error", "warning", "info"):
            setattr(self.summary.findings, severity, counts.get(severity, 0))
        self.summary.findings_not_listed = self.findings.not_listed()
        table = self.findings.table
        errors = table.filter(pc.equal(table.column("severity").cast(pa.string()), "error"))
        denied = denied_claims(errors)
        self.summary.claims_denied = sum(len(hashes) for hashes in denied.values())
        billed = [t for t in (self.claims, self.rejected_billed) if t is not None]  # kept lines, then rejected rows
        self.summary.charges_denied = round(sum(denied_charges(denied, t) for t in billed), 2)

    def claim_headers(self) -> dict[tuple[str, str], ClaimHeader]:
        if self.claims is None or not self.claims.num_rows:
            return {}
        columns = [self.claims.column(name).to_pylist() for name in CLAIM_HEADER_COLUMNS]
        return {(h.file, h.claim_id): h for h in (ClaimHeader(*values) for values in zip(*columns, strict=True))}

    def severity_fails(self, severity: Severity | str | None) -> bool:
        """Does a finding of this severity fail the run (at the report's --fail-on)?"""
        if severity is None or self.fail_on == "never":
            return False
        return Severity(severity).rank >= Severity(self.fail_on).rank

    def fails(self, fail_on: Severity | str | None = None) -> bool:
        """Would this report fail a run at `fail_on` (error, warning, info, never; default the
        report's own)? The command line's exit code 1 is this answer."""
        threshold = str(getattr(fail_on, "value", fail_on) or self.fail_on).lower()
        worst = self.worst_severity()
        if worst is None or threshold == "never":
            return False
        return worst.rank >= Severity(threshold).rank

    def findings_table(self) -> pa.Table:
        """The findings as a plain Arrow table: the columns of the JSON record, text as strings.

        A record closing a repeated cause (past --max-repeats) says in its message how many more
        findings it stands for; the summary's counts include them.
        """
        import pyarrow as pa

        table = self.findings.table.select(list(FINDING_COLUMNS))
        return table.cast(
            pa.schema([(n, pa.int64() if n == "row" else pa.string()) for n in FINDING_COLUMNS])
        ).combine_chunks()

    def to_pandas(self) -> Any:
        """The findings as a pandas DataFrame (the columns of `findings_table`)."""
        return self.findings_table().to_pandas()

    def write(self, output_format: str, target: Any) -> None:
        """Render the report as the command line would (`json`, `csv`, `sarif`, `html`, ...) to a
        path (written by the command line's output rule) or to an open text stream."""
        from cgt_claimcheck.reporters import REPORTERS

        render = REPORTERS.get(str(output_format).lower())
        if render is None or output_format == "statistics":
            raise ValueError(f"unknown format {output_format!r}; one of {', '.join(sorted(REPORTERS))}")
        if hasattr(target, "write"):
            render(self, target)
            return
        from cgt_claimcheck.output_file import write_output

        write_output(str(target), lambda stream: render(self, stream))

    def findings_by_rule(self) -> dict[str, int]:
        return self.findings.counts("rule")

    def worst_severity(self) -> Severity | None:
        present = [s for s in Severity if getattr(self.summary.findings, s.value)]
        return max(present, key=lambda s: s.rank) if present else None

    def header(self) -> dict[str, Any]:
        """Everything but the findings, in the JSON report's key order."""
        return (
            {
                "schema_version": self.schema_version,
                "tool": asdict(self.tool),
            }
            | ({"run": asdict(self.run)} if self.run is not None else {})
            | {
                "reference": asdict(self.reference),
                "inputs": [asdict(i) for i in self.inputs],
                "summary": asdict(self.summary),
                "errors": [asdict(e) for e in self.errors],
            }
            | ({"baseline": asdict(self.baseline)} if self.baseline is not None else {})
        )

    def not_checked_json(self) -> list[dict[str, str]]:
        return [asdict(n) for n in self.not_checked]
