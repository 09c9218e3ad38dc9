"""The X12 837 reader: generated CGT claims read back exactly, the public samples read or say why,
and defective files give precise findings with honest row counts."""

from __future__ import annotations

import csv
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.x12 import X12_COLUMNS, X12Reader, is_x12
from tests.conftest import REPO
from tests.x12_builder import Claim, Line, Style, build
from tests.x12_parity import differences, outcome

runner = CliRunner()
SAMPLES = Path(__file__).parent / "x12_samples"  # copied with their licences (NOTICE.md)


def read(path: Path) -> tuple[list[dict[str, str]], list, list]:
    reader = X12Reader(str(path))
    rows, invalid = [], []
    for batch in reader.batches():
        rows += batch.table.to_pylist()
        invalid += batch.invalid
    return rows, invalid, reader.problems


def canonical(rows: list[dict[str, str]], truth: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: row[k] for k in truth[0]} for row in rows]


def cgt_claims() -> list[Claim]:
    return [
        Claim(),
        Claim(
            claim_id="I2002",
            claim_type="837I",
            payer="MCAL1",
            pcs=("XW033C7",),
            conditions=("17",),
            facility_npi="1234567893",
            patient_dob="20150101",
            lines=[
                Line(modifiers=("JZ", "KX"), prior_auth="PA9"),
                Line(procedure_code="", ndc="", revenue_code="0250", facility_npi="1111111111"),
            ],
        ),
    ]


# --- round trips ----------------------------------------------------------------------------------
def test_generated_claims_read_back_exactly(tmp_path):
    data, truth = build(cgt_claims())
    path = tmp_path / "claims.edi"
    path.write_bytes(data)
    rows, invalid, problems = read(path)
    assert canonical(rows, truth) == truth and not invalid and not problems
    assert set(rows[0]) == set(X12_COLUMNS)
    # 2400 REF*G1 wins over 2300; 2420C over 2310; 2310 over 2010AA; patient DOB over subscriber's.
    assert [r["prior_auth"] for r in rows] == ["PA123", "PA9", "PA123"]
    assert [r["facility_npi"] for r in rows] == ["1609876543", "1234567893", "1111111111"]
    assert [r["facility_npi_source"] for r in rows] == ["2010AA", "2310E", "2420C"]
    assert rows[1]["member_dob"] == "20150101" and rows[1]["bill_type"] == "131"


SEPARATOR_CHARS = list("*|^~:!+>&'\"")


@st.composite
def styles(draw) -> Style:
    chars = draw(st.lists(st.sampled_from(SEPARATOR_CHARS), min_size=4, max_size=4, unique=True))
    terminator = draw(st.sampled_from([chars[3], "\n"]))
    if terminator == "\n" and "\n" in chars[:3]:
        terminator = chars[3]
    return Style(
        element=chars[0],
        component=chars[1],
        repetition=draw(st.sampled_from([chars[2], "U"])),  # U: none (the 4010 value), reported
        terminator=terminator,
        crlf=draw(st.booleans()) and terminator != "\n",
        indent=draw(st.booleans()),
        bom=draw(st.booleans()),
    )


codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=8)


@st.composite
def claim_sets(draw) -> list[Claim]:
    claims = []
    for number in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["837P", "837I"]))
        lines = [
            Line(
                procedure_code=draw(codes),
                modifiers=tuple(draw(st.lists(st.sampled_from(["JZ", "JW", "KX", "25"]), max_size=3))),
                units=str(draw(st.integers(1, 9))),
                charge=str(draw(st.integers(1, 5_000_000))),
                service_date=f"2025{draw(st.integers(1, 12)):02}{draw(st.integers(1, 28)):02}",
                ndc=draw(st.sampled_from(["", "51167029001", "00078096761"])),
                prior_auth=draw(st.sampled_from(["", "PA77"])),
            )
            for _ in range(draw(st.integers(1, 3)))
        ]
        claims.append(
            Claim(
                claim_id=f"C{number}{draw(codes)}",
                claim_type=kind,
                member_id=draw(codes),
                prior_auth=draw(st.sampled_from(["", "PA1"])),
                attachment=draw(st.sampled_from(["", "EL", "BM", "AA"])),
                diagnoses=tuple(draw(st.lists(st.sampled_from(["D5700", "D571", "G1221", "C8338"]), max_size=3))),
                frequency=draw(st.sampled_from(["1", "7", "8"])),
                lines=lines,
            )
        )
    return sorted(claims, key=lambda c: c.claim_type != "837P")  # the builder writes 837P first


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=claim_sets(), style=styles())
def test_any_legal_separators_read_back_equal(tmp_path, claims, style):
    data, truth = build(claims, style)
    path = tmp_path / "generated.x12"
    path.write_bytes(data)
    rows, invalid, problems = read(path)
    assert canonical(rows, truth) == truth
    assert not invalid
    # A BOM and an ISA11 that is no repetition separator are reported; nothing else.
    assert [p.code for p in problems] == ["XE005"] * (style.bom + (style.repetition == "U"))
    # Mapped as columns only, and just as the per-segment mapping reads it (tests/test_x12_columns.py).
    assert differences(str(path)) == []
    assert outcome(str(path), per_segment=False)["mapped_by_segment"] == {}


