"""The rich report a clerk reads top to bottom: claim headers, one line per finding, the summary last."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cgt_claimcheck.cli import app

runner = CliRunner()
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,member_dob,service_date,procedure_code,units,charge,"
    "ndc,prior_auth,invoice_attached,diagnosis_codes"
)


def _hundred_claims(tmp_path):
    """100 Casgevy claims, each with 3 findings: no NDC (ND001), no PA (AU001), no invoice (AU002)."""
    rows = [
        f"C{n:03},1,837P,wnc,M{n:03},2000-01-01,2025-03-{1 + n % 28:02},J3392,1,{1000 + n}.50,,,N,D57.1"
        for n in range(100)
    ]
    path = tmp_path / "hundred.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_300_findings_on_100_claims_take_about_100_lines_per_30_claims_and_end_with_the_summary(tmp_path):
    path = _hundred_claims(tmp_path)
    result = runner.invoke(app, ["check", path, "--format", "rich"], env={"COLUMNS": "100"})
    assert result.exit_code == 1
    data = json.loads(runner.invoke(app, ["check", path, "--format", "json"]).stdout)
    assert len(data["findings"]) == 300 and data["summary"]["claims_denied"] == 100
    lines = result.stdout.splitlines()
    claim_lines = [line for line in lines if line.startswith("claim C")]
    finding_lines = [line for line in lines if line.startswith("  line ")]
    assert len(claim_lines) == 100 and len(finding_lines) == 300
    first, last = lines.index(claim_lines[0]), lines.index(finding_lines[-1])
    assert (last - first + 1) * 30 / 100 <= 120  # a header and one line per finding: 4 lines a claim
    assert "╭" in lines[-14] or any("summary" in line for line in lines[-14:])
    assert lines[-1].startswith("╰")
    closing = "\n".join(lines[lines.index(next(line for line in lines if " summary " in line)) :])
    assert "100 claims have errors and would be denied as they stand" in closing
    assert f"${sum(1000.5 + n for n in range(100)):,.2f}" in closing.replace("\n│           ", " ")
    assert " s " in closing.split("time")[1][:20]


def test_claim_header_names_member_dates_payer_and_charges_and_masks_the_member(tmp_path):
    path = tmp_path / "x.csv"
    rows = [
        "C1,1,837P,wnc,SECRETMEMBER,2000-01-01,2025-03-01,J3392,1,2100000,,PA1,Y,D57.1",
        "C1,2,837P,wnc,SECRETMEMBER,2000-01-01,2025-03-03,96365,1,150.25,,PA1,Y,D57.1",
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    plain = runner.invoke(app, ["check", str(path), "--format", "rich"], env={"COLUMNS": "200"}).stdout
    header = next(line for line in plain.splitlines() if line.startswith("claim C1"))
    assert "member SECRETMEMBER · 2025-03-01 to 2025-03-03 · wnc · billed $2,100,150.25" in header
    redacted = runner.invoke(app, ["check", str(path), "--format", "rich", "--redact"], env={"COLUMNS": "200"})
    assert "SECRETMEMBER" not in redacted.stdout
    assert "member [redacted] · 2025-03-01 to 2025-03-03" in redacted.stdout


def test_value_is_shown_once_when_the_message_quotes_it(tmp_path):
    path = tmp_path / "x.csv"
    rows = ["C1,1,837P,wnc,M1,31/12/1990,2025-03-01,J3392,1,10,51167-0290-01,PA1,Y,D57.1"]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = runner.invoke(app, ["check", str(path), "--format", "rich"], env={"COLUMNS": "200"}).stdout
    line = next(line for line in out.splitlines() if "IN004" in line and line.startswith("  line"))
    assert line.count("31/12/1990") == 1


def test_a_baseline_recounts_the_denied_claims(tmp_path):
    path = _hundred_claims(tmp_path)
    baseline = tmp_path / "baseline.json"
    runner.invoke(app, ["check", path, "--format", "json", "--write-baseline", str(baseline)])
    data = json.loads(runner.invoke(app, ["check", path, "--format", "json", "--baseline", str(baseline)]).stdout)
    assert data["summary"]["claims_denied"] == 0 and data["summary"]["charges_denied"] == 0
    assert data["baseline"]["suppressed"] == 300


def _complete(*words: str) -> list[str]:
    """What bash completion offers for the last word, through the installed command."""
    import os
    import shutil
    import subprocess
    import sys

    command = shutil.which("cgt-claimcheck", path=os.path.dirname(sys.executable)) or "cgt-claimcheck"
    env = os.environ | {
        "_CGT_CLAIMCHECK_COMPLETE": "complete_bash",
        "COMP_WORDS": " ".join(["cgt-claimcheck", *words]),
        "COMP_CWORD": str(len(words)),
    }
    done = subprocess.run([command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion_offers_commands_options_and_values():
    assert "check" in _complete("ch")
    assert _complete("check", "--for") == ["--format"]
    assert _complete("check", "--format", "s") == ["sarif"]
    assert _complete("check", "--format", "h") == ["html"]
    assert _complete("check", "--payer", "medi") == ["medi-cal-ffs", "medi-cal-mcp"]
    assert _complete("check", "--fail-on", "w") == ["warning"]
    assert "CV004" in _complete("check", "--select", "CV") and "ND" in _complete("check", "--ignore", "N")
    assert _complete("check", "--delimiter", "t") == ["tab"]


def test_show_completion_prints_a_script_for_the_shell():
    result = runner.invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0 and "_CGT_CLAIMCHECK_COMPLETE" in result.stdout.upper()


def test_install_completion_writes_the_script_into_home(tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    command = shutil.which("cgt-claimcheck", path=os.path.dirname(sys.executable)) or "cgt-claimcheck"
    env = os.environ | {"HOME": str(tmp_path), "SHELL": "/bin/bash"}
    done = subprocess.run([command, "--install-completion", "bash"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    script = tmp_path / ".bash_completions" / "cgt-claimcheck.sh"
    assert "_CGT_CLAIMCHECK_COMPLETE" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()
