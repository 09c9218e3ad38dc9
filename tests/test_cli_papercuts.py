"""What a new user at a terminal or a CI engineer trips over first (issue 26's smaller items)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.value_parsers import parse_date

runner = CliRunner()
EXAMPLES = Path(__file__).parent.parent / "examples"
ERRORS = str(EXAMPLES / "claims_with_errors.csv")


def test_format_fail_on_and_unknown_payer_take_any_case(tmp_path):
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["check", ERRORS, "--format", "JSON", "--fail-on", "ERROR", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert json.loads(out.read_text())["summary"]["findings"]["error"] > 0
    config = tmp_path / "cgt-claimcheck.toml"
    config.write_text('format = "CSV"\nfail-on = "Never"\nunknown-payer = "Error"\n')
    listed = runner.invoke(app, ["check", ERRORS, "--config", str(config), "-o", str(tmp_path / "r.csv")])
    assert listed.exit_code == 0, listed.output
    assert (tmp_path / "r.csv").read_text().startswith("rule,")


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("report.xml", "<?xml"),
        ("report.sarif", '{\n  "$schema"'),
        ("report.html", "<!DOCTYPE html>"),
        ("r.csv", "rule,"),
    ],
)
def test_the_output_suffix_names_the_format_when_nothing_else_does(tmp_path, name, start):
    out = tmp_path / name
    result = runner.invoke(app, ["check", ERRORS, "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert out.read_text(encoding="utf-8").startswith(start)
    shown = runner.invoke(app, ["check", "--show-settings", "-o", str(out)])
    assert f"(from the --output suffix {out.suffix})" in shown.stdout


def test_a_given_format_wins_over_the_suffix(tmp_path):
    out = tmp_path / "report.xml"
    runner.invoke(app, ["check", ERRORS, "--format", "json", "-o", str(out)])
    assert json.loads(out.read_text())["schema_version"]


def test_convert_refuses_a_name_that_promises_another_format(tmp_path):
    result = runner.invoke(app, ["convert", str(EXAMPLES / "claims.x12"), "-o", str(tmp_path / "lines.xlsx")])
    assert result.exit_code == 2 and "convert writes csv or parquet, not .xlsx" in result.stderr
    assert not (tmp_path / "lines.xlsx").exists()
    given = runner.invoke(app, ["convert", str(EXAMPLES / "claims.x12"), "-o", str(tmp_path / "x.xlsx"), "--to", "csv"])
    assert given.exit_code == 0, given.output  # said on purpose


def test_recording_a_baseline_succeeds_and_applying_it_decides(tmp_path):
    baseline = tmp_path / "baseline.json"
    recorded = runner.invoke(app, ["check", ERRORS, "--write-baseline", str(baseline), "-o", str(tmp_path / "r.json")])
    assert recorded.exit_code == 0, recorded.output
    again = runner.invoke(app, ["check", ERRORS, "--baseline", str(baseline), "-o", str(tmp_path / "r.json")])
    assert again.exit_code == 0
    both = runner.invoke(
        app,
        ["check", ERRORS, "--baseline", str(tmp_path / "empty.json"), "--write-baseline", str(baseline)],
    )
    assert both.exit_code == 2  # the baseline to apply does not exist: an error, whatever is recorded


def test_a_person_at_a_terminal_is_told_where_the_report_went(tmp_path, monkeypatch):
    import cgt_claimcheck.cli.check as command

    monkeypatch.setattr(command, "_quiet_stderr", lambda quiet: False)
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["check", ERRORS, "-o", str(out)])
    assert f"cgt-claimcheck: wrote the json report to {out} (" in result.stderr
    assert "errors, " in result.stderr and " warning" in result.stderr and "info)" in result.stderr
    monkeypatch.setattr(command, "_quiet_stderr", lambda quiet: True)  # CI, a pipe, --quiet: nothing
    assert "wrote the" not in runner.invoke(app, ["check", ERRORS, "-o", str(out)]).stderr


def test_an_empty_lookup_is_a_usage_error_and_an_impossible_date_says_why():
    empty = runner.invoke(app, ["lookup", ""])
    assert empty.exit_code == 2 and "the query is empty" in empty.stderr
    impossible = runner.invoke(app, ["lookup", "J3392", "--on", "2018-02-30"])
    assert impossible.exit_code == 2
    assert "'2018-02-30' is not a calendar date (February 2018 has 28 days)" in impossible.stderr
    with pytest.raises(ValueError, match="there is no month 13"):
        parse_date("2025-13-01")
    assert parse_date("2024-02-29").isoformat() == "2024-02-29"


def test_near_misses_are_named(tmp_path):
    rule = runner.invoke(app, ["rules", "CV04"])
    assert rule.exit_code == 2 and "did you mean CV004" in rule.stderr
    config = tmp_path / "cgt-claimcheck.toml"
    config.write_text('fial-on = "error"\n')
    typo = runner.invoke(app, ["check", ERRORS, "--config", str(config)])
    assert typo.exit_code == 2 and "fial-on: unknown key (did you mean fail-on?)" in typo.stderr


def _zipped(*members: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in members:
            archive.writestr(name, "<x/>" if name.endswith(".xml") else "claim_id,line_number\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("first_bytes", "said"),
    [
        (_zipped("[Content_Types].xml", "xl/workbook.xml"), "is an Excel workbook (.xlsx), not a text extract: save"),
        (_zipped("claims.csv"), "is a zip archive, not a text extract: unzip it and check the extract inside"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "is an Excel 97-2003 workbook"),
        (b"PAR1" + b"\x00" * 64, "is a Parquet file, not a text extract: name it .parquet"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF document, not a text extract: export the claim lines"),
        (b"\n  <!DOCTYPE html>\n<html><body>claims</body></html>", "is an HTML page, not a text extract"),
        (b'{\n  "schema_version": "1.7",\n  "findings": []}', "is a JSON document (a report, perhaps)"),
        (b'[{"claim_id": "C1"}]', "is a JSON document"),
    ],
)
def test_a_workbook_pdf_page_or_report_named_csv_is_named_for_what_it_is(tmp_path, first_bytes, said):
    path = tmp_path / "claims.csv"
    path.write_bytes(first_bytes)
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 2 and said in result.stderr, result.stderr
    assert "--encoding" not in result.stderr  # the advice that failed again


def test_a_semicolon_separated_extract_gets_the_delimiter_it_needs(tmp_path):
    import csv

    path = tmp_path / "claims.csv"
    with (EXAMPLES / "claims.csv").open(newline="") as source, path.open("w", newline="") as target:
        csv.writer(target, delimiter=";").writerows(csv.reader(source))
    result = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert result.exit_code == 2 and "the first line is ';'-separated: pass --delimiter ';'" in result.stderr
    fixed = runner.invoke(app, ["check", str(path), "--format", "json", "--delimiter", ";"])
    same = runner.invoke(app, ["check", str(EXAMPLES / "claims.csv"), "--format", "json"])
    assert json.loads(fixed.stdout)["summary"] == json.loads(same.stdout)["summary"]


def test_counts_read_as_english_with_thousands_separators(tmp_path):
    header = "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes"
    good = [f"C{i},1,837P,wnc,M{i},2025-03-01,99213,1,,,E11.9" for i in range(1_200)]
    path = tmp_path / "claims.csv"
    path.write_text("\n".join([header, "X1,1,837P,wnc,M1,2025-02-30,J3392,1,,,D57.1", *good]) + "\n")
    rich = runner.invoke(app, ["check", str(path), "--format", "rich"], env={"COLUMNS": "200"}).stdout
    assert "1,201 read = 1,200 checked + 1 rejected" in rich
    assert "1 error, 0 warnings, 0 info" in rich and "1 errors" not in rich
    assert "1 claim has errors and would be denied as they stand" in rich
    github = runner.invoke(app, ["check", str(path), "--format", "github"]).stdout
    assert "cgt-claimcheck: 1 error, 0 warnings, 0 info in 1,201 rows" in github


def test_an_x12_writers_fault_is_one_group_and_a_shared_policy_is_cited_once(tmp_path):
    from x12_builder import Claim, build

    data, _ = build([Claim(claim_id=f"P{i}", member_id=f"M{i}") for i in range(30)])
    path = tmp_path / "composite.x12"
    path.write_bytes(data.replace(b"HC:J3392", b"HC>J3392").replace(b"SE*", b"SE*9", 1))
    rich = runner.invoke(app, ["check", str(path), "--format", "rich"], env={"COLUMNS": "160"}).stdout
    assert "XE004 x12-composite: 30 findings, one cause" in rich  # on each of the 30 claims: one group
    assert rich.count("Write each composite") == 1  # its fix printed once
    cited = rich[rich.index("rules cited") :]
    assert cited.count("Not a payer rule: HIPAA adopts the X12 5010 837") == 1, cited  # XE002 and XE004 share it
    assert "XE002" in cited and "XE004" in cited


@pytest.mark.parametrize(
    "command", [["check"], ["convert"], ["lookup"], ["rules"], ["reference"], ["reference", "import-icd10"]]
)
def test_help_names_what_each_option_takes(command):
    text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"}).stdout
    assert "<str>" not in text and "<path>" not in text and "<int" not in text, text


def test_a_stale_baseline_entry_is_described_not_just_fingerprinted(tmp_path):
    header = "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes"
    before = tmp_path / "monday.csv"
    before.write_text(f"{header}\nC5,1,837P,wnc,M5,2025-03-01,J3392,1,51167-0290-01,,D57.1\n")  # AU001
    after = tmp_path / "tuesday.csv"
    after.write_text(f"{header}\nC5,1,837P,wnc,M5,2025-03-01,J3392,1,51167-0290-01,PA5,D57.1\n")  # fixed
    baseline = tmp_path / "baseline.json"
    runner.invoke(app, ["check", str(before), "--write-baseline", str(baseline), "-o", str(tmp_path / "r.json")])
    report = json.loads(
        runner.invoke(app, ["check", str(after), "--baseline", str(baseline), "--format", "json"]).stdout
    )
    [entry] = [e for e in report["baseline"]["stale_entries"] if e["rule"] == "AU001"]
    assert (
        entry["claim_id"] == "C5"
        and entry["line_number"] == "1"
        and entry["fingerprint"] in report["baseline"]["stale"]
    )
    rich = runner.invoke(
        app, ["check", str(after), "--baseline", str(baseline), "--format", "rich"], env={"COLUMNS": "200"}
    )
    assert "AU001 claim C5 line 1" in rich.stdout


def test_a_lookup_speaks_words_not_table_tokens():
    text = runner.invoke(app, ["lookup", "J3392"], env={"COLUMNS": "200"}).stdout
    for said in ("billed per treatment", "2025-01-01 onward", "12 and older", "best knowledge"):
        assert said in text, said
    for token in ("per_treatment", "to open", "best_knowledge", "│ 12-"):
        assert token not in text, token
    assert "4 to 5" in runner.invoke(app, ["lookup", "Elevidys"], env={"COLUMNS": "200"}).stdout


def test_the_html_severity_filter_lists_errors_first(tmp_path):
    out = tmp_path / "report.html"
    runner.invoke(app, ["check", ERRORS, "--facilities", str(EXAMPLES / "facilities.csv"), "-o", str(out)])
    page = out.read_text(encoding="utf-8")
    select = page[page.index('id="filter-severity"') :]
    select = select[: select.index("</select>")]
    order = [v for v in ("error", "warning", "info") if f'value="{v}"' in select]
    assert len(order) >= 2 and [select.index(f'value="{v}"') for v in order] == sorted(
        select.index(f'value="{v}"') for v in order
    )


@pytest.mark.parametrize(
    ("query", "products"),
    [
        ("sickle cell", ["casgevy", "lyfgenia"]),
        ("exa-cel", ["casgevy"]),
        ("lovo-cel", ["lyfgenia"]),
        ("axi-cel", ["yescarta"]),
        ("car-t", ["abecma", "aucatzyl", "breyanzi", "carvykti", "kymriah", "tecartus", "yescarta"]),
        ("CAR T", ["abecma", "aucatzyl", "breyanzi", "carvykti", "kymriah", "tecartus", "yescarta"]),
        ("casgevy", ["casgevy"]),
    ],
)
def test_lookup_finds_products_by_what_people_call_them(query, products):
    answer = json.loads(runner.invoke(app, ["lookup", query, "--format", "json"]).stdout)
    assert answer["found"] and [card["product_id"] for card in answer["cards"]] == products
    assert runner.invoke(app, ["lookup", "xyz-cel"]).exit_code == 1  # a short form of nothing is not found


def test_rules_lists_one_line_a_rule_and_long_gives_the_policy_texts():
    from cgt_claimcheck.rules import CATALOGUE

    at_terminal = {"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80"}
    listing = re.sub(r"\x1b\[[0-9;]*m", "", runner.invoke(app, ["rules"], env=at_terminal).stdout)
    lines = listing.splitlines()
    assert len(lines) == len(CATALOGUE) + 2  # a heading, one line a rule, how to see more (it was 1,191 lines)
    assert all(len(line) <= 80 for line in lines)
    assert [line.split()[0] for line in lines[1:-1]] == list(CATALOGUE)
    piped = runner.invoke(app, ["rules"], env={"COLUMNS": "80"}).stdout.splitlines()
    assert len(piped) == len(CATALOGUE) and any(len(line) > 80 for line in piped)  # whole lines for grep
    long = runner.invoke(app, ["rules", "--long"], env={"COLUMNS": "160"}).stdout
    assert "WNC.CP.299" in long and "WNC.CP.299" not in listing


@pytest.mark.parametrize(
    "args, verdict",
    [
        (["check", "examples/claims_with_errors.csv"], 1),  # the check's own verdict: errors found
        (["rules"], 0),  # (lookup and reference print through the same console; convert as check)
    ],
)
def test_a_reader_that_closes_stdout_gets_a_quiet_exit_with_the_verdict(args, verdict):
    """`check ... | head`: no message, no internal error, and the exit code the output would have had
    (it was 0, 1 or 2 at random, with "cannot be written")."""
    import subprocess
    import sys

    from tests.conftest import REPO

    process = subprocess.Popen(
        [sys.executable, "-m", "cgt_claimcheck", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()  # the reader is gone before the first byte
    assert process.wait(timeout=60) == verdict
    assert process.stderr.read() == b""


def test_a_history_row_is_not_shown_as_a_claim_of_the_run(monkeypatch):
    """The history's unusable row (IN006) is listed under its file, not as `claim NC240315002`,
    and the HTML report's claims table holds only claims of the files checked."""
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    args = ["check", "examples/claims_with_errors.csv", "--history", "examples/history.csv"]
    rich = runner.invoke(app, [*args, "--format", "rich"], env={"COLUMNS": "200"}).stdout
    assert "rows left out of examples/history.csv" in rich and "claim NC240315002" not in rich
    assert "IN006" in rich[rich.index("rows left out of examples/history.csv") :]
    page = runner.invoke(app, [*args, "--format", "html"]).stdout
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1))
    assert "NC240315002" not in data["claims"]["claim"]["values"]
    assert "NC240315002" in data["findings"]["claim"]["values"]  # the finding itself is listed


