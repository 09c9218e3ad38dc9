"""CT: CAR-T administration (CPT 38228) on Medi-Cal claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgt_claimcheck.rules.base import MEDI_CAL, RuleContext, Triggers, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Hits, Lines


def _car_t(ref: Reference, product_id: str, payer: str) -> bool:
    return ref.products[product_id].family == "car-t"


@rule(
    code="CT001",
    name="car-t-admin-without-drug",
    severity=Severity.ERROR,
    payers=MEDI_CAL,
    policy="Medi-Cal CGT manual, Table of Administration Codes for T-Cell Therapy: 'CPT code 38228 must be billed with one of the CAR-T drug procedure codes.'",
    cites=("Medi-Cal CAR-T administration",),
    field="procedure_code",
    message="CAR-T administration {procedure_code} is billed without a CAR-T drug code on claim {claim_id}",
    hint="Bill the CAR-T drug (Q2041, Q2042, Q2053, Q2054, Q2055, Q2056 or Q2058) on the same claim.",
    carc="107",
    triggers=lambda ref: Triggers(procedure_codes=ref.codes("car_t_admin") | ref.codes("car_t_drug")),
    applies_to=_car_t,
)
def car_t_admin_without_drug(lines: Lines, ctx: RuleContext) -> Hits:
    """CAR-T administration (38228) billed without a CAR-T drug code on the same claim.

    The CAR-T drug codes are the manual's table: Q2041, Q2042, Q2053, Q2054, Q2055, Q2056, Q2058.

    Fails: claim C1 = [38228].
    Passes: claim C2 = [38228, Q2041].
    """
    is_drug = lines.isin("procedure_code", ctx.ref.codes("car_t_drug"))
    return lines.hits(lines.flags("is_car_t_admin") & ~lines.claim_any(is_drug))


EM_WHY = " without modifier 25: the physician's monitoring before, during and after the infusion is part of 38228"
EM_FIX = (
    "Remove the visit, or add modifier 25 if it was a significant, separately identifiable service "
    "(documented apart from the infusion monitoring)."
)
SUPPLY_FIX = "Remove the line: fluids, incidental hydration and concurrent supportive drugs are part of 38228."


@rule(
    code="CT002",
    name="car-t-bundled-service",
    severity=Severity.WARNING,
    payers=MEDI_CAL,
    policy=(
        "Medi-Cal CGT manual: 'In accordance with American Medical Association (AMA) CPT guidelines, the "
        "administration of CAR-T cell therapies includes monitoring and evaluation by a physician or other "
        "qualified healthcare professional immediately before, during and after the infusion. Components such "
        "as fluids used to administer the cells, incidental hydration and supportive medications given "
        "concurrently are generally considered part of the bundled service and should not be billed separately.'"
    ),
    cites=("Medi-Cal CAR-T administration",),
    field="procedure_code",
    message="{procedure_code} ({bundled_description}) is billed separately on the day of CAR-T administration 38228{why}",
    details=("bundled_description", "why", "fix", "severity"),
    hint="{fix}",
    carc="97",
    rarc="M15",
    # 38228 alone makes a claim relevant; the claim is kept whole, its same-day lines with it (an
    # E/M code as a trigger would keep most claims of a nightly file).
    triggers=lambda ref: Triggers(procedure_codes=ref.codes("car_t_admin")),
    applies_to=_car_t,
)
def car_t_bundled_service(lines: Lines, ctx: RuleContext) -> Hits:
    """Fluids, hydration, supportive drugs or an E/M visit billed with 38228 that day.

    - The supply set (`car_t_bundled` in codesets.csv, each code with its reason) is a reading of
      the manual's categories: IV fluids (J7030-J7120), hydration (96360, 96361), the premedication
      the CAR-T labels recommend (acetaminophen J0131, diphenhydramine J1200) and infusion-day
      antiemetics (ondansetron J2405, granisetron J1626, palonosetron J2469). The manual says
      "generally", hence a warning. Transfusions, growth factors, tocilizumab for cytokine
      release syndrome and other separately payable care are never in the set.
    - An E/M visit (`em_visit`: office, hospital inpatient or observation, emergency department)
      the same day without modifier 25 is the physician monitoring that 38228 includes: an error.
      With modifier 25 (a significant, separately identifiable service) it passes.

    Fails: claim [38228, Q2041, J7050] all on 2025-08-01; [38228, Q2041, 99214] the same day.
    Passes: J7050 on 2025-08-03, two days after the infusion; 99214 with modifier 25 that day.
    """
    import numpy as np

    bundled = ctx.ref.codesets.get("car_t_bundled", {})
    is_supply = lines.isin("procedure_code", bundled)
    is_em = lines.isin("procedure_code", ctx.ref.codes("em_visit")) & ~lines.has_token("modifiers", {"25"})
    claim, day = lines.coded("claim_id"), lines.coded("service_date")
    claim_day = claim.codes.astype(np.int64) * (day.count + 1) + day.codes + 1
    _, group = np.unique(claim_day, return_inverse=True)
    admin = np.zeros(group.max() + 1 if len(group) else 0, dtype=bool)
    admin[group[lines.flags("is_car_t_admin")]] = True
    hit = (is_supply | is_em) & admin[group]
    descriptions = lines.lookup("procedure_code", {code: e.description for code, e in bundled.items()}, missing="")
    return lines.hits(
        hit,
        bundled_description=np.where(is_em, "E/M visit", descriptions),
        why=lines.where(is_em, EM_WHY),
        fix=lines.where(is_em, EM_FIX, SUPPLY_FIX),
        severity=lines.where(is_em, "error", None),
    )
