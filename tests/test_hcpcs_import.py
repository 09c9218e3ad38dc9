"""`reference import-hcpcs`: a CMS HCPCS quarterly file updates code dates in a new table set (issue 13, item 8).

The workbook is built here in the CMS ANWEB layout (a header row, one row per code and
description line, dates as YYYYMMDD); its dates are test values, not facts about the codes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.reference import load_reference

runner = CliRunner()
HEADER = ["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "ADD DT", "ACT EFF DT", "TERM DT"]
ROWS = [
    [
        "J3391",
        "00100",
        "3",
        "Injection, atidarsagene autotemcel (test row)",
        "Atidarsagene",
        "20250701",
        "20250701",
        "",
    ],
    ["J3391", "00200", "4", "continuation line of the description", "", "", "", ""],
    ["0540T", "00100", "3", "CAR-T cell administration (test row)", "Car-t admn", "20190101", "20250101", "20241231"],
    ["Q2040", "00100", "3", "Tisagenlecleucel (test row)", "Tisagenlecleucel", "20180101", "20190101", "20181231"],
    ["99213", "00100", "3", "not a CGT code", "", "20000101", "", ""],
]


def column(index: int) -> str:
    return chr(65 + index)


def write_workbook(path: Path, rows: list[list[str]]) -> None:
    sheet_rows = []
    for r, values in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{column(c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for c, v in enumerate(values) if v
        )
        sheet_rows.append(f'<row r="{r}">{cells}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{main}"/>')
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{main}"><sheetData>{"".join(sheet_rows)}</sheetData></worksheet>',
        )


def test_an_xlsx_quarter_updates_the_dates_the_tables_know(tmp_path):
    workbook = tmp_path / "HCPC2026_JUL_ANWEB.xlsx"
    write_workbook(workbook, [HEADER, *ROWS])
    out = tmp_path / "tables"
    result = runner.invoke(app, ["reference", "import-hcpcs", str(workbook), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "J3391: effective_from (blank) -> 2025-07-01" in result.stdout
    assert "0540T: effective_to (blank) -> 2024-12-31" in result.stdout
    assert "Q2040" not in result.stdout.split("unchanged")[0]  # same dates: no change
    assert "unchanged J3392: not in the file" in result.stdout
    updated = load_reference(out)
    assert updated.hcpcs_by_code["J3391"][0].effective_from.isoformat() == "2025-07-01"
    assert "HCPC2026_JUL_ANWEB.xlsx" in updated.hcpcs_by_code["J3391"][0].source
    assert updated.version.startswith("2026.12+hcpcs-")
    shipped = load_reference()
    assert shipped.hcpcs_by_code["J3391"][0].effective_from is None  # the shipped set is untouched


def test_the_same_columns_as_tab_text_and_the_checks_use_them(tmp_path):
    text = tmp_path / "hcpcs.txt"
    text.write_text("\n".join("\t".join(row) for row in [HEADER, *ROWS]) + "\n", encoding="utf-8")
    out = tmp_path / "tables"
    assert runner.invoke(app, ["reference", "import-hcpcs", str(text), "--out", str(out)]).exit_code == 0
    claims = tmp_path / "x.csv"
    claims.write_text(
        "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes\n"
        "C1,1,837P,wnc,M1,2025-03-01,J3391,1,83222-0200-01,PA1,E75.25\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["check", str(claims), "--reference-dir", str(out), "--format", "json", "--select", "CD001"]
    )
    assert '"rule": "CD001"' in result.stdout and "J3391 is not valid on 2025-03-01" in result.stdout


def test_unusable_files_and_outputs_are_clear_errors(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    result = runner.invoke(app, ["reference", "import-hcpcs", str(junk), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not a readable .xlsx" in result.stderr
    no_header = tmp_path / "x.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["reference", "import-hcpcs", str(no_header), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "HCPC column" in result.stderr
    workbook = tmp_path / "w.xlsx"
    write_workbook(workbook, [HEADER, *ROWS])
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("x")
    result = runner.invoke(app, ["reference", "import-hcpcs", str(workbook), "--out", str(taken)])
    assert result.exit_code == 2 and "not empty" in result.stderr
