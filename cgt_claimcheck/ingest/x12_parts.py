"""Stage: one large X12 837 file in parts: byte ranges that processes read side by side
(engine/parallel_reads.py). X12 reading is numpy over small arrays, so two processes read at
twice the speed of one, where a CSV's parse already uses every core.

Two ways to cut, by what the file holds:
- a batch of interchanges that all declare the same separators is cut before an ISA: each part
  is whole interchanges, and reads its first ISA as the whole-file reader reads a later one;
- one interchange of one functional group is cut before ST segments: each part after the first
  reads the file's own ISA and GS first (its `prologue`: the envelope its transactions are in;
  what those would report is the first part's to say), then its transactions.
A part counts the segments (and ST segments) before its start itself, so locations ('segment N
of the file', line and byte) and the GE01 count are the whole file's; its service lines are
numbered from 1 and renumbered when the parts merge (engine/file_parts.py). A part that meets
what it cannot share (another ISA or GS inside one interchange, a GE or IEA before the last
part, a transaction or interchange still open at its end, no 837 transaction) says so, and the
file is read whole.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.byte_ranges import ByteRange, line_breaks_before
from cgt_claimcheck.ingest.x12_syntax import BOM, looks_like_x12, read_isa

if TYPE_CHECKING:
    from cgt_claimcheck.ingest.source import ByteSource
    from cgt_claimcheck.ingest.x12_stream import ReadCount
    from cgt_claimcheck.ingest.x12_syntax import Separators

SEARCH_BYTES = 1 << 20  # bytes searched at a time for the next ST


def may_be_cut(path: str, min_part_bytes: int) -> bool:
    """Whether a file is X12, not compressed and large enough for two parts of `min_part_bytes`:
    what `split_x12` asks first (reading it may still show it cannot be cut)."""
    try:
        if os.path.getsize(path) < 2 * max(min_part_bytes, 1):
            return False
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return not head.startswith(b"\x1f\x8b") and looks_like_x12(head)


def split_x12(path: str, parts: int, min_part_bytes: int) -> list[ByteRange] | None:
    """Up to `parts` ranges of at least `min_part_bytes`, each starting with an ISA (several
    interchanges) or an ST (one), the first with the file; None when the file is not one to cut."""
    try:
        size = os.path.getsize(path)
        parts = min(parts, size // max(min_part_bytes, 1))
        if parts < 2:
            return None
        with open(path, "rb") as fh:
            head = fh.read(SEARCH_BYTES)
            if head.startswith(b"\x1f\x8b"):
                return None
            seps, isa_end = first_isa(head, path)
            term, element = seps.terminator.encode("latin-1"), seps.element.encode("latin-1")
            if seps.terminator in "\r\n" or not head[isa_end:].lstrip(b" \t\r\n").startswith(b"GS" + element):
                return None
            prologue = head.find(term, isa_end) + 1  # the ISA and the GS, with what leads them
            if prologue <= 0:
                return None
            later = _later_interchanges(path, seps, isa_end)
            if later is None:
                return None  # interchanges with separators of their own: read whole
            if later:  # whole interchanges a part: each starts with its own ISA, no prologue
                starts, prologue = later, 0
            next_st = re.compile(re.escape(term) + rb"[ \t\r\n]*(ST" + re.escape(element) + b")")
            cuts: list[int] = []
            for k in range(1, parts):
                target = max(size * k // parts, isa_end)
                if later:
                    found = next((at for at in starts if at >= target), None)
                else:
                    found = _next_segment(fh, next_st, target, size)
                if found is not None and found > max(cuts, default=isa_end) and size - found >= min_part_bytes:
                    cuts.append(found)
    except (UsageError, OSError, UnicodeError):
        return None  # the whole-file reader says what is wrong with it
    if not cuts or cuts[0] < min_part_bytes:
        return None
    bounds = [0, *cuts, size]
    return [ByteRange(a, b, i, len(bounds) - 1, 0, prologue) for i, (a, b) in enumerate(itertools.pairwise(bounds))]


def first_isa(head: bytes, path: str) -> tuple[Separators, int]:
    """The separators of the file's first ISA and the offset after its terminator (a byte-order
    mark before it counted); UsageError where there is none to read."""
    seps, end, _ = read_isa(head.removeprefix(BOM).decode("latin-1"), path)
    return seps, end + (len(BOM) if head.startswith(BOM) else 0)


def _later_interchanges(path: str, seps: Separators, after: int) -> list[int] | None:
    """Where the interchanges after the first start (an ISA with a terminator before it); None
    when one declares other separators or cannot be read (the reader splits the rest of the file
    again there: a part could not know)."""
    import mmap

    term = seps.terminator.encode("latin-1")
    starts = []
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        found = mapped.find(b"ISA", after)
        while found >= 0:
            before = found - 1
            while before >= after and mapped[before] in b" \t\r\n":
                before -= 1
            separator = mapped[found + 3 : found + 4]
            if before >= 0 and mapped[before] == term[0] and separator and not separator.isalnum():
                try:
                    declared, _, _ = read_isa(mapped[found : found + SEARCH_BYTES // 256].decode("latin-1"), path)
                except UsageError:
                    return None
                if (declared.element, declared.component, declared.terminator) != (
                    seps.element,
                    seps.component,
                    seps.terminator,
                ):
                    return None
                starts.append(found)
            found = mapped.find(b"ISA", found + 3)
    return starts


def _next_segment(fh: object, pattern: re.Pattern[bytes], at: int, size: int) -> int | None:
    """The offset of the first segment `pattern` finds (its group 1) after `at`."""
    position = at
    while position < size:
        fh.seek(position)  # type: ignore[attr-defined]
        window = fh.read(SEARCH_BYTES + 64)  # type: ignore[attr-defined]
        found = pattern.search(window)
        if found:
            return position + found.start(1)
        position += SEARCH_BYTES
    return None


def counts_before(path: str, start: int, terminator: str, element: str) -> tuple[int, int]:
    """(segments, ST segments) in the file before `start`, as the reader counts them: a part's
    own count, in its own process. A segment is what a terminator ends. An ST is a segment whose
    ID is ST once its line breaks are dropped (a file wrapped at 80 characters breaks segments
    anywhere) and its blanks stripped: 'ST' and the separator, or 'ST' alone."""
    import mmap

    term = terminator.encode("latin-1")
    st = re.compile(b"ST(?:" + re.escape(element.encode("latin-1")) + rb"|[ \t]*" + re.escape(term) + b")")
    keep = 256  # bytes carried into the next block: a match there is counted there, whole
    segments = transactions = 0
    carry = b""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        for at in range(0, start, SEARCH_BYTES * 32):
            raw = mapped[at : min(at + SEARCH_BYTES * 32, start)]
            segments += raw.count(term)
            text = carry + raw.replace(b"\r", b"").replace(b"\n", b"")
            last = at + len(raw) >= start
            stop = len(text) if last else max(len(text) - keep, 0)
            for found in st.finditer(text, 0, stop):
                before = found.start() - 1
                while before >= 0 and text[before] in b" \t":
                    before -= 1
                transactions += before >= 0 and text[before] == term[0]
            carry = text[stop:]
    return segments, transactions


def envelope_inside(path: str, part: ByteRange) -> bool:
    """Does the part hold an envelope segment the parts cannot share: an ISA or GS after the
    file's first ones, a GE or IEA before the last part? A search for the segment IDs, each
    checked for the terminator before it (0.1 s for 144 MB); the reader would find the same,
    after reading the part for nothing."""
    import mmap

    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        try:
            seps, _ = first_isa(mapped[:SEARCH_BYTES], path)
        except UsageError:
            return True
        term, element = seps.terminator.encode("latin-1"), seps.element.encode("latin-1")
        start = part.prologue if part.first else part.start
        names = (b"ISA", b"GS") if part.last else (b"ISA", b"GS", b"GE", b"IEA")
        for name in names:
            found = mapped.find(name + element, start, part.end)
            while found >= 0:
                before = found - 1
                while before >= start and mapped[before] in b" \t\r\n":
                    before -= 1
                if before >= 0 and mapped[before] == term[0]:
                    return True
                found = mapped.find(name + element, found + 1, part.end)
    return False


class PartReading:
    """The part mode of X12Reader: which bytes it reads, what of them it reports, and whether the
    file is one the parts can read. The reader owns the state below and sets it up."""

    path: str
    source: ByteSource
    seps: Separators
    read_count: ReadCount
    segments_read: int
    group_transactions: int
    part: ByteRange | None
    in_prologue: bool  # reading another part's ISA and GS: what they say is the first part's
    layout_moved: bool  # another group or interchange: the file must be read whole
    envelopes_opened: int
    tx: object | None
    group_control: str
    interchange_open: bool

    def _file_blocks(self, size: int) -> Iterator[bytes]:
        """The blocks this reader reads: the file, or the part's prologue and then its bytes, the
        counts of what was read set to where the part starts in the file."""
        part = self.part
        if part is not None and part.prologue and envelope_inside(self.path, part):
            self.layout_moved = True  # found before reading: the whole read comes at once
            return
        if part is None or part.first:
            yield from self.source.blocks(size, 0, part.end if part is not None else None)
            return
        if part.prologue:
            yield from self.source.blocks(size, 0, part.prologue)
        else:  # whole interchanges, each with its ISA: only the segments before them to count
            with open(self.path, "rb") as fh:
                seps, _ = first_isa(fh.read(SEARCH_BYTES), self.path)
            self.segments_read = counts_before(self.path, part.start, seps.terminator, seps.element)[0]
        self.read_count.chars, self.read_count.newlines = part.start, line_breaks_before(self.path, part.start)
        yield from self.source.blocks(size, part.start, part.end)

    def _prologue_read(self) -> None:
        """After the prologue's GS: the segments and transactions before the part, as if read."""
        assert self.part is not None
        self.segments_read, self.group_transactions = counts_before(
            self.path, self.part.start, self.seps.terminator, self.seps.element
        )
        self.in_prologue = False

    def _starts_mid_file(self) -> bool:
        """A part of whole interchanges after the first: its first ISA is read as the whole-file
        reader reads a later one (line breaks dropped, no warnings: those are said once, for the
        file's first ISA)."""
        return self.part is not None and not self.part.first and not self.part.prologue

    def _end_of_part(self) -> None:
        """The end of what this reader reads: the file's end (what is open is unterminated), or a
        part's. A part must end with its last transaction closed (and, for a part of whole
        interchanges, its last interchange): what the next part starts with would close it and
        say so (a transaction without its SE); then the file is read whole."""
        part = self.part
        if part is None or part.last:
            self._finish()
        elif self.tx is not None or (not part.prologue and (self.group_control or self.interchange_open)):
            self.layout_moved = True

    def _finish(self) -> None:
        raise NotImplementedError  # X12Reader closes what is open at the end of the file

    def _envelope(self, opens: bool) -> None:
        """An ISA or GS (opens) or a GE or IEA: more than one of each, or a trailer before the last
        part, is an envelope the parts cannot share."""
        if self.part is None or not self.part.prologue:  # whole interchanges a part share nothing
            return
        self.envelopes_opened += opens
        if self.envelopes_opened > 2 or not (opens or self.part.last):
            self.layout_moved = True
