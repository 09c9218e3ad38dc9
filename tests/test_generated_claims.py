"""Claims drawn at random from the reference tables' own codes: the findings do not depend on row order.

The generator mixes the values that trip rules (repeats, split doses, EPSDT ages, carve-out dates,
trial markers, category diagnoses, bad NDCs and dates, duplicated line numbers) so that the
rules meet the combinations nobody wrote a case for. (It was the Arrow engine's parity harness
against the pandas engine until that was removed, issue 24.) Claim- and member-level facts are
decided on factorized codes and sorted keys: the same claims shuffled and read a row per batch
must give the same findings, word for word.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cgt_claimcheck.engine import CheckOptions, run_check
from cgt_claimcheck.reference import load_reference

REFERENCE = load_reference(Path(__file__).resolve().parent.parent / "reference_data")
LEGITIMATE = Path(__file__).parent / "legitimate"
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,member_dob,bill_type,place_of_service,billing_npi,"
    "facility_npi,prior_auth,invoice_attached,service_date,procedure_code,modifiers,units,charge,ndc,"
    "revenue_code,diagnosis_codes,icd10_pcs_codes,condition_codes,claim_frequency,mcp_enrolled"
).split(",")


def _dotted(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _indication_codes() -> list[str]:
    found = set()
    for indications in REFERENCE.indications.values():
        for indication in indications:
            found.update(re.findall(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?", indication.icd10cm_include))
    return sorted(found)


def _ndc_layouts(ndc11: str) -> list[str]:
    return [ndc11, f"{ndc11[:5]}-{ndc11[5:9]}-{ndc11[9:]}", f"N4{ndc11}"]


PROCEDURES = sorted(
    set(REFERENCE.product_of_hcpcs)
    | {"J3590", "96365", "99214", "38225", "A0130", "P9016"}
    | set(REFERENCE.codes("car_t_admin"))
    | set(sorted(REFERENCE.codes("fertility_preservation"))[:3])
    | set(sorted(REFERENCE.codes("nemt"))[:2])
)
NDCS = sorted({layout for ndc in list(REFERENCE.product_of_ndc)[:40] for layout in _ndc_layouts(ndc)}) + [
    "",
    "00002-1433-80",
    "5116702900",
    "51167-9999-01",
    "not an ndc",
]
DIAGNOSES = [*_indication_codes(), "D57.1", "D57.3", "D57", "Z31.84", "E11.9", "Y92.230", "C83.38", "G12.0", "Z00.6"]
DATES = [
    "2017-08-30",
    "2018-06-01",
    "2019-03-01",
    "2024-05-01",
    "2024-10-01",
    "2025-01-01",
    "2025-03-01",
    "2025-03-08",
    "2025-07-01",
    "2025-09-30",
    "2025-10-01",
    "2026-11-01",
    "03/01/2025",
    "2025-02-30",
    *["2025-03-01"] * 6,  # one date for most lines: same-day doses, duplicates, repeats
]
BIRTHS = ["", "2024-06-01", "2012-01-15", "2005-07-04", "1980-03-03", "12/31/2010", "31/12/2010", "2025-09-30"]

CLAIM_LEVEL = {
    "claim_type": st.sampled_from(["837P", "837I", "837p"]),
    "payer": st.sampled_from(["wnc", "medi-cal-ffs", "medi-cal-mcp", "someone-else"]),
    "member_id": st.sampled_from(["M1", "M2", "M3"]),
    "member_dob": st.sampled_from(BIRTHS),
    "bill_type": st.sampled_from(["", "0131", "131", "0111", "0851", "0138", "0137"]),
}
LINE_LEVEL = {
    "place_of_service": st.sampled_from(["", "19", "22", "11", "21", "2"]),
    "billing_npi": st.sampled_from(["1609876543", "1881234567", ""]),
    "facility_npi": st.sampled_from(["1609876543", "1881234567", "1234567890", ""]),
    "prior_auth": st.sampled_from(["", "PA-2025-0001", "NA12345", "none", "TAR123"]),
    "invoice_attached": st.sampled_from(["", "Y", "N", "yes", "maybe"]),
    "service_date": st.sampled_from(DATES),
    "procedure_code": st.sampled_from(PROCEDURES),
    "modifiers": st.sampled_from(["", "", "", "JZ", "JZ", "JW;KX", "RT, LT", "Q0", "Q1"]),
    "units": st.sampled_from(["1", "1", "1", "2", "150", "150", "300", "1.5", "0", "abc"]),
    "charge": st.sampled_from(["", "2200000.00", "450", "-5", "1e400", "abc", "100000000"]),
    "ndc": st.sampled_from(NDCS),
    "revenue_code": st.sampled_from(["", "0636", "636", "0891"]),
    "diagnosis_codes": st.lists(st.sampled_from(DIAGNOSES), max_size=3).map(";".join),
    "icd10_pcs_codes": st.sampled_from(["", "XW033C7", "XW133C8", "30233N1"]),
    "condition_codes": st.sampled_from(["", "", "", "", "90", "30"]),
    "claim_frequency": st.sampled_from(["", "1", "7", "8"]),
    "mcp_enrolled": st.sampled_from(["", "Y", "N"]),
}


@st.composite
def extracts(draw: st.DrawFn, max_claims: int = 8) -> list[dict[str, str]]:
    """Claims with their claim-level values on every line and distinct line numbers: the rows
    whose findings cannot depend on their order (a repeated line or a claim whose lines disagree
    is IN002's or IN003's, reported on the later row by design)."""
    rows = []
    for number in range(draw(st.integers(1, max_claims))):
        claim = {"claim_id": f"C{number + 1}"} | {k: draw(v) for k, v in CLAIM_LEVEL.items()}
        for line in range(draw(st.integers(1, 5))):
            rows.append(claim | {"line_number": str(line + 1)} | {k: draw(v) for k, v in LINE_LEVEL.items()})
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, HEADER)
        writer.writeheader()
        writer.writerows(rows)


# No shrinking: a failure is reported as generated (shrinking 30-line extracts took minutes).
@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=extracts(), history=extracts(max_claims=2), redact=st.booleans())
def test_generated_claims_give_the_same_findings_in_any_row_order(tmp_path_factory, rows, history, redact):
    folder = tmp_path_factory.mktemp("generated")
    extract, shuffled, prior = folder / "claims.csv", folder / "shuffled.csv", folder / "prior.csv"
    _write(extract, rows)
    _write(shuffled, list(reversed(rows)))
    _write(prior, history)
    options = dict(
        facilities=str(LEGITIMATE / "facilities.csv"), history=[str(prior)] if history else [], redact=redact
    )
    first = run_check([str(extract)], REFERENCE, CheckOptions(**options))
    again = run_check([str(shuffled)], REFERENCE, CheckOptions(batch_rows=1, **options))
    assert _found(first) == _found(again)
    assert first.summary.cgt_claims == again.summary.cgt_claims


def _found(report) -> list[tuple[str, ...]]:
    """Findings without their row (reversing the file moves every row)."""
    return sorted(
        (f.rule, f.claim_id or "", f.line_number or "", f.field, f.value, f.message, f.hint, f.severity.value)
        for f in report.findings
    )


def test_the_generator_reaches_the_rules():
    """A generator whose claims tripped nothing would pass the property above trivially."""
    rows = [
        dict.fromkeys(HEADER, "")
        | {"claim_id": "C1", "line_number": "1", "claim_type": "837P", "payer": "wnc", "member_id": "M1"}
        | {"service_date": "2025-03-01", "procedure_code": "J3392", "units": "2", "ndc": ""},
    ]
    folder = Path(__import__("tempfile").mkdtemp())
    _write(folder / "one.csv", rows)
    found = {f.rule for f in run_check([str(folder / "one.csv")], REFERENCE, CheckOptions()).findings}
    assert {"CD004", "ND001", "AU001"} <= found
