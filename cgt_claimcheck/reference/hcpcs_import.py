"""Update the HCPCS dates of a table set from a CMS HCPCS quarterly file, without a release.

CMS publishes the alpha-numeric HCPCS file each quarter as a spreadsheet (`HCPC20xx_..._ANWEB.xlsx`)
with one row per code and description line: HCPC, SEQNUM, RECID, LONG DESCRIPTION, ..., ADD DT,
ACT EFF DT, TERM DT (dates as YYYYMMDD). This module reads that spreadsheet (the standard
library's zip and XML readers; no spreadsheet package) or the same columns saved as CSV or
tab-separated text, and, for every code the tables know, takes the file's add date as the
code's effective_from and its termination date as effective_to. It writes a whole new table set
(manifest checksums recomputed) for `--reference-dir`, and says what changed. Codes the file does
not list, and codes with several windows in the tables, are left as they are and reported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

from cgt_claimcheck.errors import UsageError

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
COLUMNS = {"code": ("HCPC", "HCPCS", "HCPCS CODE"), "add": ("ADD DT", "ADD DATE"), "term": ("TERM DT", "TERM DATE")}


@dataclass
class CodeDates:
    code: str
    added: date | None
    terminated: date | None


@dataclass
class Change:
    code: str
    field: str
    before: str
    after: str


def read_hcpcs_file(path: Path) -> dict[str, CodeDates]:
    """Code -> its dates, from the first row of each code that carries an add date."""
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _text_rows(path)
    header_at = next((i for i, row in enumerate(rows[:20]) if _find(row, "code") is not None), None)
    if header_at is None:
        raise UsageError(
            "no header with an HCPC column in the first 20 rows (is this a CMS HCPCS file?)", file=str(path)
        )
    header = rows[header_at]
    at = {name: _find(header, name) for name in COLUMNS}
    if at["add"] is None:
        raise UsageError("the header has no ADD DT column", file=str(path), line=header_at + 1)
    codes: dict[str, CodeDates] = {}
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        code = _cell(row, at["code"]).upper()
        if not re.fullmatch(r"[A-Z0-9]{5}", code):
            continue
        added = _date(_cell(row, at["add"]), path, number)
        terminated = _date(_cell(row, at["term"]), path, number) if at["term"] is not None else None
        if code not in codes or (codes[code].added is None and added is not None):
            codes[code] = CodeDates(code, added, terminated)
    if not codes:
        raise UsageError("no HCPCS code rows found under the header", file=str(path))
    return codes


def plan_changes(hcpcs_rows: list[dict[str, str]], dates: dict[str, CodeDates]) -> tuple[list[Change], list[str]]:
    """What the file changes in hcpcs.csv rows (dicts, updated in place) and what it leaves, with why."""
    windows: dict[str, int] = {}
    for row in hcpcs_rows:
        windows[row["code"]] = windows.get(row["code"], 0) + 1
    changes: list[Change] = []
    left: list[str] = []
    for row in hcpcs_rows:
        code = row["code"]
        found = dates.get(code)
        if found is None:
            left.append(f"{code}: not in the file")
            continue
        if windows[code] > 1:
            left.append(f"{code}: several windows in the tables; edit by hand")
            continue
        for field, value in (("effective_from", found.added), ("effective_to", found.terminated)):
            new = value.isoformat() if value else ""
            if field == "effective_to" and not new:
                continue  # no termination date: the file does not end a code the tables ended
            if row[field] != new:
                changes.append(Change(code, field, row[field] or "(blank)", new))
                row[field] = new
    return changes, left


def write_table_set(source_dir: Path, out_dir: Path, hcpcs_rows: list[dict[str, str]], note: str) -> None:
    """A copy of the table set with the new hcpcs.csv and a manifest whose checksums match."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError("the output folder exists and is not empty; name a new one", file=str(out_dir))
    shutil.copytree(source_dir, out_dir, dirs_exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = manifest["tables"]["hcpcs"]
    for row in hcpcs_rows:
        if note and note not in row["source"]:
            row["source"] = f"{row['source']} ; {note}"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=entry["columns"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(hcpcs_rows)
    data = buffer.getvalue().encode("utf-8")
    (out_dir / entry["file"]).write_bytes(data)
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    entry["rows"] = len(hcpcs_rows)
    manifest["release"] = f"{manifest['release']}+hcpcs-{date.today().isoformat()}"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


# --- reading ------------------------------------------------------------------------------------
def _find(row: list[str], name: str) -> int | None:
    wanted = {n.replace(" ", "") for n in COLUMNS[name]}
    for index, cell in enumerate(row):
        if cell.strip().upper().replace(" ", "").replace("_", "") in wanted:
            return index
    return None


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _date(text: str, path: Path, line: int) -> date | None:
    text = text.strip().removesuffix(".0")
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text[:10])
    except ValueError:
        raise UsageError(f"{text[:20]!r} is not a date (YYYYMMDD)", file=str(path), line=line) from None


def _text_rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot be read ({exc.strerror})", file=str(path)) from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first worksheet as rows of text (shared strings resolved, cells placed by column)."""
    try:
        with zipfile.ZipFile(path) as book:
            shared = []
            if "xl/sharedStrings.xml" in book.namelist():
                for item in ET.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", _NS):
                    shared.append("".join(t.text or "" for t in item.iter(f"{{{_NS['m']}}}t")))
            sheet = ET.fromstring(book.read(_first_sheet(book)))
    except (OSError, zipfile.BadZipFile, KeyError, ET.ParseError) as exc:
        raise UsageError(f"not a readable .xlsx workbook ({str(exc)[:80]})", file=str(path)) from None
    rows = []
    for row in sheet.iter(f"{{{_NS['m']}}}row"):
        cells: dict[int, str] = {}
        for cell in row.findall("m:c", _NS):
            column = _column_index(cell.get("r", ""))
            value = cell.find("m:v", _NS)
            inline = cell.find("m:is", _NS)
            if cell.get("t") == "s" and value is not None:
                text = shared[int(value.text or 0)]
            elif inline is not None:
                text = "".join(t.text or "" for t in inline.iter(f"{{{_NS['m']}}}t"))
            else:
                text = value.text if value is not None and value.text else ""
            cells[column if column is not None else len(cells)] = text
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
    return rows


def _first_sheet(book: zipfile.ZipFile) -> str:
    names = sorted(n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not names:
        raise KeyError("no worksheet")
    return min(names, key=lambda n: int(re.sub(r"\D", "", n.rsplit("/", 1)[1])))


def _column_index(ref: str) -> int | None:
    letters = re.match(r"[A-Z]+", ref)
    if not letters:
        return None
    index = 0
    for ch in letters.group():
        index = index * 26 + ord(ch) - 64
    return index - 1
