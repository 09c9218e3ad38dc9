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


def test_a_ragged_line_that_is_not_utf8_is_rejected_without_a_traceback(tmp_path):
    """pyarrow cannot decode such a line for the reader's callback and prints "Exception ignored"
    with a traceback; the user sees IN001 only (ingest/undecodable_rows.py)."""
    path = tmp_path / "x.csv"
    path.write_bytes(extract([row(1), "C2,1,837P,M\xfcller"]).encode("latin-1"))
    done = subprocess.run(
        [sys.executable, "-m", "cgt_claimcheck", "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "CI": "true"},
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert [f["row"] for f in json.loads(done.stdout)["findings"] if f["rule"] == "IN001"] == [2]


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
    assert (
        done.returncode == 2 and "standard output: cannot be written" in done.stderr and "Traceback" not in done.stderr
    )


# --- values with no meaning are findings (issue 11, item 7) -----------------------------------------
CGT = "C{i},1,837P,wnc,M{i},2025-03-01,J3392,{units},51167-0290-01,PA{i},D57.1"


@pytest.mark.parametrize(
    "units, reason",
    [
        ("1e400", "is not a finite number"),
        ("-inf", "is not a number"),
        ("-1", "is negative"),
        ("1e12", "or more: no service line bills that many units"),
    ],
)
def test_units_with_no_meaning_reject_the_row(tmp_path, units, reason):
    path = tmp_path / "x.csv"
    path.write_text(extract([CGT.format(i=1, units=units), CGT.format(i=2, units="1")]))
    report = report_of(path)
    assert counts(report) == (2, 1, 1)
    [(number, message)] = rejected(report)
    assert number == 1 and reason in message


@pytest.mark.parametrize("units", ["1", "0.5", "+2", "300", "1e2", "0"])
def test_ordinary_units_are_accepted(tmp_path, units):
    path = tmp_path / "x.csv"
    path.write_text(extract([CGT.format(i=1, units=units)]))
    assert counts(report_of(path)) == (1, 1, 0)


@pytest.mark.parametrize(
    "charge, reason",
    [
        ("1e400", "is not a finite amount"),
        ("-2200000", "is negative"),
        ("250000000", "or more: no service line is billed that much"),
        ("2.2M", "is not a number"),
    ],
)
def test_charges_with_no_meaning_are_a_warning_on_the_line(tmp_path, charge, reason):
    path = tmp_path / "x.csv"
    header = HEADER + ",charge"
    path.write_text(extract([CGT.format(i=1, units="1") + f",{charge}"], header=header))
    report = report_of(path)
    [warning] = [f for f in report["findings"] if f["rule"] == "IN004"]
    assert warning["field"] == "charge" and warning["value"] == charge and reason in warning["message"]


@pytest.mark.parametrize("charge", ["2200000.00", "0", "3100000"])
def test_ordinary_charges_pass(tmp_path, charge):
    path = tmp_path / "x.csv"
    path.write_text(extract([CGT.format(i=1, units="1") + f",{charge}"], header=HEADER + ",charge"))
    assert not [f for f in report_of(path)["findings"] if f["rule"] == "IN004"]


def test_a_history_row_with_a_bad_date_is_reported_not_dropped(tmp_path):
    claims, history = tmp_path / "x.csv", tmp_path / "history.csv"
    claims.write_text(extract(["C1,1,837P,wnc,M1,2025-03-01,J3398,150,71394-0415-01,PA1,H35.52"]))
    history.write_text(extract(["OLD,1,837P,wnc,M1,2024-02-30,J3398,150,71394-0415-01,PA0,H35.52"]))
    report = report_of(claims, "--history", str(history))
    [finding] = [f for f in report["findings"] if f["rule"] == "IN006"]
    assert (finding["file"], finding["row"], finding["field"]) == (str(history), 1, "service_date")
    assert counts(report) == (1, 1, 0)  # the history file is context: the extract's accounting is unchanged


def test_a_registry_row_that_cannot_be_used_is_reported_and_the_run_goes_on(tmp_path):
    claims, registry = tmp_path / "x.csv", tmp_path / "f.csv"
    claims.write_text(extract([CGT.format(i=1, units="1")]))
    registry.write_text("npi,certification\n123,XYZ\n1111111111,QTC\n1111111112,ABC\n")
    report = report_of(claims, "--facilities", str(registry))
    found = [(f["row"], f["field"], f["value"]) for f in report["findings"] if f["rule"] == "IN006"]
    assert found == [(1, "npi", "123"), (3, "certification", "ABC")]


# --- configuration that is hostile rather than wrong (issue 11, item 8) ----------------------------
def _check_with_config(tmp_path, text: str, *args: str):
    config = tmp_path / "cgt-claimcheck.toml"
    config.write_text(text, encoding="utf-8")
    path = tmp_path / "x.csv"
    path.write_text(extract([row(1)]))
    return runner.invoke(app, ["check", str(path), "--config", str(config), "--format", "json", *args])


def test_a_deeply_nested_config_is_a_clear_error(tmp_path):
    result = _check_with_config(tmp_path, "a = " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert result.exit_code == 2 and "nests" in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        'payer = "' + "x" * 1_000_000 + '"\n',
        "x" * 200_000 + " = 1\n",
        'select = ["ZZ' + "q" * 200_000 + '"]\n',
        'fail-on = "' + "w" * 200_000 + '"\n',
        "[severity]\n" + "\n".join(f'Z{i:05d}{"q" * 1000} = "error"' for i in range(200)) + "\n",
    ],
    ids=["payer", "key", "select", "fail-on", "many-keys"],
)
def test_config_errors_quote_only_a_short_excerpt(tmp_path, text):
    result = _check_with_config(tmp_path, text)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert len(result.stderr) < 2_500, len(result.stderr)


@pytest.mark.parametrize("option", ["--payer", "--select", "--format", "--fail-on", "--date-format", "--encoding"])
def test_huge_flag_values_are_quoted_short(tmp_path, option):
    path = tmp_path / "x.csv"
    path.write_text(extract([row(1)]))
    result = runner.invoke(app, ["check", str(path), option, "q" * 100_000])
    assert result.exit_code == 2 and len(result.stderr) < 600, result.stderr[:300]
