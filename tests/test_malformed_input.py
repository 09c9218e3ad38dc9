"""Malformed extracts: every line is a row, a rejected row, or a reported problem; never swallowed."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cgt_claimcheck.cli import app

runner = CliRunner()
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes"
)


def row(i: int) -> str:
    return f"C{i},1,837P,wnc,M{i},2025-03-01,99213,1,,,E11.9"


def extract(rows: list[str], header: str = HEADER, end: str = "\n") -> str:
    return end.join([header, *rows]) + end


def report_of(path: Path, *args: str) -> dict:
    result = runner.invoke(app, ["check", str(path), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def rejected(report: dict) -> list[tuple[int, str]]:
    return [(f["row"], f["message"]) for f in report["findings"] if f["rule"] == "IN001"]


def counts(report: dict) -> tuple[int, int, int]:
    s = report["summary"]
    return s["rows_read"], s["rows_checked"], s["rows_rejected"]


def test_an_unclosed_quote_rejects_its_line_only(tmp_path):
    rows = [row(i) for i in range(1, 100_001)]
    rows[9] = rows[9].replace(",M10,", ',"M10,')
    path = tmp_path / "x.csv"
    path.write_text(extract(rows))
    report = report_of(path)
    assert counts(report) == (100_000, 99_999, 1)
    ((number, message),) = rejected(report)
    assert number == 10 and 'opens a quote (") that is not closed on the same line' in message


def test_a_quoted_line_break_rejects_both_lines_and_later_rows_keep_their_line_numbers(tmp_path):
    rows = [row(i) for i in range(1, 9)]
    rows[2] = 'C3,1,837P,wnc,"M3\nsecond half",2025-03-01,99213,1,,,E11.9'
    rows[6] = row(7).replace("99213", "J3392")  # a finding after the break: its row must match its line
    path = tmp_path / "x.csv"
    path.write_text(extract(rows))
    report = report_of(path)
    assert counts(report) == (9, 7, 2)
    assert [n for n, _ in rejected(report)] == [3, 4]
    assert "a quoted value may not contain a line break" in rejected(report)[1][1]
    lines = path.read_text().splitlines()
    later = {f["row"] for f in report["findings"] if f["rule"] != "IN001"}
    assert later and all(lines[n].startswith("C7,") for n in later)  # row n is editor line n + 1


def test_quoted_values_with_delimiters_and_escaped_quotes_still_read(tmp_path):
    rows = [row(1).replace(",M1,", ',"M1, ""Jr""",'), row(2).replace(",M2,", ',M2 5" tall,')]
    path = tmp_path / "x.csv"
    path.write_text(extract(rows))
    assert counts(report_of(path)) == (2, 2, 0)


def test_lines_that_are_not_utf8_are_rejected_alone(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(extract([row(1), row(2).replace("M2", "M\xfcller"), row(3)]).encode("latin-1"))
    report = report_of(path)
    assert counts(report) == (3, 2, 1) and [n for n, _ in rejected(report)] == [2]
    assert counts(report_of(path, "--encoding", "cp1252")) == (3, 3, 0)


@pytest.mark.parametrize(
    ("codec", "args"),
    [
        ("utf-16", ()),  # with a byte-order mark: detected
        ("utf-32", ()),
        ("utf-16-le", ("--encoding", "utf-16-le")),  # without one: named
        ("utf-16-be", ("--encoding", "utf-16-be")),
        ("utf-32-le", ("--encoding", "utf-32-le")),
    ],
)
def test_multibyte_encodings_read_every_row(tmp_path, codec, args):
    path = tmp_path / "x.csv"
    path.write_bytes(extract([row(i) for i in range(1, 14)]).replace("M5", "Mé5").encode(codec))
    assert counts(report_of(path, *args)) == (13, 13, 0)


def test_utf16_without_a_mark_or_option_is_refused_with_advice(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(extract([row(1)]).encode("utf-16-le"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2 and "--encoding utf-16-le" in result.stderr and "Traceback" not in result.output


def test_a_mark_that_contradicts_the_encoding_option_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(extract([row(1)]).encode("utf-16"))
    result = runner.invoke(app, ["check", str(path), "--encoding", "cp1252"])
    assert result.exit_code == 2 and "byte-order mark" in result.stderr


def test_an_unknown_encoding_is_a_usage_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(extract([row(1)]))
    result = runner.invoke(app, ["check", str(path), "--encoding", "klingon"])
    assert result.exit_code == 2 and "not a known text encoding" in result.stderr


@pytest.mark.parametrize("end", ["\r", "\r\n"])
def test_cr_and_crlf_line_ends(tmp_path, end):
    path = tmp_path / "x.csv"
    path.write_bytes(extract([row(i) for i in range(1, 6)], end=end).encode())
    report = report_of(path)
    assert counts(report) == (5, 5, 0)


def test_a_header_over_64_kb_is_read_whole(tmp_path):
    extra = [f"extra_column_{i}" for i in range(8_000)]
    header = HEADER + "," + ",".join(extra)
    assert len(header) > 128 * 1024
    path = tmp_path / "x.csv"
    path.write_text(extract([row(i) + "," * len(extra) for i in range(1, 4)], header=header))
    assert counts(report_of(path)) == (3, 3, 0)


def test_unsorted_stdin_past_one_batch_recovers_split_claims(tmp_path):
    # The claim's CGT line comes after its other line, a batch later: the recovery pass re-reads
    # the input, which for stdin must be the spooled copy.
    rows = ["C1,1,837P,wnc,M1,2025-03-01,99213,1,,,D57.1"] + [row(i) for i in range(2, 40)]
    rows.append("C1,2,837P,wnc,M1,2025-03-01,J3392,1,,,D57.1")
    result = runner.invoke(app, ["check", "-", "--format", "json", "--batch-rows", "7"], input=extract(rows))
    report = json.loads(result.stdout)
    assert counts(report) == (40, 40, 0) and report["summary"]["cgt_claims"] == 1
    assert {f["rule"] for f in report["findings"]} >= {"ND001", "AU001"}


def test_gzip_on_stdin_as_a_real_process(tmp_path):
    data = gzip.compress(extract([row(i) for i in range(1, 4)]).encode())
    done = subprocess.run(
        [sys.executable, "-m", "cgt_claimcheck", "check", "-", "--format", "json"],
        input=data,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert counts(json.loads(done.stdout)) == (3, 3, 0)


def test_closed_stdin_is_a_clear_error_as_a_real_process():
    done = subprocess.run(
        f"{sys.executable} -m cgt_claimcheck check - <&-", shell=True, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "standard input is closed" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("given", ["\\t", "tab", "TAB"])
def test_a_tab_delimiter_as_typed_in_a_shell(tmp_path, given):
    path = tmp_path / "x.tsv"
    path.write_text(extract([row(1), row(2)]).replace(",", "\t"))
    assert counts(report_of(path, "--delimiter", given)) == (2, 2, 0)


@pytest.mark.parametrize("given", [",,", '"', "\n", "x" * 10_000])
def test_an_unusable_delimiter_is_a_short_usage_error(tmp_path, given):
    path = tmp_path / "x.csv"
    path.write_text(extract([row(1)]))
    result = runner.invoke(app, ["check", str(path), "--delimiter", given])
    assert result.exit_code == 2 and "usable delimiter" in result.stderr and len(result.stderr) < 300


def test_a_full_stdout_is_a_clear_error_as_a_real_process():
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "cgt_claimcheck", "check", "examples/claims.csv", "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parent.parent,
        )
    assert done.returncode == 2 and "cannot write the report" in done.stderr and "Traceback" not in done.stderr
