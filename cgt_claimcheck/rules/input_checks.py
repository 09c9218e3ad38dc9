"""IN: rows and claims the other rules cannot trust."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgt_claimcheck.finding_records import counted
from cgt_claimcheck.ingest.problems import InputProblems, ProblemSet
from cgt_claimcheck.rules.base import ALL_PAYERS, RuleContext, no_triggers, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    import numpy as np

    from cgt_claimcheck.rules.lines import Hits, Lines

INPUT_POLICY = {
    "wnc": "WNC.CP.299 Claims-Related Information: 'All claims must comply with National Coding Guidelines.'",
    "medi-cal": (
        "Not a sentence of the Medi-Cal CGT manual: a claim line must carry its required values, readable, "
        "for any Medi-Cal rule to be checked on it (837 national formats)."
    ),
}
INPUT_CITES = ("WNC Claims-Related Information",)


@rule(
    code="IN001",
    name="invalid-value",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy=INPUT_POLICY,
    cites=("WNC Claims-Related Information",),
    field="(column)",
    message="{field} {reason}: the row was rejected and not checked further",
    details=("reason",),
    hint="Fix the value in the extract and run the check again.",
    carc="16",
    triggers=no_triggers,
    applies_to=None,
    runs_on_clinical_trials=True,
    reads="problems",
)
def invalid_value(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """A required value is missing or unparseable; the row is rejected.

    Required: claim_id, line_number, claim_type (837P/837I, P/I, professional/institutional),
    payer (or --payer), member_id, service_date (YYYY-MM-DD with or without a time, YYYYMMDD, M/D/YYYY, or date_format),
    procedure_code (5 characters; may be blank on a line with a revenue code, as 837I
    room-and-board or pharmacy lines are), units (a number). A row with the wrong number of fields is
    rejected the same way. Rows are screened while the file is read (ingest/screen.py), so every
    row is either checked or rejected with this finding.

    Fails: a line whose service_date is `2025-02-30`.
    Passes: the same line dated `2025-02-28`.
    """
    return problems.of_inputs(problems.rejected_rows)


@rule(
    code="IN002",
    name="duplicate-line",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy=INPUT_POLICY,
    cites=("WNC Claims-Related Information",),
    field="line_number",
    message="line {line_number} of claim {claim_id} appears more than once (first at row {first_row})",
    details=("first_row",),
    hint="Give each service line of the claim its own line number, or remove the repeated row.",
    carc="18",
    triggers=no_triggers,
    applies_to=None,
    runs_on_clinical_trials=True,
)
def duplicate_line(lines: Lines, ctx: RuleContext) -> Hits:
    """The same claim_id and line_number appear on more than one row.

    Checked on the claims that reach the CGT rules. The first row stays; every repeat is flagged.

    Fails: claim C1 with two rows numbered line 1.
    Passes: claim C1 with lines 1 and 2.
    """
    import numpy as np

    claim, number = lines.groups("claim_id"), lines.groups("line_number")
    key = claim.astype(np.int64) * (lines.coded("line_number").count + 1) + number
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    first_of_line = first[inverse]  # the row where each (claim, line number) first appears
    hit = first_of_line != np.arange(len(lines))
    at = first_of_line[hit]
    files, first_files = lines.text_at("_file", hit), lines.text_at("_file", at)
    elsewhere = np.where(first_files != files, " of " + first_files.astype(object), "")
    first_row = lines.integers("_row")[at].astype(str).astype(object) + elsewhere
    return lines.hits(hit, first_row=first_row)


CLAIM_LEVEL = ("claim_type", "payer", "member_id", "member_dob_text", "bill_type")


@rule(
    code="IN003",
    name="inconsistent-claim",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy=INPUT_POLICY,
    cites=("WNC Claims-Related Information",),
    field="(claim-level column)",
    message="{field} is {value!r} on this line but {expected!r} on the claim's first line",
    details=("field", "value", "expected"),
    hint="Claim-level values (claim type, payer, member, date of birth, type of bill) must be the same on every line of a claim.",
    carc="16",
    triggers=no_triggers,
    applies_to=None,
    runs_on_clinical_trials=True,
)
def inconsistent_claim(lines: Lines, ctx: RuleContext) -> Hits:
    """claim_type, payer, member_id, member_dob or bill_type differ between lines of one claim.

    Each line is compared with the claim's lowest-numbered line (so row order does not matter).
    Dates of birth compare as dates: `2010-12-31` and `12/31/2010` on two lines agree.

    Fails: claim C1 with line 1 for member M1 and line 2 for member M2.
    Passes: both lines for member M1.
    """
    import numpy as np

    first = lines.first_of_claim()
    differs = np.zeros(len(lines), dtype=np.int64)  # bit k: CLAIM_LEVEL[k] differs from the first line
    for k, column in enumerate(CLAIM_LEVEL):
        compared = _compared(lines, column)
        differs |= (compared != compared[first]).astype(np.int64) << k
    hit = differs != 0
    at, first_at, bits = np.flatnonzero(hit), first[hit], differs[hit]
    # The first differing column gives the value and the expected one; every one is named.
    lowest = (bits & -bits).astype(np.float64)
    which = np.log2(lowest).astype(np.int64) if len(bits) else bits
    # Each column's text at the hit lines and at their claims' first lines, one gather a column.
    texts = [lines.text_at(column, np.concatenate((at, first_at))) for column in CLAIM_LEVEL]
    names = [column.removesuffix("_text") for column in CLAIM_LEVEL]
    fields = {b: ", ".join(n for k, n in enumerate(names) if b >> k & 1) for b in set(bits.tolist())}
    return lines.hits(
        hit,
        field=np.array([fields[b] for b in bits.tolist()], dtype=object),
        value=np.array([texts[k][i] for i, k in enumerate(which.tolist())], dtype=object),
        expected=np.array([texts[k][len(at) + i] for i, k in enumerate(which.tolist())], dtype=object),
    )


def _compared(lines: Lines, column: str) -> np.ndarray:
    """A claim-level column as int codes that are equal where the values are (null and '' alike);
    a date of birth compares as the date read, when it was read (2010-12-31 and 12/31/2010 agree)."""
    import numpy as np
    import pyarrow.compute as pc

    coded = lines.coded(column)
    empty = pc.index(coded.distinct, "").as_py()  # -1 when no line has ''; a null is -1 already
    codes = np.where(coded.codes == empty, -1, coded.codes).astype(np.int64)
    if column != "member_dob_text":
        return codes
    born = lines.days("member_dob").astype("M8[D]")
    return np.where(np.isnat(born), codes + 2**40, born.view(np.int64))


@rule(
    code="IN004",
    name="invalid-optional-value",
    severity=Severity.WARNING,
    payers=ALL_PAYERS,
    policy=INPUT_POLICY,
    cites=("WNC Claims-Related Information",),
    field="(column)",
    message="{field} {value!r} {reason}; rules that need it treat it as missing",
    details=("field", "value", "reason"),
    hint="Use YYYY-MM-DD for member_dob, Y/N for invoice_attached and a non-negative amount for charge.",
    triggers=no_triggers,
    applies_to=None,
    runs_on_clinical_trials=True,
)
def invalid_optional_value(lines: Lines, ctx: RuleContext) -> Hits:
    """An optional value on a CGT-relevant claim is present but cannot be read, or means nothing.

    member_dob must be a date, invoice_attached a yes/no value, charge a finite amount from 0 up
    to $100,000,000 (no line is billed more; an amount of that size is a misplaced value). The row
    is still checked; the age rule (CV007) or the invoice rule (AU002) treat the value as missing.

    Fails: member_dob `31/12/2010`; charge `-2200000` or `1e400`.
    Passes: member_dob `2010-12-31`; charge `2200000.00` or `0`.
    """
    import numpy as np
    import pyarrow as pa

    from cgt_claimcheck.ingest.normalise import charge_problems

    checks = (
        ("member_dob", "member_dob_text", lines.is_null("member_dob"), "is not a date"),
        ("invoice_attached", "invoice_attached_text", lines.is_null("invoice_attached"), "is not a yes/no value"),
        ("charge", "charge_text", lines.is_null("charge"), ""),  # a charge read is usable: normalise keeps no other
    )
    fields = np.full(len(lines), "", dtype=object)
    values, reasons = fields.copy(), fields.copy()
    hit = np.zeros(len(lines), dtype=bool)
    for name, written, unread, reason in checks:
        bad = np.flatnonzero(unread & ~hit & lines.present(written))
        if name == "charge":  # why, for the charges not read only
            why = charge_problems(lines.array(written).take(pa.array(bad))).to_numpy(zero_copy_only=False)
            bad, reason = bad[why != ""], why[why != ""]
        fields[bad], values[bad], reasons[bad] = name, lines.text_at(written, bad), reason
        hit[bad] = True
    return lines.hits(hit, field=fields, value=values, reason=reasons)


@rule(
    code="IN005",
    name="empty-extract",
    severity=Severity.WARNING,
    payers=ALL_PAYERS,
    policy=(
        "Not a payer rule: an extract with no rows usually means the export upstream failed, and the claims "
        "due for submission were never checked (nothing passes silently)."
    ),
    field="(file)",
    message="the extract {reason}: no claim in it was checked",
    details=("reason",),
    hint="Check the export that wrote the file and run it again; --fail-on warning makes an empty nightly file fail the pipeline.",
    triggers=no_triggers,
    applies_to=None,
    runs_on_clinical_trials=True,
    reads="problems",
)
def empty_extract(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """An input file has a header but no rows, or no header at all.

    Reported once per file, on row 0 (the header). Whatever the other files hold, this one gave
    nothing to check. A file with rows that are all rejected is not empty (IN001 says why).

    Fails (warning): a file with only the header line.
    Passes: a file with at least one row.
    """
    return problems.of_inputs(problems.empty_files)


@rule(
    code="IN006",
    name="unusable-context-row",
    severity=Severity.WARNING,
    payers=ALL_PAYERS,
    policy=(
        "Not a payer rule: the repeat-treatment and fertility rules read prior claims (--history) and the "
        "certification rule reads the facility registry (--facilities); a row of those files that cannot be "
        "read is left out, and what it records is then unknown to the check."
    ),
    field="(column)",
    message="{field} {reason}: this row was left out, so the rules that read this file did not see it",
    details=("reason",),
    hint=(
        "Fix the row in the history or facility file and run the check again; until then a repeat treatment "
        "or a certification recorded on it can be missed."
    ),
    triggers=no_triggers,
    applies_to=None,
    runs_on_clinical_trials=True,
    reads="problems",
)
def unusable_context_row(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """A row of a --history file or of the --facilities registry cannot be used.

    History rows follow the extract's rules (IN001's required values, dates, units); registry rows
    need a 10-digit NPI, a certification of QTC, REMS or HTC, a known product when one is given,
    and dates that read as dates. The row is left out and reported on its own file and line; the
    claims being checked are not rejected because of it. A file that cannot be read at all stops
    the run (exit 2).

    Fails (warning): a history row dated `2024-02-30`; a registry row with certification `XYZ`.
    Passes: the same rows dated `2024-02-28` and certified `QTC`.
    """
    return ProblemSet(problems.context_rows, problems.context_files)


@rule(
    code="IN007",
    name="past-reference-horizon",
    severity=Severity.INFO,
    payers=ALL_PAYERS,
    policy=(
        "Not a payer rule: the reference tables were checked against their sources through a date "
        "(manifest.json verified_through); codes, labels and payer rules that changed after it are unknown "
        "to the check, and an unknown reference value is never a finding against a claim."
    ),
    field="service_date",
    message=(
        "{past_lines} of service after {horizon}, the date the reference tables were "
        "verified through: code, label and payer changes after it are not known, and nothing that depends on them "
        "was judged on those lines (not a finding against this claim)"
    ),
    details=("past_lines", "horizon"),
    hint="Update the tables (a newer release, or `--reference-dir` with tables verified for these dates) and check again.",
    triggers=no_triggers,
    applies_to=None,
    runs_on_clinical_trials=True,
)
def past_reference_horizon(lines: Lines, ctx: RuleContext) -> Hits:
    """Dates of service past the date the reference tables were verified through: said once per run.

    Information, never an error or a warning: the claims may be right, the tables cannot tell, so
    a pipeline failing on warnings does not fail for the calendar. Reported once, on the line with
    the earliest such date of service, with how many CGT lines are past the horizon. Lines of
    history files do not count.

    Fails (info): a J3392 line dated 2026-11-01 with tables verified through 2026-09-30.
    Passes: the same line dated 2026-09-30.
    """
    import numpy as np

    horizon = ctx.ref.manifest.verified_through
    if horizon is None:
        return lines.hits(np.zeros(len(lines), dtype=bool))
    past = (lines.days("service_date") > np.datetime64(horizon, "s")) & ~lines.flags("_history")
    # The earliest such date of service (then claim and line) carries it, whatever the row order.
    at = np.flatnonzero(past)
    first = np.zeros(len(lines), dtype=bool)
    if len(at):
        order = np.lexsort(
            (lines.text_at("line_number", at), lines.text_at("claim_id", at), lines.days("service_date")[at])
        )
        first[at[order[0]]] = True
    past_lines = counted(len(at), "CGT claim line has a date", "CGT claim lines have dates")
    return lines.hits(first, past_lines=past_lines, horizon=horizon.isoformat())