def test_a_config_error_names_the_line_column_and_nearest_key_or_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cgt-claimcheck]\nfail-on = "warning"\n  fial-on = "x"\n'
        'max-repeats = "many"\n\n[tool.cgt-claimcheck.columns]\nclaim_id = 5\n'
    )
    error = runner.invoke(app, ["check", "claims.csv"]).stderr
    assert "line 6, column 3: fial-on: unknown key (did you mean fail-on?)" in error
    assert "line 7, column 1: max-repeats:" in error and "line 10, column 1: columns.claim_id:" in error
    (tmp_path / "cgt-claimcheck.toml").write_text('# settings\n"fail-on" = "warnin"\n')
    error = runner.invoke(app, ["check", "claims.csv"]).stderr
    assert "cgt-claimcheck.toml: line 2, column 1: fail-on:" in error and "(did you mean warning?)" in error


_KEY = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True).filter(lambda key: key != "columns")


@given(
    st.lists(_KEY, min_size=1, max_size=8, unique=True),
    st.lists(_KEY, min_size=0, max_size=4, unique=True),
    st.integers(0, 4),
)
def test_every_key_of_a_toml_text_is_placed_where_it_is_written(top, nested, indent):
    import tomllib

    from cgt_claimcheck.toml_places import key_places

    lines = ["# settings"] + [f'{" " * indent}{k} = "v"' for k in top] + ["", "[columns]"]
    lines += [f'"{k}" = 1' for k in nested]
    text = "\n".join(lines) + "\n"
    parsed = tomllib.loads(text)  # the text is TOML, and the places agree with what it holds
    places = key_places(text)
    for number, key in enumerate(top, start=2):
        assert key in parsed and places[(key,)] == (number, indent + 1)
    for number, key in enumerate(nested, start=len(top) + 4):
        assert key in parsed["columns"] and places[("columns", key)] == (number, 1)


def test_a_txt_output_is_the_text_report(tmp_path):
    from tests.conftest import REPO

    out = tmp_path / "report.txt"
    result = runner.invoke(app, ["check", str(REPO / "examples/claims_with_errors.csv"), "-o", str(out)])
    assert result.exit_code == 1
    text = out.read_text(encoding="utf-8")
    assert "claim E02" in text and "\x1b[" not in text and not text.lstrip().startswith("{")