# --- the public samples ---------------------------------------------------------------------------
def _manifest() -> dict[str, dict[str, str]]:
    with open(SAMPLES / "MANIFEST.tsv", encoding="utf-8") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def test_every_sample_reads_or_says_why_and_loses_no_line():

    for name, row in _manifest().items():
        path = SAMPLES / name
        if name == "ims_bad_no_isa.x12":
            with pytest.raises(UsageError, match="starts with GS, not ISA"):
                is_x12(str(path))
            continue
        assert is_x12(str(path)), name
        if row["GS08"].startswith("004010"):
            with pytest.raises(UsageError, match="no 837 5010 transaction"):
                read(path)
            continue
        rows, invalid, problems = read(path)
        lx = re.search(r"LX x(\d+)", row["features"])
        assert lx, name
        assert len(rows) + len(invalid) == int(lx.group(1)), name  # every service line comes out once
        for p in problems:
            assert p.code.startswith("XE") and p.reason and len(p.value) <= 80, (name, p)
            assert p.location.startswith(("ISA ", "the start of the file")), (name, p)  # where a 999 would point


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "lfh_837p_a2_cob_2ndary_example4_isa16_mismatch.x12",
            {("XE004", "SV101", "HC>98940"), ("XE004", "CLM05", "11>B>1")},
        ),
        ("oop_837p_a1_medicaid_bom_indented.x12", {("XE005", "(file)", "BOM")}),
        ("ims_837p_a1_valid.x12", {("XE002", "SE01", "25"), ("XE006", "HL01", "2")}),
        ("pyedi_837p_a1_all_fields.x12", {("XE003", "GS08", "005010X222A1"), ("XE005", "(segment)", "")}),
        ("oop_837p_a1_cr_terminator.x12", {("XE005", "IEA", "")}),
        ("ims_bad_missing_required_loops_mult_repeats.x12", {("XE006", "CLM", "A37YH667"), ("XE006", "HL02", "3")}),
    ],
)
def test_defective_samples_get_precise_findings(name, expected):
    _, _, problems = read(SAMPLES / name)
    found = {(p.code, p.field, p.value) for p in problems}
    assert expected <= found, sorted(found)


def test_a_date_range_keeps_its_end():
    rows, _, _ = read(SAMPLES / "ims_837p_a1_valid.x12")  # DTP*472*RD8*20050314-20050325
    assert (rows[0]["service_date"], rows[0]["service_date_to"]) == ("20050314", "20050325")


def test_sample_with_drugs_maps_ndc_prior_auth_and_attachments():
    rows, _, _ = read(SAMPLES / "pyedi_837p_a1_all_fields.x12")
    first = rows[0]
    assert (first["ndc"], first["ndc_quantity"], first["ndc_unit"]) == ("00002143481", "1.01", "UN")
    assert first["prior_auth"] == "PriorAuthorization" and first["invoice_attached"] == "Y"
    assert first["diagnoses_codes" if False else "diagnosis_codes"] == "J0300;Z1159"
    assert first["member_dob"] == "19730501"  # the patient's (2010CA), not the subscriber's


