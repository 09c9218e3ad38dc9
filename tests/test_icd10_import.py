"""`reference import-icd10`: a fiscal year's CMS code files extend the validity tables (issue 23 item 1).

The FY2027 files are built here in the CMS order-file layout (columns: order number 1-5, code
7-13, valid flag 15, short description 17-76, long description 78-) from the shipped FY2026 codes,
with one code ended: test data in the published layout, not facts about FY2027.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.reference import load_reference

runner = CliRunner()
HEADER = (
    "claim_id,line_number,claim_type,payer,member_id,service_date,procedure_code,units,ndc,prior_auth,diagnosis_codes"
)
ENDED = "E1101"  # left out of the FY2027 file below: it ends 2026-09-30 in the extended table


def order_line(number: int, code: str, valid: bool, text: str) -> str:
    return f"{number:05d} {code:<7} {1 if valid else 0} {text[:60]:<60} {text}"


def fy2027_order_file(reference_dir: Path) -> str:
    validity = reference_dir / "icd10cm_validity.csv"
    open_codes = [line.split(",")[0] for line in validity.read_text().splitlines()[1:] if line.endswith(",")]
    lines = [order_line(1, "D57", False, "Sickle-cell disorders (a header)")]
    lines += [
        order_line(n, code, True, f"test row {code}") for n, code in enumerate(open_codes, start=2) if code != ENDED
    ]
    return "\n".join(lines) + "\n"


def _check(path: Path, *args: str) -> dict:
    return json.loads(runner.invoke(app, ["check", str(path), "--format", "json", *args]).stdout)


def test_a_year_in_the_cms_layout_extends_the_tables_and_is_judged_after_the_import(tmp_path, reference_copy):
    archive = tmp_path / "2027-code-descriptions-tabular-order.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("icd10cm_order_2027.txt", fy2027_order_file(reference_copy))
        book.writestr("icd10cm_addenda_2027.txt", "not a code list\n")
    claims = tmp_path / "claims.csv"
    claims.write_text(
        HEADER + "\n"
        "A1,1,837P,wnc,M1,2026-11-02,J3392,1,51167-0290-01,PA1,D57.1;D57\n"  # D57 is a header
        "A2,1,837P,wnc,M2,2026-11-02,J3392,1,51167-0290-01,PA2,D57.1;E11.01\n"  # E11.01 ended (test data)
        "A3,1,837P,wnc,M3,2026-09-01,J3392,1,51167-0290-01,PA3,D57.1;E11.01\n"  # valid then
    )
    before = _check(claims, "--reference-dir", str(reference_copy))
    assert {f["rule"] for f in before["findings"]} == {"IN007"}  # past the horizon: not judged, said once

    out = tmp_path / "tables-fy2027"
    result = runner.invoke(
        app, ["reference", "import-icd10", str(archive), "--out", str(out), "--reference-dir", str(reference_copy)]
    )
    assert result.exit_code == 0, result.output
    assert "ICD-10-CM FY2027 from 2026-10-01:" in result.stdout and "1 ended 2026-09-30 (E11.01)" in result.stdout
    assert "covers through 2027-09-30" in result.stdout

    extended = load_reference(out)
    assert extended.manifest.verified_through == date(2027, 9, 30) and extended.version.endswith("+fy2027")
    validity = extended.icd10cm_validity
    assert validity.covers_through == date(2027, 9, 30)
    assert validity.valid_on("D5700", date(2027, 3, 1)) and not validity.valid_on(ENDED, date(2027, 3, 1))
    assert validity.valid_on(ENDED, date(2026, 9, 30))

    after = _check(claims, "--reference-dir", str(out))
    found = sorted((f["rule"], f["claim_id"]) for f in after["findings"])
    assert found == [("CD006", "A1"), ("CD006", "A2")]  # judged now: the header, the ended code


def test_an_import_that_skips_a_year_or_names_no_code_file_is_refused(tmp_path, reference_copy):
    later = tmp_path / "icd10cm_order_2029.txt"
    later.write_text(order_line(1, "A000", True, "Cholera") + "\n")
    result = runner.invoke(
        app,
        ["reference", "import-icd10", str(later), "--out", str(tmp_path / "o"), "--reference-dir", str(reference_copy)],
    )
    assert result.exit_code == 2 and "import the year that starts 2026-10-01 first" in result.stderr
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    result = runner.invoke(
        app, ["reference", "import-icd10", str(notes), "--out", str(tmp_path / "o"), "--fiscal-year", "2027"]
    )
    assert result.exit_code == 2 and "no ICD-10-CM or ICD-10-PCS order or code file" in result.stderr
    broken = tmp_path / "icd10cm_order_2027.txt"
    broken.write_text("this is not an order file at all\n")
    result = runner.invoke(app, ["reference", "import-icd10", str(broken), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "icd10cm_order_2027.txt, line 1" in result.stderr


def test_the_config_names_the_table_set_an_import_wrote(tmp_path, reference_copy):
    manifest = reference_copy / "manifest.json"
    data = json.loads(manifest.read_text())
    data["release"] = "2026.12+fy2027"
    manifest.write_text(json.dumps(data, indent=2))
    config = tmp_path / "cgt-claimcheck.toml"
    config.write_text(f'reference-dir = "{reference_copy.name}"\n')  # relative to the config's folder
    claims = tmp_path / "claims.csv"
    claims.write_text(HEADER + "\nA1,1,837P,wnc,M1,2025-03-01,J3392,1,51167-0290-01,PA1,D57.1\n")
    report = _check(claims, "--config", str(config))
    assert report["reference"]["version"] == "2026.12+fy2027"
