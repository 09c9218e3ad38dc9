"""CD006: the diagnoses of a CGT claim, coded to the highest specificity in effect on the date of service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgt_claimcheck.rules.base import ALL_PAYERS, RuleContext, Triggers, cgt_drug_triggers, rule
from cgt_claimcheck.rules.diagnosis_status import NO_CHAPTER, NOT_JUDGED, OUTSIDE_DATES, diagnosis_status
from cgt_claimcheck.severity import Severity
from cgt_claimcheck.value_parsers import codes_shown

if TYPE_CHECKING:
    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Hits, Lines

OFFICIAL_GUIDELINES = (
    "ICD-10-CM Official Guidelines for Coding and Reporting, Section I.B.2, Level of Detail in Coding (the "
    "HIPAA code set standard): 'A code is invalid if it has not been coded to the full number of characters "
    "required for that code, including the 7th character, if applicable.'"
)


def _cgt_claims(ref: Reference) -> Triggers:
    return cgt_drug_triggers(ref) | Triggers(procedure_codes=ref.codes("car_t_admin"))


@rule(
    code="CD006",
    name="diagnosis-not-billable",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 Claims-Related Information: 'Provider(s) shall report the ICD-10-CM and Procedural "
        "Coding System (PCS) to the highest level of specificity that supports medical necessity. Provider(s) "
        "shall use the current ICD-10 edition and any subsequent editions in effect at the time of service.'",
        "medi-cal": OFFICIAL_GUIDELINES,
    },
    cites=("WNC Claims-Related Information", "ICD-10-CM Official Guidelines I.B.2"),
    field="diagnosis_codes",
    message="diagnosis on a CGT claim, {service_date}: {problems}",
    details=("problems", "value"),
    hint="Report each diagnosis to the highest specificity, with the ICD-10-CM code in effect on the date of service.",
    carc="16",
    rarc="M76",
    triggers=_cgt_claims,
    requires=("icd10cm_validity",),
)
def diagnosis_not_billable(lines: Lines, ctx: RuleContext) -> Hits:
    """A diagnosis on a CGT claim is not a valid, billable ICD-10-CM code on the date of service.

    Every diagnosis of a claim with a CGT drug line or a CAR-T administration is looked up in the
    fiscal-year validity table (icd10cm_validity.csv, from the CMS MS-DRG definitions FY2019 to
    FY2026 with their April updates): a category header (`D57`; `C83.39` from 2024-10-01, when it
    was split into C83.390 and C83.398) or a code not valid in that fiscal year is a finding,
    reported once per claim on its lowest-numbered CGT line with every such code. Dates of service outside
    the table (before 2018-10-01, after 2026-09-30), and codes of a chapter the table does not
    hold (the external causes V00-Y99, which the MS-DRG definitions leave out), are not judged: the
    report's not_checked says how many. Indication matching (CV006, CV007) counts only billable
    codes.

    Fails: J3392 with diagnosis D57 (a category) on 2025-03-01; Q2041 with C83.39 on 2025-03-01.
    Passes: J3392 with D57.1; Q2041 with C83.39 on 2024-09-30, or C83.398 on 2025-03-01.
    """
    import numpy as np

    from cgt_claimcheck.distinct import distinct

    status = diagnosis_status(lines, ctx.ref, ctx.options)
    unjudged = (status.status == NOT_JUDGED) & ~lines.flags("_history")[status.line]
    notes = status.note[unjudged]
    chapter = {c for c, n in zip(status.code[unjudged], notes, strict=True) if n.startswith(NO_CHAPTER)}
    dated = distinct(status.line[unjudged][[n.endswith(OUTSIDE_DATES) for n in notes]])
    _not_judged(sorted(chapter), len(dated), ctx)

    # Per claim, every distinct bad code (lists repeat on each line), in the order of the claim's
    # lines (by line number), on the claim's first CGT line.
    claim = lines.groups("claim_id")
    bad = np.flatnonzero(status.not_billable)
    place = np.empty(len(lines), dtype=np.int64)
    place[lines.claim_order()] = np.arange(len(lines))
    bad = bad[np.argsort(place[status.line[bad]], kind="stable")]
    problems: dict[int, dict[str, str]] = {}
    for c, code, note in zip(claim[status.line[bad]].tolist(), status.code[bad], status.note[bad], strict=True):
        problems.setdefault(c, {}).setdefault(code, note)
    cgt_line = lines.flags("is_cgt_drug") | lines.flags("is_car_t_admin")
    anchor = lines.is_first_of_claim(cgt_line) & np.isin(claim, list(problems))
    at = claim[anchor].tolist()
    return lines.hits(
        anchor,
        problems=np.array(["; ".join(problems[c].values()) for c in at], dtype=object),
        value=np.array([codes_shown(";".join(problems[c])) for c in at], dtype=object),
    )


def _not_judged(chapter_codes: list[str], dated_lines: int, ctx: RuleContext) -> None:
    """Codes CD006 cannot know (a chapter the table lacks, a date it does not cover) are never a
    finding: the report's not_checked says how many, and why."""
    from cgt_claimcheck.value_parsers import format_icd10cm

    if chapter_codes:
        codes = chapter_codes
        shown = ", ".join(format_icd10cm(c) for c in codes[:5]) + (", ..." if len(codes) > 5 else "")
        starts = ctx.ref.icd10cm_validity.chapter_starts if ctx.ref.icd10cm_validity is not None else {}
        initials = sorted({c[:1] for c in codes})
        held = "; ".join(
            f"{i} codes from {starts[i].isoformat()}" if i in starts else f"no {i} codes" for i in initials
        )
        ctx.could_not_judge(
            "CD006",
            f"not judged: {len(codes):,} distinct diagnosis code{'s' if len(codes) != 1 else ''} ({shown}) on dates "
            f"the ICD-10-CM validity table does not hold their chapter ({held}: the MS-DRG definitions it comes from "
            "leave out the external causes V00-Y99, which come from the CDC tabular of April 2026)",
        )
    if dated_lines:
        count = dated_lines
        ctx.could_not_judge(
            "CD006",
            f"not judged on {count:,} line{'s' if count != 1 else ''} dated outside the dates the ICD-10-CM validity "
            "table covers (its first and last fiscal years)",
        )
