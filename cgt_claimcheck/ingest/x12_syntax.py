"""X12 syntax: sniffing an interchange, its separators (from the ISA), versions and problems.

Shared by the reader (ingest/x12.py) and its claim mapping (ingest/x12_claims.py).
"""

from __future__ import annotations

import bisect
import itertools
import re
import zlib
from array import array
from dataclasses import dataclass
from dataclasses import field as default_field

import numpy as np

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.ingest.source import ByteSource

_U32 = "I" if array("I").itemsize == 4 else "L"  # an unsigned 4-byte array's type code
_UNKNOWN = 0xFFFFFFFF  # a line's distance from its run's base where its line or byte is unknown
BLOCK_BYTES = 2 << 20  # a block read at a time; its columns take about 60x its size while mapped (2 MB: 130 MB)
BOM = b"\xef\xbb\xbf"
SUPPORTED = {"005010X222A1": "837P", "005010X223A2": "837I"}  # the versions HIPAA adopted
READABLE = {  # the base guides and their later errata read the same way, with a warning
    "005010X222": "837P",
    "005010X222A2": "837P",
    "005010X223": "837I",
    "005010X223A1": "837I",
    "005010X223A3": "837I",
}
KNOWN_SEGMENTS = frozenset(
    "ISA IEA GS GE ST SE TA1 BHT NM1 N2 N3 N4 REF PER PRV HL SBR PAT DMG CLM DTP CL1 PWK CN1 AMT K3 NTE CR1 CR2 "
    "CR3 CR4 CR5 CR6 CR7 CR8 CRC HI HCP QTY MEA LX SV1 SV2 SV3 SV4 SV5 SV6 SV7 TOO LIN CTP SVD CAS MOA MIA OI PS1 "
    "HSD FRM LQ CUR".split()
)
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
ATTACHED_BY = frozenset({"BM", "EL", "EM", "FT", "FX"})  # PWK02: sent by mail, electronically, e-mail, FTP, fax
X12_COLUMNS = tuple(c for c in COLUMNS if c != "mcp_enrolled")  # eligibility is not on an 837

# Problem codes: the XE rules (rules/x12.py) report them. SEPARATOR: a composite the payer's
# translator cannot split (error); FORMAT: what a translator reads with a warning.
ENVELOPE, CONTROL, VERSION, SEPARATOR, FORMAT, STRUCTURE = "XE001", "XE002", "XE003", "XE004", "XE005", "XE006"


@dataclass
class X12Problem:
    code: str
    row: int  # the service line it concerns, 0 when none
    field: str  # the segment or element at fault (SE01, CLM05, HL)
    value: str  # that element only, never a whole name or address segment
    reason: str
    claim_id: str = ""
    line_number: str = ""
    location: str = ""  # ISA 000000905, GS 1, ST 0001, segment 23 (what a 999 or 277CA quotes)
    line_in_file: int = 0  # the segment's line of the file (0: unknown)
    offset: int = -1  # and its first byte (-1: unknown)
    represents: int = 1  # this problem and the repeats of its cause folded into it (X12Reader.max_repeats)
    unlisted_claims: set[str] = default_field(default_factory=set)  # the claims of those folded repeats