# --- defect files and their golden outcomes ------------------------------------------------------
def _base() -> tuple[bytes, list[dict[str, str]]]:
    return build([Claim(claim_id="P1"), Claim(claim_id="P2", lines=[Line(), Line(procedure_code="96365")])])


def _defect(kind: str) -> bytes:
    data, _ = _base()
    text = data.decode("latin-1")
    if kind == "truncated":
        return text[: text.index("LX*2")].encode()
    if kind == "no-trailers":
        return text[: text.index("GE*")].encode()
    if kind == "separator-mismatch":
        return text.replace("HC:J3392", "HC>J3392", 1).encode()
    if kind == "clm-without-lx":
        first_lx = text.index("LX*1")
        return (text[:first_lx] + text[text.index("HL*3") :]).encode()
    if kind == "lx-without-clm":
        start = text.index("CLM*P1")
        return (text[:start] + text[text.index("LX*1", start) :]).encode()
    if kind == "wrong-counts":
        return text.replace("SE*", "SE*9", 1).replace("GE*1*1", "GE*2*7").encode()
    if kind == "two-interchanges":
        return (text + text.replace("000000001", "000000002").replace("CLM*P", "CLM*Q")).encode()
    if kind == "doubled-terminator":
        return text.replace("~LX", "~~LX", 1).encode()
    if kind == "lowercase":
        return text.replace("DTP*472", "dtp*472", 1).encode()
    if kind == "empty":
        return b""
    if kind == "utf-16":
        return text.encode("utf-16")
    if kind == "csv":
        return b"claim_id,line_number\nA,1\n"
    if kind == "not-gs":
        return text.replace("GS*", "XX*", 1).encode()
    raise AssertionError(kind)


def _two_groups_and_a_long_claim() -> bytes:
    long = Claim(claim_id="I60", claim_type="837I", lines=[Line(procedure_code="", ndc="", revenue_code="0250")] * 60)
    data, _ = build([Claim(claim_id="P1"), long])
    return data


def test_a_repetition_separator_inside_a_claim_segment_is_reported(tmp_path):
    data, _ = build([Claim(prior_auth="PA^2")])
    path = tmp_path / "rep.x12"
    path.write_bytes(data)
    _, _, problems = read(path)
    assert [(p.code, p.field, p.value) for p in problems] == [("XE005", "REF", "^")]


@pytest.mark.parametrize(
    ("kind", "exit_code", "codes", "read_", "checked", "rejected"),
    [
        ("truncated", 1, {"XE001", "IN001"}, 2, 0, 2),  # the open transaction's lines are rejected
        ("no-trailers", 1, {"XE001"}, 3, 3, 0),
        ("separator-mismatch", 1, {"XE004"}, 3, 3, 0),
        ("clm-without-lx", 1, {"XE006", "XE002"}, 2, 2, 0),
        ("lx-without-clm", 1, {"XE006", "XE002", "IN001"}, 3, 2, 1),
        ("wrong-counts", 1, {"XE002"}, 3, 3, 0),
        ("two-interchanges", 0, set(), 6, 6, 0),
        ("doubled-terminator", 0, {"XE005"}, 3, 3, 0),
        ("lowercase", 1, {"XE005", "IN001"}, 3, 2, 1),  # the line lost its date: rejected, not guessed
        ("empty", 0, {"IN005"}, 0, 0, 0),
        ("utf-16", 2, set(), 0, 0, 0),
        ("csv", 2, set(), 0, 0, 0),
        ("not-gs", 2, set(), 0, 0, 0),
    ],
)
def test_defect_files_golden_outcomes(tmp_path, kind, exit_code, codes, read_, checked, rejected):
    path = tmp_path / f"{kind}.x12"
    path.write_bytes(_defect(kind))
    result = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "json", "--select", "IN,XE"])
    assert result.exit_code == exit_code, result.output
    if exit_code == 2:
        assert "Traceback" not in result.output and result.stderr.strip()
        return
    report = json.loads(result.stdout)
    assert {f["rule"] for f in report["findings"]} == codes
    summary = report["summary"]
    assert (summary["rows_read"], summary["rows_checked"], summary["rows_rejected"]) == (read_, checked, rejected)


