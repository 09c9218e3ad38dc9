"""Hostile values in an extract cannot drive a terminal, a spreadsheet or an XML parser."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.printable import excerpt, printable

runner = CliRunner()
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes"
)
TITLE = "\x1b]0;pwned\x07"  # sets the terminal title
CLEAR = "\x1b[2J"  # clears the screen
BIDI = "\u202e"  # shows what follows reversed
HOSTILE_ROWS = [
    # A CGT line without NDC or PA: findings carry the claim id.
    f"C{TITLE}{CLEAR}[bold]x[/bold]{BIDI}1,1,837P,wnc,M1,2025-03-01,J3392,1,,,D57.1",
    # Rejected values: shown as the value.
    "C2,1" + CLEAR + ",837P,wnc,M2,2025-03-01,99213,1,,,E11.9",
    "C3,1,837P,wnc,M3,2025-03-01,99213,\"1\r=cmd|' /C calc'!A0\",,,E11.9",
    'C4,1,837P,wnc,M4,2025-03-01,99213,"1\n+HYPERLINK(""http://x"")",,,E11.9',
    "C5,1,837P,wnc,M5,2025-03-01,99213,=1+1,,,E11.9",
    "C6,1,837P,wnc,M6,2025-03-01,99213,1\x01\x08\x7f,,,E11.9",
]


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / f"night{CLEAR}ly.csv"
    # Quoted line breaks are rejected per line; keep these values on one line each for the CSV.
    rows = [r.replace("\n", "\r") if r.startswith("C4") else r for r in HOSTILE_ROWS]
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode())
    return path


def output(path: Path, fmt: str) -> str:
    result = runner.invoke(app, ["check", str(path), "--format", fmt])
    assert result.exit_code == 1, result.output
    return result.stdout


def test_the_rich_report_prints_no_control_character(hostile):
    text = output(hostile, "rich")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", text.replace("\r\n", "\n"))
    assert "\\x1b]0;pwned\\x07" in text and "[bold]x[/bold]" in text and "\\u202e" in text
    assert "\\x1b[2J" in text  # the file name too


def test_the_csv_report_quotes_cr_and_neutralises_formulas_after_line_breaks(hostile):
    raw = output(hostile, "csv")
    records = list(csv.reader(io.StringIO(raw, newline="")))
    assert len(records) - 1 == len(json.loads(output(hostile, "json"))["findings"])
    for record in records:
        for cell in record:
            assert not cell.startswith(("=", "+", "-", "@")), cell
            for piece in re.split(r"[\r\n]", cell)[1:]:  # a spreadsheet splitting a cell on its breaks
                assert not piece.startswith(("=", "+", "-", "@")), cell
    # Split naively on any line end, as a careless importer does: no line starts a formula.
    assert not [line for line in re.split(r"\r\n|\r|\n", raw) if line.startswith(("=", "+", "@"))]


def test_the_junit_report_is_well_formed_xml(hostile):
    xml = output(hostile, "junit")
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    assert "\\x1b]0;pwned\\x07" in xml


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_escapes_every_control_character(hostile, fmt):
    raw = output(hostile, fmt)
    assert not re.search(r"[\x00-\x1f]", raw.replace("\n", ""))
    if fmt == "json":
        assert json.loads(raw)["findings"]
    else:
        assert all(json.loads(line) for line in raw.splitlines())


def test_lookup_and_errors_echo_no_control_character(tmp_path):
    result = runner.invoke(app, ["lookup", f"J33{TITLE}92"])
    assert "\x1b" not in result.output and "\x07" not in result.output
    result = runner.invoke(app, ["check", str(tmp_path / f"no{CLEAR}such.csv")])
    assert result.exit_code == 2 and "\x1b" not in result.stderr and "\\x1b[2J" in result.stderr


def test_printable_escapes_and_excerpt_shortens():
    assert printable("a\x1b[31mb\nc\u202ed") == "a\\x1b[31mb\\x0ac\\u202ed"
    assert printable("a\nb", newlines=True) == "a\nb"
    long = excerpt("x" * 10_000_000)
    assert len(long) < 100 and "10,000,000 characters" in long


SECRET_ID, SECRET_DOB, SECRET_NAME = "MBRSECRET77", "1961-07-04", "ZELDAQUUX"
NAMED_HEADER = HEADER + ",member_dob,patient_name"


def planted_rows() -> list[str]:
    good = f"C1,1,837P,wnc,{SECRET_ID},2025-03-01,J3392,1,,,D57.1,{SECRET_DOB},{SECRET_NAME}"
    fields = good.split(",")
    rows = [good, f"C2,1,837P,wnc,{SECRET_ID},03/01/25,99213,1,,,E11.9,{SECRET_DOB},{SECRET_NAME}"]  # bad date
    for position in range(len(fields)):  # ragged rows with the identifiers in every position
        ragged = ["x"] * (len(fields) + 1)
        ragged[position] = f"{SECRET_ID} {SECRET_DOB} {SECRET_NAME}"
        rows.append(",".join(ragged))
    rows.append(f"C3,1,{SECRET_ID},{SECRET_NAME}")  # short
    rows.append(f'C4,1,837P,wnc,"{SECRET_ID},2025-03-01,99213,1,,,E11.9,{SECRET_DOB},{SECRET_NAME}')  # open quote
    return rows


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "junit", "rich"])
def test_redact_leaves_no_planted_identifier_in_any_format(tmp_path, fmt):
    path = tmp_path / "x.csv"
    body = "\n".join([NAMED_HEADER, *planted_rows()]) + "\n"
    bad_bytes = f"C5,1,837P,wnc,{SECRET_ID},2025-03-01,99213,1,,,E11.9,{SECRET_DOB},{SECRET_NAME}\xfc\n"
    path.write_bytes(body.encode() + bad_bytes.encode("latin-1"))  # a badly encoded row too
    result = runner.invoke(app, ["check", str(path), "--format", fmt, "--redact"])
    assert result.exit_code == 1, result.output
    everything = result.stdout + result.stderr
    for secret in (SECRET_ID, SECRET_DOB, SECRET_NAME):
        assert secret not in everything, (fmt, secret)
    unredacted = runner.invoke(app, ["check", str(path), "--format", fmt])
    assert SECRET_NAME in unredacted.stdout  # the planted rows do reach the report


def test_github_annotations_are_one_command_per_finding_with_reserved_characters_escaped(tmp_path):
    path = tmp_path / "a,b:c.csv"
    path.write_text(
        HEADER + "\nC1%0A,1,837P,wnc,M1,2025-03-01,J3392,1,,,D57.1\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(path), "--format", "github"])
    lines = result.stdout.splitlines()
    assert result.exit_code == 1 and lines[-1].startswith("cgt-claimcheck: 2 errors")
    commands = lines[:-1]
    assert len(commands) == 2 and all(line.startswith("::error file=") for line in commands)
    assert "a%2Cb%3Ac.csv,line=2,title=" in commands[0]  # the file name cannot end the property early
    assert "C1%250A" in result.stdout  # a literal %0A in a value is not a line break for GitHub


def test_concise_is_one_line_per_finding_with_the_editor_line():
    example = str(Path(__file__).resolve().parent.parent / "examples" / "claims_with_errors.csv")
    lines = runner.invoke(app, ["check", example, "--format", "concise"]).stdout.splitlines()
    counts = json.loads(runner.invoke(app, ["check", example, "--format", "json"]).stdout)["summary"]["findings"]
    assert len(lines) == sum(counts.values())
    assert lines[0].startswith(f"{example}:2: IN001 [error] ")


def test_statistics_prints_only_the_per_rule_counts():
    example = str(Path(__file__).resolve().parent.parent / "examples" / "claims_with_errors.csv")
    result = runner.invoke(app, ["check", example, "--statistics"])
    counts = json.loads(runner.invoke(app, ["check", example, "--format", "json"]).stdout)["summary"]["findings"]
    lines = result.stdout.splitlines()
    assert result.exit_code == 1 and lines[-1].split()[0] == str(sum(counts.values()))
    assert re.fullmatch(r" +2  CV006  indication-mismatch", lines[0])


def test_sarif_is_a_well_formed_2_1_0_log_with_located_results():
    example = str(Path(__file__).resolve().parent.parent / "examples" / "claims_with_errors.csv")
    log = json.loads(runner.invoke(app, ["check", example, "--format", "sarif"]).stdout)
    counts = json.loads(runner.invoke(app, ["check", example, "--format", "json"]).stdout)["summary"]["findings"]
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "cgt-claimcheck" and len({r["id"] for r in rules}) == len(rules)
    assert all(r["help"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note") for r in rules)
    assert len(run["results"]) == sum(counts.values())
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") and result["message"]["text"]
        [location] = result["locations"]
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert location["physicalLocation"]["artifactLocation"]["uri"] == example.replace(" ", "%20")
        assert result["partialFingerprints"]["cgtClaimcheck/v1"]


def _sarif_schema() -> dict:
    """The SARIF 2.1.0 schema: .ci/run takes it from Microsoft's SARIF multitool package (npm)."""
    import os

    path = os.environ.get("CGT_SARIF_SCHEMA")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("CI must provide the SARIF schema (CGT_SARIF_SCHEMA, see .ci/run)", pytrace=False)
        pytest.skip("CGT_SARIF_SCHEMA not set (.ci/run fetches the schema)")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def test_sarif_validates_against_the_sarif_2_1_0_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = _sarif_schema()
    assert "2.1.0" in schema["title"]
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    spaced = tmp_path / "nightly batch #1.csv"  # a name that must be percent-encoded as a URI
    spaced.write_bytes((Path(__file__).resolve().parent.parent / "examples" / "claims_with_errors.csv").read_bytes())
    examples = Path(__file__).resolve().parent.parent / "examples"
    one_line = tmp_path / "one_line.x12"  # X12 findings on one long line: regions with a column and a byte
    one_line.write_bytes((examples / "claims_with_errors.x12").read_bytes().replace(b"\r", b"").replace(b"\n", b""))
    cases = ([str(spaced), "--facilities", str(examples / "facilities.csv")], [str(examples / "claims.csv")])
    for args in (*cases, [str(one_line)]):
        log = json.loads(runner.invoke(app, ["check", *args, "--format", "sarif"]).stdout)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in log["runs"][0]["results"]]
    assert any("byteOffset" in region for region in regions), regions[:3]
    spaced_log = json.loads(runner.invoke(app, ["check", str(spaced), "--format", "sarif"]).stdout)
    log_uri = spaced_log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert log_uri.endswith("nightly%20batch%20%231.csv")
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["tool"]["driver"]["rules"] = [{"id": 3}]  # the validator does reject a bad log
    assert list(validator.iter_errors(broken))


def test_gitlab_code_quality_issues_have_unique_fingerprints_and_lines():
    example = str(Path(__file__).resolve().parent.parent / "examples" / "claims_with_errors.csv")
    issues = json.loads(runner.invoke(app, ["check", example, "--format", "gitlab"]).stdout)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}
    assert all(i["location"]["path"] == example and i["location"]["lines"]["begin"] >= 1 for i in issues)
