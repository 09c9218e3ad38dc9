"""Extend the ICD-10 validity tables by a fiscal year from the code files CMS publishes, without a release.

Each summer CMS (and the CDC for ICD-10-CM) publishes the code set of the fiscal year starting
October 1 (and, some years, an April 1 update) as fixed-width text files, zipped:
- the order files `icd10cm_order_YYYY.txt` / `icd10pcs_order_YYYY.txt`: order number (columns
  1-5), the code without a dot (7-13), 1 when the code is valid for HIPAA transactions and 0 for a
  header (15), the short (17-76) and long (78-) descriptions;
- the code files `icd10cm_codes_YYYY.txt` / `icd10pcs_codes_YYYY.txt`: the valid codes only, the
  code first on each line, then its description.
This module reads either (a .zip of them, or the text files), and extends the validity tables
(`code,valid_from,valid_to` windows) by that year: a code in the file whose window is open stays
open; an open code the file lacks ends the day before the year starts; a code new in the file
opens a window on that day. The table then covers the year, and the manifest's horizon moves to
it. The shipped tables are never edited: a whole new table set is written for --reference-dir.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from cgt_claimcheck.bounded import read_bounded
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.reference.table_set_copy import copy_table_set

SYSTEMS = {"cm": "icd10cm_validity", "pcs": "icd10pcs_validity"}
MAX_FILE_BYTES = 64 << 20  # a year's order file is about 20 MB
CODE = {"cm": re.compile(r"[A-Z][0-9A-Z]{2,6}"), "pcs": re.compile(r"[0-9A-HJ-NP-Z]{7}")}
Window = tuple[date | None, date | None]


@dataclass
class CodeSet:
    """The valid codes of one system in the files given, and where they came from."""

    system: str
    codes: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)


@dataclass
class Extension:
    """What importing one system's year changed."""

    system: str
    valid: int
    added: list[str]
    ended: list[str]
    covers_through: date


def read_code_files(paths: list[Path]) -> dict[str, CodeSet]:
    """The valid codes per system ('cm', 'pcs') in the files given (text files or zips of them)."""
    found: dict[str, CodeSet] = {}
    for path in paths:
        for name, text in _texts(path):
            system = _system_of(name)
            if system is None:
                continue
            code_set = found.setdefault(system, CodeSet(system))
            code_set.codes |= _valid_codes(text, system, name)
            code_set.files.append(name)
    if not found:
        raise UsageError(
            "no ICD-10-CM or ICD-10-PCS order or code file (icd10cm_order_YYYY.txt, icd10pcs_codes_YYYY.txt, "
            "or a .zip of them) among the files given",
            file=str(paths[0]) if paths else None,
        )
    return found


def fiscal_year_of(paths: list[Path], given: int | None) -> int:
    """The fiscal year: given, else the one year the file names carry (2027 in icd10cm_order_2027.txt)."""
    if given is not None:
        return given
    years = {int(y) for path in paths for y in re.findall(r"(?<!\d)(20[1-9]\d)(?!\d)", path.name)}
    if len(years) != 1:
        raise UsageError(
            "the file names do not say which fiscal year they are: pass --fiscal-year YYYY (FY2027 starts 2026-10-01)",
            file=str(paths[0]),
        )
    return years.pop()


def extend(
    windows: dict[str, list[Window]], codes: set[str], start: date, end: date, covers_through: date, system: str
) -> Extension:
    """Extend `windows` (in place) by the year starting `start`; the table covers through `end` after it."""
    if start > covers_through + timedelta(days=1):
        raise UsageError(
            f"the ICD-10-{system.upper()} tables cover through {covers_through.isoformat()}: import the year that "
            f"starts {(covers_through + timedelta(days=1)).isoformat()} first (this one starts {start.isoformat()})"
        )
    open_codes = {code for code, spans in windows.items() if any(to is None for _, to in spans)}
    ended = sorted(open_codes - codes)
    added = sorted(codes - open_codes)
    for code in ended:
        windows[code] = [(frm, start - timedelta(days=1) if to is None else to) for frm, to in windows[code]]
    for code in added:
        windows.setdefault(code, []).append((start, None))
    return Extension(system, len(codes), added, ended, max(covers_through, end))