def test_two_groups_837p_and_837i_and_a_60_line_claim(tmp_path):
    path = tmp_path / "mixed.x12"
    path.write_bytes(_two_groups_and_a_long_claim())
    rows, invalid, problems = read(path)
    assert not invalid and not problems
    assert [r["claim_type"] for r in rows] == ["837P"] + ["837I"] * 60
    assert [r["line_number"] for r in rows[1:]] == [str(n) for n in range(1, 61)]


# --- through the CLI ------------------------------------------------------------------------------
def test_check_reads_x12_by_content_and_maps_payers(tmp_path):
    data, _ = build([Claim(prior_auth="", lines=[Line(ndc="")])])
    path = tmp_path / "batch.txt"  # the name says nothing: the content does
    path.write_bytes(data)
    config = tmp_path / "cgt-claimcheck.toml"
    config.write_text('[payers]\nWNC01 = "wnc"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "--config", str(config), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert {f["rule"] for f in report["findings"]} == {"AU001", "ND001"}
    assert report["summary"]["rows_checked"] == 1 and report["summary"]["cgt_claims"] == 1
    unmapped = json.loads(runner.invoke(app, ["check", str(path), "--format", "json"]).stdout)
    assert unmapped["summary"]["rows_out_of_scope"] == 1 and unmapped["summary"]["out_of_scope"] == {"WNC01": 1}


def test_check_reads_x12_from_stdin_as_a_subprocess(tmp_path):
    data, _ = build(cgt_claims())
    done = subprocess.run(
        [sys.executable, "-m", "cgt_claimcheck", "check", "-", "--payer", "wnc", "--format", "json"],
        input=data,
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["rows_read"] == 3 and b"Traceback" not in done.stderr


# --- the bundled X12 examples -----------------------------------------------------------------------
def test_the_x12_example_reads_as_its_csv_twin_and_is_clean():
    args = ["--facilities", str(REPO / "examples" / "facilities.csv"), "--format", "json"]
    x12 = runner.invoke(app, ["check", str(REPO / "examples" / "claims.x12"), *args])
    csv_ = runner.invoke(app, ["check", str(REPO / "examples" / "claims.csv"), *args])
    assert x12.exit_code == csv_.exit_code == 0, x12.output
    assert json.loads(x12.stdout)["summary"] == json.loads(csv_.stdout)["summary"]


def test_the_x12_error_example_fires_every_xe_rule():
    from cgt_claimcheck.rules import CATALOGUE

    path = REPO / "examples" / "claims_with_errors.x12"
    result = runner.invoke(
        app, ["check", str(path), "--facilities", str(REPO / "examples" / "facilities.csv"), "--format", "json"]
    )
    assert result.exit_code == 1
    fired = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert fired == {code for code in CATALOGUE if code.startswith("XE")}
    concise = runner.invoke(app, ["check", str(path), "--format", "concise"]).stdout
    assert "(claim NC250301001; ISA " in concise and "line None" not in concise  # a claim without lines has no line


def test_findings_on_x12_lines_say_where_the_line_is(tmp_path):
    data, _ = build([Claim(claim_id="P7", prior_auth="", lines=[Line(), Line(procedure_code="96365", ndc="")])])
    path = tmp_path / "batch.x12"
    path.write_bytes(data)
    segments = data.decode().split("~")
    st = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    first_lx = next(i for i, s in enumerate(segments) if s.startswith("LX*1")) - st + 1  # position within ST..SE
    report = json.loads(runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "json"]).stdout)
    [au001] = [f for f in report["findings"] if f["rule"] == "AU001"]
    lx_byte = data.index(b"~LX*1") + 1
    where = f"ISA 000000001, GS 1, ST 00011, segment {first_lx}, byte {lx_byte} of the file"
    assert au001["location"] == where and au001["row"] == 1
    rich = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "rich"], env={"COLUMNS": "200"})
    assert f"line 1 ({where})" in rich.stdout
    csv_report = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "csv"]).stdout
    assert f"segment {first_lx}" in csv_report
    csv_input = tmp_path / "x.csv"
    csv_input.write_text(
        "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units\nC,1,837P,wnc,M,2025-03-01,J3392,1\n"
    )
    plain = json.loads(runner.invoke(app, ["check", str(csv_input), "--format", "json"]).stdout)
    assert {f["location"] for f in plain["findings"]} == {None}  # an extract has rows, not segments


