"""The summary adds up (issue 23 item 8): claims read include the claims of rejected rows, denied
charges include the charges of rejected rows, and messages quote dates as they were read."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cgt_claimcheck.cli import app

runner = CliRunner()


def _report(path: Path) -> dict:
    return json.loads(runner.invoke(app, ["check", str(path), "--format", "json"]).stdout)


def test_claims_with_only_rejected_rows_are_read_and_their_charges_denied(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,charge\n"
        "A1,1,837P,wnc,M1,03/01/25,99213,1,100.50\n"  # rejected: the date
        "A1,2,837P,wnc,M1,2025-03-01,99214,1,50\n"  # the same claim's readable line (not a CGT line)
        "B1,1,837P,wnc,M2,03/01/25,99213,1,200\n"  # rejected
        "B1,2,837P,wnc,M2,03/01/25,99213,1,not money\n"  # rejected; its charge counts nothing
        "C1,1,837P,BCBS,M3,03/01/25,99213,1,999\n"  # out of scope: neither read as a claim nor denied
    )
    summary = _report(path)["summary"]
    assert (summary["claims"], summary["claims_denied"]) == (2, 2)
    assert summary["charges_denied"] == 300.5  # the rejected rows' usable charges


def test_a_message_quotes_a_date_as_read_and_the_value_as_written(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes\n"
        "A2,1,837P,wnc,M1,2019-03-01 00:00:00,Q2040,1,,PA1,C83.30\n"
    )
    [cd001] = [f for f in _report(path)["findings"] if f["rule"] == "CD001"]
    assert "on 2019-03-01:" in cd001["message"] and "00:00:00" not in cd001["message"]


def test_findings_are_counted_per_text_with_what_closing_records_stand_for():
    """Counts come off the dictionary codes: a text the dictionary holds twice (batches merged
    without unifying) is one count, a null is counted as None, a closing record as what it stands for."""
    import pyarrow as pa

    from cgt_claimcheck.report import REPRESENTS, Findings

    indices = pa.array([0, 1, 2, None, 0, 3], pa.int32())
    severity = pa.DictionaryArray.from_arrays(indices, pa.array(["error", "warning", "error", "info"]))
    table = pa.table({"severity": severity, REPRESENTS: pa.array([1, 1, 5, 1, 1, 2], pa.int64())})
    assert Findings(table).counts("severity") == {"None": 1, "error": 7, "info": 2, "warning": 1}
    plain = table.set_column(0, "severity", severity.cast(pa.string()))
    assert Findings(plain).counts("severity") == {"None": 1, "error": 7, "info": 2, "warning": 1}
