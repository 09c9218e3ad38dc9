"""The rule catalogue: every rule, listed explicitly, keyed by its stable code."""

from __future__ import annotations

from cgt_claimcheck.rules import (
    authorization,
    car_t,
    coding,
    coverage,
    diagnoses,
    input_checks,
    label,
    ndc,
    site_of_care,
    x12_file,
)
from cgt_claimcheck.rules.base import Rule

CATALOGUE: dict[str, Rule] = {
    r.code: r
    for r in (
        input_checks.invalid_value,
        input_checks.duplicate_line,
        input_checks.inconsistent_claim,
        input_checks.invalid_optional_value,
        input_checks.empty_extract,
        input_checks.unusable_context_row,
        input_checks.past_reference_horizon,
        coding.code_not_effective,
        coding.unclassified_with_specific_code,
        coding.unclassified_not_cgt,
        coding.units_per_treatment,
        coding.dose_over_label_maximum,
        diagnoses.diagnosis_not_billable,
        ndc.ndc_missing,
        ndc.ndc_invalid,
        ndc.ndc_product_mismatch,
        ndc.ndc_not_listed,
        authorization.prior_auth_missing,
        authorization.invoice_missing,
        site_of_care.hospital_outpatient_only,
        site_of_care.facility_not_certified,
        site_of_care.inpatient_pcs_missing,
        site_of_care.pcs_product_mismatch,
        car_t.car_t_admin_without_drug,
        car_t.car_t_bundled_service,
        coverage.repeat_treatment,
        coverage.fertility_preservation_not_covered,
        coverage.nemt_for_fertility_not_covered,
        coverage.wrong_delivery_system,
        coverage.clinical_trial,
        label.indication_mismatch,
        label.age_outside_label,
        x12_file.x12_envelope,
        x12_file.x12_control_mismatch,
        x12_file.x12_version,
        x12_file.x12_composite,
        x12_file.x12_format,
        x12_file.x12_structure,
    )
}


def select_rules(select: list[str] | None, ignore: list[str] | None) -> tuple[list[Rule], list[Rule]]:
    """Split the catalogue into (selected, deselected) by code or prefix; longest match wins.

    `--select CT --ignore CT002` keeps CT001; `--ignore CT --select CT002` keeps only CT002 of the
    CT family. With no --select every rule starts selected.
    """
    selected: list[Rule] = []
    deselected: list[Rule] = []
    for code, r in CATALOGUE.items():
        best_select = max((len(p) for p in select or [] if code.startswith(p.upper())), default=-1)
        best_ignore = max((len(p) for p in ignore or [] if code.startswith(p.upper())), default=-1)
        if not select:
            best_select = max(best_select, 0)
        (selected if best_select > best_ignore else deselected).append(r)
    return selected, deselected


def unknown_selectors(patterns: list[str]) -> list[str]:
    return [p for p in patterns if not any(code.startswith(p.upper()) for code in CATALOGUE)]