# --- convert ---------------------------------------------------------------------------------------
def test_convert_writes_what_check_reads_in_csv_and_parquet(tmp_path):
    import pyarrow.parquet as pq

    data, truth = build(cgt_claims())
    source = tmp_path / "batch.837"
    source.write_bytes(data)
    out_csv, out_parquet = tmp_path / "lines.csv", tmp_path / "lines.parquet"
    result = runner.invoke(app, ["convert", str(source), "-o", str(out_csv)])
    assert result.exit_code == 0, result.output
    assert "3 service lines" in result.stderr
    with open(out_csv, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert canonical(rows, truth) == truth
    assert rows[0]["source_location"].startswith("ISA 000000001, GS 1, ST 00011, segment ")
    assert runner.invoke(app, ["convert", str(source), "-o", str(out_parquet)]).exit_code == 0
    table = pq.read_table(out_parquet)
    assert canonical(table.to_pylist(), truth) == truth
    # Converted with the same --payer (for X12 it overrides 2010BB), the extract checks as the file does.
    assert runner.invoke(app, ["convert", str(source), "-o", str(out_csv), "--payer", "wnc"]).exit_code == 0
    args = ["--payer", "wnc", "--format", "json"]
    from_x12 = json.loads(runner.invoke(app, ["check", str(source), *args]).stdout)
    from_csv = json.loads(runner.invoke(app, ["check", str(out_csv), *args]).stdout)
    assert from_x12["summary"] == from_csv["summary"]
    assert [(f["rule"], f["claim_id"], f["line_number"]) for f in from_x12["findings"]] == [
        (f["rule"], f["claim_id"], f["line_number"]) for f in from_csv["findings"]
    ]


def test_convert_refuses_its_input_and_keeps_a_previous_output_when_nothing_reads(tmp_path):
    data, _ = build(cgt_claims())
    source = tmp_path / "batch.x12"
    source.write_bytes(data)
    refused = runner.invoke(app, ["convert", str(source), "-o", str(source)])
    assert refused.exit_code == 2 and source.read_bytes() == data
    previous = tmp_path / "out.csv"
    previous.write_text("kept\n")
    empty_isa = tmp_path / "old.x12"
    empty_isa.write_bytes(data.replace(b"005010X222A1", b"004010X098A1").replace(b"005010X223A2", b"004010X096A1"))
    result = runner.invoke(app, ["convert", str(empty_isa), "-o", str(previous)])
    assert result.exit_code == 2 and "no 837 5010 transaction" in result.stderr
    assert previous.read_text() == "kept\n"
    bad_format = runner.invoke(app, ["convert", str(source), "-o", str(tmp_path / "x.out"), "--to", "xlsx"])
    assert bad_format.exit_code == 2


@pytest.mark.parametrize("fmt", ["json", "rich", "sarif"])  # (the CSV path tests every format)
def test_redact_masks_x12_member_identifiers(tmp_path, fmt):
    claim = Claim(member_id="MBRSECRET9", member_dob="19610704", prior_auth="", lines=[Line(ndc="")])
    data, _ = build([claim, Claim(claim_id="P2", member_id="MBRSECRET9X", member_dob="19610704")])
    text = (
        data.decode().replace("*DOE*JANE*", "*ZELDAQUUX*JANE*").replace("CLM*P2", "CLM*P1001")
    )  # one claim, two members
    path = tmp_path / "batch.x12"
    path.write_text(text.replace("HC:J3392", "HC>J3392", 1))  # and a file problem
    result = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", fmt, "--redact"])
    assert result.exit_code == 1, result.output
    for secret in ("MBRSECRET9", "19610704", "1961-07-04", "ZELDAQUUX"):
        assert secret not in result.stdout + result.stderr, (fmt, secret)
    plain = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "json"]).stdout
    assert "MBRSECRET9" in plain  # the identifiers do reach an unredacted report


