"""The Python API: the same findings from a file, a pyarrow Table, a RecordBatchReader and a pandas
DataFrame; the command line and the API agree; errors are exceptions that say where."""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import cgt_claimcheck
from cgt_claimcheck.cli import app
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "claims_with_errors.csv"
CONTEXT = {"history": [REPO / "examples" / "history.csv"], "facilities": REPO / "examples" / "facilities.csv"}


def _as_text_table(path):
    columns = pacsv.read_csv(path).column_names
    options = pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}, strings_can_be_null=False)
    return pacsv.read_csv(path, convert_options=options)


def _without_file(report) -> pa.Table:
    return report.findings_table().drop(["file"])


@pytest.fixture(scope="module")
def from_file():
    return cgt_claimcheck.check(EXAMPLE, **CONTEXT)


@pytest.mark.parametrize("kind", ["batch reader", "frame in a list"])  # (Table and DataFrame under them)
def test_a_table_or_frame_gives_the_findings_of_its_file(from_file, kind):
    table = _as_text_table(EXAMPLE)
    source = {
        "table": table,
        "batch reader": pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=7)),
        "frame": table.to_pandas(),
        "frame in a list": [table.to_pandas()],
    }[kind]
    report = cgt_claimcheck.check(source, **CONTEXT)
    assert len(from_file.findings) > 20
    assert _without_file(report).equals(_without_file(from_file))
    assert report.summary == from_file.summary
    assert report.inputs[0].path.startswith("<") and set(report.findings_table().column("file").to_pylist()) >= {
        report.inputs[0].path
    }


def test_a_frame_of_typed_columns_reads_like_the_extract(from_file):
    """pandas' own types (numbers, missing values as NaN, dates) are read as the file's text would be."""
    frame = pd.read_csv(EXAMPLE)  # line_number and units as numbers, empty cells as NaN
    assert frame["line_number"].dtype.kind in "if" and frame["prior_auth"].isna().any()
    report = cgt_claimcheck.check(frame, name="nightly frame", **CONTEXT)
    assert report.inputs[0].path == "nightly frame"
    key = ["rule", "claim_id", "line_number", "field"]
    got = report.findings_table().select(key).to_pylist()
    assert got == from_file.findings_table().select(key).to_pylist()


def test_codes_the_parser_encodes_read_like_text(tmp_path):
    """The CSV parser hands the screened code columns over dictionary encoded, one dictionary a
    1 MB parse block; a table of plain text is encoded while screened. Spelling variants of one
    value (padded, other case) in different blocks must still give the findings of the text."""
    header, *rows = EXAMPLE.read_text(encoding="utf-8").splitlines()
    filler = "F{0},1,837P,Commercial PPO,M{0},1980-01-01,,11,1609876543,,,N,2025-01-0{1},9921{1},,1,80.00,,,,,I10,,"
    variants = []
    for row in rows:
        cells = row.split(",")
        cells[1], cells[3], cells[12] = f" {cells[1]}", f"{cells[3].upper()} ", f"{cells[12]} "
        cells[13], cells[15] = f" {cells[13].lower()}", f"{cells[15]} "
        variants.append(",".join(cells))
    lines = [header, *rows[:10], *(filler.format(i, i % 5 + 1) for i in range(24_000)), *rows[10:], *variants]
    path = tmp_path / "blocks.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 2 << 20  # three parse blocks or more
    from_csv = cgt_claimcheck.check(str(path), **CONTEXT)
    from_text = cgt_claimcheck.check(_as_text_table(path), **CONTEXT)
    assert len(from_csv.findings) > 40
    assert _without_file(from_text).equals(_without_file(from_csv))
    assert from_text.summary == from_csv.summary


def test_the_command_line_and_the_api_agree():
    args = ["check", str(EXAMPLE), "--history", str(CONTEXT["history"][0]), "--facilities", str(CONTEXT["facilities"])]
    printed = json.loads(CliRunner().invoke(app, [*args, "--format", "json"]).stdout)
    report = cgt_claimcheck.check(str(EXAMPLE), **CONTEXT)
    assert report.findings_table().to_pylist() == printed["findings"]
    assert report.fails() and report.fails("warning") and not report.fails("never")


def test_the_report_writes_any_format_to_a_path_or_a_stream(from_file, tmp_path):
    stream = io.StringIO()
    from_file.write("json", stream)
    assert len(json.loads(stream.getvalue())["findings"]) == len(from_file.findings)
    from_file.write("SARIF", tmp_path / "out.sarif")
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    frame = from_file.to_pandas()
    assert list(frame.columns)[:3] == ["rule", "name", "severity"] and len(frame) == len(from_file.findings)
    with pytest.raises(ValueError, match="unknown format"):
        from_file.write("xlsx", tmp_path / "x.xlsx")


def test_selection_and_payer_mean_what_the_flags_mean():
    only = cgt_claimcheck.check(EXAMPLE, select=["ND"], payer="wnc")
    assert set(only.findings_table().column("rule").to_pylist()) <= {"ND001", "ND002", "ND003", "ND004"}
    assert {n.rule for n in only.not_checked if "not selected" in n.reason} >= {"CV001", "AU001"}


def test_errors_are_exceptions_that_say_where():
    frame = pd.DataFrame({"claim_id": ["C1"], "line_number": ["1"]})
    with pytest.raises(cgt_claimcheck.UsageError, match=r"<pandas.DataFrame>, line 1, column 'claim_type'"):
        cgt_claimcheck.check(frame)
    with pytest.raises(cgt_claimcheck.UsageError, match="cannot check a dict"):
        cgt_claimcheck.check({"claim_id": ["C1"]})
    with pytest.raises(cgt_claimcheck.UsageError, match="no rule matches ZZ9"):
        cgt_claimcheck.check(EXAMPLE, select=["ZZ9"])


def test_a_config_maps_a_frames_columns(tmp_path):
    config = tmp_path / "cgt-claimcheck.toml"
    config.write_text('[columns]\nclaim_id = "Claim Number"\n')
    table = _as_text_table(EXAMPLE)
    renamed = table.rename_columns(["Claim Number" if c == "claim_id" else c for c in table.column_names])
    report = cgt_claimcheck.check(renamed, config=config)
    assert len(report.findings) == len(cgt_claimcheck.check(table).findings) > 20
