"""Which ICD-10-CM and ICD-10-PCS codes are valid and billable on a date of service.

The tables (icd10cm_validity.csv, icd10pcs_validity.csv; scripts/build_icd10_validity.py) hold
one row per window in which a code is valid, from the CMS MS-DRG definitions of each fiscal year
and April update. They are read on first use only (a check that runs CD006, `lookup` of an
ICD-10 code), with the checksum the manifest gives. A check asks about a few hundred codes of
75k, so the rows stay lines of text, sorted, and a code's windows are found by bisection: only
the 10k rows that carry a date are parsed up front (every verdict's epochs come from them), and
the bare `code,,` rows are checked by counting commas (25 ms where a dictionary of every code
took 90 ms of every check).

A code is judged only on dates the table covers (`covers_from` .. `covers_through`, FY2019 to
FY2026): before, a blank valid_from means "valid when the table starts"; after, FY2027 is not in
the source yet, and nothing is said.
"""

from __future__ import annotations

import bisect
import hashlib
import operator
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from cgt_claimcheck.errors import ReferenceDataError

Window = tuple[date | None, date | None]  # valid from, valid to (None: open on that side)
HEADER = "code,valid_from,valid_to"


class Status(StrEnum):
    BILLABLE = "billable"
    HEADER = "header"  # a category with billable codes below it on that date
    NOT_VALID = "not valid"  # valid on other dates, or never
    NOT_JUDGED = "not judged"  # a date outside what the table covers


@dataclass(frozen=True)
class Verdict:
    status: Status
    windows: tuple[Window, ...]  # the code's own windows (empty if never valid)
    children: tuple[str, ...] = ()  # for a header: a few billable codes below it on that date


class CodeValidity:
    """Validity windows of one code system, with header detection by prefix."""

    def __init__(self, windows: WindowTable, covers_from: date, covers_through: date) -> None:
        self.windows = windows
        self.covers_from = covers_from
        self.covers_through = covers_through

    @cached_property
    def codes(self) -> list[str]:
        """Every code, sorted (headers are found by prefix)."""
        return list(self.windows)

    @cached_property
    def epochs(self) -> list[date]:
        """Every date on which some verdict can change (a window opens or closes, the coverage
        starts or ends), sorted: between two of them every code's verdict is the same."""
        edges = {self.covers_from, self.covers_through + timedelta(days=1)} | self.windows.opens
        return sorted(edges | {end + timedelta(days=1) for end in self.windows.closes})

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
        starts = dict(self.windows.first_opens)
        for initial in self.windows.initials_open_from_the_start():  # no valid_from: open when the table starts
            starts[initial] = min(starts.get(initial, self.covers_from), self.covers_from)
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
        for other in self.windows.following(code):
            if not other.startswith(code) or len(found) >= limit:
                break
            if self.valid_on(other, day):
                found.append(other)
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


class WindowTable(Mapping[str, list[Window]]):
    """A validity table as its sorted lines: `code -> windows` by bisection, dated rows parsed once."""

    def __init__(self, lines: list[str], dated: dict[int, Window]) -> None:
        self._lines = lines  # sorted; "D571,," is D571 valid throughout (',' sorts before every code character)
        self._dated = dated  # index of a line with a date -> its window
        self.opens = {start for start, _ in dated.values() if start is not None}
        self.closes = {end for _, end in dated.values() if end is not None}
        self.first_opens: dict[str, date] = {}  # initial letter -> its earliest valid_from
        self._with_valid_from: Counter[str] = Counter()
        for i, (start, _) in dated.items():
            if start is not None:
                initial = _initial_of(lines[i])
                self._with_valid_from[initial] += 1
                self.first_opens[initial] = min(self.first_opens.get(initial, start), start)

    def _span(self, code: str) -> tuple[int, int]:
        low = bisect.bisect_left(self._lines, code, key=_code_of)
        return low, bisect.bisect_right(self._lines, code, lo=low, key=_code_of)

    def __getitem__(self, code: str) -> list[Window]:
        low, high = self._span(code)
        if low == high:
            raise KeyError(code)
        return [self._dated.get(i, (None, None)) for i in range(low, high)]

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        low, high = self._span(code)
        return low != high

    def __iter__(self) -> Iterator[str]:
        previous = None
        for line in self._lines:
            code = _code_of(line)
            if code != previous:
                yield code
                previous = code

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def initials_open_from_the_start(self) -> Iterator[str]:
        """The initial letters with a row that has no valid_from."""
        low = 0
        while low < len(self._lines):
            initial = _initial_of(self._lines[low])
            high = bisect.bisect_right(self._lines, initial, lo=low, key=_initial_of)
            if high - low > self._with_valid_from[initial]:
                yield initial
            low = max(high, low + 1)

    def following(self, code: str) -> Iterator[str]:
        """The codes after `code` in order (each once)."""
        index = bisect.bisect_right(self._lines, code, key=_code_of)
        previous = None
        for line in self._lines[index:]:
            other = _code_of(line)
            if other != previous:
                yield other
                previous = other


