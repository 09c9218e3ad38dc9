"""CV: coverage: repeat treatment, fertility preservation, delivery system, trials, label fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgt_claimcheck.ingest.columns import HISTORY_PREFIX, OTHER_PAYER_PREFIX
from cgt_claimcheck.rules.base import (
    EPSDT_NOTE,
    MEDI_CAL,
    MEDI_CAL_FFS,
    MEDI_CAL_MCP,
    WNC,
    RuleContext,
    Triggers,
    cgt_drug_triggers,
    rule,
)
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    import numpy as np

    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Hits, Lines

FERTILITY_DX = "Z3184"


@rule(
    code="CV001",
    name="repeat-treatment",
    severity=Severity.ERROR,
    payers=WNC,
    policy=(
        "WNC.CP.299 III.D: not covered for 'Repeat treatment in members who have received the same or another "
        "Cell or Gene Therapy previously'; Background II.E: 'Continued therapy is not authorized, as Cell & Gene "
        "Therapy is designed to be administered as a one-time, lifetime treatment.'"
    ),
    cites=("WNC III.D", "WNC Background II.E", "WNC EPSDT Special Provision"),
    field="procedure_code",
    message="{detail}",
    details=("detail", "fix", "carc", "rarc", "severity"),
    hint="{fix}",
    carc="119",
    rarc="N362",
    applies_to=lambda ref, product_id, payer: ref.products[product_id].dosing == "once",
)
def repeat_treatment(lines: Lines, ctx: RuleContext) -> Hits:
    """The member already received the same or another CGT on an earlier date.

    Looks at every CGT drug line of the member in the input and in `--history FILE`, whoever paid
    it: lines of payers out of scope are not checked, but they are the member's history (members
    are matched by member_id; a member known to another payer by another ID is not linked). One
    treatment is one product within the repeat window (default 30 days from its first date, set
    with --repeat-window-days or repeat_window_days in the config), so split doses such as
    Aucatzyl's day 1 and day 10 infusions are one treatment. The same product on the same date
    on two different claims is a duplicate (CARC 18), flagged on every claim but the one with
    the lowest claim_id.

    Decisions (issue 12):
    - Products the label gives more than once (products.csv dosing = repeat) are exempt.
    - A voided claim (claim frequency 8, from claim_frequency or an 837I type of bill ending in 8)
      is never a treatment; a replacement (7) replaces the earlier claim for the same product, it
      does not repeat it (another product before it is still a repeat).
    - WNC EPSDT: for a member under 21 the frequency limit may be exceeded with documented medical
      necessity, so the finding is a warning with an EPSDT hint (prior approval still applies).

    Fails: Zolgensma on 2025-03-01 for a member with Luxturna on 2024-05-01 (input or history).
    Passes: Aucatzyl on 2025-08-01 and 2025-08-10 for the same member.
    """
    import numpy as np

    once = [pid for pid, p in ctx.ref.products.items() if p.dosing == "once"]
    counted = lines.flags("is_cgt_drug") & lines.isin("product", once) & ~lines.eq("frequency", "8")
    rows = np.flatnonzero(counted)
    member = lines.groups("member_id")[rows]
    day = lines.days("service_date")[rows].astype("M8[D]").view(np.int64)
    product, claim = _ranks(lines, "product")[rows], _ranks(lines, "claim_id")[rows]
    # Order by date, then product and claim id: the result does not depend on row order.
    order = np.lexsort((claim, product, day, member))
    rows, member, day, product, claim = rows[order], member[order], day[order], product[order], claim[order]
    first = _group_firsts(member)  # per row, the member's first treatment
    replacement = lines.eq("frequency", "7")[rows]
    same_treatment = (product == product[first]) & ((day - day[first] <= ctx.repeat_window_days) | replacement)
    repeat = (day > day[first]) & ~same_treatment
    first_claim = _group_firsts(member, day, product)  # per row, the first claim of that product that day
    duplicate = ~repeat & (claim != claim[first_claim]) & ~replacement

    hit = np.zeros(len(lines), dtype=bool)
    hit[rows[repeat | duplicate]] = True
    if ctx.scope is not None:  # the messages below are worded for the hits the engine keeps only
        hit &= ctx.scope
    flagged = np.zeros(len(lines), dtype=np.int64)
    flagged[rows] = np.arange(len(rows))
    at = flagged[hit]  # positions in the sorted rows of the hit lines, in line order
    line, prior, same_day = rows[at], rows[first[at]], rows[first_claim[at]]
    is_repeat, epsdt = repeat[at].tolist(), lines.flags("epsdt")[line].tolist()
    detail, fix = [], []
    for again, young, b, day, b0, day0, earlier, paid_by, same in zip(
        is_repeat,
        epsdt,
        lines.text_at("brand", line).tolist(),
        lines.text_at("service_date", line).tolist(),
        lines.text_at("brand", prior).tolist(),
        lines.text_at("service_date", prior).tolist(),
        lines.text_at("claim_id", prior).tolist(),
        lines.text_at("payer", prior).tolist(),
        lines.text_at("claim_id", same_day).tolist(),
        strict=True,
    ):
        if again:
            where = (
                " in the history file"
                if earlier.startswith(HISTORY_PREFIX)
                else f", billed to {paid_by}"
                if earlier.startswith(OTHER_PAYER_PREFIX)
                else ""
            )
            shown = earlier.removeprefix(HISTORY_PREFIX).removeprefix(OTHER_PAYER_PREFIX)
            detail.append(f"{b} on {day} is a repeat CGT: the member received {b0} on {day0} (claim {shown}{where})")
            fix.append(ONE_TREATMENT + (f" {EPSDT_NOTE}." if young else ""))
        else:
            detail.append(f"the same {b} on {day} is already billed on claim {same}")
            fix.append("Remove the duplicate claim, or correct the date of service.")
    again = repeat[at]
    severity = lines.where(again & lines.flags("epsdt")[line], "warning", None)
    carc = lines.where(again, None, "18")
    rarc = lines.where(again, "N362", None)
    return lines.hits(hit, detail=detail, fix=fix, severity=severity, carc=carc, rarc=rarc)


def _fertility_triggers(ref: Reference) -> Triggers:
    return cgt_drug_triggers(ref) | Triggers(
        procedure_codes=ref.codes("fertility_preservation"), diagnosis_codes=frozenset({FERTILITY_DX})
    )


@rule(
    code="CV002",
    name="fertility-preservation-not-covered",
    severity=Severity.ERROR,
    payers=WNC,
    policy=(
        "WNC.CP.299 IV.A: shall not cover 'Fertility preservation services associated with Cell & Gene Therapy "
        "administration.' NOTE: CMS 'will require participating manufacturers to provide payment for fertility "
        "preservation services for members who receive therapies administered under the CGT Access Model.'"
    ),
    cites=("WNC IV.A",),
    field="procedure_code",
    message="fertility preservation ({procedure_code}) for a member who receives {member_cgt}: not covered by the plan",
    details=("member_cgt",),
    hint="Under the CGT Access Model the manufacturer pays for fertility preservation: bill the manufacturer's program, not WellCare.",
    carc="96",
    rarc="N130",
    triggers=_fertility_triggers,
)
def fertility_preservation_not_covered(lines: Lines, ctx: RuleContext) -> Hits:
    """Fertility preservation for a member with a CGT in the input or the history.

    A fertility preservation service is a code of the `fertility_preservation` set (CPT
    cryopreservation/storage codes, HCPCS S4027-S4040) or any non-CGT, non-NEMT line on a claim
    whose diagnoses include Z31.84 (encounter for fertility preservation procedure). NEMT to such
    appointments is CV003. The message names the member's earliest CGT (then the first brand in
    alphabetical order), whatever the order of the rows.

    Fails: 89258 for a member whose J3392 line is in the input.
    Passes: 89258 for a member with no CGT.
    """
    import numpy as np

    fertility_dx_claim = lines.claim_any(lines.has_token("diagnosis_codes", {FERTILITY_DX}))
    drug = lines.flags("is_cgt_drug")
    service = lines.isin("procedure_code", ctx.ref.codes("fertility_preservation")) | (
        fertility_dx_claim
        & ~drug
        & ~lines.isin("procedure_code", ctx.ref.codes("nemt"))
        & ~lines.flags("is_car_t_admin")
    )
    # The member's CGT: the brand of their earliest CGT drug line (then the first brand by name).
    member = lines.groups("member_id")
    rows = np.flatnonzero(drug)
    day = lines.days("service_date")[rows].astype("M8[D]").view(np.int64)
    order = rows[np.lexsort((_ranks(lines, "brand")[rows], day, member[rows]))]
    first = np.full(lines.coded("member_id").count + 1, -1)
    first[member[order[::-1]]] = order[::-1]  # the last write of each member is its first in order
    hit = service & (first[member] >= 0)
    return lines.hits(hit, member_cgt=lines.text("brand")[first[member[hit]]])


@rule(
    code="CV003",
    name="nemt-for-fertility-not-covered",
    severity=Severity.ERROR,
    payers=WNC,
    policy="WNC.CP.299 IV.B: shall not cover 'Non-Emergency Medical Transportation (NEMT) for fertility preservation service appointments.'",
    cites=("WNC IV.B",),
    field="procedure_code",
    message="NEMT {procedure_code} on a claim for a fertility preservation encounter (Z31.84)",
    hint="Transportation to fertility preservation appointments is not covered; for CGT Access Model members the manufacturer pays.",
    carc="96",
    rarc="N130",
    triggers=lambda ref: Triggers(diagnosis_codes=frozenset({FERTILITY_DX})),
    applies_to=None,
)
def nemt_for_fertility_not_covered(lines: Lines, ctx: RuleContext) -> Hits:
    """NEMT codes on a claim whose diagnoses include Z31.84.

    Fails: claim [A0130] with diagnosis Z31.84.
    Passes: claim [A0130] with diagnosis D57.1.
    """
    fertility_dx_claim = lines.claim_any(lines.has_token("diagnosis_codes", {FERTILITY_DX}))
    return lines.hits(lines.isin("procedure_code", ctx.ref.codes("nemt")) & fertility_dx_claim)


def _carved_out_products(ref: Reference, product_id: str, payer: str) -> bool:
    return any(c.product == product_id for c in ref.programs["medi-cal"].carve_out)


@rule(
    code="CV004",
    name="wrong-delivery-system",
    severity=Severity.ERROR,
    payers=MEDI_CAL,
    policy=(
        "Medi-Cal CGT manual, Sickle Cell Disease: 'Under the CMS CGT Access Model, J3392 (Casgevy) and J3394 "
        "(Lyfgenia) are carved out of the managed care delivery system when used for the treatment of sickle "
        "cell disease only. The effective date for Casgevy will be September 1, 2025, subject to final federal "
        "CMS approval, and the effective date for Lyfgenia will be July 1, 2025, as approved by CMS ... For all "
        "other non-sickle cell disease drug indications, including treatment of beta thalassemia, J3392 and "
        "J3394 remain the responsibility of Medi-Cal MCPs.' Casgevy's carve-out is applied from 2025-10-01, "
        "the date the DHCS provider FAQ gives after CMS approval."
    ),
    cites=("Medi-Cal Sickle Cell Disease", "Medi-Cal Beta Thalassemia"),
    field="payer",
    message="{brand} for {indication} on {service_date} {responsibility}, but the line is billed to {payer}{enrollment}",
    details=("expected_payer", "indication", "member_note", "responsibility", "enrollment", "severity"),
    hint="Bill {expected_payer} instead{member_note}.",
    carc="109",
    applies_to=_carved_out_products,
)
def wrong_delivery_system(lines: Lines, ctx: RuleContext) -> Hits:
    """Casgevy/Lyfgenia billed to the wrong Medi-Cal delivery system.

    For sickle cell disease (D57.x except D57.3 trait) on or after the carve-out date (Lyfgenia
    2025-07-01; Casgevy 2025-10-01 per DHCS, the manual's conditional date being 2025-09-01) the
    drug is billed fee-for-service (`medi-cal-ffs`); before those dates, or for other indications
    such as beta thalassemia, it is the managed care plan's (`medi-cal-mcp`). Dates and diagnosis
    lists live in the payer profile.

    Decision (issue 12): an extract cannot show whether the member is enrolled in a managed care
    plan. A use the plan pays, billed fee-for-service, is an error when the optional mcp_enrolled
    column says Y, nothing when it says N, and a warning when the column is absent or blank. A
    carved-out use billed to the plan is an error either way.

    Fails: J3394 with D57.1 on 2025-08-01 billed to medi-cal-mcp -> bill fee-for-service.
    Passes: J3392 with D56.1 (beta thalassemia) billed to medi-cal-mcp.
    """
    import numpy as np

    n = len(lines)
    carved, covered_product, sickle_cell = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    days = lines.days("service_date")
    for carve_out in ctx.ref.programs["medi-cal"].carve_out:
        product = lines.eq("product", carve_out.product)
        covered_product |= product
        indicated = _included_not_excluded(lines, carve_out.diagnoses_include, carve_out.diagnoses_exclude)
        sickle_cell |= indicated
        since = carve_out.effective_from
        dated = days >= np.datetime64(since, "s") if since is not None else ~np.isnat(days)
        carved |= product & lines.claim_any(indicated) & dated
    expected = lines.where(carved, MEDI_CAL_FFS, MEDI_CAL_MCP)
    hit = covered_product & lines.flags("is_cgt_drug") & lines.eq("program", "medi-cal")
    hit &= lines.text("payer") != expected
    # Fee-for-service billed for a plan's use: right when the member is not in a plan (N).
    ffs_for_plan = hit & ~carved
    enrolled, unknown_enrollment = lines.flags("mcp_enrolled"), lines.is_null("mcp_enrolled")
    hit &= ~(ffs_for_plan & ~enrolled & ~unknown_enrollment)
    unknown = ffs_for_plan & unknown_enrollment
    # Object arrays of shared strings, never numpy text arrays (100k copies of a long text).
    enrollment = lines.where(ffs_for_plan & enrolled, " (mcp_enrolled says the member is in a plan)")
    enrollment[unknown] = " (the extract does not say whether the member is enrolled in a plan: mcp_enrolled)"
    return lines.hits(
        hit,
        indication=lines.where(lines.claim_any(sickle_cell), "sickle cell disease", "a non-sickle-cell indication"),
        responsibility=lines.where(
            carved,
            "is carved out of managed care (CMS CGT Access Model)",
            "remains the managed care plan's responsibility",
        ),
        expected_payer=lines.where(
            carved, "Medi-Cal fee-for-service (medi-cal-ffs)", "the member's managed care plan (medi-cal-mcp)"
        ),
        member_note=lines.where(carved, "", " (if the member is enrolled in a Medi-Cal managed care plan)"),
        enrollment=enrollment,
        severity=lines.where(unknown, "warning", None),
    )


@rule(
    code="CV005",
    name="clinical-trial",
    severity=Severity.INFO,
    payers=MEDI_CAL,
    policy="Medi-Cal CGT manual, Overview: 'Note: The Medi-Cal CGT policy does not apply to clinical trials. Refer to the Clinical Trials Policy section of the Provider Manual.'",
    cites=("Medi-Cal Overview",),
    field="(claim)",
    message="claim {claim_id} is marked as a clinical trial ({trial_markers}): the Medi-Cal CGT policy does not apply and the other CGT rules were not applied to it",
    hint="Bill under the Medi-Cal Clinical Trials policy; if the claim is not a trial, remove the marker.",
    triggers=lambda ref: cgt_drug_triggers(ref) | Triggers(procedure_codes=ref.codes("car_t_admin")),
    runs_on_clinical_trials=True,
)
def clinical_trial(lines: Lines, ctx: RuleContext) -> Hits:
    """A CGT claim marked as a clinical trial: modifier Q0 or Q1, diagnosis Z00.6, condition code 30.

    Reported once per claim, on its lowest-numbered CGT line. Every other rule except the input checks
    (IN) is switched off for the claim. Condition code 90 (expanded access use) is not a trial.

    Fails (info): claim [Q2041 with modifier Q0].
    Passes: claim [Q2041] with no trial marker.
    """
    cgt = lines.flags("is_cgt_drug") | lines.flags("is_car_t_admin")
    return lines.hits(lines.is_first_of_claim(cgt & ~lines.eq("trial_markers", "")))


ONE_TREATMENT = "Do not bill a second CGT: the policy covers one treatment per lifetime (check the member's history)."


def _ranks(lines: Lines, name: str) -> np.ndarray:
    """Per line, the rank of its value in string order (-1 for null): for sorting by text."""
    import numpy as np
    import pyarrow.compute as pc

    coded = lines.coded(name)
    rank = np.empty(coded.count + 1, dtype=np.int64)
    # Sorted as UTF-8 bytes, which is code point order, as Python sorts strings.
    rank[pc.array_sort_indices(coded.distinct).to_numpy()] = np.arange(coded.count)
    rank[-1] = -1
    return rank[coded.codes]


def _group_firsts(*keys: np.ndarray) -> np.ndarray:
    """For rows sorted by the keys (and more), the position of the first row of each row's group."""
    import numpy as np

    n = len(keys[0])
    starts = np.zeros(n, dtype=bool)
    if n:
        starts[0] = True
        for key in keys:
            starts[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(starts)[np.cumsum(starts) - 1]


def _included_not_excluded(lines: Lines, include: list[str], exclude: list[str]) -> np.ndarray:
    """Some diagnosis on the line starts with an include prefix and with no exclude prefix."""
    included = tuple(p.replace(".", "").upper() for p in include)
    excluded = tuple(p.replace(".", "").upper() for p in exclude)

    def fits(joined: str) -> bool:
        return any(
            code.startswith(included) and not (excluded and code.startswith(excluded))
            for code in joined.split(";")
            if code
        )

    if not included:
        return lines.eq("diagnosis_codes", None)  # no line: None is never a value
    return lines.per_value("diagnosis_codes", fits, missing=False, dtype=bool)
