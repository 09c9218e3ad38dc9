"""The X12 segment stream: blocks of the file to segments, each interchange by its own separators.

The file is read in large blocks cut on the segment terminator. Each interchange declares its
separators in its ISA; where a later interchange of the file declares others (or has an ISA that
cannot be read), the rest of the file is split again from that ISA, and no service line is lost:
the lines of an unreadable interchange are counted and rejected.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.reader import InvalidRow
from cgt_claimcheck.ingest.source import ByteSource
from cgt_claimcheck.ingest.x12_syntax import BLOCK_BYTES, BOM, ENVELOPE, FORMAT, LinePlaces, Separators, read_isa

HEAD_CHARS = 4096  # enough text to read an ISA (106 characters) and its terminator
FLUSH = 3  # a flag with no segment: the reader reads what it holds before the stream goes on


def _at_least(data: str, blocks: Iterator[str]) -> str:
    """`data` extended by whole blocks until it holds HEAD_CHARS characters or the file ends."""
    while len(data) < HEAD_CHARS:
        block = next(blocks, "")
        if not block:
            break
        data += block
    return data


_NEXT_ISA = re.compile(r"[^A-Za-z0-9]ISA[^A-Za-z0-9\s]")


def _starts_isa(text: str) -> bool:
    """Does this text start (after whitespace) with an ISA segment: 'ISA' and a separator?"""
    start = len(text) - len(text.lstrip(" \t\r\n"))
    return text.startswith("ISA", start) and len(text) > start + 3 and not text[start + 3].isalnum()


def _isa_starts(text: str, stop: int, terminator: str) -> Iterator[int]:
    """Where a segment that may be an ISA starts, before `stop`: 'ISA' after a terminator (or the
    start), whitespace allowed between (str.find, not a regular expression: this scans every block)."""
    space = " \t\r\n".replace(terminator, "")  # a line break may be the terminator itself
    found = text.find("ISA", 0, stop)
    while found >= 0:
        start = found
        while start and text[start - 1] in space:
            start -= 1
        if start == 0 or text[start - 1] == terminator:
            yield start
        found = text.find("ISA", found + 3, stop)


@dataclass
class WholeSegments:
    """Whole segments for the vectorised mapping (UTF-8, no line breaks unless one is the
    terminator), and where each starts in the file: its first byte past what strips off it."""

    data: bytes
    offsets: np.ndarray
    lines: np.ndarray  # each segment's line of the file (its first byte's)


def _first_chars(codes: np.ndarray, terminator: str) -> np.ndarray:
    """Where each terminated segment of the text (its bytes, `codes`) starts, past the whitespace a
    segment is stripped of (its terminator, where it is empty)."""
    ends = np.flatnonzero(codes == ord(terminator))
    first = np.concatenate(([0], ends[:-1] + 1)) if len(ends) else ends
    lead = np.zeros(256, dtype=bool)
    lead[[ord(c) for c in " \t\r\n" if c != terminator]] = True
    # A step at a time past a line break or indentation, for the segments that still have one:
    # a run is a character or two (CR LF) in most files.
    moving = np.flatnonzero(lead[codes[first]]) if len(first) else first
    while len(moving):
        first[moving] += 1
        moving = moving[lead[codes[first[moving]]]]
    return first


def breaks_before(breaks: np.ndarray, first: np.ndarray) -> np.ndarray:
    """How many of `breaks` come before each of `first` (both sorted): np.searchsorted(breaks,
    first), without the search where each segment has a line of its own (the usual file: one
    break between a segment's first byte and the next one's)."""
    count = len(first)
    if count:
        before = int(np.searchsorted(breaks, first[0]))
        between = breaks[before : before + count - 1]
        if (
            len(between) == count - 1
            and bool((between >= first[:-1]).all() and (between < first[1:]).all())
            and (before + count - 1 == len(breaks) or breaks[before + count - 1] >= first[-1])
        ):
            return before + np.arange(count)
    return np.searchsorted(breaks, first)


def _lead(text: str) -> int:
    return len(text) - len(text.lstrip(" \t\r\n"))


class ReadCount:
    """The blocks of the file as text, counting what has been read: characters and line breaks.
    Text the stream holds always ends where reading is, so these place it in the file."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self.blocks = blocks
        self.chars = self.newlines = 0
        self.last_newlines = 0  # in the last text given

    def __iter__(self) -> Iterator[str]:
        for block in self.blocks:
            text = block.decode("latin-1")
            self.chars += len(text)
            self.last_newlines = text.count("\n")
            self.newlines += self.last_newlines
            yield text

    def start_of(self, text: str, newlines: int) -> tuple[int, int]:
        """place(text, 0), given the line breaks `text` holds (counted as it was read)."""
        return self.chars - len(text), 1 + self.newlines - newlines

    def place(self, text: str, index: int) -> tuple[int, int]:
        """(byte from 0, line from 1) of text[index], `text` being the last text read."""
        return self.chars - len(text) + index, 1 + self.newlines - text.count("\n", index)


