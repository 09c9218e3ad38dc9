"""The HTML report's embedded data set, without a browser: it decodes to the report's findings, and
no value can end the script element it sits in."""

from __future__ import annotations

import json
import re

from cgt_claimcheck.engine import CheckOptions, run_check
from cgt_claimcheck.reporters import REPORTERS
from tests.conftest import REPO

DATA = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def _page(report) -> str:
    import io

    stream = io.StringIO()
    REPORTERS["html"](report, stream)
    return stream.getvalue()


def _decoded(column, i):
    return column[i] if isinstance(column, list) else column["values"][column["codes"][i]]


def test_the_data_set_decodes_to_the_findings_and_the_claims(ref):
    options = CheckOptions(
        facilities=str(REPO / "examples/facilities.csv"), history=[str(REPO / "examples/history.csv")]
    )
    report = run_check([str(REPO / "examples/claims_with_errors.csv")], ref, options)
    data = json.loads(DATA.search(_page(report)).group(1))
    findings = list(report.findings)
    f = data["findings"]
    assert f["n"] == len(findings) > 20
    for i, record in enumerate(findings):
        assert _decoded(f["claim"], i) == (record.claim_id or "")
        assert _decoded(f["rule"], i) == record.rule
        assert _decoded(f["severity"], i) == record.severity.value
        assert _decoded(f["message"], i) == record.message
        assert _decoded(f["hint"], i) == record.hint
        assert _decoded(f["value"], i) == record.value
        assert f["row"][i] == record.row
    c = data["claims"]
    per_claim = {}
    checked = {i.path for i in report.inputs}  # a --history row is not a claim of the run
    for record in findings:
        if record.claim_id and record.file in checked:
            per_claim.setdefault(record.claim_id, []).append(record.severity.value)
    assert [_decoded(c["claim"], i) for i in range(c["n"])] == list(per_claim)  # report order
    for i in range(c["n"]):
        severities = per_claim[_decoded(c["claim"], i)]
        assert (c["error"][i], c["warning"][i], c["info"][i]) == tuple(
            severities.count(s) for s in ("error", "warning", "info")
        )
    assert sum(b for b in c["billed"] if b is not None) > 0


def test_no_value_ends_the_data_element(ref, tmp_path):
    header = "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc"
    hostile = "</script><script>alert(1)</script><!--"
    quoted = '"' + hostile.replace('"', '""') + '"'
    extract = tmp_path / "x.csv"
    extract.write_text(f"{header}\n{quoted},1,837P,wnc,M1,2025-03-01,J3392,1,{quoted}\n", encoding="utf-8")
    page = _page(run_check([str(extract)], ref, CheckOptions()))
    assert page.count("</script>") == 2  # the data set's and the script's own: none from the value
    data = json.loads(DATA.search(page).group(1))
    assert hostile in data["findings"]["value"]["values"]
