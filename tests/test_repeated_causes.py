"""A cause repeated past --max-repeats is listed that many times and closed by one record; every
count (summary, by rule, denied claims, exit code) stays true (engine/repeats.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cgt_claimcheck.cli import app

runner = CliRunner()
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes"
)
ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *251201*1200*^*00501*000000001*0*P*:~"


def _bad_dates(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "dates.csv"
    rows = [f"C{i},1,837P,wnc,M{i},2025-02-30,J3392,1,51167-0290-01,PA{i},D57.1" for i in range(n)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _report(*args: str) -> dict:
    result = runner.invoke(app, ["check", *args, "--format", "json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)


def test_a_repeated_rejection_is_listed_up_to_the_limit_and_counted_in_full(tmp_path):
    path = _bad_dates(tmp_path, 1500)
    report = _report(str(path), "--max-repeats", "1000")
    listed = [f for f in report["findings"] if f["rule"] == "IN001"]
    assert len(listed) == 1001
    assert (
        "[and 499 more findings like this in this file, not listed; the counts include them]" in listed[-1]["message"]
    )
    assert [f["row"] for f in listed[:3]] == [1, 2, 3] and listed[-1]["row"] == 1001
    summary = report["summary"]
    assert summary["findings"]["error"] == 1500 and summary["findings_not_listed"] == 499
    assert summary["claims_denied"] == 1500  # counted before the list was cut

    whole = _report(str(path), "--max-repeats", "0")
    assert len([f for f in whole["findings"] if f["rule"] == "IN001"]) == 1500
    assert whole["summary"]["findings"] == summary["findings"] and whole["summary"]["findings_not_listed"] == 0


def test_causes_that_differ_by_message_are_never_cut(tmp_path):
    path = tmp_path / "claims.csv"
    rows = [f"C{i},1,837P,wnc,M{i},2025-03-01,J3392,1,51167-0290-01,,D57.1" for i in range(30)]  # no PA each
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    report = _report(str(path), "--max-repeats", "5")
    assert len([f for f in report["findings"] if f["rule"] == "AU001"]) == 30  # one claim each: 30 to fix


def test_the_statistics_and_the_rich_summary_count_what_was_not_listed(tmp_path):
    path = _bad_dates(tmp_path, 1200)
    stats = runner.invoke(app, ["check", str(path), "--statistics", "--max-repeats", "10"])
    assert "1200" in stats.stdout.replace(",", ""), stats.stdout
    rich = runner.invoke(app, ["check", str(path), "--format", "rich", "--max-repeats", "10"])
    assert "1,200 errors" in rich.stdout, rich.stdout[-2000:]


def test_the_empty_segment_storm_holds_a_thousand_and_one_problems(tmp_path):
    example = (Path(__file__).parent.parent / "examples" / "claims.x12").read_text()
    at = example.index("~BHT*") + 1
    path = tmp_path / "storm.x12"
    path.write_text(example[:at] + "~" * 20_000 + example[at:])
    from cgt_claimcheck.ingest.x12 import X12Reader

    reader = X12Reader(str(path), max_repeats=1000)
    lines = sum(batch.table.num_rows for batch in reader.batches())
    empty = [p for p in reader.problems if p.reason.startswith("an empty segment")]
    assert lines == 13 and len(empty) == 1001 and sum(p.represents for p in empty) == 20_000
    report = _report(str(path), "--fail-on", "warning")
    assert report["summary"]["findings"]["warning"] == 20_000 and len(report["findings"]) == 1001
    assert report["summary"]["findings_not_listed"] == 18_999


def test_a_baseline_of_a_cut_report_suppresses_the_cause_whole(tmp_path):
    path = _bad_dates(tmp_path, 300)
    baseline = tmp_path / "baseline.json"
    runner.invoke(app, ["check", str(path), "--max-repeats", "50", "--write-baseline", str(baseline), "-o", "-"])
    result = runner.invoke(
        app, ["check", str(path), "--max-repeats", "50", "--baseline", str(baseline), "--format", "json"]
    )
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["findings"] == [] and report["summary"]["findings"]["error"] == 0


def test_max_repeats_comes_from_the_config_and_is_shown(tmp_path):
    config = tmp_path / "cgt-claimcheck.toml"
    config.write_text("max-repeats = 7\n")
    shown = runner.invoke(app, ["check", "--show-settings", "--config", str(config)])
    assert f"max-repeats = 7  ({config})" in shown.stdout
    report = _report(str(_bad_dates(tmp_path, 20)), "--config", str(config))
    assert len(report["findings"]) == 8 and report["summary"]["findings"]["error"] == 20


def _mixed_rejections(tmp_path: Path, name: str, claims: int, offset: int = 0) -> Path:
    """Claims of three lines across batches: bad dates (one cause), blank members (another), a few
    rows with a unique cause each, and clean lines with a finding of their own."""
    rows = []
    for i in range(offset, offset + claims):
        rows.append(f"C{i},1,837P,wnc,M{i},2025-02-30,J3392,1,51167-0290-01,PA{i},D57.1")
        rows.append(f"C{i},2,837P,wnc,,2025-03-01,J3392,1,51167-0290-01,PA{i},D57.1")
        units = "x" if i % 97 == 0 else "1"
        rows.append(f"C{i},3,837P,wnc,M{i},2025-03-01,J3392,{units},51167-0290-01,,D57.1")
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _findings_and_summary(report) -> tuple[list, dict]:
    from cgt_claimcheck.reporters.json_report import render

    stream = io.StringIO()
    render(report, stream)
    document = json.loads(stream.getvalue())
    return document["findings"], document["summary"]


def test_folding_rejections_while_reading_changes_nothing_but_memory(tmp_path, ref, monkeypatch):
    """The intake folds each cause of rejected rows batch by batch; the findings, the counts, the
    denied claims and charges must be what folding the finished findings alone gives."""
    from cgt_claimcheck.engine import repeats
    from cgt_claimcheck.engine.options import CheckOptions
    from cgt_claimcheck.engine.run import run_check

    paths = [str(_mixed_rejections(tmp_path, "a.csv", 400)), str(_mixed_rejections(tmp_path, "b.csv", 30, 400))]
    for max_repeats in (1, 25, 1000):
        options = CheckOptions(batch_rows=37, max_repeats=max_repeats)
        folded = _findings_and_summary(run_check(paths, ref, options))
        with monkeypatch.context() as patch:
            patch.setattr(repeats.RepeatedProblems, "_fold", lambda self: None)
            at_the_end = _findings_and_summary(run_check(paths, ref, options))
        assert folded == at_the_end, max_repeats
    findings, summary = folded
    assert summary["claims_denied"] == 430 and summary["findings_not_listed"] == 0


def test_denied_claims_stay_true_after_a_baseline_when_findings_were_not_listed(tmp_path):
    path = _bad_dates(tmp_path, 1500)
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "\nX1,1,837P,wnc,M1,2025-03-01,J3392,1,51167-0290-01,,D57.1\n", encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    runner.invoke(app, ["check", str(other), "--write-baseline", str(baseline), "-o", "-"])
    report = _report(str(path), "--baseline", str(baseline))
    assert report["summary"]["claims_denied"] == 1500  # the unlisted findings' claims count too
    assert report["summary"]["findings"]["error"] == 1500


def test_the_intake_fold_only_holds_for_input_rules_made_of_field_and_reason():
    """The intake and the X12 reader fold problems by (file, field, reason) before they have a
    message: that is the findings' cause (rule, file, field, message) only while the texts of the
    rules that report problems name nothing else."""
    from cgt_claimcheck.rules import select_rules

    readers = [r for r in select_rules(None, None)[0] if r.reads == "problems"]
    assert {r.code for r in readers} == {"IN001", "IN005", "IN006", *(f"XE00{i}" for i in range(1, 7))}
    for r in readers:
        assert set(r.placeholders) <= {"field", "reason"}, r.code


def test_an_x12_error_folded_while_reading_keeps_its_claims_denied(tmp_path):
    from x12_builder import Claim, build

    claims = [Claim(claim_id=f"P{i}", member_id=f"M{i}") for i in range(40)]
    data, _ = build(claims)
    path = tmp_path / "composite.x12"
    path.write_bytes(data.replace(b"HC:J3392", b"HC>J3392"))  # XE004 on every claim's line
    listed = _report(str(path), "--max-repeats", "5", "--select", "XE004")
    assert len(listed["findings"]) == 6 and listed["summary"]["findings"]["error"] == 40
    assert listed["summary"]["claims_denied"] == 40
    whole = _report(str(path), "--max-repeats", "0", "--select", "XE004")
    assert whole["summary"]["claims_denied"] == 40 and len(whole["findings"]) == 40


def test_convert_counts_the_file_problems_it_did_not_list(tmp_path):
    example = (Path(__file__).parent.parent / "examples" / "claims.x12").read_text()
    at = example.index("~BHT*") + 1
    path = tmp_path / "storm.x12"
    path.write_text(example[:at] + "~" * 3_000 + example[at:])
    result = runner.invoke(app, ["convert", str(path), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert "file problems XE005 x3000" in result.stderr  # every empty segment, not the 1,001 records kept


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["a", "b", None]), st.integers(0, 5000)), max_size=80),
    st.booleans(),
)
@example([(i % 61, "ab"[i % 2], i) for i in range(80)], True)  # 61 x 2 x 80 x 80 combinations: the sort
def test_cause_ids_rank_the_combinations_in_the_order_of_their_codes(rows, per_claim):
    """The cause of each record is the rank of its combination of codes, as one np.unique per
    column after another gave it (a table of the combinations where they are few, a sort where a
    column holds many values)."""
    import numpy as np
    import pyarrow as pa

    from cgt_claimcheck.engine.repeats import _cause_ids, _codes

    table = pa.table(
        {
            "_file_index": pa.array([r[0] for r in rows], pa.int32()),
            "field": pa.array([r[1] for r in rows], pa.string()).dictionary_encode(),
            "reason": pa.array([f"reason {r[2]}" for r in rows], pa.string()),
            "claim_id": pa.array([f"C{r[2] % 97}" for r in rows], pa.string()),
            "rule": pa.array(["CV001" if r[0] % 2 else "IN001" for r in rows], pa.string()),
        }
    )
    names = ("_file_index", "field", "reason")
    expected = np.zeros(len(rows), np.int64)
    for name in (*names, "claim_id") if per_claim else names:
        codes = _codes(table.column(name))
        if name == "claim_id":
            codes[np.array([r[0] % 2 == 0 for r in rows], dtype=bool)] = 0
        _, expected = np.unique(expected * (int(codes.max(initial=0)) + 1) + codes, return_inverse=True)
    assert _cause_ids(table, names, per_claim=per_claim).tolist() == expected.astype(np.int64).tolist()
