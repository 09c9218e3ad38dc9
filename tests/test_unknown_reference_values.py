"""An unknown reference value is never a finding against a claim; the report says what was not
judged and why (issue 23 items 3 and 4)."""

from __future__ import annotations

from pathlib import Path

from cgt_claimcheck.engine import CheckOptions, run_check

HEADER = "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes,member_dob"


def _run(tmp_path: Path, ref, *rows: str):
    path = tmp_path / "claims.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    report = run_check([str(path)], ref, CheckOptions())
    return [(f.rule, f.claim_id, f.severity.value) for f in report.findings], report.not_checked


def test_a_product_without_an_indication_row_is_not_judged_and_the_report_says_so(tmp_path, ref):
    found, not_checked = _run(tmp_path, ref, "P1,1,837P,wnc,M1,2025-03-01,Q2043,1,,PA1,C61,2015-01-01")
    assert not [f for f in found if f[0] in ("CV006", "CV007")]
    notes = {n.rule: n.reason for n in not_checked}
    for code in ("CV006", "CV007"):
        assert notes[code].startswith("not judged on 1 CGT drug line of PROVENGE: the reference tables have no FDA")


def test_an_external_cause_code_before_its_source_is_not_judged_and_a_real_error_still_is(tmp_path, ref):
    found, not_checked = _run(
        tmp_path,
        ref,
        "A1,1,837P,wnc,M1,2025-03-01,J3392,1,51167-0290-01,PA1,D57.1;Y92.230;W19.XXXA,1990-01-01",
        "A2,1,837P,wnc,M2,2025-03-01,J3392,1,51167-0290-01,PA2,D57.1;D57,1990-01-01",
    )
    assert [f for f in found if f[0] == "CD006"] == [("CD006", "A2", "error")]
    [note] = [n.reason for n in not_checked if n.rule == "CD006"]
    assert "2 distinct diagnosis codes (W19.XXXA, Y92.230)" in note and "W codes from 2026-04-01" in note


def test_a_date_past_the_horizon_is_information_said_once(tmp_path, ref):
    found, not_checked = _run(
        tmp_path,
        ref,
        "H1,1,837P,wnc,M1,2026-11-02,J3392,1,51167-0290-01,PA1,D57.1,1990-01-01",
        "H2,1,837P,wnc,M2,2026-11-03,J3392,1,51167-0290-01,PA2,D57.1,1990-01-01",
    )
    assert [f for f in found if f[0] == "IN007"] == [("IN007", "H1", "info")]
    assert not [f for f in found if f[2] in ("error", "warning") and f[0] in ("CD006", "CV006", "CV007")]
    assert any(n.rule == "CD006" and "dated outside" in n.reason for n in not_checked)
