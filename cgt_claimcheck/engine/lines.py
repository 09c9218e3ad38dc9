"""Stage: the lines contract. Derived columns every rule may read, computed once per run.

The columns are declared in `ingest.columns` (DERIVED, with what each means); a test checks that
`derive` produces exactly those. Rules read columns, never compute shared facts themselves, so
the engine needs no rule module.
"""

from __future__ import annotations

import pandas as pd

from cgt_claimcheck.reference import Reference
from cgt_claimcheck.rules.vector import claim_any, has_token  # shared vector helpers, not a rule module

TRIAL_MARKERS = (
    ("modifier Q0/Q1", "modifiers", "clinical_trial_modifier"),
    ("diagnosis Z00.6", "diagnosis_codes", "clinical_trial_dx"),
    ("condition code 30", "condition_codes", "clinical_trial_condition_code"),
)


def trial_markers(lines: pd.DataFrame, ref: Reference) -> pd.Series:
    """Per line, the clinical-trial markers of its claim ('' when none): modifier Q0/Q1, Z00.6, condition code 30."""
    markers = pd.Series("", index=lines.index, dtype="str")
    for label, column, codeset in TRIAL_MARKERS:
        present = claim_any(has_token(lines[column], ref.codes(codeset)), lines)
        markers = markers.mask(present & markers.eq(""), label).mask(
            present & markers.ne("") & ~markers.str.contains(label, regex=False), markers + ", " + label
        )
    return markers


def derive(lines: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Add the DERIVED columns of `ingest.columns` to normalised lines (in place, returned)."""
    lines["product_hcpcs"] = lines["procedure_code"].map(ref.product_of_hcpcs).astype("str")
    by_package = lines["ndc11"].map(ref.product_of_ndc).astype("str")
    by_product_code = lines["ndc11"].str.slice(0, 9).map(ref.product_of_ndc_product_code).astype("str")
    lines["product_ndc"] = by_package.fillna(by_product_code)
    labeler_known = lines["ndc11"].str.slice(0, 5).isin(list(ref.cgt_labelers))
    lines["ndc_match"] = (
        pd.Series("", index=lines.index, dtype="str")
        .mask(labeler_known.fillna(False).astype(bool), "labeler")
        .mask(by_product_code.notna(), "product")
        .mask(by_package.notna(), "package")
    )
    lines["is_j3590"] = lines["procedure_code"].isin(ref.unclassified_codes)
    lines["product"] = lines["product_hcpcs"].fillna(lines["product_ndc"].where(lines["is_j3590"]))
    lines["is_cgt_drug"] = lines["product"].notna()
    lines["is_car_t_admin"] = lines["procedure_code"].isin(ref.codes("car_t_admin"))
    lines["brand"] = lines["product"].map({pid: p.brand for pid, p in ref.products.items()}).astype("str")
    lines["family"] = lines["product"].map({pid: p.family for pid, p in ref.products.items()}).astype("str")
    lines["program"] = lines["payer"].map({pid: p.program for pid, p in ref.payers.items()}).astype("str")
    lines["inpatient"] = lines["claim_type"].eq("837I") & lines["bill_type"].str.startswith("011")
    served, born = lines["service_date"], lines["member_dob"]
    before_birthday = (served.dt.month < born.dt.month) | (
        (served.dt.month == born.dt.month) & (served.dt.day < born.dt.day)
    )
    lines["age"] = (
        (served.dt.year - born.dt.year - before_birthday.astype("int64")).astype("float64").where(born.notna())
    )
    # Voids (8) and replacements (7) are not new treatments. CLM05-3, or the type of bill's last digit.
    from_bill_type = (
        lines["bill_type"]
        .str.slice(3, 4)
        .where(lines["claim_type"].eq("837I") & lines["bill_type"].str.fullmatch(r"[0-9]{4}"), "")
    )
    lines["frequency"] = lines["claim_frequency"].mask(lines["claim_frequency"].eq(""), from_bill_type).fillna("")
    # WNC EPSDT special provision: for members under 21, limits on frequency and location may be
    # exceeded with documented medical necessity (prior approval is still required).
    epsdt_limit = {pid: p.epsdt_under_age for pid, p in ref.programs.items() if p.epsdt_under_age}
    lines["epsdt"] = lines["age"].lt(lines["program"].map(epsdt_limit).astype("float64")).fillna(False).astype(bool)
    lines["trial_markers"] = trial_markers(lines, ref)
    return lines