class SegmentStream:
    """The segment stream of X12Reader. The reader owns the state below and sets it up."""

    source: ByteSource
    display: str
    seps: Separators
    isa_control: str
    ordinal: int
    invalid: list[InvalidRow]
    places: LinePlaces
    per_segment: bool  # map every segment one at a time (the reference the vectorised mapping is tested on)
    mapped_by_segment: Counter[str]  # what was mapped one segment at a time, and why
    read_count: ReadCount
    segment_offset: int  # where the segment being read starts in the file: its byte (-1: unknown)
    segment_line: int  # and its line (0: unknown)

    def _problem(self, code: str, row: int, field_: str, value: str, reason: str) -> None:
        raise NotImplementedError  # X12Reader reports problems

    def _file_blocks(self, size: int) -> Iterator[bytes]:
        raise NotImplementedError  # X12Reader reads the file or a part of it (ingest/x12_parts.py)

    def _starts_mid_file(self) -> bool:
        raise NotImplementedError  # whether the first ISA read is a later one of the file (a part's)

    # --- the segment stream --------------------------------------------------------------------
    def _segments(self) -> Iterator[tuple[str | WholeSegments, int]]:
        """(segment text, 0 for an ISA / 1 / -1 for an unterminated tail; or whole segments, 2; or
        FLUSH before a later interchange): CR/LF dropped unless a terminator.

        Each interchange declares its own separators in its ISA: where a later interchange of the
        file declares others, the rest of the file is split again by them.
        """
        self.read_count = ReadCount(self._file_blocks(BLOCK_BYTES))
        blocks = iter(self.read_count)
        data: str | None = _at_least("", blocks)
        if data and data.startswith(BOM.decode("latin-1")):
            self._problem(FORMAT, 0, "(file)", "BOM", "the file starts with a byte-order mark before the ISA")
            data = data[len(BOM) :]
        first = True
        while data is not None:
            if not first:
                yield "", FLUSH  # what the reader holds of the last interchange is read before this one
            self.segment_offset, self.segment_line = self.read_count.place(data, _lead(data))
            try:
                self.seps, end, warnings = read_isa(data, self.display)
            except UsageError as exc:
                if first:
                    raise
                reason = str(exc).removeprefix(f"{self.display}: ")
                self._problem(ENVELOPE, 0, "ISA", "", f"a later interchange cannot be read: {reason}")
                data = self._skip_unreadable(data, blocks)
                continue
            if first:
                isa = data[:end].strip(" \t\r\n").rstrip(self.seps.terminator).split(self.seps.element)
                self.isa_control = isa[13] if len(isa) > 13 else ""
            segment = data[: end - 1].strip(" \t\r\n")
            if first and self._starts_mid_file():  # a later interchange of the file: read as one
                warnings, segment = [], segment.replace("\r", "").replace("\n", "")
            for warning in warnings:
                self._problem(FORMAT, 0, "ISA", "", warning)
            yield segment, 0
            first = False
            data = yield from self._split(data[end:], blocks)

    def _split(self, data: str, blocks: Iterator[str]) -> Generator[tuple[str | WholeSegments, int], None, str | None]:
        """The segments of `data` and the blocks after it; returns the text from the next ISA that
        declares other separators (None at the end of the file).

        Where the separators are ASCII, whole segments come as blocks of UTF-8 bytes (flag 2, line
        breaks removed) for the vectorised mapping; an ISA inside a block comes on its own.
        """
        seps = self.seps
        terminator = seps.terminator
        strip_breaks = terminator not in "\r\n"
        by_block = not self.per_segment and all(ord(c) < 128 for c in (seps.element, seps.component, terminator))
        if not by_block and not self.per_segment:
            self.mapped_by_segment["an interchange whose separators are not ASCII"] += 1
        pending: list[str] = []  # a segment longer than a block, in pieces (joined once, not per block)
        for number, chunk in enumerate(itertools.chain([data], blocks)):
            if terminator not in chunk:
                pending.append(chunk)
                if _starts_isa(pending[0]) and sum(map(len, pending)) >= HEAD_CHARS:
                    return _at_least("".join(pending), blocks)  # an interchange with another terminator
                continue
            text = "".join(pending) + chunk if pending else chunk
            # Where `text` starts in the file: a block read was counted as it was read.
            counted = self.read_count.last_newlines if number else chunk.count("\n")
            counted += sum(piece.count("\n") for piece in pending)
            base, first_line = self.read_count.start_of(text, counted)
            if by_block:
                cut = text.rfind(terminator) + 1
                pending = [text[cut:]]
                position = 0
                for start in _isa_starts(text, cut, terminator):
                    end = text.index(terminator, start)
                    part = text[start:end]
                    if strip_breaks:
                        part = part.replace("\r", "").replace("\n", "")
                    if not _starts_isa(part):
                        continue
                    if not self._declares(part + terminator):
                        if start > position:
                            yield self._block(text, (base, first_line), position, start, strip_breaks), 2
                        return _at_least(text[start:], blocks)
                    if start > position:
                        yield self._block(text, (base, first_line), position, start, strip_breaks), 2
                    self.segment_offset, self.segment_line = self.read_count.place(text, start + _lead(text[start:end]))
                    yield part, 1
                    position = end + 1
                if cut > position:
                    yield self._block(text, (base, first_line), position, cut, strip_breaks), 2
                continue
            parts = text.split(terminator)
            pending = [parts.pop()]
            position, line = 0, first_line
            for index, part in enumerate(parts):
                lead = _lead(part)
                self.segment_offset, self.segment_line = base + position + lead, line + part.count("\n", 0, lead)
                position += len(part) + 1
                line += part.count("\n") + (terminator == "\n")
                if strip_breaks and ("\n" in part or "\r" in part):
                    part = part.replace("\r", "").replace("\n", "")
                if _starts_isa(part) and not self._declares(part + terminator):
                    rest = terminator.join(parts[index:]) + terminator + pending[0]
                    return _at_least(rest, blocks)
                yield part, 1
        leftover = "".join(pending)
        if _starts_isa(leftover):
            return leftover  # the last interchange has another terminator: read it by its own
        place = self.read_count.place(leftover, _lead(leftover))
        if strip_breaks:
            leftover = leftover.replace("\r", "").replace("\n", "")
        if leftover.strip(" \t\r\n\x00\x1a"):
            self.segment_offset, self.segment_line = place
            yield leftover, -1  # the file ends inside this segment
        return None

    def _block(self, text: str, place: tuple[int, int], start: int, stop: int, strip_breaks: bool) -> WholeSegments:
        """text[start:stop], whole segments, as the vectorised mapping reads them: no line breaks
        (unless one is the terminator; SegmentBlock strips what leads a segment), with where each
        segment starts in the file: its byte and its line."""
        raw = text[start:stop].encode("latin-1")  # the file's bytes: the text was decoded as Latin-1
        codes = np.frombuffer(raw, dtype=np.uint8)
        first = _first_chars(codes, self.seps.terminator)
        base, line = place[0] + start, place[1] + text.count("\n", 0, start)  # `place`: where `text` starts
        breaks = np.flatnonzero(codes == 10)
        lines = line + breaks_before(breaks, first)
        if strip_breaks:
            raw = raw.translate(None, b"\r\n")
        # Latin-1 is UTF-8 where it is ASCII (most files): only a block with another byte is re-encoded.
        return WholeSegments(raw if raw.isascii() else raw.decode("latin-1").encode("utf-8"), base + first, lines)

    def _declares(self, isa: str) -> bool:
        """Does this ISA segment (with its terminator) declare the separators in use?"""
        try:
            found, _, _ = read_isa(isa, self.display)
        except UsageError:
            return False  # unreadable: read from it again, which reports it
        seps = self.seps
        return (found.element, found.component, found.terminator) == (seps.element, seps.component, seps.terminator)

    def _skip_unreadable(self, data: str, blocks: Iterator[str]) -> str | None:
        """After an ISA that cannot be read: its service lines are counted and rejected (never lost),
        and reading resumes at the next ISA (None: none follows)."""
        # Any separator: the lines' own separators are unknown.
        service_line = re.compile(r"(?:^|[^A-Za-z0-9])LX[^A-Za-z0-9\s]")
        count, carry, resumed = 0, "", None
        for chunk in itertools.chain([data[3:]], blocks):  # a block at a time: the tail may be large
            text = carry + chunk
            found = _NEXT_ISA.search(text)
            if found:
                count += len(service_line.findall(text[: found.start() + 1]))
                resumed = _at_least(text[found.start() + 1 :], blocks)
                break
            cut = max(len(text) - 4, 0)
            count += len(service_line.findall(text[:cut]))
            carry = text[cut:]
        else:
            count += len(service_line.findall(carry))
        reason = "its interchange's ISA cannot be read, so its separators are unknown"
        for _ in range(count):
            self.ordinal += 1
            self.places.add(0, 0, 0, -1)
            self.invalid.append(InvalidRow(self.ordinal, reason, ""))
        return resumed
