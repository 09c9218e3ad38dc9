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
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET

from cgt_claimcheck.bounded import read_bounded
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.printable import excerpt
from cgt_claimcheck.reference.table_set_copy import copy_table_set

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
    manifest_path, manifest = copy_table_set(source_dir, out_dir)
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


# Bounds: the CMS quarterly workbook is about 2 MB zipped, its sheet under 40 MB of XML and
# under 60 columns. A workbook past these is not that file (or is a zip bomb).
MAX_TEXT_BYTES = 128 << 20
MAX_PART_BYTES = 256 << 20  # one part of the workbook, inflated
MAX_COLUMNS = 1_000  # cells further right are not read (the HCPCS file has about 50 columns)
EXCEL_COLUMNS = 16_384  # XFD: a cell reference past it is not a spreadsheet's
MAX_ROWS = 1_048_576  # Excel's limit


def _text_rows(path: Path) -> list[list[str]]:
    data = read_bounded(path, MAX_TEXT_BYTES, "HCPCS file")
    text = data.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise UsageError(f"not readable as CSV or tab-separated text ({str(exc)[:80]})", file=str(path)) from None


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first worksheet as rows of text (shared strings resolved, cells placed by column)."""
    try:
        with zipfile.ZipFile(path) as book:
            shared: list[str] = []
            if "xl/sharedStrings.xml" in book.namelist():
                for _, item in _elements(book, "xl/sharedStrings.xml", "si"):
                    shared.append("".join(t.text or "" for t in item.iter(f"{{{_NS['m']}}}t")))
                    item.clear()
            return _sheet_rows(book, _first_sheet(book), shared, path)
    except (OSError, zipfile.BadZipFile, KeyError, ET.ParseError, EOFError, NotImplementedError) as exc:
        raise UsageError(f"not a readable .xlsx workbook ({str(exc)[:80]})", file=str(path)) from None
    except UsageError as exc:
        if exc.file is not None:
            raise
        raise UsageError(str(exc), file=str(path)) from None


def _elements(book: zipfile.ZipFile, name: str, tag: str) -> Iterator[tuple[int, ET.Element]]:
    """The `tag` elements of one part, streamed, with the part read through a bound."""
    if book.getinfo(name).file_size > MAX_PART_BYTES:
        raise UsageError(f"{name} inflates past {MAX_PART_BYTES >> 20} MB: not a CMS HCPCS workbook")
    with book.open(name) as raw:
        wanted = f"{{{_NS['m']}}}{tag}"
        for number, (_, element) in enumerate(ET.iterparse(_Bounded(raw, name), events=("end",))):
            if element.tag == wanted:
                yield number, element


class _Bounded(io.RawIOBase):
    """A part of the workbook read through a byte limit (a zip entry can lie about its size)."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self.raw, self.name, self.seen = raw, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.seen += len(data)
        if self.seen > MAX_PART_BYTES:
            raise UsageError(f"{self.name} inflates past {MAX_PART_BYTES >> 20} MB: not a CMS HCPCS workbook")
        buffer[: len(data)] = data
        return len(data)


def _sheet_rows(book: zipfile.ZipFile, name: str, shared: list[str], path: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for _, row in _elements(book, name, "row"):
        if len(rows) >= MAX_ROWS:
            raise UsageError(f"the worksheet has more than {MAX_ROWS:,} rows", file=str(path))
        cells: dict[int, str] = {}
        for cell in row.findall("m:c", _NS):
            reference = cell.get("r", "")
            column = _column_index(reference)
            if column is not None and column >= EXCEL_COLUMNS:
                raise UsageError(f"cell {reference[:20]!r} is past Excel's last column (XFD)", file=str(path))
            column = column if column is not None else len(cells)
            if column >= MAX_COLUMNS:
                continue
            cells[column] = _cell_text(cell, shared, reference, path)
        rows.append([cells.get(i, "") for i in range(max(cells, default=-1) + 1)])
        row.clear()
    return rows


def _cell_text(cell: ET.Element, shared: list[str], reference: str, path: Path) -> str:
    value = cell.find("m:v", _NS)
    inline = cell.find("m:is", _NS)
    if cell.get("t") == "s" and value is not None:
        try:
            return shared[int(value.text or 0)]
        except (ValueError, IndexError):
            raise UsageError(
                f"cell {reference[:20]!r} names shared string {excerpt(value.text, 20)!r}, which the workbook "
                f"does not have ({len(shared):,} strings)",
                file=str(path),
            ) from None
    if inline is not None:
        return "".join(t.text or "" for t in inline.iter(f"{{{_NS['m']}}}t"))
    return value.text if value is not None and value.text else ""


def _first_sheet(book: zipfile.ZipFile) -> str:
    names = sorted(n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not names:
        raise KeyError("no worksheet")
    return min(names, key=lambda n: int(re.sub(r"\D", "", n.rsplit("/", 1)[1])))


def _column_index(ref: str) -> int | None:
    letters = re.match(r"[A-Z]{1,4}", ref)  # XFD is three letters; four is past it, and no longer is read
    if not letters:
        return None
    index = 0
    for ch in letters.group():
        index = index * 26 + ord(ch) - 64
    return index - 1
