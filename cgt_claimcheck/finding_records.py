"""One finding, and one claim's header, as the reports a person reads show them."""

from __future__ import annotations

import re
from typing import NamedTuple

from cgt_claimcheck.severity import Severity


class FindingRecord(NamedTuple):
    """One finding, for reporters that show findings one by one to a person."""

    rule: str
    name: str
    severity: Severity
    payer: str | None
    claim_id: str | None
    line_number: str | None
    file: str
    row: int
    # In an X12 file: the interchange, group and transaction control numbers and the segment's
    # position in its transaction, as a 999 or 277CA quotes it ("ISA 000000905, GS 1, ST 0001,
    # segment 23"). None for an extract.
    location: str | None
    field: str
    value: str
    message: str
    hint: str
    policy: str
    carc: str | None
    rarc: str | None


class ClaimHeader(NamedTuple):
    """Above a claim's findings: who, when, which payer, how much (member masked under --redact)."""

    file: str
    claim_id: str
    payer: str
    member_id: str
    first_service: str  # YYYY-MM-DD, '' when no line has a usable date
    last_service: str
    billed: float | None  # the sum of the usable line charges

    def service_dates(self) -> str:
        """'2025-03-01', or '2025-03-01 to 2025-03-03' when the lines span days ('' when none)."""
        if self.last_service in ("", self.first_service):
            return self.first_service
        return f"{self.first_service} to {self.last_service}"


CLAIM_HEADER_COLUMNS = ClaimHeader._fields


def denial_codes(f: FindingRecord) -> str:
    """'CARC 16 RARC M119': what the payer would deny the line with ('' when the rule names none)."""
    return " ".join(code for code in (f"CARC {f.carc}" if f.carc else "", f"RARC {f.rarc}" if f.rarc else "") if code)


def editor_line(f: FindingRecord) -> int:
    """The line of the file an editor or CI annotation should point at (1-based).

    An extract's data row is the line after its header. An X12 finding has a location instead:
    where each segment of the file has a line of its own, the location ends with the segment's
    line (', line 57 of the file'); otherwise a row counts service lines, not lines of the file,
    so it points at the top of the file rather than at a wrong line.
    """
    if f.location:
        found = _FILE_LINE.search(f.location)
        return int(found.group(1)) if found else 1
    return max(f.row, 0) + 1


_FILE_LINE = re.compile(r", line (\d+)(?: of the file)?$")  # '..., segment 178 of the file, line 180' too
_FILE_BYTE = re.compile(r", byte (\d+) of the file$")


def file_byte(f: FindingRecord) -> int | None:
    """Where an X12 finding's segment starts, in bytes from 0, when its location says so (a file
    written as one long line: the segment is on `editor_line` 1, at column byte + 1); else None."""
    found = _FILE_BYTE.search(f.location) if f.location else None
    return int(found.group(1)) if found else None


def place_of(f: FindingRecord) -> str:
    """' (claim P1 line 2; ISA 000000905, GS 1, ST 0001, segment 23)' after a one-line message."""
    claim = f"claim {f.claim_id}" + (f" line {f.line_number}" if f.line_number else "") if f.claim_id else ""
    parts = [claim, f.location or ""]
    shown = "; ".join(p for p in parts if p)
    return f" ({shown})" if shown else ""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 error', '1,204 errors', '2 claims have': a count with thousands separators and its noun."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