# --- hostile and damaged X12: no traceback, every line accounted for ---------------------------------
@st.composite
def damaged(draw) -> bytes:
    data, _ = build(cgt_claims() + [Claim(claim_id="P3", lines=[Line(), Line(procedure_code="96365", ndc="")])])
    segments = data.decode().split("~")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(1, len(segments) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "truncate", "garble", "swap", "empty"]))
        if action == "delete":
            del segments[i]
        elif action == "duplicate":
            segments.insert(i, segments[i])
        elif action == "truncate":
            segments = segments[:i] + [segments[i][: len(segments[i]) // 2]]
            break
        elif action == "garble":
            segment = segments[i]
            at = draw(st.integers(0, max(len(segment) - 1, 0)))
            segments[i] = (
                segment[:at] + draw(st.sampled_from(["*", ":", "^", "~", "\x00", "é", "<b>", "\n"])) + segment[at:]
            )
        elif action == "swap" and i + 1 < len(segments):
            segments[i], segments[i + 1] = segments[i + 1], segments[i]
        else:
            segments.insert(i, "")
    return "~".join(segments).encode("utf-8")


# 16 damaged files (a whole check each) keep the suite under 3 minutes on 2 cores; the shapes of
# damage are six (delete, duplicate, truncate, garble, swap, empty), so 16 cover each at least twice on average.
@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=damaged())
def test_damaged_x12_never_crashes_and_accounts_for_every_line(tmp_path, data):
    path = tmp_path / "damaged.x12"
    path.write_bytes(data)
    result = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "json"])
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    assert path.read_bytes() == data
    if result.exit_code == 2:
        assert result.stderr.strip()
        return
    report = json.loads(result.stdout)
    s = report["summary"]
    assert s["rows_read"] == s["rows_checked"] + s["rows_rejected"] + s["rows_out_of_scope"]
    # Every LX the reader reached is a row, read and then checked, rejected or out of scope: split
    # the file as the reader does (CR/LF dropped, '~' ends a segment, an unterminated tail is cut).
    *segments, _tail = data.decode("latin-1").replace("\r", "").replace("\n", "").split("~")
    assert s["rows_read"] == sum(1 for seg in segments if seg.strip(" \t").split("*")[0] == "LX")


def test_ci_formats_point_x12_findings_at_the_file_and_name_the_segment(tmp_path):
    data, _ = build([Claim(claim_id="P7", prior_auth="")])
    path = tmp_path / "batch.x12"
    path.write_bytes(data)
    github = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "github"]).stdout
    [line] = [text for text in github.splitlines() if "AU001" in text]
    assert ",line=1," in line and "ST 00011, segment " in line
    sarif = json.loads(runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "sarif"]).stdout)
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert "segment" in result["message"]["text"]
    junit = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "junit"]).stdout
    assert "line 1 (ISA 000000001, GS 1, ST 00011, segment " in junit


def _file_line(data: bytes, starts: bytes, after: bytes = b"") -> int:
    """The 1-based line of the file on which the first segment starting with `starts` (after the
    first `after`) sits."""
    lines = data.split(b"\n")
    first = next(i for i, text in enumerate(lines) if text.lstrip().startswith(after)) if after else 0
    return next(i for i, text in enumerate(lines) if i >= first and text.lstrip().startswith(starts)) + 1


@pytest.mark.parametrize("style", [Style(crlf=True), Style(terminator="\n"), Style(crlf=True, indent=True)])
def test_where_each_segment_has_a_line_ci_formats_point_at_it(tmp_path, style):
    data, _ = build([Claim(claim_id="P7", prior_auth="")], style)
    segments = data.split(b"\n")
    se = next(i for i, text in enumerate(segments) if text.strip().startswith(b"SE"))
    segments[se] = segments[se].replace(b"SE*", b"SE*9", 1)  # a wrong count: XE002 on the SE
    data = b"\n".join(segments)
    path = tmp_path / "lines.x12"
    path.write_bytes(data)
    lx_line, se_line = _file_line(data, b"LX", b"CLM*P7"), se + 1
    lx_line = _file_line(data, b"LX", b"CLM*P7")
    github = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "github"]).stdout
    [au001] = [text for text in github.splitlines() if "AU001" in text]
    [xe002] = [text for text in github.splitlines() if "XE002" in text and "SE01" in text]
    assert f",line={lx_line}," in au001 and f"line {lx_line} of the file)" in au001
    assert f",line={se_line}," in xe002
    sarif = json.loads(runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "sarif"]).stdout)
    lines = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]
    }
    assert lines["AU001"] == lx_line and lines["XE002"] == se_line
    gitlab = json.loads(runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "gitlab"]).stdout)
    assert {f["location"]["lines"]["begin"] for f in gitlab if f["check_name"].startswith("AU001")} == {lx_line}


