"""XE: what is wrong with an X12 837 file itself, before any claim in it is adjudicated.

The X12 reader (ingest/x12.py) finds these while it reads; the engine reports them as these
rules' findings, selectable and counted against --fail-on like any other. Each hint names the fix
and what a payer's acknowledgment (999 for a group or transaction, TA1 for the interchange) would
answer.
"""

from __future__ import annotations

from cgt_claimcheck.ingest.problems import InputProblems, ProblemSet
from cgt_claimcheck.rules.base import ALL_PAYERS, RuleContext, no_triggers, rule
from cgt_claimcheck.severity import Severity

X12_POLICY = (
    "Not a payer rule: HIPAA adopts the X12 5010 837 (005010X222A1 professional, 005010X223A2 institutional) "
    "as the standard for electronic claims; the payer's translator acknowledges each file (a 999 for groups "
    "and transactions, a TA1 for the interchange) before any claim in it is adjudicated, and a rejected "
    "transaction's claims are never seen."
)


def _x12_rule(code: str, name: str, severity: Severity, message: str, hint: str):  # type: ignore[no-untyped-def]
    return rule(
        code=code,
        name=name,
        severity=severity,
        payers=ALL_PAYERS,
        policy=X12_POLICY,
        field="(segment)",
        message=message,
        details=("reason",),
        hint=hint,
        triggers=no_triggers,
        applies_to=None,
        runs_on_clinical_trials=True,
        reads="problems",
    )


@_x12_rule(
    "XE001",
    "x12-envelope",
    Severity.ERROR,
    "{reason}",
    "Send the whole file again from the system that wrote it (every ST closed by its SE, GS by GE, ISA by "
    "IEA). A 999 answers a missing SE or GE with IK502/AK905 code 2 or 3 (trailer missing); the open "
    "transaction's claims are not adjudicated.",
)
def x12_envelope(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """The file is cut short or an envelope is not closed.

    A file that ends inside a transaction rejects that transaction's lines (IN001): a claim rule
    could miss its later lines. A missing GE or IEA after complete transactions keeps the lines.

    Fails (error): a file cut off after the first service line; an ST with no SE before the GE.
    Passes: every ST..SE inside GS..GE inside ISA..IEA.
    """
    return problems.x12_found("XE001")


@_x12_rule(
    "XE002",
    "x12-control-mismatch",
    Severity.ERROR,
    "{reason}",
    "Regenerate the trailers: SE01 counts the segments from ST to SE, GE01 the transactions, IEA01 the "
    "groups, and SE02/GE02/IEA02 repeat ST02/GS06/ISA13. A 999 rejects the transaction (IK5*R, IK502 3 or "
    "4) or the group (AK9*R, AK905 4 or 5); a TA1 rejects the interchange.",
)
def x12_control_mismatch(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """A control count or control number in a trailer disagrees with what it encloses.

    Fails (error): SE01 says 25 segments when the transaction has 34; GE02 that is not GS06.
    Passes: trailers that count and repeat their headers.
    """
    return problems.x12_found("XE002")


@_x12_rule(
    "XE003",
    "x12-version",
    Severity.WARNING,
    "{reason}",
    "Send 837P as 005010X222A1 and 837I as 005010X223A2 in both GS08 and ST03, with ICD-10 diagnoses (ABK, "
    "ABF). A 999 rejects an unsupported version (AK905 2, or IK502 1 for the transaction) and a claim with "
    "ICD-9 codes is denied.",
)
def x12_version(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """The version is not the adopted one, GS08 and ST03 disagree, or diagnoses are ICD-9.

    Errata and base versions of the 837P/837I (X222, X222A2, X223, X223A1, X223A3) are read as the
    claim type they name. Another version or transaction set is skipped and its lines rejected;
    a file with no 837 5010 transaction exits 2. The claim type comes from ST03 (GS08 if empty).

    Fails (warning): ST03 005010X222A2; GS08 005010X222A1 with ST03 005010X222; HI*BK:7215.
    Passes: GS08 and ST03 both 005010X222A1 with HI*ABK:D571.
    """
    return problems.x12_found("XE003")


@_x12_rule(
    "XE004",
    "x12-composite",
    Severity.ERROR,
    "{reason}",
    "Write each composite (CLM05, SV101, SV202, HI, CTP05) with the component separator declared in ISA16. "
    "A 999 answers IK4 with IK403 13 (too many components) or 7 (invalid code value): the line is rejected, "
    "and readers that trust ISA16 lose its procedure code.",
)
def x12_composite(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """A composite does not use the declared component separator (ISA16), or is not a composite.

    The reader still splits it by the separator it uses, so the claim rules see the right code;
    the payer's translator will not.

    Fails (error): ISA16 ':' with SV101 'HC>98940'; HI*BK*8901 (no qualifier:code).
    Passes: ISA16 ':' with SV101 'HC:98940'.
    """
    return problems.x12_found("XE004")


@_x12_rule(
    "XE005",
    "x12-format",
    Severity.WARNING,
    "{reason}",
    "Fix the writer: no byte-order mark, one terminator per segment, upper-case segment IDs of the 837, a "
    "fixed-width 106-character ISA with a repetition separator in ISA11. Translators often accept these; a "
    "strict one answers IK3 with IK304 1 (unrecognized segment ID) or rejects the interchange (TA1).",
)
def x12_format(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """The file is readable but not written as the standard says.

    A byte-order mark, an empty segment, a lowercase or unknown segment ID (ignored), an ISA that is
    not fixed-width, ISA11 that is not a repetition separator in 5010 (or is one before 5010), a
    last segment without its terminator.

    Fails (warning): a file that starts with EF BB BF; 'clm*...'; '~~'.
    Passes: the same file without them.
    """
    return problems.x12_found("XE005")


@_x12_rule(
    "XE006",
    "x12-structure",
    Severity.ERROR,
    "{reason}",
    "Fix the hierarchy: HL01 counts up from 1, HL02 names an earlier HL, each claim (CLM) has service lines "
    "(LX) and each LX belongs to a claim. A 999 answers IK3 with IK304 2, 3 or 7 (unexpected, missing or "
    "out-of-sequence segment) and rejects the transaction.",
)
def x12_structure(problems: InputProblems, ctx: RuleContext) -> ProblemSet:
    """The HL hierarchy is broken, a claim has no service lines, or a line has no claim.

    A service line outside a claim is rejected (IN001); a claim without lines has nothing to check.

    Fails (error): two HL segments numbered 2; CLM followed by the next HL; LX before any CLM.
    Passes: HL 1, 2, 3 with parents, each CLM with its LX loops.
    """
    return problems.x12_found("XE006")
