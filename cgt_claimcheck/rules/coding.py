"""CD: the right procedure code on the date of service, in the right number of units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from cgt_claimcheck.reference.rows import ONE_UNIT_BILLING
from cgt_claimcheck.rules.base import ALL_PAYERS, RuleContext, Triggers, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Hits, Lines

WNC_NOTE = (
    "WNC.CP.299 Coding Implications NOTE: 'Provider(s) shall file outpatient claims for Cell & Gene "
    "Therapy with the product-specific HCPCS code for the Cell & Gene Therapy. If the Cell & Gene "
    "Therapy has been approved by the U.S. FDA but has not yet been assigned a product specific HCPCS "
    "code, the provider shall use HCPCS J3590 (UNCLASSIFIED BIOLOGICS).'"
)


MEDI_CAL_TABLES = (
    "Medi-Cal CGT manual, tables of procedure codes: each therapy section says its CGTs 'can be billed with "
    "the codes in the following table' (for example 'CGTs used to treat Medi-Cal members who have been "
    "diagnosed with sickle cell disease can be billed with the codes in the following table')."
)


def _dated_codes(ref: Reference) -> Triggers:
    return Triggers(procedure_codes=frozenset(h.code for h in ref.hcpcs if h.product_id or h.kind == "administration"))


@rule(
    code="CD001",
    name="code-not-effective",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 III.A: not covered when 'The Cell or Gene Therapy has not received approval from the "
        "U.S. FDA'. "
        + WNC_NOTE
        + " Claims-Related Information, Code(s): 'Provider(s) shall use the Current Procedural Terminology (CPT), "
        "Health Care Procedure Coding System (HCPCS) ... and any subsequent editions in effect at the time of service.'",
        "medi-cal": MEDI_CAL_TABLES + " A code is billable on the dates CMS has it in effect.",
    },
    cites=(
        "WNC I.A",
        "WNC III.A",
        "WNC Coding Implications NOTE",
        "WNC Claims-Related Information",
        "Medi-Cal procedure code tables",
    ),
    field="procedure_code",
    message="{procedure_code} is not valid on {service_date}: it is valid {window}",
    details=("suggestion", "window"),
    hint="Bill {suggestion}.",
    carc="181",
    triggers=_dated_codes,
)
def code_not_effective(lines: Lines, ctx: RuleContext) -> Hits:
    """A CGT HCPCS (or CAR-T administration code) billed outside its effective window.

    Only known bounds are enforced: a code whose start date the sources do not give is never
    flagged for being too early. A predecessor code the tables give no end date (Category III
    0540T, the temporary CAR-T C-codes, an earlier Q-code) ends the day before its successor
    starts: the successor's effective date, or where the sources give none, the date by which
    it was demonstrably billed (so the end is never earlier than the truth). The hint names the code that was valid on that date (the
    successor, e.g. Q2040 -> Q2042, or the predecessor), or J3590 with the NDC when no
    product-specific code existed yet, or says the product was not yet FDA-approved.

    Fails: Q2040 (Kymriah, valid 2018-01-01 to 2018-12-31) on 2019-03-01 -> bill Q2042; 0540T on
    2025-03-01 (38228 replaced it on 2025-01-01).
    Passes: Q2042 on 2019-03-01; 0540T on 2024-06-01.
    """
    import numpy as np

    ref = ctx.ref
    windows = _windows_of_codes(ref)
    days = lines.days("service_date")
    dated, valid = np.zeros(len(lines), bool), np.zeros(len(lines), bool)
    for w in windows:
        code = lines.eq("procedure_code", w.code)
        dated |= code
        valid |= code & lines.within("service_date", w.start, w.end)
    hit = dated & ~valid
    code_of, served = lines.text_at("procedure_code", hit), days[hit].astype("M8[D]").astype(object)
    approval = {pid: p.fda_approval_date for pid, p in ref.products.items()}
    window_text, suggestion = [], []
    for code, day in zip(code_of, served, strict=True):
        w = next(w for w in windows if w.code == code)  # the code's first window, as in the tables
        window_text.append(
            f"{w.start.isoformat() if w.start else 'from an unknown date'} to "
            f"{w.end.isoformat() if w.end else 'open'}{w.end_note}"
        )
        # What was valid that day in the same group: a code with a known start window first.
        same_group = [v for v in windows if v.group == w.group and _within_day(day, v.start, v.end)]
        known = [v.code for v in same_group if v.start is not None]
        in_use = [v.code for v in same_group if v.start is None and v.in_use_by is not None and v.in_use_by <= day]
        approved_on = approval.get(w.group)
        if known or in_use:
            suggestion.append(f"code {(known or in_use)[0]}")
        elif w.group == "administration":
            suggestion.append("the CAR-T administration code in effect on that date")
        elif approved_on is not None and day < approved_on:
            suggestion.append(f"nothing: the product was not FDA-approved until {approved_on.isoformat()}")
        else:
            suggestion.append("J3590 with the NDC (no product-specific code was in effect on that date)")
    return lines.hits(hit, window=np.array(window_text, dtype=object), suggestion=np.array(suggestion, dtype=object))


@rule(
    code="CD002",
    name="unclassified-with-specific-code",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy={"wnc": WNC_NOTE, "medi-cal": MEDI_CAL_TABLES},
    cites=("WNC Coding Implications NOTE", "Medi-Cal procedure code tables"),
    field="procedure_code",
    message="J3590 billed for {brand} (NDC {ndc}) on {service_date}, when its product-specific code {specific_code} is in effect (since {since})",
    details=("since", "specific_code"),
    hint="Bill {specific_code} with the same NDC instead of J3590.",
    carc="189",
    triggers=lambda ref: Triggers(procedure_codes=frozenset({"J3590"})),
)
def unclassified_with_specific_code(lines: Lines, ctx: RuleContext) -> Hits:
    """J3590 billed with the NDC of a product whose product-specific HCPCS is in effect that day.

    "In effect" uses the code's effective date, or where the sources give none, the date by
    which the code was demonstrably billable (the table's in_use_by). Before that date J3590 is
    what the policy asks for, so nothing is flagged.

    Fails: J3590 + NDC 51167-0290-01 (Casgevy) on 2025-03-01 -> bill J3392.
    Passes: the same line on 2024-10-01 (J3392 effective 2025-01-01).
    """
    import numpy as np

    product_codes = {h.code for h in ctx.ref.hcpcs if h.kind == "product"}
    windows = [w for w in _windows_of_codes(ctx.ref) if w.group in ctx.ref.products and w.code in product_codes]
    j3590 = lines.flags("is_j3590") & ~lines.is_null("product_ndc")
    specific = np.full(len(lines), None, dtype=object)
    since = np.full(len(lines), None, dtype=object)
    for w in reversed(windows):  # the first window in the tables' order wins
        start = w.start or w.in_use_by
        if start is None:
            continue
        applies = j3590 & lines.eq("product_ndc", w.group) & lines.within("service_date", start, w.end)
        specific[applies], since[applies] = w.code, start.isoformat()
    hit = specific != None  # noqa: E711 (elementwise)
    return lines.hits(hit, specific_code=specific, since=since)


@rule(
    code="CD003",
    name="unclassified-not-cgt",
    severity=Severity.INFO,
    payers=ALL_PAYERS,
    policy={"wnc": WNC_NOTE, "medi-cal": MEDI_CAL_TABLES},
    cites=("WNC Coding Implications NOTE", "Medi-Cal procedure code tables"),
    field="ndc",
    message="J3590 with NDC {ndc!r} is not a CGT product in the reference tables: the CGT rules were not applied to this line",
    hint="If this is a cell or gene therapy, check the NDC (or add the package to the tables with --reference-dir).",
    triggers=lambda ref: Triggers(procedure_codes=frozenset({"J3590"})),
    applies_to=None,
)
def unclassified_not_cgt(lines: Lines, ctx: RuleContext) -> Hits:
    """J3590 whose NDC is not a CGT package, product code or CGT labeler: CGT rules were not applied.

    A missing NDC is ND001's error, an NDC that cannot be read ND002's, and an NDC from a CGT
    maker with an unknown product code ND004's warning.

    Fails (info): J3590 with NDC 00002-1433-80.
    Passes: J3590 with NDC 51167-0290-01 (Casgevy).
    """
    unknown = lines.flags("is_j3590") & lines.is_null("product_ndc")
    return lines.hits(unknown & lines.eq("ndc_status", "valid") & lines.eq("ndc_match", ""))


@rule(
    code="CD004",
    name="units-per-treatment",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 Billing Units: 'Provider(s) shall report the appropriate code(s) used which determines "
        "the billing unit(s).'",
        "medi-cal": "Medi-Cal CGT manual, tables of procedure codes: the code descriptors bill these codes 'per "
        "treatment', 'per therapeutic dose' or 'per infusion'.",
    },
    cites=("WNC Billing Units", "Medi-Cal procedure code tables"),
    field="units",
    message="{procedure_code} is billed {unit_text}, so one line carries 1 unit, not {units_text}",
    details=("unit_text",),
    hint="Bill 1 unit on this line (a second infusion of a split dose is its own line).",
    carc="16",
    rarc="M53",
    triggers=lambda ref: Triggers(
        procedure_codes=frozenset(h.code for h in ref.hcpcs if h.billing_unit in ONE_UNIT_BILLING)
    ),
)
def units_per_treatment(lines: Lines, ctx: RuleContext) -> Hits:
    """A code billed per treatment, per therapeutic dose or per infusion with units other than 1.

    Codes billed per mL (J1412) or per 1e9 vector genomes (J3398) are not checked.

    Fails: J3399 (Zolgensma, per treatment) with 2 units.
    Passes: J3399 with 1 unit.
    """
    unit_text = {h.code: h.billing_unit.replace("_", " ") for h in ctx.ref.hcpcs if h.billing_unit in ONE_UNIT_BILLING}
    hit = lines.isin("procedure_code", unit_text) & (lines.numbers("units") != 1)
    return lines.hits(hit, unit_text=lines.lookup("procedure_code", unit_text))


def _ceiling_codes(ref: Reference) -> Triggers:
    return Triggers(procedure_codes=frozenset(h.code for h in ref.hcpcs if h.max_units_per_day))


@rule(
    code="CD005",
    name="dose-over-label-maximum",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 III.B.2: not covered when 'The Cell or Gene Therapy is being administered outside U.S. "
        "FDA guidelines regarding ... Dosage and administration'; Billing Units: 'Provider(s) shall report the "
        "appropriate code(s) used which determines the billing unit(s).'",
        "medi-cal": "Medi-Cal CGT manual, Retinal Dystrophy: J3398 'Injection, voretigene neparvovec-rzyl, 1 billion "
        "vector genomes': a unit is 1 billion vector genomes, and the FDA label fixes the dose per eye.",
    },
    cites=("WNC I.B.2", "WNC III.B.2", "WNC Billing Units", "Medi-Cal Retinal Dystrophy"),
    field="units",
    message=(
        "{procedure_code} ({brand}) billed {day_units} units for the member on {service_date}; "
        "the label allows at most {max_units} a day ({basis})"
    ),
    details=("day_units", "max_units", "basis"),
    hint="Bill the units of the dose given that day: a second eye or a second administration is its own date of service.",
    carc="188",
    rarc="N362",
    triggers=_ceiling_codes,
)
def dose_over_label_maximum(lines: Lines, ctx: RuleContext) -> Hits:
    """More units of a code on one date of service, for one member, than the label's maximum dose.

    Applies to codes billed per unit of vector genomes or volume whose label fixes the dose per
    administration (hcpcs.csv max_units_per_day, with its basis and label source): Luxturna J3398
    is 1.5 x 10^11 vg per eye, 150 units, one eye a day, the eyes no fewer than 6 days apart.
    Units are added over every line and claim of the member on that date (a split line is not a
    way around the ceiling). Weight-based doses (Roctavian per mL) have no fixed ceiling.

    Fails: J3398 with 300 units on one date (both eyes billed on one day).
    Passes: J3398 with 150 units on 2025-03-01 and 150 on 2025-03-08.
    """
    import numpy as np

    ceilings = {h.code: h for h in ctx.ref.hcpcs if h.max_units_per_day}
    units = lines.numbers("units")
    billed = lines.isin("procedure_code", ceilings) & ~np.isnan(units)
    # Units add up over every line and claim of the member on that date of service.
    key = np.zeros(len(lines), dtype=np.int64)
    for name in ("member_id", "procedure_code", "service_date"):
        coded = lines.coded(name)
        key = key * (coded.count + 1) + coded.codes + 1
    _, day = np.unique(key, return_inverse=True)
    day_units = np.bincount(day, weights=np.where(billed, units, 0.0))[day]
    max_units = lines.lookup("procedure_code", {c: h.max_units_per_day for c, h in ceilings.items()})
    ceiling = np.array([np.nan if m is None else float(m) for m in max_units.tolist()])
    hit = billed & (day_units > ceiling)
    return lines.hits(
        hit,
        day_units=np.array([f"{v:g}" for v in day_units[hit].tolist()], dtype=object),
        max_units=max_units,
        basis=lines.lookup("procedure_code", {c: h.max_units_basis for c, h in ceilings.items()}),
    )


@dataclass(frozen=True)
class CodeWindow:
    code: str
    group: str  # the product, or "administration"
    start: date | None
    end: date | None
    in_use_by: date | None
    end_note: str  # why the window ends where it does when the tables give no end date


def _windows_of_codes(ref: Reference) -> list[CodeWindow]:
    """The dated CGT and CAR-T administration codes, in the tables' order (`_code_windows`)."""
    return [
        CodeWindow(
            h.code,
            h.product_id or "administration",
            h.effective_from,
            ref.hcpcs_end(h),
            h.in_use_by,
            f" (it ends the day before its successor {ref.implied_hcpcs_end[h.code][1]} starts)"
            if h.effective_to is None and h.code in ref.implied_hcpcs_end
            else "",
        )
        for h in ref.hcpcs
        if h.product_id or h.kind == "administration"
    ]


def _within_day(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)
