"""`check` end to end: exit codes, formats, config, selection, redaction, bad input, accounting."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.engine import CheckOptions, run_check

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).parent / "golden" / "claims_with_errors.json"
runner = CliRunner()
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes"
)
GOOD = "C1,1,837P,wnc,M1,2025-03-01,J3392,1,51167-0290-01,PA1,D57.1"
BAD = "C2,1,837P,wnc,M2,2025-03-01,J3392,1,,,D57.1"  # ND001 + AU001


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Relative example paths in reports; no config file picked up from the checkout.
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("CI", raising=False)


def write(tmp_path: Path, name: str, *rows: str, header: str = HEADER) -> str:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def check(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["check", *args], env=env)


# --- exit codes and formats ------------------------------------------------------------------
def test_clean_example_exits_0():
    result = check("examples/claims.csv", "--facilities", "examples/facilities.csv", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["findings"] == [] and report["not_checked"] == []
    assert report["summary"]["cgt_claims"] == 8
    payers = {row["payer"] for row in csv.DictReader(open(EXAMPLES / "claims.csv"))}
    assert payers == {"wnc", "medi-cal-ffs", "medi-cal-mcp"}


def test_golden_report_of_the_error_example():
    result = check(
        "examples/claims_with_errors.csv",
        "--facilities",
        "examples/facilities.csv",
        "--history",
        "examples/history.csv",
        "--format",
        "json",
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    report["reference"]["path"] = "<reference>"
    run = report.pop("run")  # when and how long differ from run to run; the rest is pinned here
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", run.pop("started_at")) and run.pop("seconds") > 0
    assert run["options"]["history"] == ["examples/history.csv"] and run["option_sources"]["history"] == "command line"
    assert run["options"]["fail-on"] == "error" and run["option_sources"]["fail-on"] == "default"
    assert run["config"] is None and run["command"] == "check"
    assert (run["reference_release"], run["reference_verified_through"]) == ("2026.12", "2026-09-30")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    assert report == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_error_example_fires_every_rule():
    from cgt_claimcheck.rules import CATALOGUE

    report = json.loads(GOLDEN.read_text(encoding="utf-8"))
    # IN005 (empty extract) cannot fire on a file with rows: its case files cover it. The XE rules
    # are about X12 files: examples/claims_with_errors.x12 fires them (tests/test_x12.py).
    x12_rules = {code for code in CATALOGUE if code.startswith("XE")}
    assert {f["rule"] for f in report["findings"]} == set(CATALOGUE) - {"IN005"} - x12_rules
    assert report["schema_version"] == "1.7"
    assert set(report) == {
        "schema_version", "tool", "reference", "inputs", "summary", "errors", "findings", "not_checked"
    }  # fmt: skip
    assert set(report["findings"][0]) == {
        "rule",
        "name",
        "severity",
        "payer",
        "claim_id",
        "line_number",
        "file",
        "row",
        "location",
        "field",
        "value",
        "message",
        "hint",
        "policy",
        "carc",
        "rarc",
    }


@pytest.mark.parametrize(
    ("fail_on", "rows", "code"),
    [
        ("error", [GOOD], 0),
        ("error", [BAD], 1),
        ("never", [BAD], 0),
        ("warning", ["C3,1,837P,wnc,M3,2025-03-01,J3399,1,00002-1433-80,PA3,G12.0"], 1),
        ("error", ["C3,1,837P,wnc,M3,2025-03-01,J3399,1,00002-1433-80,PA3,G12.0"], 0),
    ],
)
def test_fail_on(tmp_path, fail_on, rows, code):
    result = check(write(tmp_path, "x.csv", *rows), "--fail-on", fail_on, "--format", "json")
    assert result.exit_code == code, result.output


def test_formats(tmp_path):
    path = write(tmp_path, "x.csv", GOOD, BAD)
    lines = check(path, "--format", "jsonl").stdout.strip().splitlines()
    assert {json.loads(line)["rule"] for line in lines} == {"ND001", "AU001"}
    table = list(csv.DictReader(io.StringIO(check(path, "--format", "csv").stdout)))
    assert {row["rule"] for row in table} == {"ND001", "AU001"}
    xml = ET.fromstring(check(path, "--format", "junit").stdout)
    suite = xml.find("testsuite")
    assert suite.get("failures") == "1"  # one failing claim, its two errors in one failure
    assert [case.get("name") for case in suite.iter("testcase")] == ["claim C2"]
    [failure] = suite.iter("failure")
    assert "ND001" in failure.text and "AU001" in failure.text
    rich = check(path, "--format", "rich").stdout
    assert "ND001 ndc-missing" in rich and "1 read" not in rich and "2 read = 2 checked + 0 rejected" in rich


def test_output_file(tmp_path):
    out = tmp_path / "report.json"
    result = check(write(tmp_path, "x.csv", BAD), "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(out.read_text())["summary"]["findings"]["error"] == 2


def test_default_format_is_json_when_not_a_terminal(tmp_path):
    assert json.loads(check(write(tmp_path, "x.csv", GOOD)).stdout)["summary"]["rows_read"] == 1


# --- selection, config ---------------------------------------------------------------------------
def test_select_and_ignore_longest_match_wins(tmp_path):
    path = write(tmp_path, "x.csv", BAD)
    only_nd = json.loads(check(path, "--select", "ND", "--format", "json").stdout)
    assert {f["rule"] for f in only_nd["findings"]} == {"ND001"}
    assert any(n["rule"] == "AU001" and "not selected" in n["reason"] for n in only_nd["not_checked"])
    back = json.loads(check(path, "--ignore", "ND,AU", "--select", "AU001", "--format", "json").stdout)
    assert {f["rule"] for f in back["findings"]} == {"AU001"}
    assert check(path, "--select", "ZZ").exit_code == 2


def test_config_file_and_cli_precedence(tmp_path, monkeypatch):
    extract = write(
        tmp_path,
        "x.csv",
        "C2|1|837P|WellCare NC|M2|2025-03-01|J3392|1||PA2|D57.1",
        header="CLM01|line_number|claim_type|payer|member_id|service_date|procedure_code|units|ndc|prior_auth|diagnosis_codes",
    )
    (tmp_path / "cgt-claimcheck.toml").write_text(
        '[columns]\nclaim_id = "CLM01"\n[payers]\n"WellCare NC" = "wnc"\n[severity]\nND001 = "warning"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    report = json.loads(check(extract, "--format", "json").stdout)
    assert [(f["rule"], f["severity"], f["claim_id"]) for f in report["findings"]] == [("ND001", "warning", "C2")]
    assert check(extract, "--format", "json").exit_code == 0  # a warning does not fail by default
    assert check(extract, "--format", "json", "--fail-on", "warning").exit_code == 1


def test_column_map_falls_back_to_the_canonical_name(tmp_path, monkeypatch):
    (tmp_path / "cgt-claimcheck.toml").write_text('[columns]\nclaim_id = "CLM01"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = json.loads(check(write(tmp_path, "x.csv", BAD), "--format", "json").stdout)
    assert {f["claim_id"] for f in report["findings"]} == {"C2"}


def test_pyproject_tool_section(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.cgt-claimcheck]\nignore = ["ND"]\nfail-on = "never"\n')
    monkeypatch.chdir(tmp_path)
    result = check(write(tmp_path, "x.csv", BAD), "--format", "json")
    assert result.exit_code == 0
    assert {f["rule"] for f in json.loads(result.stdout)["findings"]} == {"AU001"}


@pytest.mark.parametrize(
    "content", ['colour = "red"\n', '[columns]\nclaimid = "X"\n', 'fail-on = "sometimes"\n', "not toml ["]
)
def test_bad_config_exits_2(tmp_path, content):
    config = tmp_path / "c.toml"
    config.write_text(content)
    result = check(write(tmp_path, "x.csv", GOOD), "--config", str(config))
    assert result.exit_code == 2
    assert str(config) in result.stderr


def test_unknown_payer_option_exits_2(tmp_path):
    result = check(write(tmp_path, "x.csv", GOOD), "--payer", "texas")
    assert result.exit_code == 2 and "texas" in result.stderr


def test_payer_option_fills_a_missing_column(tmp_path):
    path = write(
        tmp_path,
        "x.csv",
        "C1,1,837P,M1,2025-03-01,J3392,1,,PA1,D57.1",
        header="claim_id,line_number,claim_type,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes",
    )
    assert check(path).exit_code == 2
    report = json.loads(check(path, "--payer", "wnc").stdout)
    assert report["findings"][0]["payer"] == "wnc"


# --- output safety ------------------------------------------------------------------------------
def test_redact_masks_member_ids_and_birth_dates(tmp_path):
    path = write(
        tmp_path,
        "x.csv",
        "C1,1,837P,wnc,SECRET1,1990-01-01,2025-03-01,J3392,1,,PA1,D57.1",
        "C1,2,837P,wnc,SECRET2,31/12/1990,2025-03-01,96365,1,,PA1,D57.1",
        header="claim_id,line_number,claim_type,payer,member_id,member_dob,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes",
    )
    for fmt in ("json", "jsonl", "csv", "junit", "rich"):
        out = check(path, "--redact", "--format", fmt).stdout
        assert "SECRET" not in out and "31/12/1990" not in out, fmt
    assert "SECRET2" in check(path, "--format", "json").stdout


def test_markup_and_ansi_print_literally_and_csv_is_formula_safe(tmp_path):
    path = write(
        tmp_path,
        "x.csv",
        "[bold]C1,1,837P,wnc,M1,2025-03-01,J3392,1,=HYPERLINK(1),PA1,D57.1",
        "C2,1,837P,wnc,M2,2025-03-01,J3392,1,\x1b[31mred,PA2,D57.1",
    )
    rich = check(path, "--format", "rich").stdout
    assert "[bold]C1" in rich
    assert "\x1b[31m" not in rich and "\\x1b[31mred" in rich
    rows = list(csv.DictReader(io.StringIO(check(path, "--format", "csv").stdout)))
    assert rows[0]["value"] == "'=HYPERLINK(1)"
    assert all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())


# --- bad input: exit 2 with file/line/column, or rejected rows; never a traceback ---------------------
def test_missing_required_column(tmp_path):
    path = write(
        tmp_path,
        "x.csv",
        "C1,1,837P,wnc,M1,2025-03-01,J3392,1",
        header="claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,qty",
    )
    result = check(path)
    assert result.exit_code == 2
    assert path in result.stderr and "line 1" in result.stderr and "'units'" in result.stderr


@pytest.mark.parametrize(
    "content",
    [  # an empty file is not unusable: it is an IN005 warning (test_an_empty_or_header_only_extract_is_a_warning)
        b"\x00\x01\x02\xff\xfe binary junk \x89PNG\r\n",
        "é,ü\n".encode("latin-1"),
        b"\x1f\x8b\x08\x00 not really gzip",
    ],
)
def test_unusable_files_exit_2_without_traceback(tmp_path, content):
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    result = check(str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and str(path) in result.stderr


def test_no_such_file(tmp_path):
    result = check(str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_latin1_rows_are_rejected_alone_and_encoding_option_reads_them(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        (
            HEADER
            + "\n"
            + GOOD
            + "\n"
            + "C3,1,837P,wnc,Müller,2025-03-01,99213,1,,,E11.9\n"
            + "C5,1,837P,wnc,M5,2025-03-01,99213,1,,,E11.9"
        ).encode("latin-1")
    )
    report = json.loads(check(str(path), "--format", "json").stdout)
    assert report["summary"] | {"findings": None} == report["summary"] | {
        "rows_read": 3,
        "rows_checked": 2,
        "rows_rejected": 1,
        "findings": None,
    }
    (rejected,) = [f for f in report["findings"] if f["rule"] == "IN001"]
    assert rejected["row"] == 2 and "not valid utf-8 text (byte 16 of the line)" in rejected["message"]
    assert "--encoding cp1252" in rejected["message"]
    assert check(str(path), "--encoding", "latin-1", "--format", "json").exit_code == 0


def test_ragged_rows_are_rejected_and_counted(tmp_path):
    path = write(tmp_path, "x.csv", GOOD, "C2,1,837P,wnc", BAD + ",extra,fields", GOOD.replace("C1", "C4"))
    report = json.loads(check(path, "--format", "json").stdout)
    assert report["summary"]["rows_read"] == 4 and report["summary"]["rows_rejected"] == 2
    assert sorted(f["row"] for f in report["findings"] if f["rule"] == "IN001") == [2, 3]


def test_blank_lines_are_not_rows_and_row_numbers_stay_line_numbers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes((HEADER + "\r\n" + GOOD + "\r\n\r\n" + BAD + "\r\n\n").encode())
    report = json.loads(check(str(path), "--format", "json").stdout)
    assert report["summary"]["rows_read"] == 2 and report["summary"]["rows_rejected"] == 0
    assert {f["row"] for f in report["findings"]} == {3}  # BAD is on line 4: data row 3


def test_huge_cell(tmp_path):
    path = write(
        tmp_path, "x.csv", GOOD, "C2,1,837P,wnc,M2,2025-03-01,99213,1,,," + "X" * 10_000_000, GOOD.replace("C1", "C3")
    )
    report = json.loads(check(path, "--format", "json").stdout)
    assert report["summary"]["rows_read"] == 3 and report["summary"]["rows_checked"] == 3


def test_bom_pipe_tab_gzip_parquet_and_stdin(tmp_path):
    (tmp_path / "bom.csv").write_bytes(("\ufeff" + HEADER + "\n" + BAD + "\n").encode("utf-8"))
    (tmp_path / "pipe.txt").write_text(HEADER.replace(",", "|") + "\n" + BAD.replace(",", "|") + "\n")
    (tmp_path / "tab.tsv").write_text(HEADER.replace(",", "\t") + "\n" + BAD.replace(",", "\t") + "\n")
    with gzip.open(tmp_path / "x.csv.gz", "wt") as fh:
        fh.write(HEADER + "\n" + BAD + "\n")
    pd.read_csv(io.StringIO(HEADER + "\n" + BAD), dtype=str, keep_default_na=False).to_parquet(tmp_path / "x.parquet")
    for name in ("bom.csv", "pipe.txt", "tab.tsv", "x.csv.gz", "x.parquet"):
        report = json.loads(check(str(tmp_path / name), "--format", "json").stdout)
        assert {f["rule"] for f in report["findings"]} == {"ND001", "AU001"}, name
    piped = runner.invoke(app, ["check", "-", "--format", "json"], input=HEADER + "\n" + BAD + "\n")
    assert json.loads(piped.stdout)["inputs"][0]["path"] == "<stdin>"


def test_several_files_are_accounted_separately(tmp_path):
    first, second = write(tmp_path, "a.csv", GOOD, BAD), write(tmp_path, "b.csv", GOOD.replace("C1", "C9"), "x,y")
    report = json.loads(check(first, second, "--format", "json").stdout)
    assert [(i["rows_read"], i["rows_checked"], i["rows_rejected"]) for i in report["inputs"]] == [(2, 2, 0), (2, 1, 1)]


def test_facility_registry_errors(tmp_path):
    registry = tmp_path / "f.csv"
    registry.write_text("npi,cert\n1111111111,QTC\n")  # no certification column: nothing usable
    result = check(write(tmp_path, "x.csv", GOOD), "--facilities", str(registry))
    assert result.exit_code == 2 and "line 1" in result.stderr and "certification" in result.stderr
    registry.write_text("npi,certification\n1111111111,XYZ\n")  # one unusable row: a finding, the run goes on
    result = check(write(tmp_path, "x.csv", GOOD), "--facilities", str(registry), "--format", "json")
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "IN006"]
    assert (finding["severity"], finding["row"], finding["field"]) == ("warning", 1, "certification")


# --- properties: every row accounted once; order and unrelated claims change nothing ---------------
valid_row = st.builds(
    lambda i, code, units: f"C{i},1,837P,wnc,M{i},2025-03-01,{code},{units},51167-0290-01,PA{i},D57.1",
    st.integers(0, 10**6),
    st.sampled_from(["J3392", "99213", "J3590", "Q2041", "38228"]),
    st.sampled_from(["1", "2", "0.5"]),
)
invalid_row = st.sampled_from(
    [
        "C,1,837P,wnc,M,2025-02-30,J3392,1,,,",
        "C,x,837P,wnc,M,2025-03-01,J3392,1,,,",
        ",1,837P,wnc,M,2025-03-01,J3392,1,,,",
        "C,1,837Q,wnc,M,2025-03-01,J3392,1,,,",
        "C,1,837P,ohio,M,2025-03-01,J3392,1,,,",
        "C,1,837P,wnc",
        "C,1,837P,wnc,M,2025-03-01,J3392,1,,,,,,",
    ]
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.booleans(), valid_row, invalid_row), min_size=1, max_size=30))
def test_every_row_is_accounted_for_once(tmp_path_factory, ref, rows):
    lines = [good if keep else bad for keep, good, bad in rows]
    path = tmp_path_factory.mktemp("acct") / "x.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    # Strict payers: an unmapped payer is a rejection here (out of scope is tested below). Only
    # the input rules: the accounting is the intake's, whatever the claim rules find.
    report = run_check([str(path)], ref, CheckOptions(batch_rows=7, unknown_payer="error", select=["IN"]))
    summary = report.summary
    assert summary.rows_read == len(lines)
    assert summary.rows_read == summary.rows_checked + summary.rows_rejected
    assert summary.rows_rejected == sum(1 for keep, _, _ in rows if not keep)
    rejected_rows = {f.row for f in report.findings if f.rule == "IN001"}
    assert rejected_rows == {i + 1 for i, (keep, _, _) in enumerate(rows) if not keep}


def _signature(report):
    return sorted((f.rule, f.claim_id, f.line_number, f.severity.value, f.field, f.value) for f in report.findings)


def test_shuffling_and_unrelated_claims_change_no_finding(ref, tmp_path):
    original = EXAMPLES / "claims_with_errors.csv"
    header, *rows = original.read_text().splitlines()
    noise = [
        f"N{i},1,837P,wnc,NM{i},,,22,1609876543,,,N,2025-03-0{1 + i % 9},99213,,1,80.00,,,,,E11.9,," for i in range(500)
    ]
    import random

    mixed = rows + noise
    random.Random(7).shuffle(mixed)
    shuffled = tmp_path / "mixed.csv"
    shuffled.write_text("\n".join([header, *mixed]) + "\n")
    options = dict(facilities=str(EXAMPLES / "facilities.csv"), history=[str(EXAMPLES / "history.csv")])
    base = run_check([str(original)], ref, CheckOptions(**options))
    other = run_check([str(shuffled)], ref, CheckOptions(batch_rows=13, **options))
    assert _signature(base) == _signature(other)
    assert other.summary.rows_read == base.summary.rows_read + 500
    assert other.summary.cgt_claims == base.summary.cgt_claims


# --- a real process ------------------------------------------------------------------------------
def test_exit_codes_through_a_real_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CGT_CLAIMCHECK_REFERENCE_DIR",)}
    env["CI"] = "true"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "cgt_claimcheck", "check", *args],
            cwd=tmp_path,  # noqa: E731
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    clean = run(str(EXAMPLES / "claims.csv"), "--facilities", str(EXAMPLES / "facilities.csv"))
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["summary"]["findings"]["error"] == 0
    assert clean.stderr == ""  # nothing on stderr in CI
    errors = run(str(EXAMPLES / "claims_with_errors.csv"))
    assert errors.returncode == 1
    unusable = run(str(tmp_path / "missing.csv"))
    assert unusable.returncode == 2 and "Traceback" not in unusable.stderr


# --- dates as billing systems write them --------------------------------------------------------------
DATE_HEADER = HEADER + ",member_dob"


def _dated(tmp_path: Path, service_date: str, dob: str = "2010-06-01") -> str:
    row = f"C1,1,837P,wnc,M1,{service_date},J3392,1,51167-0290-01,PA1,D57.1,{dob}"
    return write(tmp_path, "dated.csv", row, header=DATE_HEADER)


@pytest.mark.parametrize(
    "written",
    ["2025-03-01", "2025-03-01 00:00:00", "2025-03-01T00:00:00", "2025-03-01T08:15:30.250Z",
     "2025-03-01 00:00:00+05:30", "20250301", "03/01/2025", "3/1/2025"],
)  # fmt: skip
def test_service_dates_in_every_layout_a_system_writes_are_read(tmp_path, written):
    result = check(_dated(tmp_path, written, dob=written.replace("2025", "2010")), "--format", "json")
    report = json.loads(result.stdout)
    assert report["summary"]["rows_rejected"] == 0, report["findings"]
    assert not [f for f in report["findings"] if f["rule"] in ("IN001", "IN004")]
    assert report["summary"]["rows_checked"] == 1


def test_a_two_digit_year_is_rejected_with_its_reason(tmp_path):
    report = json.loads(check(_dated(tmp_path, "03/01/25"), "--format", "json").stdout)
    (finding,) = [f for f in report["findings"] if f["rule"] == "IN001"]
    assert finding["value"] == "03/01/25" and "two-digit year" in finding["message"]


def test_date_format_reads_another_layout_from_the_config_or_the_flag(tmp_path, monkeypatch):
    path = _dated(tmp_path, "01.03.2025")
    report = json.loads(check(path, "--format", "json").stdout)
    assert report["summary"]["rows_rejected"] == 1
    assert "set date_format in the config" in report["findings"][0]["message"]
    flagged = json.loads(check(path, "--format", "json", "--date-format", "%d.%m.%Y").stdout)
    assert flagged["summary"]["rows_rejected"] == 0
    (tmp_path / "cgt-claimcheck.toml").write_text('date-format = "%d.%m.%Y"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    configured = json.loads(check(path, "--format", "json").stdout)
    assert configured["summary"]["rows_rejected"] == 0


@pytest.mark.parametrize("pattern", ["%d.%m.%y", "%d.%m", "no date here"])
def test_a_date_format_without_a_four_digit_year_is_a_usage_error(tmp_path, pattern):
    result = check(_dated(tmp_path, "2025-03-01"), "--date-format", pattern)
    assert result.exit_code == 2 and "--date-format" in result.stderr and "Traceback" not in result.output
    (tmp_path / "cgt-claimcheck.toml").write_text(f'date_format = "{pattern}"\n', encoding="utf-8")
    result = check(_dated(tmp_path, "2025-03-01"), "--config", str(tmp_path / "cgt-claimcheck.toml"))
    assert result.exit_code == 2 and "date_format" in result.stderr


def test_revenue_code_lines_belong_to_their_claim_for_claim_level_rules(tmp_path):
    """An inpatient CGT claim whose other lines carry only revenue codes: no IN001, every row
    checked, and the claim-level PCS rule (ST003) still sees the claim."""
    header = HEADER + ",bill_type,revenue_code,icd10_pcs_codes"
    rows = [
        "I1,1,837I,wnc,M1,2025-03-01,J3392,1,51167-0290-01,PA1,D57.1,0111,0891,",
        "I1,2,837I,wnc,M1,2025-03-01,,3,,PA1,D57.1,0111,0120,",
        "I1,3,837I,wnc,M1,2025-03-01,,1,,PA1,D57.1,0111,0250,",
    ]
    report = json.loads(check(write(tmp_path, "inpatient.csv", *rows, header=header), "--format", "json").stdout)
    assert report["summary"]["rows_checked"] == 3 and report["summary"]["rows_rejected"] == 0
    assert not [f for f in report["findings"] if f["rule"] == "IN001"]
    assert [(f["rule"], f["line_number"]) for f in report["findings"] if f["rule"] == "ST003"] == [("ST003", "1")]
    with_pcs = [r.replace(",0111,0891,", ",0111,0891,XW133J8") for r in rows]
    report = json.loads(
        check(write(tmp_path, "inpatient_pcs.csv", *with_pcs, header=header), "--format", "json").stdout
    )
    assert not [f for f in report["findings"] if f["rule"] in ("IN001", "ST003")]


# --- where the report goes --------------------------------------------------------------------------
def test_output_dash_writes_to_stdout(tmp_path):
    result = check(write(tmp_path, "x.csv", GOOD), "--format", "json", "-o", "-")
    assert result.exit_code == 0 and json.loads(result.stdout)["summary"]["rows_read"] == 1
    assert not (Path.cwd() / "-").exists()


@pytest.mark.parametrize("spelling", ["same", "dot-slash", "symlink", "hard link"])
def test_output_onto_an_input_is_refused_before_anything_is_read(tmp_path, monkeypatch, spelling):
    monkeypatch.chdir(tmp_path)
    extract = Path(write(tmp_path, "x.csv", GOOD, BAD))
    before = extract.read_bytes()
    target = {"same": "x.csv", "dot-slash": "./x.csv", "symlink": "link.csv", "hard link": "hard.csv"}[spelling]
    if spelling == "symlink":
        (tmp_path / "link.csv").symlink_to(extract)
    if spelling == "hard link":
        os.link(extract, tmp_path / "hard.csv")
    result = check("x.csv", "--format", "csv", "-o", target)
    assert result.exit_code == 2 and "is an input of this run" in result.stderr
    assert extract.read_bytes() == before


@pytest.mark.parametrize("option", ["--history", "--facilities"])
def test_output_onto_history_or_registry_is_refused(tmp_path, option):
    other = tmp_path / "other.csv"
    other.write_text("npi,certification\n", encoding="utf-8")
    before = other.read_bytes()
    result = check(write(tmp_path, "x.csv", GOOD), option, str(other), "-o", str(other))
    assert result.exit_code == 2 and other.read_bytes() == before


def test_the_report_is_written_atomically_and_an_interrupt_keeps_the_previous_one(tmp_path, monkeypatch):
    from cgt_claimcheck.reporters import json_report

    extract = write(tmp_path, "x.csv", GOOD, BAD)
    out = tmp_path / "report.json"
    out.write_text("previous report\n", encoding="utf-8")

    def interrupted(report, stream):
        stream.write('{"half": ')
        raise KeyboardInterrupt

    monkeypatch.setitem(__import__("cgt_claimcheck.reporters", fromlist=["REPORTERS"]).REPORTERS, "json", interrupted)
    result = check(extract, "--format", "json", "-o", str(out))
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert out.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "x.csv"]  # no temporary file left
    monkeypatch.setitem(
        __import__("cgt_claimcheck.reporters", fromlist=["REPORTERS"]).REPORTERS, "json", json_report.render
    )
    assert check(extract, "--format", "json", "-o", str(out)).exit_code == 1
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["rows_read"] == 2


# --- out of scope is counted, not flagged ---------------------------------------------------------------
MIXED = [
    "P1,1,837P,BCBS,M1,2025-03-01,99213,1,,,E11.9",
    "P2,1,837P,bcbs ,M2,2025-03-01,99213,1,,,E11.9",
    "P3,1,837P,MCR,M3,not a date,99213,1,,,E11.9",
    "P4,1,837P,wnc,M4,2025-03-01,J3392,1,51167-0290-01,PA1,D57.1",
    "P5,1,837P,WellCare NC,M5,2025-03-01,J3392,1,51167-0290-01,PA1,D57.1",
]


def test_payers_that_map_to_no_profile_are_counted_out_of_scope(tmp_path):
    path = write(tmp_path, "mixed.csv", *MIXED)
    report = json.loads(check(path, "--format", "json").stdout)
    summary = report["summary"]
    assert (summary["rows_read"], summary["rows_checked"], summary["rows_rejected"]) == (5, 1, 0)
    assert summary["rows_out_of_scope"] == 4 and report["inputs"][0]["rows_out_of_scope"] == 4
    assert summary["out_of_scope"] == {"BCBS": 2, "MCR": 1, "WellCare NC": 1}
    assert report["findings"] == []
    rich = check(path, "--format", "rich")
    assert "4 out of scope" in rich.stdout and "BCBS 2" in rich.stdout


def test_unknown_payer_error_restores_strictness_and_skip_maps_explicitly(tmp_path, monkeypatch):
    path = write(tmp_path, "mixed.csv", *MIXED)
    strict = json.loads(check(path, "--format", "json", "--unknown-payer", "error").stdout)
    assert strict["summary"]["rows_rejected"] == 4 and strict["summary"]["rows_out_of_scope"] == 0
    (tmp_path / "cgt-claimcheck.toml").write_text(
        'unknown-payer = "error"\n[payers]\n"WellCare NC" = "wnc"\nbcbs = "skip"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    report = json.loads(check(path, "--format", "json").stdout)
    summary = report["summary"]
    assert (summary["rows_checked"], summary["rows_out_of_scope"], summary["rows_rejected"]) == (2, 2, 1)
    assert summary["out_of_scope"] == {"BCBS": 2}
    assert [(f["claim_id"], f["field"]) for f in report["findings"]] == [("P3", "payer"), ("P3", "service_date")]
    assert check(path, "--unknown-payer", "sometimes").exit_code == 2


# --- nothing passes silently ----------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["", "\n\n", HEADER + "\n"])
def test_an_empty_or_header_only_extract_is_a_warning(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    result = check(str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["rule"], finding["severity"], finding["row"], finding["field"]) == ("IN005", "warning", 0, "(file)")
    assert check(str(path), "--format", "json", "--fail-on", "warning").exit_code == 1


def test_one_unreadable_file_of_several_still_checks_the_others_and_exits_2(tmp_path):
    good = write(tmp_path, "good.csv", GOOD, BAD)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"claim_id,line_number\n\xff\xfe\x00junk\n")
    result = check(good, str(broken), str(tmp_path / "missing.csv"), "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [e["file"] for e in report["errors"]] == [str(broken), str(tmp_path / "missing.csv")]
    assert {f["rule"] for f in report["findings"]} >= {"ND001", "AU001"}
    assert report["inputs"][0]["rows_checked"] == 2
    assert "missing.csv: no such file" in result.stderr and "Traceback" not in result.output
    alone = check(str(broken), "--format", "json")
    assert alone.exit_code == 2 and alone.stdout == ""


# --- a systemic problem is one finding in the human reports ---------------------------------------------
def _all_bad_dates(tmp_path: Path, rows: int = 500) -> str:
    return write(tmp_path, "bad.csv", *(f"C{i},1,837P,wnc,M{i},03/01/25,99213,1,,," for i in range(rows)))


def test_rich_shows_a_systemic_cause_once_with_a_file_headline(tmp_path):
    result = check(_all_bad_dates(tmp_path), "--format", "rich", env={"COLUMNS": "400"})
    out = result.stdout
    assert result.exit_code == 1
    assert "IN001 invalid-value: 500 findings, one cause" in out
    assert "500 of 500 rows, first on line 2 ('03/01/25')" in out
    assert out.count("two-digit year") == 1  # one group, not 500 findings, said once
    assert len(out.splitlines()) < 60


def test_junit_has_one_case_per_cause_and_counts_every_failure(tmp_path):
    result = check(_all_bad_dates(tmp_path), "--format", "junit")
    root = ET.fromstring(result.stdout)
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 and root.get("failures") == "1"  # one test case per cause, failing once
    assert "500 findings with one cause" in cases[0].find("failure").text


def test_machine_formats_keep_one_record_per_finding(tmp_path):
    path = _all_bad_dates(tmp_path)
    assert len(check(path, "--format", "jsonl").stdout.splitlines()) == 500
    assert len(json.loads(check(path, "--format", "json").stdout)["findings"]) == 500
    assert len(check(path, "--format", "csv").stdout.splitlines()) == 501


@pytest.mark.parametrize(
    "fail_on, exit_code, failures",
    [("error", 1, 1), ("warning", 1, 2), ("info", 1, 2), ("never", 0, 0)],
)
def test_junit_failures_follow_fail_on_like_the_exit_code(tmp_path, fail_on, exit_code, failures):
    """Issue 14: `--fail-on warning` exits 1, so JUnit must show the warning-only claim failing too."""
    warning_only = "C3,1,837P,wnc,M3,2025-03-01,J3399,1,00002-1433-80,PA3,G12.0"  # ND004 warning
    path = write(tmp_path, "x.csv", GOOD, BAD, warning_only)
    result = check(path, "--format", "junit", "--fail-on", fail_on)
    root = ET.fromstring(result.stdout)
    failing = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert result.exit_code == exit_code and root.get("failures") == str(failures) == str(len(failing))
    if fail_on == "error":
        c3 = next(c for c in root.iter("testcase") if c.get("name") == "claim C3")
        assert c3.find("failure") is None and "ND004" in c3.find("system-out").text


def test_extend_select_and_extend_ignore_add_to_the_configured_lists(tmp_path):
    """Issue 14: --select replaces, --extend-select adds (flags and config keys alike), as in ruff."""
    config = tmp_path / "c.toml"
    config.write_text('select = ["ND"]\nextend-ignore = ["ND004"]\n', encoding="utf-8")
    path = write(tmp_path, "x.csv", GOOD, BAD, "C3,1,837P,wnc,M3,2025-03-01,J3399,1,00002-1433-80,PA3,G12.0")

    def rules(*args: str) -> set[str]:
        result = check(path, "--config", str(config), "--format", "json", *args)
        return {f["rule"] for f in json.loads(result.stdout)["findings"]}

    assert rules() == {"ND001"}  # ND selected, ND004 ignored by extend-ignore
    assert rules("--extend-select", "AU") == {"ND001", "AU001"}
    assert rules("--select", "AU") == {"AU001"}  # replaces the configured select
    assert rules("--extend-ignore", "ND001", "--extend-select", "ND004") == set()  # a tie keeps ND004 ignored
    assert rules("--ignore", "CD") == {"ND001"}  # replaces `ignore`; the configured extend-ignore still adds


def test_paths_in_a_config_file_resolve_from_its_folder(tmp_path, monkeypatch):
    """Issue 14: `facilities = "registry.csv"` means the file beside the config, wherever the run starts."""
    folder = tmp_path / "settings"
    folder.mkdir()
    (folder / "registry.csv").write_text("npi,certification\n1111111111,XYZ\n", encoding="utf-8")
    config = folder / "cgt-claimcheck.toml"
    config.write_text('facilities = "registry.csv"\n', encoding="utf-8")
    path = write(tmp_path, "x.csv", GOOD)
    monkeypatch.chdir(tmp_path)  # not the config's folder
    result = check(path, "--config", str(config), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "IN006"]
    assert finding["file"].endswith("settings/registry.csv")


# --- baselines (issue 14) ---------------------------------------------------------------------------
def test_a_baseline_suppresses_known_findings_whatever_the_row_order_or_file_name(tmp_path):
    new_claim = "C7,1,837P,wnc,M7,2025-03-01,J3392,1,51167-0290-01,,D57.1"  # AU001
    first = write(tmp_path, "monday.csv", GOOD, BAD, "C5,1,837P,wnc,M5,2025-03-01,J3392,1,,PA5,D57.1")
    baseline = tmp_path / "baseline.json"
    assert check(first, "--write-baseline", str(baseline), "--format", "json").exit_code == 0  # recorded
    document = json.loads(baseline.read_text(encoding="utf-8"))
    assert {e["rule"] for e in document["findings"]} == {"ND001", "AU001"} and all(
        e["reason"] == "" for e in document["findings"]
    )
    document["findings"][0]["reason"] = "accepted by the PA team, ticket 123"  # an auditor's note is kept
    baseline.write_text(json.dumps(document), encoding="utf-8")

    # Another day's file: rows reordered, C5 fixed, a new problem on C7.
    second = write(tmp_path, "tuesday.csv", new_claim, BAD, GOOD)
    result = check(second, "--baseline", str(baseline), "--format", "json")
    report = json.loads(result.stdout)
    assert [(f["rule"], f["claim_id"]) for f in report["findings"]] == [("AU001", "C7")]
    assert report["baseline"]["suppressed"] == 2 and len(report["baseline"]["stale"]) == 1  # C5's ND001 is gone
    assert report["summary"]["findings"]["error"] == 1 and result.exit_code == 1
    quiet = check(write(tmp_path, "wednesday.csv", BAD, GOOD), "--baseline", str(baseline), "--format", "json")
    assert quiet.exit_code == 0 and json.loads(quiet.stdout)["findings"] == []
    rich = check(second, "--baseline", str(baseline), "--format", "rich")
    assert "2 known findings suppressed" in rich.stdout


@pytest.mark.parametrize(
    "content", ["{", '{"findings": []}', '{"format": "cgt-claimcheck-baseline/1", "findings": [{}]}']
)
def test_an_unusable_baseline_is_a_usage_error(tmp_path, content):
    baseline = tmp_path / "b.json"
    baseline.write_text(content, encoding="utf-8")
    result = check(write(tmp_path, "x.csv", GOOD), "--baseline", str(baseline))
    assert result.exit_code == 2 and "b.json" in result.stderr


def test_write_baseline_never_overwrites_an_input(tmp_path):
    path = write(tmp_path, "x.csv", GOOD, BAD)
    before = Path(path).read_bytes()
    result = check(path, "--write-baseline", path)
    assert result.exit_code == 2 and Path(path).read_bytes() == before


def test_show_settings_names_each_value_and_where_it_came_from(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('select = ["ND"]\nfacilities = "reg.csv"\n', encoding="utf-8")
    result = check("no-such-extract.csv", "--config", str(config), "--fail-on", "warning", "--show-settings")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0  # nothing is read
    assert "fail-on = 'warning'  (command line)" in lines
    assert f"select = ['ND']  ({config})" in lines
    assert f"facilities = '{tmp_path / 'reg.csv'}'  ({config})" in lines
    assert "unknown-payer = 'out-of-scope'  (default)" in lines


def test_show_settings_needs_no_file_and_a_check_without_one_says_so():
    shown = check("--show-settings")
    assert shown.exit_code == 0 and "fail-on = 'error'  (default)" in shown.stdout
    missing = check()
    assert missing.exit_code == 2 and "no input" in missing.stderr and "Traceback" not in missing.output
