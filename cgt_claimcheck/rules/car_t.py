"""CT: CAR-T administration (CPT 38228) on Medi-Cal claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgt_claimcheck.rules import vector as V
from cgt_claimcheck.rules.base import MEDI_CAL, RuleContext, Triggers, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    import pandas as pd

    from cgt_claimcheck.reference import Reference


def _car_t(ref: Reference, product_id: str, payer: str) -> bool:
    return ref.products[product_id].family == "car-t"


@rule(
    code="CT001",
    name="car-t-admin-without-drug",
    severity=Severity.ERROR,
    payers=MEDI_CAL,
    policy="Medi-Cal CGT manual, T-Cell Therapy administration: 'CPT code 38228 must be billed with one of the CAR-T drug procedure codes.'",
    field="procedure_code",
    message="CAR-T administration {procedure_code} is billed without a CAR-T drug code on claim {claim_id}",
    hint="Bill the CAR-T drug (Q2041, Q2042, Q2053, Q2054, Q2055, Q2056 or Q2058) on the same claim.",
    carc="107",
    triggers=lambda ref: Triggers(procedure_codes=ref.codes("car_t_admin") | ref.codes("car_t_drug")),
    applies_to=_car_t,
)
def car_t_admin_without_drug(lines: pd.DataFrame, ctx: RuleContext) -> pd.Series:
    """CAR-T administration (38228) billed without a CAR-T drug code on the same claim.

    The CAR-T drug codes are the manual's table: Q2041, Q2042, Q2053, Q2054, Q2055, Q2056, Q2058.

    Fails: claim C1 = [38228].
    Passes: claim C2 = [38228, Q2041].
    """
    is_drug = lines["procedure_code"].isin(ctx.ref.codes("car_t_drug"))
    return lines["is_car_t_admin"] & ~V.claim_any(is_drug, lines)


@rule(
    code="CT002",
    name="car-t-bundled-service",
    severity=Severity.WARNING,
    payers=MEDI_CAL,
    policy=(
        "Medi-Cal CGT manual: 'Components such as fluids used to administer the cells, incidental hydration and "
        "supportive medications given concurrently are generally considered part of the bundled service and "
        "should not be billed separately.'"
    ),
    field="procedure_code",
    message="{procedure_code} ({bundled_description}) is billed separately on the day of CAR-T administration 38228",
    details=("bundled_description",),
    hint="Remove the line: fluids, incidental hydration and concurrent supportive drugs are part of 38228.",
    carc="97",
    rarc="M15",
    triggers=lambda ref: Triggers(procedure_codes=ref.codes("car_t_admin") | ref.codes("car_t_bundled")),
    applies_to=_car_t,
)
def car_t_bundled_service(lines: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """Administration fluids, incidental hydration or supportive drugs billed with 38228 that day.

    The code set (`car_t_bundled` in codesets.csv) is a reading of the manual's categories: IV
    fluids (J7030-J7120), hydration (96360, 96361) and premedication the CAR-T labels recommend
    (acetaminophen J0131, diphenhydramine J1200). The manual says "generally", hence a warning.

    Fails: claim [38228, Q2041, J7050] all on 2025-08-01.
    Passes: J7050 on 2025-08-03, two days after the infusion.
    """
    import pandas as pd

    bundled = ctx.ref.codesets.get("car_t_bundled", {})
    is_bundled = lines["procedure_code"].isin(list(bundled))
    admin_that_day = (
        lines["is_car_t_admin"].groupby([lines["claim_id"], lines["service_date"]]).transform("any").astype(bool)
    )
    descriptions = {code: entry.description for code, entry in bundled.items()}
    return pd.DataFrame(
        {"hit": is_bundled & admin_that_day, "bundled_description": lines["procedure_code"].map(descriptions)}
    )
