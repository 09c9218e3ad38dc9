"""Loading the shipped tables, and every way a broken table set is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cgt_claimcheck.errors import ReferenceDataError
from cgt_claimcheck.reference import load_reference
from cgt_claimcheck.reference.rows import as_json

REPO = Path(__file__).resolve().parent.parent


def rewrite(directory: Path, name: str, old: str, new: str, *, fix_manifest: bool = True) -> None:
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    if fix_manifest:
        refresh_manifest(directory)


def refresh_manifest(directory: Path) -> None:
    import csv
    import hashlib
    import io

    manifest = json.loads((directory / "manifest.json").read_text())
    for table in manifest["tables"].values():
        data = (directory / table["file"]).read_bytes()
        table["sha256"] = hashlib.sha256(data).hexdigest()
        if table["file"].endswith(".csv"):
            table["rows"] = len(list(csv.reader(io.StringIO(data.decode())))) - 1
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_shipped_tables_load(ref):
    assert ref.version == "2026.12"
    # 7 CAR-T + Tecelra + 8 gene therapies named by the policies + 19 FDA-approved CGTs they do not name
    assert len(ref.products) == 35
    assert sum(p.family == "other" for p in ref.products.values()) == 19
    assert {p.family for p in ref.products.values()} == {
        "car-t",
        "tcr-t",
        "hemoglobinopathy",
        "hemophilia",
        "dmd",
        "sma",
        "retinal",
        "other",
    }
    assert set(ref.payers) == {"wnc", "medi-cal-ffs", "medi-cal-mcp"}


def test_every_product_can_be_recognised_on_a_claim(ref):
    """By a product-specific code, or by an NDC on a J3590 line; the rest are named as gaps."""
    no_code_no_ndc = {"beqvez", "skysona", "omisirge", "lantidra", "papzimeos", "itvisma"}  # unverifiable (NOTES.md)
    for product_id in ref.products:
        recognisable = ref.hcpcs_for_product(product_id) or ref.ndcs_for_product(product_id)
        assert bool(recognisable) != (product_id in no_code_no_ndc), product_id


def test_sources_are_cited_by_publisher_and_document_not_by_a_repository_copy():
    import csv

    tables = Path(__file__).resolve().parent.parent / "reference_data"
    for path in sorted(tables.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for number, row in enumerate(csv.DictReader(fh), start=2):
                for column, text in row.items():
                    if column.endswith("source"):
                        assert "github" not in (text or "").lower(), f"{path.name}:{number} {column}: {text}"


def test_kymriah_predecessor_window(ref):
    from datetime import date

    assert ref.hcpcs_on("Q2040", date(2018, 12, 31)).product_id == "kymriah"
    assert ref.hcpcs_on("Q2040", date(2019, 1, 1)) is None
    assert ref.hcpcs_on("Q2042", date(2019, 1, 1)).successor is None
    assert ref.hcpcs_by_code["Q2040"][0].successor == "Q2042"


def test_policy_codes_from_wnc_are_present(ref):
    # WNC.CP.299 Coding Implications lists these; the tables must carry every one of them.
    for ndc in ("73554111101", "51167029001", "51167029009"):
        assert ndc in ref.ndc
    for code in ("XW133H9", "XW143H9", "XW133J8", "XW143J8"):
        assert code in ref.pcs_by_code
    for code in ("J3590", "J3392", "J3394"):
        assert code in ref.hcpcs_by_code


def test_no_unverified_values_leak_into_tables():
    for path in (REPO / "reference_data").glob("*.csv"):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            first = line.split(",", 1)[0]
            assert first != "unverified", f"{path.name}: {line[:60]}"


@pytest.mark.parametrize(
    ("name", "old", "new", "problem"),
    [
        ("hcpcs.csv", "Q2041,yescarta", "Q20X1,yescarta", "is not a HCPCS/CPT code"),
        ("ndc.csv", "71287011902,yescarta", "7128701190,yescarta", "is not an 11-digit NDC"),
        ("ndc.csv", "71287011901,yescarta", "71287011902,yescarta", "duplicate NDC '71287011902'"),
        ("icd10pcs.csv", "XW033H7,yescarta", "XW033H,yescarta", "7-character ICD-10-PCS"),
        ("products.csv", "yescarta,YESCARTA", "yescarta,YESCARTA,extra", "does not have the header's"),
        ("hcpcs.csv", "2018-04-01", "2018-04-31", "date"),
        ("indications.csv", "yescarta,", "nosuchproduct,", "unknown product_id 'nosuchproduct'"),
        ("payers.toml", 'program = "wnc"', 'program = "texas"', "program"),
    ],
)
def test_broken_table_is_refused_with_file_row_and_problem(reference_copy, name, old, new, problem):
    rewrite(reference_copy, name, old, new)
    with pytest.raises(ReferenceDataError) as caught:
        load_reference(reference_copy)
    message = str(caught.value)
    assert name in message
    assert problem in message


def test_overlapping_windows_for_one_code(reference_copy):
    with open(reference_copy / "hcpcs.csv", "a", encoding="utf-8") as fh:
        fh.write("Q2040,kymriah,predecessor,test,per_infusion,2018-06-01,2019-03-31,,,test,high,,,,\n")
    refresh_manifest(reference_copy)
    with pytest.raises(ReferenceDataError, match=r"hcpcs.csv, line 33: overlapping effective windows for code Q2040"):
        load_reference(reference_copy)


def test_row_number_is_named(reference_copy):
    rewrite(reference_copy, "hcpcs.csv", "Q2042,kymriah", "Q204,kymriah")
    with pytest.raises(ReferenceDataError, match=r"hcpcs.csv, line 4: row 3"):
        load_reference(reference_copy)


def test_checksum_mismatch(reference_copy):
    rewrite(reference_copy, "ndc.csv", "Kite Pharma", "Kite Pharmaceuticals", fix_manifest=False)
    with pytest.raises(ReferenceDataError, match="checksum mismatch"):
        load_reference(reference_copy)


def test_missing_file(reference_copy):
    (reference_copy / "codesets.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"codesets.csv.*cannot be read"):
        load_reference(reference_copy)


def test_missing_directory(tmp_path):
    with pytest.raises(ReferenceDataError, match="does not exist"):
        load_reference(tmp_path / "nope")


def test_manifest_not_json(reference_copy):
    (reference_copy / "manifest.json").write_text("{not json")
    with pytest.raises(ReferenceDataError, match="manifest is not JSON"):
        load_reference(reference_copy)


def test_edited_valid_table_set_is_used(reference_copy):
    # --reference-dir swaps in a newer set without a release: here a new Zolgensma kit NDC.
    with open(reference_copy / "ndc.csv", "a", encoding="utf-8") as fh:
        fh.write("71894015099,zolgensma,test kit,Novartis,package,71894-150-99,test,high\n")
    refresh_manifest(reference_copy)
    assert load_reference(reference_copy).ndc["71894015099"].product_id == "zolgensma"


def test_cache_hit_gives_same_tables(ref, reference_copy):
    first = load_reference(reference_copy)
    second = load_reference(reference_copy)  # from the validation cache
    assert as_json(first.hcpcs) == as_json(second.hcpcs) and as_json(first.programs) == as_json(second.programs)
    assert second.programs["medi-cal"].carve_out[0].effective_from.isoformat() == "2025-07-01"


def test_build_script_reproduces_the_shipped_tables(reference_copy):
    """The tables are derived from ../shared/reference-sources by a script; they must match it."""
    sources = REPO.parent / "shared" / "reference-sources"
    if not sources.is_dir():
        pytest.skip("shared/reference-sources is not beside the checkout")
    script = REPO / "scripts" / "build_reference_data.py"
    subprocess.run([sys.executable, str(script), str(sources), "--out", str(reference_copy)], check=True)
    for shipped in (REPO / "reference_data").iterdir():
        assert (reference_copy / shipped.name).read_bytes() == shipped.read_bytes(), shipped.name


def test_the_schema_is_declared_once_in_rows(ref):
    """tables.py derives its models from rows.py; each table's header is its dataclass's fields."""
    import ast
    import dataclasses

    from cgt_claimcheck.reference import rows, tables

    source = ast.parse((REPO / "cgt_claimcheck" / "reference" / "tables.py").read_text())
    declared = [node.name for node in ast.walk(source) if isinstance(node, ast.ClassDef)]
    assert declared == ["Row"], "tables.py must not declare table models of its own"
    for name in ("Product", "HcpcsCode", "NdcPackage", "PcsCode", "Indication", "CodesetEntry", "PayersFile"):
        cls = getattr(rows, name)
        assert list(tables.model_for(cls).model_fields) == [f.name for f in dataclasses.fields(cls)], name
    by_table = {"products": rows.Product, "hcpcs": rows.HcpcsCode, "ndc": rows.NdcPackage}
    by_table |= {"icd10pcs": rows.PcsCode, "indications": rows.Indication, "codesets": rows.CodesetEntry}
    for table, cls in by_table.items():
        assert ref.manifest.tables[table].columns == rows.columns(cls), table


def test_field_checks_of_the_schema_run_on_load(reference_copy):
    """A format check declared in rows.py metadata (the HCPCS pattern) rejects a bad code."""
    path = reference_copy / "hcpcs.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = "J33" + lines[1][5:]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    update_manifest = __import__("runpy").run_path(str(REPO / "scripts" / "build_reference_data.py"))["update_manifest"]
    update_manifest(reference_copy)
    with pytest.raises(ReferenceDataError, match="is not a HCPCS/CPT code"):
        load_reference(reference_copy)


def test_the_car_t_bundled_set_never_holds_separately_payable_care(ref):
    """Transfusions, blood products, growth factors and CRS treatment are paid on their own (issue 12)."""
    bundled = ref.codes("car_t_bundled")
    separately_payable = {"36430", "36440", "J1442", "J1447", "J2505", "J2506", "J2820", "J3262", "Q5101", "Q5108"}
    assert not bundled & separately_payable
    assert not [code for code in bundled if code.startswith("P9")]  # blood and blood products
    assert all(ref.codesets["car_t_bundled"][code].notes for code in bundled)  # each says why it is bundled


def test_icd10cm_validity_by_fiscal_year(ref):
    """A category header, a code that became a header, and codes added in a later year (issue 13, item 6)."""
    from datetime import date

    from cgt_claimcheck.reference.icd_validity import Status

    validity = ref.icd10cm_validity
    day = date(2025, 3, 1)
    assert validity.verdict("D57", day).status is Status.HEADER  # never billable
    assert validity.verdict("D571", day).status is Status.BILLABLE
    assert validity.verdict("C8339", date(2024, 9, 30)).status is Status.BILLABLE  # FY2024
    assert validity.verdict("C8339", date(2024, 10, 1)).status is Status.HEADER  # split in FY2025
    assert validity.verdict("C83398", date(2024, 10, 1)).status is Status.BILLABLE
    assert validity.verdict("C83398", date(2024, 9, 30)).status is Status.NOT_VALID  # not yet
    assert validity.verdict("C884", day).status is Status.HEADER and "C8840" in validity.verdict("C884", day).children
    assert validity.verdict("D571", date(2018, 9, 30)).status is Status.NOT_JUDGED  # before the table
    assert validity.verdict("D571", date(2026, 10, 1)).status is Status.NOT_JUDGED  # FY2027: no source yet
    assert ref.icd10pcs_validity.valid_on("XW133J8", day) and not ref.icd10pcs_validity.valid_on(
        "XW133J8", date(2019, 1, 1)
    )


def test_a_tampered_validity_table_is_refused(reference_copy):
    with open(reference_copy / "icd10cm_validity.csv", "a", encoding="utf-8") as fh:
        fh.write("D57,,\n")
    from cgt_claimcheck.errors import ReferenceDataError

    with pytest.raises(ReferenceDataError, match="checksum"):
        load_reference(reference_copy).icd10cm_validity  # noqa: B018


def test_the_2026_11_audit_corrections_are_pinned(ref):
    from datetime import date

    from cgt_claimcheck.reference.icd import icd_matches

    def rows(product, word):
        return [i for i in ref.indications[product] if word in i.indication]

    for product, word in (("yescarta", "(2L)"), ("breyanzi", "after 2+ lines")):
        [lbcl] = rows(product, word)
        assert icd_matches("C83398", lbcl.icd10cm_include, lbcl.icd10cm_exclude)
        assert icd_matches("C8339", lbcl.icd10cm_include, lbcl.icd10cm_exclude)  # billable to 2024-09-30
        assert not icd_matches("C83390", lbcl.icd10cm_include, lbcl.icd10cm_exclude)  # primary CNS lymphoma
    [mzl] = rows("breyanzi", "marginal zone")
    assert "C88.40" in mzl.icd10cm_include.split(";")
    [follicular] = rows("yescarta", "follicular")
    assert icd_matches("C8200", follicular.icd10cm_include)  # grade I: in the label, not in the Texas list
    scd = rows("casgevy", "Sickle cell")
    assert sorted((i.min_age, i.active_on(date(2026, 6, 1)), i.active_on(date(2026, 8, 1))) for i in scd) == [
        (2, False, True),
        (12, True, False),
    ]
    broad = [i for i in ref.indications["elevidys"] if i.max_age is None]
    assert {(i.effective_from, i.effective_to) for i in broad} == {
        (date(2024, 6, 20), date(2025, 11, 13)),  # the 2026-12 audit dated the expansion
        (date(2025, 11, 14), None),
    }
    windows = {(p.code, p.product_id): p.effective_from for p in ref.pcs}
    assert windows[("XW033A7", "carvykti")] == date(2021, 10, 1)
    assert windows[("XW133H9", "lyfgenia")] == date(2023, 10, 1)
    assert ref.hcpcs_by_code["Q2055"][0].in_use_by == date(2023, 6, 1)
    assert ref.implied_hcpcs_end["C9081"] == (date(2023, 5, 31), "Q2055")
    assert "C9073" not in ref.hcpcs_by_code and "not effective 2020-10-01" in ref.products["tecartus"].notes


def test_the_2026_12_audit_corrections_are_pinned(ref):
    """Each correction of shared/reference-sources/2026-12/README.md section 6, as shipped."""
    from datetime import date

    assert ref.products["papzimeos"].dosing == ref.products["lantidra"].dosing == "repeat"
    [zevaskyn] = ref.indications["zevaskyn"]
    assert zevaskyn.min_age is None  # 6+ was a Texas PA criterion
    assert ref.indications["kresladi"][0].effective_from == date(2026, 3, 26)
    assert ref.indications["waskyra"][0].effective_from == date(2025, 12, 9)
    assert ref.products["kresladi"].fda_approval_date == date(2026, 3, 26)
    skysona = sorted(ref.indications["skysona"], key=lambda i: i.effective_from)
    assert [(i.effective_from, i.effective_to) for i in skysona] == [
        (date(2022, 9, 16), date(2025, 8, 6)),
        (date(2025, 8, 7), None),
    ]
    assert sorted((i.min_age, i.effective_from) for i in ref.indications["omisirge"]) == [
        (6, date(2025, 12, 8)),
        (12, date(2023, 4, 30)),
    ]
    original = [i for i in ref.indications["elevidys"] if i.max_age == 5]
    assert [i.effective_to for i in original] == [date(2024, 6, 19)]
    assert ref.hcpcs_by_code["J3401"][0].in_use_by == date(2024, 1, 1)
    windows = {(p.code, p.product_id or ""): p.effective_from for p in ref.pcs}
    assert {code: start for (code, _), start in windows.items() if code in ("XW23346", "XW033C7")} == {
        "XW23346": date(2020, 10, 1),
        "XW033C7": date(2021, 10, 1),
    }
    assert "imlygic" in ref.indications and "lantidra" in ref.indications
    assert "provenge" not in ref.indications  # unverifiable: not judged, and said so
    # In-remission codes are the FY2025 additions only: C84.7A (breast ALCL, FY2022) is not one.
    assert not any("C84.7A" in i.icd10cm_exclude for rows_ in ref.indications.values() for i in rows_)
