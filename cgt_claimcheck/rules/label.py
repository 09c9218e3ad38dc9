"""CV: coverage by the FDA label: the indication (CV006) and the age (CV007) of the product billed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.reference.icd import icd_matches
from cgt_claimcheck.rules.base import (
    ALL_PAYERS,
    EPSDT_NOTE,
    RuleContext,
    rule,
)
from cgt_claimcheck.rules.diagnosis_status import diagnosis_status
from cgt_claimcheck.severity import Severity
from cgt_claimcheck.value_parsers import codes_shown

if TYPE_CHECKING:
    import numpy as np

    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Hits, Lines


MEDI_CAL_CONDITIONS = (
    "Medi-Cal CGT manual: each therapy is listed under the condition it treats: 'CGTs used to treat Medi-Cal "
    "members who have been diagnosed with sickle cell disease can be billed with the codes in the following "
    "table' (likewise hemophilia A or B, Duchenne muscular dystrophy, spinal muscular atrophy, retinal "
    "dystrophy, beta thalassemia, synovial sarcoma; CAR-T 'to treat several types of cancer')."
)

NO_INDICATION = (
    "the reference tables have no FDA indication for {them} (indications.csv); an unknown indication is not a mismatch"
)
UNKNOWN_CODES = (
    "the ICD-10-CM codes of an indication in force are unknown to the reference tables (codes_confidence unknown)"
)
PARTLY_BEST_KNOWLEDGE = " (the tables' code list for it is partly best knowledge)"


def _say_not_judged(ctx: RuleContext, code: str, products: set[str], count: int, why: str) -> None:
    brands = sorted({ctx.ref.products[p].brand for p in products if p in ctx.ref.products})
    them = "it" if len(brands) == 1 else "them"
    lines_text = f"{count:,} CGT drug line{'s' if count != 1 else ''}"
    ctx.could_not_judge(code, f"not judged on {lines_text} of {', '.join(brands)}: " + why.format(them=them))


@rule(
    code="CV006",
    name="indication-mismatch",
    severity=Severity.WARNING,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 I.B.1 / III.B.1: covered when administered per FDA-approved 'Indications and usage'; "
        "not covered when 'administered outside U.S. FDA guidelines regarding ... Indications and usage'.",
        "medi-cal": MEDI_CAL_CONDITIONS,
    },
    cites=("WNC I.B.1", "WNC III.B.1", "WNC EPSDT Special Provision", "Medi-Cal procedure code tables"),
    field="diagnosis_codes",
    message="no diagnosis on the claim ({diagnoses}) matches an FDA-approved indication of {brand} on {service_date}{confidence_note}",
    details=("confidence_note", "diagnoses", "epsdt", "severity"),
    hint="Report the diagnosis the therapy treats (principal first); `cgt-claimcheck lookup {procedure_code}` lists the indications.{epsdt}",
    carc="11",
    rarc="M76",
)
def indication_mismatch(lines: Lines, ctx: RuleContext) -> Hits:
    """No diagnosis on the claim matches an FDA-approved indication of the product on that date.

    Indications and their ICD-10-CM lists come from indications.csv; an indication is in force
    from its approval date (unknown dates count as in force). Products with an indication whose
    codes are unknown (Tecelra: no synovial-sarcoma code exists), and products the tables give no
    indication row at all, are not judged (the report's not_checked says which). Where the
    compared lists include best-knowledge codes the message says so. For wnc members under 21
    the finding is info with an EPSDT note.

    Fails (warning): J3392 (Casgevy) with diagnosis E11.9 only.
    Passes: J3392 with D57.1.
    """
    fit = _fit_of(lines, ctx, "CV006")
    hit = lines.flags("is_cgt_drug") & fit.checkable & ~fit.matched
    epsdt = lines.flags("epsdt")[hit]
    return lines.hits(
        hit,
        diagnoses=lines.per_value("diagnosis_codes", lambda v: codes_shown(v) or "none", missing="")[hit],
        confidence_note=lines.where(fit.best_knowledge, PARTLY_BEST_KNOWLEDGE)[hit],
        severity=lines.where(epsdt, "info", None),
        epsdt=lines.where(epsdt, " " + EPSDT_NOTE + "."),
    )


@rule(
    code="CV007",
    name="age-outside-label",
    severity=Severity.WARNING,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 I.B.1 / III.B.1: administered per the FDA-approved 'Indications and usage', which set "
        "the ages treated.",
        "medi-cal": MEDI_CAL_CONDITIONS + " The FDA label of each therapy sets the ages it treats.",
    },
    cites=("WNC I.B.1", "WNC III.B.1", "WNC EPSDT Special Provision", "Medi-Cal procedure code tables"),
    field="member_dob",
    message="the member is {age_text} on {service_date}; {brand} is labeled for {range_text}",
    details=("age_text", "epsdt", "range_text", "severity", "value"),
    hint="Check the date of birth and the product; document medical necessity for an off-label age.{epsdt}",
    carc="6",
    rarc="N129",
    requires_columns=("member_dob",),
)
def age_outside_label(lines: Lines, ctx: RuleContext) -> Hits:
    """The member's age on the date of service is outside the product's labeled age range.

    The range comes from the indications the diagnosis matches, else from every indication in
    force. Zolgensma "less than 2 years" is max age 1. Needs member_dob. For wnc members under 21
    the finding is info with an EPSDT note.

    Fails (warning): J3399 (Zolgensma) for a member aged 3.
    Passes: J3399 for a member aged 1.
    """
    import numpy as np

    fit = _fit_of(lines, ctx, "CV007")
    drug = lines.flags("is_cgt_drug")
    no_birth_date = drug & ~lines.flags("_history") & ~lines.present("member_dob_text")
    if no_birth_date.any():
        _say_no_birth_date(ctx, int(no_birth_date.sum()))
    age = lines.numbers("age")
    with np.errstate(invalid="ignore"):
        outside = (age < fit.min_age) | (age > fit.max_age)  # NaN compares False
    hit = drug & ~np.isnan(age) & outside
    low, high = _whole_numbers(fit.min_age[hit]), _whole_numbers(fit.max_age[hit])
    epsdt = lines.flags("epsdt")[hit]
    return lines.hits(
        hit,
        range_text=np.array([_age_range(a, b) for a, b in zip(low, high, strict=True)], dtype=object),
        age_text=_whole_numbers(age[hit]),
        severity=lines.where(epsdt, "info", None),
        epsdt=lines.where(epsdt, " " + EPSDT_NOTE + "."),
        value=lines.text_at("member_dob_text", np.flatnonzero(hit)),
    )


def _say_no_birth_date(ctx: RuleContext, count: int) -> None:
    ctx.could_not_judge(
        "CV007",
        f"not judged on {count:,} CGT drug line{'s' if count != 1 else ''} without the member's date of birth "
        "(in an X12 file: a dependent patient, 2000C, without a DMG segment)",
    )


@dataclass(frozen=True)
class Fit:
    """Per line (False / NaN off CGT drug lines): what `indication_fit` says, in numpy."""

    checkable: np.ndarray
    matched: np.ndarray
    best_knowledge: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray
    no_indication: np.ndarray


def fit_of_lines(lines: Lines, ref: Reference, memo: dict[Any, Any]) -> Fit:
    """For each CGT drug line: does a billable diagnosis match a label indication in force, and
    the ages of the indications it matched (else of all in force). Once per run: CV006 and CV007."""
    import numpy as np

    key = ("indication fit", id(lines))
    if key in memo:
        return memo[key]
    n = len(lines)
    drug = lines.flags("is_cgt_drug")
    status = diagnosis_status(lines, ref, memo)
    # Only billable codes (or codes on dates the validity table does not judge) can match a label:
    # a category header such as D57 is CD006's finding, not an indication.
    usable = ~status.not_billable & drug[status.line]
    token_line, token_code = status.line[usable], status.code[usable]
    distinct_codes = sorted(set(token_code.tolist()))
    code_at = {c: i for i, c in enumerate(distinct_codes)}
    token_index = np.array([code_at[c] for c in token_code.tolist()], dtype=np.int64)
    in_force_any, matched_any = np.zeros(n, bool), np.zeros(n, bool)
    unknown_any, best_knowledge_any = np.zeros(n, bool), np.zeros(n, bool)
    in_force_rows = []
    for product_id, indications in ref.indications.items():
        product = drug & lines.eq("product", product_id)
        if not product.any():
            continue
        for indication in indications:
            start, end = indication.effective_from, indication.effective_to
            in_force = product & lines.within("service_date", start, end)
            fits = np.array(
                [icd_matches(c, indication.icd10cm_include, indication.icd10cm_exclude) for c in distinct_codes], bool
            )
            matched = np.zeros(n, bool)
            matched[token_line[fits[token_index]]] = True
            matched &= in_force
            in_force_any |= in_force
            matched_any |= matched
            unknown_any |= in_force & (indication.codes_confidence == "unknown")
            best_knowledge_any |= in_force & (indication.codes_confidence == "best_knowledge")
            in_force_rows.append((in_force, matched, indication.min_age, indication.max_age))
    # Ages: from the indications the diagnosis matched, else from all in force; one open bound
    # among them leaves the line without that bound.
    low, high = np.full(n, np.inf), np.full(n, -np.inf)
    open_low, open_high = np.zeros(n, bool), np.zeros(n, bool)
    for in_force, matched, min_age, max_age in in_force_rows:
        basis = in_force & (matched | ~matched_any)
        if min_age is None:
            open_low |= basis
        else:
            low = np.where(basis, np.minimum(low, min_age), low)
        if max_age is None:
            open_high |= basis
        else:
            high = np.where(basis, np.maximum(high, max_age), high)
    # A product the tables give no indication at all is unknown, not mismatched: never judged.
    no_indication = drug & ~lines.isin("product", ref.indications)
    fit = Fit(
        checkable=drug & ~(in_force_any & unknown_any) & ~no_indication,
        matched=matched_any,
        best_knowledge=best_knowledge_any,
        min_age=np.where(open_low | np.isinf(low), np.nan, low),
        max_age=np.where(open_high | np.isinf(high), np.nan, high),
        no_indication=no_indication,
    )
    memo[key] = fit
    return fit


def _fit_of(lines: Lines, ctx: RuleContext, code: str) -> Fit:
    """The fit, and what `code` could not judge for lack of an indication row (or of its codes)."""
    fit = fit_of_lines(lines, ctx.ref, ctx.options)
    drug = lines.flags("is_cgt_drug") & ~lines.flags("_history")
    no_row = drug & fit.no_indication
    _not_judged_lines(ctx, code, lines, no_row, NO_INDICATION)
    if code == "CV006":
        _not_judged_lines(ctx, code, lines, drug & ~fit.checkable & ~no_row, UNKNOWN_CODES)
    return fit


def _not_judged_lines(ctx: RuleContext, code: str, lines: Lines, where: np.ndarray, why: str) -> None:
    if where.any():
        _say_not_judged(ctx, code, set(lines.text_at("product", where).tolist()), int(where.sum()), why)


def _whole_numbers(values: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.array(["" if v != v else str(int(round(v))) for v in values.tolist()], dtype=object)


def _age_range(low: str, high: str) -> str:
    if low and high:
        return f"ages {low} to {high}"
    return f"ages {low} and over" if low else f"ages up to {high}"
