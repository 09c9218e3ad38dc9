"""Which ICD-10-CM and ICD-10-PCS codes are valid and billable on a date of service.

The tables (icd10cm_validity.csv, icd10pcs_validity.csv; scripts/build_icd10_validity.py) hold
one row per window in which a code is valid, from the CMS MS-DRG definitions of each fiscal year
and April update. They are read on first use only (a check that runs CD006, `lookup` of an
ICD-10 code), with the checksum the manifest gives: 67k rows are a dictionary, not 67k models.

A code is judged only on dates the table covers (`covers_from` .. `covers_through`, FY2019 to
FY2026): before, a blank valid_from means "valid when the table starts"; after, FY2027 is not in
the source yet, and nothing is said.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from cgt_claimcheck.errors import ReferenceDataError


class Status(StrEnum):
    BILLABLE = "billable"
    HEADER = "header"  # a category with billable codes below it on that date
    NOT_VALID = "not valid"  # valid on other dates, or never
    NOT_JUDGED = "not judged"  # a date outside what the table covers


@dataclass(frozen=True)
class Verdict:
    status: Status
    windows: tuple[tuple[date | None, date | None], ...]  # the code's own windows (empty if never valid)
    children: tuple[str, ...] = ()  # for a header: a few billable codes below it on that date


class CodeValidity:
    """Validity windows of one code system, with header detection by prefix."""

    def __init__(
        self, windows: dict[str, list[tuple[date | None, date | None]]], covers_from: date, covers_through: date
    ) -> None:
        self.windows = windows
        self.covers_from = covers_from
        self.covers_through = covers_through

    @cached_property
    def codes(self) -> list[str]:
        """Every code, sorted: headers are found by prefix (sorted only when a code is not billable)."""
        return sorted(self.windows)

    @cached_property
    def epochs(self) -> list[date]:
        """Every date on which some verdict can change (a window opens or closes, the coverage
        starts or ends), sorted: between two of them every code's verdict is the same."""
        edges = {self.covers_from, self.covers_through + timedelta(days=1)}
        for windows in self.windows.values():
            for start, end in windows:
                if start is not None:
                    edges.add(start)
                if end is not None:
                    edges.add(end + timedelta(days=1))
        return sorted(edges)

    def covers(self, day: date) -> bool:
        return self.covers_from <= day <= self.covers_through

    @cached_property
    def chapter_starts(self) -> dict[str, date]:
        """The first date the table holds a code of each initial letter (a chapter, roughly).

        The MS-DRG definitions the shipped table comes from leave out the external causes
        (V00-Y99): a code of a chapter the table does not hold on a date is not judged rather than
        called invalid. A chapter an import adds (a complete CMS file for FY2027) is judged from
        that year on, never before it.
        """
        starts: dict[str, date] = {}
        for code, windows in self.windows.items():
            initial = code[:1]
            for start, _ in windows:
                first = start or self.covers_from
                if initial not in starts or first < starts[initial]:
                    starts[initial] = first
        return starts

    def holds_chapter_of(self, code: str, day: date) -> bool:
        """False only for a letter the table holds no code under on that day (a digit or symbol is
        judged: ICD-9's 282.60 is not an ICD-10-CM code, whatever the table holds)."""
        initial = code[:1].upper()
        if not (initial.isascii() and initial.isalpha()):
            return True
        start = self.chapter_starts.get(initial)
        return start is not None and start <= day

    def valid_on(self, code: str, day: date) -> bool:
        return any(
            (start is None or start <= day) and (end is None or day <= end) for start, end in self.windows.get(code, ())
        )

    def children_on(self, code: str, day: date, limit: int = 5) -> tuple[str, ...]:
        """Billable codes that extend `code` (D57 -> D5700...) on that date, the first `limit`."""
        found: list[str] = []
        index = bisect.bisect_right(self.codes, code)
        while index < len(self.codes) and self.codes[index].startswith(code) and len(found) < limit:
            if self.valid_on(self.codes[index], day):
                found.append(self.codes[index])
            index += 1
        return tuple(found)

    def verdict(self, code: str, day: date) -> Verdict:
        own = tuple(self.windows.get(code, ()))
        if not self.covers(day) or not self.holds_chapter_of(code, day):
            return Verdict(Status.NOT_JUDGED, own)
        if self.valid_on(code, day):
            return Verdict(Status.BILLABLE, own)
        children = self.children_on(code, day)
        if children:
            return Verdict(Status.HEADER, own, children)
        return Verdict(Status.NOT_VALID, own)


_LOADED: dict[tuple[str, str], CodeValidity] = {}  # (path, sha256) -> parsed table, once per process


def load_validity(directory: Path, entry: object) -> CodeValidity:
    """Read a validity table named by a manifest entry, checking its checksum and header."""
    path = directory / entry.file  # type: ignore[attr-defined]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(f"cannot be read ({exc.strerror})", file=str(path)) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:  # type: ignore[attr-defined]
        raise ReferenceDataError("checksum mismatch with manifest.json", file=str(path))
    covers_from = entry.covers_from  # type: ignore[attr-defined]
    covers_through = entry.covers_through  # type: ignore[attr-defined]
    if covers_from is None or covers_through is None:
        raise ReferenceDataError("manifest entry needs covers_from and covers_through", file=str(path))
    key = (str(path), digest)
    if key not in _LOADED:
        _LOADED[key] = CodeValidity(_parse(data, str(path)), covers_from, covers_through)
    return _LOADED[key]


def _parse(data: bytes, path: str) -> dict[str, list[tuple[date | None, date | None]]]:
    # 67k rows, most of them a bare code: split by hand, parse only the dates that are there.
    lines = data.decode("utf-8").splitlines()
    if not lines or lines[0] != "code,valid_from,valid_to":
        raise ReferenceDataError("header must be code,valid_from,valid_to", file=path, line=1)
    windows: dict[str, list[tuple[date | None, date | None]]] = {}
    for line_number, line in enumerate(lines[1:], start=2):
        try:
            code, start, end = line.split(",")
            window = (date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)
        except ValueError:
            raise ReferenceDataError(
                f"row is not code,YYYY-MM-DD,YYYY-MM-DD: {line[:40]!r}", file=path, line=line_number
            ) from None
        windows.setdefault(code, []).append(window)
    return windows


def window_text(windows: tuple[tuple[date | None, date | None], ...], validity: CodeValidity) -> str:
    """'2018-10-01 or earlier to 2024-09-30' for each window, joined."""
    parts = []
    for start, end in windows:
        first = start.isoformat() if start else f"{validity.covers_from.isoformat()} or earlier"
        last = end.isoformat() if end else f"{validity.covers_through.isoformat()} or later"
        parts.append(f"{first} to {last}")
    return "; ".join(parts)