class LinePlaces:
    """Where each service line is, by its ordinal: its transaction (an index of the reader's
    labels), its LX's segment in the transaction (0: outside any), and the LX's line of the file
    (0: unknown) and first byte (-1: unknown). The text is made only for the lines that get a
    finding.

    12 bytes a line: the segment, and the line and byte as distances (4 bytes each) from the base
    of the line's run. A run is lines one after another of one transaction whose distances fit
    (a new one starts where a transaction does, or past 4 GB): the transaction and the bases are
    kept per run, not per line. Half of what four numbers a line took, in every process that
    reads and in what a worker hands back (6 MB of a 1M-line file's half)."""

    def __init__(self) -> None:
        self.segment = array("i")
        self.line = array(_U32)  # from the run's base line; _UNKNOWN for line 0
        self.offset = array(_U32)  # from the run's base byte; _UNKNOWN for byte -1
        self.run_first = array("q")  # each run's first line (its ordinal - 1)
        self.run_transaction = array("i")
        self.run_line = array("q")
        self.run_offset = array("q")

    def __len__(self) -> int:
        return len(self.segment)

    def _fits(self, transaction: int, line: int, offset: int) -> bool:
        """Can a line at this place join the current run (same transaction, distances that fit)?"""
        return (
            bool(self.run_first)
            and self.run_transaction[-1] == transaction
            and (line == 0 or 0 <= line - self.run_line[-1] < _UNKNOWN)
            and (offset == -1 or 0 <= offset - self.run_offset[-1] < _UNKNOWN)
        )

    def _new_run(self, transaction: int, line: int, offset: int) -> None:
        self.run_first.append(len(self.segment))
        self.run_transaction.append(transaction)
        self.run_line.append(max(line, 0))
        self.run_offset.append(max(offset, 0))

    def add(self, transaction: int, segment: int, line: int, offset: int) -> None:
        if not self._fits(transaction, line, offset):
            self._new_run(transaction, line, offset)
        self.segment.append(segment)
        self.line.append(line - self.run_line[-1] if line else _UNKNOWN)
        self.offset.append(offset - self.run_offset[-1] if offset != -1 else _UNKNOWN)

    def extend(self, transaction: int, segment: np.ndarray, line: np.ndarray, offset: np.ndarray) -> None:
        """The lines of a body mapped as columns, all of one transaction."""
        if not len(segment):
            return
        line, offset = line.astype(np.int64), offset.astype(np.int64)
        known_line, known_offset = line > 0, offset >= 0
        if not (self.run_first and self.run_transaction[-1] == transaction):
            self._new_run(transaction, int(line[known_line].min(initial=0)), int(offset[known_offset].min(initial=0)))
        line_from, offset_from = line - self.run_line[-1], offset - self.run_offset[-1]
        outside = (known_line & ((line_from < 0) | (line_from >= _UNKNOWN))) | (
            known_offset & ((offset_from < 0) | (offset_from >= _UNKNOWN))
        )
        if outside.any():
            for values in zip(segment.tolist(), line.tolist(), offset.tolist(), strict=True):
                self.add(transaction, *values)  # past a run's 4 GB (or before its base): new runs as needed
            return
        self.segment.extend(array("i", segment.astype(np.int32).tobytes()))
        self.line.extend(array(_U32, np.where(known_line, line_from, _UNKNOWN).astype(np.uint32).tobytes()))
        self.offset.extend(array(_U32, np.where(known_offset, offset_from, _UNKNOWN).astype(np.uint32).tobytes()))

    def at(self, index: int) -> tuple[int, int, int, int]:
        """(transaction, segment, line, byte) of line `index` (its ordinal - 1)."""
        run = bisect.bisect_right(self.run_first, index) - 1
        line, offset = self.line[index], self.offset[index]
        return (
            self.run_transaction[run],
            self.segment[index],
            0 if line == _UNKNOWN else self.run_line[run] + line,
            -1 if offset == _UNKNOWN else self.run_offset[run] + offset,
        )


@dataclass
class LineLocator:
    """Where service line `row` of a file is, as a finding says it: its transaction's control
    numbers and its LX segment, and the LX's line (or byte) of the file. Plain data, so a worker
    process that read the file can hand it back (`--jobs`, Dask)."""

    places: LinePlaces
    tx_labels: list[str]
    isa_control: str

    @classmethod
    def joined(cls, parts: list[LineLocator]) -> JoinedLocator:
        """The locator of a file read in parts (ingest/x12_parts.py): their lines one after the
        other, each part's transactions after those of the parts before it."""
        return JoinedLocator(parts)

    def __call__(self, row: int, isa_control: str | None = None) -> str:
        places = self.places
        if not 0 < row <= len(places):
            return ""
        transaction, segment, line, offset = places.at(row - 1)
        at = in_file(line, offset)
        if not segment:
            shown = isa_control if isa_control is not None else self.isa_control
            return f"ISA {shown}, outside any transaction" + at
        return f"{self.tx_labels[transaction]}, segment {segment}" + at


class JoinedLocator:
    """The parts' locators behind one: a row is found in its part, whose own transaction labels
    name it (12 bytes a line are not copied into one locator: 12 MB at the end of a 1M-line file)."""

    def __init__(self, parts: list[LineLocator]) -> None:
        self.parts = parts
        self.starts = list(itertools.accumulate((len(part.places) for part in parts), initial=0))
        self.isa_control = parts[-1].isa_control  # the last ISA read, as one reader ends with

    def __call__(self, row: int) -> str:
        index = bisect.bisect_left(self.starts, row) - 1
        if not 0 <= index < len(self.parts):
            return ""
        return self.parts[index](row - self.starts[index], self.isa_control)


def in_file(line: int, offset: int) -> str:
    """Where a segment is in the file: ', line N of the file' past the first line (the form
    finding_records.editor_line reads), else ', byte N of the file' (from 0, of the decompressed
    text of a .gz): a file written as one long line has only bytes to tell. '' at the very start,
    where a finding points anyway."""
    if line > 1:
        return f", line {line} of the file"
    return f", byte {offset} of the file" if offset > 0 else ""


