"""The abuse cases beside the extract (issue 22): side files, workbooks, reference tables, the cache,
options and config values a hostile or careless user gives. Each ends in a clear message naming
what is wrong (exit 2) or is read as it should be; none ends in an internal error, a traceback,
memory exhaustion or an echo of a file that is not meant to be seen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from abuse_corpus import HEADER, extract, good_row
from typer.testing import CliRunner

from cgt_claimcheck.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
CLAIMS = str(REPO / "examples" / "claims.csv")
TOKEN = "ghp_" + "Z" * 36 + "SECRETTOKEN" * 150  # a credential file given by mistake: ~1,700 characters


def _clean_failure(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    text = result.stdout + result.stderr
    assert "internal error" not in text and "Traceback" not in text, text
    for needle in needles:
        assert needle in result.stderr, result.stderr


# --- side files ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["--history", "--facilities", "config-history"])
def test_a_side_file_that_is_not_csv_is_never_echoed(tmp_path, option):
    token = tmp_path / "token.txt"
    token.write_text(TOKEN + "\n")
    if option == "config-history":
        config = tmp_path / "cgt-claimcheck.toml"
        config.write_text('history = ["token.txt"]\n')
        args = ["--config", str(config)]
    else:
        args = [option, str(token)]
    result = runner.invoke(app, ["check", CLAIMS, *args, "--format", "json"])
    _clean_failure(result, "token.txt")
    assert "SECRETTOKEN" not in result.stderr and "ghp_" not in result.stderr


def test_a_facility_registry_that_never_ends_stops_at_once(tmp_path):
    result = runner.invoke(app, ["check", CLAIMS, "--facilities", "/dev/zero", "--format", "json"])
    _clean_failure(result, "/dev/zero", "facility registry is larger than 64 MB")


def test_a_facility_row_and_a_reference_row_with_a_reversed_window_are_reported(tmp_path, reference_copy):
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "npi,certification,product,effective_from,effective_to\n1234567893,QTC,,2025-05-01,2025-01-01\n"
    )
    result = runner.invoke(app, ["check", CLAIMS, "--facilities", str(registry), "--format", "json"])
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "IN006"]
    assert finding["field"] == "effective_to" and "ends before the row starts" in finding["message"]

    table = reference_copy / "indications.csv"
    lines = table.read_text().splitlines()
    header = lines[0].split(",")
    start, end = header.index("effective_from"), header.index("effective_to")
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) == len(header) and not cells[start] and not cells[end]:
            cells[start], cells[end] = "2025-06-01", "2025-01-01"
            lines[number - 1] = ",".join(cells)
            break
    table.write_text("\n".join(lines) + "\n")
    _rehash(reference_copy, "indications")
    result = runner.invoke(app, ["reference", "validate", str(reference_copy)])
    _clean_failure(result, "indications.csv", f"line {number}", "is before effective_from")


def _rehash(directory: Path, table: str) -> None:
    import hashlib

    manifest = json.loads((directory / "manifest.json").read_text())
    entry = manifest["tables"][table]
    entry["sha256"] = hashlib.sha256((directory / entry["file"]).read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2))


def test_a_deep_manifest_and_a_huge_field_are_clear_reference_errors(reference_copy):
    manifest = reference_copy / "manifest.json"
    original = manifest.read_text()
    manifest.write_text("[" * 100_000 + "]" * 100_000)
    _clean_failure(runner.invoke(app, ["reference", "validate", str(reference_copy)]), "manifest")
    manifest.write_text(original)
    table = reference_copy / "products.csv"
    lines = table.read_text().splitlines()
    lines[1] = lines[1].replace(",", ',"' + "x" * 200_000 + '",', 1)
    table.write_text("\n".join(lines) + "\n")
    _rehash(reference_copy, "products")
    _clean_failure(runner.invoke(app, ["reference", "validate", str(reference_copy)]), "products.csv")


def test_a_cache_file_replaced_by_a_link_to_an_endless_device_costs_only_a_rebuild(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "CGT_CLAIMCHECK_CACHE_DIR": str(cache), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    command = [sys.executable, "-m", "cgt_claimcheck", "lookup", "J3392", "--format", "json"]
    assert subprocess.run(command, env=env, capture_output=True, timeout=120).returncode == 0  # makes the cache
    [made] = list(cache.glob("reference-*.json"))
    made.unlink()
    made.symlink_to("/dev/zero")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["found"], done.stderr


# --- workbooks for `reference import-hcpcs` --------------------------------------------------------------
def _workbook(path: Path, sheet: bytes, shared: bytes | None = None, compression: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as book:
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            book.writestr("xl/sharedStrings.xml", shared)


MAIN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def test_a_cell_past_the_last_column_is_refused_without_allocating_it(tmp_path):
    book = tmp_path / "far.xlsx"
    _workbook(
        book,
        MAIN + b'<row r="1"><c r="ZZZZZZZZZ1" t="inlineStr"><is><t>HCPC</t></is></c></row></sheetData></worksheet>',
    )
    result = runner.invoke(app, ["reference", "import-hcpcs", str(book), "--out", str(tmp_path / "out")])
    _clean_failure(result, "far.xlsx", "past Excel's last column")


def test_a_zip_bomb_stops_at_the_inflation_bound(tmp_path):
    book = tmp_path / "bomb.xlsx"
    padding = b"<!--" + b"0" * (300 << 20) + b"-->"  # 300 MB of XML that deflates to about 300 KB
    _workbook(book, MAIN + padding + b"</sheetData></worksheet>")
    assert book.stat().st_size < 2 << 20
    result = runner.invoke(app, ["reference", "import-hcpcs", str(book), "--out", str(tmp_path / "out")])
    _clean_failure(result, "bomb.xlsx", "inflates past 256 MB")


def test_a_shared_string_index_the_workbook_lacks_names_the_cell(tmp_path):
    book = tmp_path / "strings.xlsx"
    shared = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>HCPC</t></si></sst>'
    _workbook(book, MAIN + b'<row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>', shared)
    result = runner.invoke(app, ["reference", "import-hcpcs", str(book), "--out", str(tmp_path / "out")])
    _clean_failure(result, "strings.xlsx", "'A1'", "shared string '7'")


def test_import_hcpcs_out_onto_a_file_is_refused(tmp_path):
    source = tmp_path / "hcpcs.csv"
    source.write_text("HCPC,ADD DT,TERM DT\nJ3392,20240101,\n")
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me\n")
    result = runner.invoke(app, ["reference", "import-hcpcs", str(source), "--out", str(taken)])
    _clean_failure(result, "taken.txt", "names a file")
    assert taken.read_text() == "keep me\n"


# --- options and config values -----------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["rot13", "base64", "idna", "zlib"])
def test_a_codec_that_is_not_a_text_encoding_is_a_clear_error(encoding):
    result = runner.invoke(app, ["check", CLAIMS, "--encoding", encoding, "--format", "json"])
    _clean_failure(result, f"--encoding {encoding!r} is not a text encoding")


def test_a_pyproject_whose_tool_is_not_a_table_is_ignored(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", CLAIMS, "--format", "json"])
    assert result.exit_code == 0, result.output


def test_an_unknown_extension_of_the_selection_is_an_error_even_with_no_selection():
    _clean_failure(runner.invoke(app, ["check", CLAIMS, "--extend-select", "ZZ9"]), "no rule matches ZZ9")


def test_a_bad_delimiter_in_the_config_names_the_config_key(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('delimiter = "||"\n')
    result = runner.invoke(app, ["check", CLAIMS, "--config", str(config)])
    _clean_failure(result, "c.toml: delimiter '||'")
    assert "--delimiter" not in result.stderr


def test_completion_with_a_broken_reference_directory_offers_nothing_and_prints_no_traceback(tmp_path):
    import shutil

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("[" * 100_000)  # nests past the JSON parser's recursion limit

    command = shutil.which("cgt-claimcheck", path=os.path.dirname(sys.executable)) or "cgt-claimcheck"
    env = os.environ | {
        "_CGT_CLAIMCHECK_COMPLETE": "complete_bash",
        "COMP_WORDS": "cgt-claimcheck check --payer w",
        "COMP_CWORD": "3",
        "CGT_CLAIMCHECK_REFERENCE_DIR": str(broken),
    }
    done = subprocess.run([command], env=env, capture_output=True, text=True, timeout=60)
    assert done.stderr.strip() == "" and done.stdout.strip() == "", (done.stdout, done.stderr)


# --- line ends and blank lines ------------------------------------------------------------------------------
def test_lf_and_bare_cr_line_ends_in_one_file_read_every_row(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(f"{HEADER}\n{good_row(1)}\r{good_row(2)}\n{good_row(3)}\r\n".encode())
    report = json.loads(runner.invoke(app, ["check", str(path), "--format", "json"]).stdout)
    assert report["inputs"][0]["rows_read"] == 3 and report["inputs"][0]["rows_rejected"] == 0


def test_a_line_of_spaces_is_skipped_and_text_in_an_unread_column_is_a_row(tmp_path):
    path = tmp_path / "rows.csv"
    fields = [""] * (HEADER.count(",") + 1)
    fields[HEADER.split(",").index("patient_name")] = "ONLY TEXT"  # a column the check does not read
    path.write_bytes(extract([good_row(1), "     ", "\t", ",".join(fields), good_row(2)]))
    report = json.loads(runner.invoke(app, ["check", str(path), "--format", "json"]).stdout)
    summary = report["inputs"][0]
    assert (summary["rows_read"], summary["rows_rejected"]) == (3, 1)
    assert {f["row"] for f in report["findings"] if f["rule"] == "IN001"} == {4}
