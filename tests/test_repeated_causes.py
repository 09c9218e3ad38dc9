"""A cause repeated past --max-repeats is listed that many times and closed by one record; every
count (summary, by rule, denied claims, exit code) stays true (engine/repeats.py)."""

from __future__ import annotations

import json
from pathlib import Path

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