@dataclass
class Separators:
    element: str
    component: str
    repetition: str | None
    terminator: str


def is_x12(path: str) -> bool:
    """Sniff the content (never the name): a .csv that holds X12 reads as X12, and the reverse."""
    try:
        source = ByteSource(path, text=False)
        with source.raw() as fh:
            head = fh.read(4096)
    except (UsageError, OSError, EOFError, zlib.error):
        return False  # the CSV reader says what is wrong with it
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and looks_like_x12(head[2:].replace(b"\x00", b"")):
        raise UsageError("an X12 file in UTF-16: X12 is ASCII text; convert it (iconv -f UTF-16 -t ASCII)", file=path)
    if looks_like_x12(head):
        return True
    segment = X12_WITHOUT_ISA.match(head.removeprefix(BOM).lstrip(b" \t\r\n"))
    if segment:  # an envelope segment at the start, and segments after it: X12 that lost its ISA
        raise UsageError(
            f"looks like X12 but starts with {segment.group(1).decode()}, not ISA: an interchange must begin "
            "with its ISA segment (it carries the separators); send the whole file",
            file=path,
            line=1,
        )
    return False


X12_WITHOUT_ISA = re.compile(rb"(GS|ST|BHT)([*|^~!+])[A-Z0-9]{2,3}\2.*?[~\n]\s*[A-Z][A-Z0-9]{1,2}\2", re.DOTALL)


def looks_like_x12(head: bytes) -> bool:
    """After an optional byte-order mark and whitespace: 'ISA' and a non-alphanumeric character."""
    text = head[len(BOM) :] if head.startswith(BOM) else head
    text = text.lstrip(b" \t\r\n")
    return len(text) >= 4 and text[:3] == b"ISA" and not chr(text[3]).isalnum()


def read_isa(text: str, display: str) -> tuple[Separators, int, list[str]]:
    """(separators, offset after the ISA's terminator, warnings) from the start of the file.

    The element separator is the byte after 'ISA'; ISA16 (the component separator) follows the
    16th element separator, and the segment terminator follows ISA16. So an ISA that is not
    fixed-width still reads (it is reported).
    """
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if text[start : start + 3] != "ISA":
        raise UsageError("not an X12 interchange: no ISA segment at the start", file=display, line=1)
    element = text[start + 3]
    position, found = start + 3, 0
    while found < 16:
        position = text.find(element, position + 1) if found else position
        if position < 0:
            raise UsageError(f"the ISA has {found} of its 16 elements: not a readable interchange", file=display)
        found += 1
    if position + 2 >= len(text):
        raise UsageError("the ISA ends before its component separator and segment terminator", file=display)
    component, terminator = text[position + 1], text[position + 2]
    fields = text[start:position].split(element)
    version = fields[12] if len(fields) > 12 else ""
    warnings = []
    repetition = fields[11] if len(fields) > 11 else ""
    chosen = {element, component, terminator}
    if len(chosen) < 3 or any(c.isalnum() for c in chosen):
        raise UsageError(
            f"the ISA's separators are not distinct non-alphanumeric characters "
            f"(element {element!r}, component {component!r}, terminator {terminator!r})",
            file=display,
        )
    if version == "00501" and len(repetition) == 1 and not repetition.isalnum() and repetition not in chosen:
        rep: str | None = repetition
    else:
        rep = None
        if version == "00501":
            warnings.append(
                f"ISA11 {repetition!r} is not a repetition separator distinct from the others: read as none"
            )
        elif len(repetition) == 1 and not repetition.isalnum():
            warnings.append(f"ISA11 {repetition!r} is a repetition separator, which version {version} does not allow")
    if position + 3 - start != 106:
        warnings.append(f"the ISA is {position + 3 - start} characters, not the fixed 106: read by its separators")
    return Separators(element, component, rep, terminator), position + 3, warnings


def get(e: list[str], i: int) -> str:
    return e[i].strip() if i < len(e) else ""


def at(parts: list[str], i: int) -> str:
    return parts[i].strip() if i < len(parts) else ""


def adopted(kind: str) -> str:
    return next(v for v, k in SUPPORTED.items() if k == kind)


# The segments the claim mapping reads: a repetition separator in one of them splits a value.
REPETITION_CHECKED = frozenset({"CLM", "SV1", "SV2", "HI", "LIN", "CTP", "REF", "DTP", "NM1", "HL", "LX", "PWK", "DMG"})
ENVELOPE_SEGMENTS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA", "TA1"})