def test_a_finding_gives_the_line_of_its_segment_or_on_one_long_line_its_byte(tmp_path):
    one_line, _ = build([Claim(claim_id="P7", prior_auth="")])
    segments = one_line.split(b"~")
    se = next(i for i, text in enumerate(segments) if text.startswith(b"SE*"))
    segments[se] = segments[se].replace(b"SE*", b"SE*9", 1)  # a wrong count: XE002 on the SE
    one_line = b"~".join(segments)
    blank = one_line.replace(b"~LX", b"~\n\nLX").replace(b"~", b"~\n")  # blank lines, and lines of two segments
    wrapped = b"\n".join(one_line[i : i + 80] for i in range(0, len(one_line), 80))  # 80 characters a line
    bom = b"\xef\xbb\xbf" + blank
    cases = (("one.x12", one_line, one_line), ("blank.x12", blank, blank), ("wrapped.x12", wrapped, wrapped))
    for name, data, text in (*cases, ("bom.x12.gz", gzip.compress(bom), bom)):  # of the decompressed text
        path = tmp_path / name
        path.write_bytes(data)
        github = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "github"]).stdout
        [au001] = [line for line in github.splitlines() if "AU001" in line]
        [xe002] = [line for line in github.splitlines() if "XE002" in line and "SE01" in line]
        lx = text.find(b"LX*", text.find(b"CLM*P7"))
        se = text.find(b"SE*")
        if name == "one.x12":  # one long line: the byte, from 0, and the column it is at
            assert f",line=1,col={lx + 1}," in au001 and f"byte {lx} of the file" in au001, au001
            assert f",line=1,col={se + 1}," in xe002 and f"byte {se} of the file" in xe002, xe002
            sarif = json.loads(runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "sarif"]).stdout)
            regions = {
                r["ruleId"]: r["locations"][0]["physicalLocation"]["region"] for r in sarif["runs"][0]["results"]
            }
            assert regions["AU001"] == {"startLine": 1, "startColumn": lx + 1, "byteOffset": lx}
        else:  # the line the segment starts on, wherever the breaks are
            line, se_line = text[:lx].count(b"\n") + 1, text[:se].count(b"\n") + 1
            assert f",line={line}," in au001 and f"line {line} of the file" in au001, (name, au001)
            assert f",line={se_line}," in xe002 and ",col=" not in xe002, (name, xe002)


def test_a_second_patient_without_a_birth_date_does_not_inherit_the_first_ones(tmp_path):
    data, _ = build([Claim(claim_id="K1", patient_dob="20150101")])
    text = data.decode()
    first = text[text.index("HL*3*2*23*0") : text.index("SE*")]  # patient K1: HL 23, DMG, CLM, its line
    second = first.replace("HL*3*2*23*0", "HL*4*2*23*0").replace("DMG*D8*20150101*M~", "").replace("CLM*K1", "CLM*K2")
    text = text.replace(first, first + second)  # a second patient of the same subscriber, with no DMG
    path = tmp_path / "patients.x12"
    path.write_text(text)
    rows, _, problems = read(path)
    # A dependent patient without DMG has no date of birth on the claim: never the subscriber's.
    assert [(r["claim_id"], r["member_dob"]) for r in rows] == [("K1", "20150101"), ("K2", "")]
    assert {p.code for p in problems} == {"XE002"}  # the SE count, which this edit changed


def test_a_group_that_is_not_health_care_claims_and_a_gs_inside_an_open_transaction_are_reported(tmp_path):
    data, _ = build([Claim()])
    text = data.decode().replace("GS*HC*", "GS*HP*", 1)
    path = tmp_path / "hp.x12"
    path.write_text(text)
    _, _, problems = read(path)
    assert [(p.code, p.field, p.value) for p in problems] == [("XE003", "GS01", "HP")]
    nested = data.decode().replace("LX*1", "GS*HC*S*R*20251201*1200*2*X*005010X222A1~LX*1", 1)
    path.write_text(nested)
    _, invalid, problems = read(path)
    assert ("XE001", "SE") in {(p.code, p.field) for p in problems}
    assert len(invalid) == 1  # the LX after the stray GS belongs to no transaction: rejected, counted