def read_windows(data: bytes) -> dict[str, list[Window]]:
    windows: dict[str, list[Window]] = {}
    for row in list(csv.reader(io.StringIO(data.decode("utf-8"))))[1:]:
        code, start, end = row
        windows.setdefault(code, []).append(
            (date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)
        )
    return windows


def windows_csv(windows: dict[str, list[Window]]) -> bytes:
    lines = ["code,valid_from,valid_to"]
    for code in sorted(windows):
        for start, end in sorted(windows[code], key=lambda w: w[0] or date.min):
            lines.append(f"{code},{start.isoformat() if start else ''},{end.isoformat() if end else ''}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_table_set(
    source_dir: Path, out_dir: Path, tables: dict[str, bytes], covers: dict[str, date], label: str
) -> None:
    """A copy of the table set with new validity tables, their coverage and checksums, and the horizon moved."""
    manifest_path, manifest = copy_table_set(source_dir, out_dir)
    for table, data in tables.items():
        entry = manifest["tables"][table]
        (out_dir / entry["file"]).write_bytes(data)
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["rows"] = data.count(b"\n") - 1
        entry["covers_through"] = covers[table].isoformat()
        entry["source"] = f"{entry.get('source', '')} ; extended by {label} (cgt-claimcheck reference import-icd10)"
    horizon = max(covers.values())
    if manifest.get("verified_through") is None or manifest["verified_through"] < horizon.isoformat():
        manifest["verified_through"] = horizon.isoformat()
    manifest["release"] = f"{manifest['release']}+{label.replace(' ', '-').lower()}"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


# --- reading ------------------------------------------------------------------------------------
def _texts(path: Path) -> list[tuple[str, str]]:
    """(file name, text) of a text file, or of each text member of a zip."""
    data = read_bounded(path, MAX_FILE_BYTES, "ICD-10 code file", regular_only=True)
    if not data.startswith(b"PK"):
        return [(path.name, data.decode("latin-1"))]
    out = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith(".txt") or _system_of(info.filename) is None:
                    continue
                if info.file_size > MAX_FILE_BYTES:
                    raise UsageError(f"{info.filename} inflates past {MAX_FILE_BYTES >> 20} MB", file=str(path))
                with archive.open(info) as member:
                    text = member.read(MAX_FILE_BYTES + 1)
                if len(text) > MAX_FILE_BYTES:
                    raise UsageError(f"{info.filename} inflates past {MAX_FILE_BYTES >> 20} MB", file=str(path))
                out.append((f"{path.name}:{info.filename}", text.decode("latin-1")))
    except (zipfile.BadZipFile, EOFError, NotImplementedError, OSError) as exc:
        raise UsageError(f"not a readable zip ({str(exc)[:80]})", file=str(path)) from None
    return out


def _system_of(name: str) -> str | None:
    """'cm' or 'pcs' from an order or code file's name (addenda and index files are not code lists)."""
    base = name.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
    if not re.search(r"(order|codes)", base) or re.search(r"(addend|index|tabular|guideline)", base):
        return None
    if "pcs" in base:
        return "pcs"
    if "cm" in base:
        return "cm"
    return None


def _valid_codes(text: str, system: str, name: str) -> set[str]:
    """The valid codes of an order file (flag 1) or a code file (every code listed)."""
    pattern = CODE[system]
    codes: set[str] = set()
    order = "order" in name.lower().rsplit("/", 1)[-1]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if order:
            code, flag = line[6:13].strip(), line[14:15]
            if flag not in ("0", "1") or not pattern.fullmatch(code):
                raise UsageError(
                    f"not an order-file line (order number 1-5, code 7-13, 0/1 in 15): {line[:40]!r}",
                    file=name,
                    line=number,
                )
            if flag == "1":
                codes.add(code)
        else:
            code = line.split(None, 1)[0]
            if not pattern.fullmatch(code):
                raise UsageError(
                    f"not a code-file line (the code, then its description): {line[:40]!r}", file=name, line=number
                )
            codes.add(code)
    if not codes:
        raise UsageError("no valid code in the file", file=name)
    return codes
