"""Stage: the lines contract. Derived columns every rule may read, computed once per run in Arrow.

The columns are declared in `ingest.columns` (DERIVED, with what each means); a test checks that
`derive` produces exactly those. Rules read columns, never compute shared facts themselves, so
the engine needs no rule module. Lookups go through a column's distinct values (a few hundred
codes in 100k lines), claim-level facts through the claim's factorized code.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.reference import Reference
from cgt_claimcheck.rules.lines import Lines

TRIAL_MARKERS = (
    ("modifier Q0/Q1", "modifiers", "clinical_trial_modifier"),
    ("diagnosis Z00.6", "diagnosis_codes", "clinical_trial_dx"),
    ("condition code 30", "condition_codes", "clinical_trial_condition_code"),
)


def _mapped(array: pa.Array, mapping: dict[str, str]) -> pa.Array:
    """mapping[value] per row; null where the value is null or not a key."""
    encoded = pc.dictionary_encode(array)
    return pa.array([mapping.get(v) for v in encoded.dictionary.to_pylist()], pa.string()).take(encoded.indices)


def _is_in(array: pa.Array, values: object) -> pa.Array:
    return pc.fill_null(pc.is_in(array, pa.array(sorted(values), pa.string())), False)  # type: ignore[call-overload]


def trial_markers(lines: Lines, ref: Reference) -> pa.Array:
    """Per line, the clinical-trial markers of its claim ('' when none)."""
    # Each line's markers as bits; the text is written once per combination, not once per line.
    bits = np.zeros(len(lines), dtype=np.int64)
    for bit, (_, column, codeset) in enumerate(TRIAL_MARKERS):
        bits |= lines.claim_any(lines.has_token(column, ref.codes(codeset))).astype(np.int64) << bit
    texts = [
        ", ".join(label for bit, (label, _, _) in enumerate(TRIAL_MARKERS) if combination >> bit & 1)
        for combination in range(1 << len(TRIAL_MARKERS))
    ]
    return pa.array(texts, pa.string()).take(pa.array(bits))


def _age(served: pa.Array, born: pa.Array) -> pa.Array:
    """Whole years on the date of service; null without a date of birth (or of service)."""
    years = pc.subtract(pc.year(served), pc.year(born))
    month_s, month_b = pc.month(served), pc.month(born)
    before = pc.or_(
        pc.less(month_s, month_b), pc.and_(pc.equal(month_s, month_b), pc.less(pc.day(served), pc.day(born)))
    )
    return pc.subtract(years, pc.cast(before, pa.int64())).cast(pa.float64())


def derive(table: pa.Table, ref: Reference) -> pa.Table:
    """The kept lines with the DERIVED columns of `ingest.columns` added."""
    used = (
        "procedure_code",
        "ndc11",
        "payer",
        "claim_type",
        "bill_type",
        "service_date",
        "member_dob",
        "claim_frequency",
    )
    column = {name: table.column(name).combine_chunks() for name in used}  # the others as they are
    code, ndc11 = column["procedure_code"], column["ndc11"]
    product_hcpcs = _mapped(code, ref.product_of_hcpcs)
    by_package = _mapped(ndc11, ref.product_of_ndc)
    by_product_code = _mapped(pc.utf8_slice_codeunits(ndc11, 0, 9), ref.product_of_ndc_product_code)
    product_ndc = pc.coalesce(by_package, by_product_code)
    labeler_known = _is_in(pc.utf8_slice_codeunits(ndc11, 0, 5), ref.cgt_labelers)
    ndc_match = pc.if_else(
        pc.is_valid(by_package),
        "package",
        pc.if_else(pc.is_valid(by_product_code), "product", pc.if_else(labeler_known, "labeler", "")),
    )
    is_j3590 = _is_in(code, ref.unclassified_codes)
    product = pc.coalesce(product_hcpcs, pc.if_else(is_j3590, product_ndc, pa.scalar(None, pa.string())))
    program = _mapped(column["payer"], {pid: p.program for pid, p in ref.payers.items()})
    institutional = pc.fill_null(pc.equal(column["claim_type"], "837I"), False)
    bill_type = column["bill_type"]
    inpatient = pc.and_(institutional, pc.fill_null(pc.starts_with(bill_type, "011"), False))
    age = _age(column["service_date"], column["member_dob"])
    # Voids (8) and replacements (7) are not new treatments. CLM05-3, or the type of bill's last digit.
    four_digits = pc.fill_null(pc.match_substring_regex(bill_type, "^[0-9]{4}$"), False)
    from_bill_type = pc.if_else(pc.and_(institutional, four_digits), pc.utf8_slice_codeunits(bill_type, 3, 4), "")
    written = column["claim_frequency"]
    frequency = pc.fill_null(pc.if_else(pc.equal(written, ""), from_bill_type, written), "")
    # WNC EPSDT special provision: for members under 21, limits on frequency and location may be
    # exceeded with documented medical necessity (prior approval is still required).
    limits = {pid: float(p.epsdt_under_age) for pid, p in ref.programs.items() if p.epsdt_under_age}
    encoded = pc.dictionary_encode(program)
    limit = pa.array([limits.get(v) for v in encoded.dictionary.to_pylist()], pa.float64()).take(encoded.indices)
    derived = {
        "product_hcpcs": product_hcpcs,
        "product_ndc": product_ndc,
        "ndc_match": ndc_match,
        "is_j3590": is_j3590,
        "product": product,
        "is_cgt_drug": pc.is_valid(product),
        "is_car_t_admin": _is_in(code, ref.codes("car_t_admin")),
        "brand": _mapped(product, {pid: p.brand for pid, p in ref.products.items()}),
        "family": _mapped(product, {pid: p.family for pid, p in ref.products.items()}),
        "program": program,
        "inpatient": inpatient,
        "age": age,
        "frequency": frequency,
        "epsdt": pc.fill_null(pc.less(age, limit), False),
    }
    for name, values in derived.items():
        table = table.append_column(name, _few_valued(values))
    return table.append_column("trial_markers", _few_valued(trial_markers(Lines(table), ref)))


def _few_valued(values: pa.Array) -> pa.Array:
    """A text column of a few values as a dictionary (4 bytes a line, not 9-12): the derived text
    columns were 9 MB of the every-line-CGT 100k check's lines; the rules read codes anyway."""
    return pc.dictionary_encode(values) if pa.types.is_string(values.type) else values