# --- several interchanges in one file, each with its own separators -------------------------------
def _interchange(claim_id: str, style: Style) -> bytes:
    data, _ = build([Claim(claim_id=claim_id, lines=[Line(), Line()])], style)
    return data


@pytest.mark.parametrize(
    "second",
    [
        Style(element="|"),  # another element separator, same terminator
        Style(terminator="!"),  # another terminator, which the first interchange never uses
        Style(element="^", component=">", repetition="{", terminator="\n"),  # all of them, one segment a line
        Style(),  # the same separators (the common case: read without re-splitting)
    ],
    ids=["element", "terminator", "all", "same"],
)
def test_every_interchange_is_read_with_its_own_separators(tmp_path, second):
    path = tmp_path / "both.x12"
    path.write_bytes(_interchange("A1", Style()) + _interchange("B2", second) + _interchange("C3", Style(element="|")))
    rows, invalid, problems = read(path)
    assert [(r["claim_id"], r["line_number"]) for r in rows] == [
        ("A1", "1"), ("A1", "2"), ("B2", "1"), ("B2", "2"), ("C3", "1"), ("C3", "2"),
    ]  # fmt: skip
    assert invalid == [] and [p.reason for p in problems if p.code in ("XE001", "XE006")] == []


def test_an_unreadable_later_isa_rejects_its_lines_and_reading_resumes_at_the_next(tmp_path):
    broken = _interchange("B2", Style()).replace(b"*00*", b"@00@", 1)  # an ISA with no '*' after ISA01
    broken = b"ISA" + broken[3:].split(b"~", 1)[0][:20] + b"~" + broken.split(b"~", 1)[1]
    path = tmp_path / "three.x12"
    path.write_bytes(_interchange("A1", Style()) + broken + _interchange("C3", Style(element="|")))
    result = runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "json"])
    report = json.loads(result.stdout)
    [summary] = report["inputs"]
    assert (summary["rows_read"], summary["rows_checked"], summary["rows_rejected"]) == (6, 4, 2)
    xe001 = [f["message"] for f in report["findings"] if f["rule"] == "XE001"]
    assert any("a later interchange cannot be read" in m for m in xe001), xe001
    rejected = [f for f in report["findings"] if f["rule"] == "IN001"]
    assert len(rejected) == 2 and all("ISA cannot be read" in f["message"] for f in rejected)


def test_pwk_available_on_request_is_not_an_attachment_and_not_an_invalid_value(tmp_path):
    data, _ = build([Claim(claim_id="AA1", attachment="AA")])
    path = tmp_path / "aa.x12"
    path.write_bytes(data)
    rows, _, _ = read(path)
    assert rows[0]["invoice_attached"] == "N"
    report = json.loads(runner.invoke(app, ["check", str(path), "--payer", "wnc", "--format", "json"]).stdout)
    assert "IN004" not in {f["rule"] for f in report["findings"]}
    [invoice] = [f for f in report["findings"] if f["rule"] == "AU002"]
    assert "PWK02 AA, available on request, is not an attachment" in invoice["hint"]


def test_a_line_facility_without_npi_a_2430_lin_and_a_patient_without_dmg_keep_what_the_claim_says(tmp_path):
    data, _ = build([Claim(claim_id="F1", facility_npi="1234567893", lines=[Line(), Line(ndc="")])])
    text = data.decode()
    lx2 = text.index("LX*2")
    second_end = text.index("SE*")
    # Line 2: a 2420C facility with no NPI, then a 2430 loop (SVD) with another payer's LIN.
    line2 = text[lx2:second_end]
    text = text[:lx2] + line2 + "NM1*77*2*SATELLITE~SVD*PAYER2*100*HC:J3392**1~LIN**N4*99999999999~" + text[second_end:]
    path = tmp_path / "loops.x12"
    path.write_text(text)
    rows, _, _ = read(path)
    second = rows[1]
    assert (second["facility_npi"], second["facility_npi_source"]) == ("1234567893", "2310C")
    assert second["ndc"] == ""  # the 2430 LIN is another payer's, not the line's NDC