def _code_of(line: str) -> str:
    return line[: line.find(",")]


def _initial_of(line: str) -> str:
    return line[:1] if line[:1] != "," else ""


def _parse(data: bytes, path: str) -> WindowTable:
    lines = data.decode("utf-8").splitlines()
    if not lines or lines[0] != HEADER:
        raise ReferenceDataError(f"header must be {HEADER}", file=path, line=1)
    body = lines[1:]
    # Every row has two commas if the count adds up, unless one with too many has a partner with
    # too few, which cannot end in ",,": it is a dated row, parsed below.
    if "\n".join(body).count(",") != 2 * len(body):
        raise _first_bad_row(body, path)
    if not all(map(operator.le, body, body[1:])):
        body = sorted(body)  # an edited table out of order still reads
    days: dict[str, date | None] = {"": None}
    dated: dict[int, Window] = {}
    try:
        for i in _rows_with_a_date(body):
            dated[i] = _window(body[i], days)
    except ValueError:
        raise _first_bad_row(lines[1:], path) from None
    return WindowTable(body, dated)


def _window(line: str, days: dict[str, date | None]) -> Window:
    """The window of one row; ValueError unless it is code,YYYY-MM-DD,YYYY-MM-DD (dates optional)."""
    _, start, end = line.split(",")
    for text in (start, end):
        if text not in days:
            if len(text) != len("2025-10-01"):
                raise ValueError(text)
            days[text] = date.fromisoformat(text)
    return days[start], days[end]


def _rows_with_a_date(body: list[str]) -> list[int]:
    """The rows that do not end in ",," (a tenth of them), found over the bytes at once."""
    import numpy as np

    text = np.frombuffer(("\n\n" + "\n".join(body) + "\n").encode("utf-8"), np.uint8)
    ends = np.flatnonzero(text == ord("\n"))[2:]  # where each row ends (the two before are padding)
    bare = (text[ends - 1] == ord(",")) & (text[ends - 2] == ord(","))
    return np.flatnonzero(~bare).tolist()


def _first_bad_row(body: list[str], path: str) -> ReferenceDataError:
    """The refusal of the first broken row in file order (only once something is known to be wrong)."""
    days: dict[str, date | None] = {"": None}
    for number, line in enumerate(body, start=2):
        try:
            _window(line, days)
        except ValueError:
            return ReferenceDataError(f"row is not code,YYYY-MM-DD,YYYY-MM-DD: {line[:40]!r}", file=path, line=number)
    raise AssertionError("called without a broken row")


def window_text(windows: tuple[Window, ...], validity: CodeValidity) -> str:
    """'2018-10-01 or earlier to 2024-09-30' for each window, joined."""
    parts = []
    for start, end in windows:
        first = start.isoformat() if start else f"{validity.covers_from.isoformat()} or earlier"
        last = end.isoformat() if end else f"{validity.covers_through.isoformat()} or later"
        parts.append(f"{first} to {last}")
    return "; ".join(parts)
