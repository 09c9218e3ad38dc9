"""Stage: one large extract in parts. A plain UTF-8 CSV file is cut at line breaks into byte
ranges that processes read side by side (`check --jobs N`, engine/parallel_reads.py).

A part starts and ends where the whole-file reader's chunks do (the last line break before a
multiple of reader.CHUNK_BYTES), so each part parses exactly the chunks the whole file would, and
its rows keep their numbers: a part counts the line breaks before its start itself, in its own
process. Only files that are bytes on disk as the parser sees them are cut: not gzip, not
transcoded, not X12, not Parquet. A CR-only line end changes what a line is; a part that meets
one in its bytes says so (ingest/source.py), and the file is then read whole.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.source import SNIFF_BYTES, STDIN, ByteSource

SCAN_BYTES = 1 << 20  # bytes read at a time to find a line break or to count them


@dataclass(frozen=True)
class ByteRange:
    """Part `index` of `count` of one file: bytes [start, end), whole lines, read in chunks of
    `chunk_bytes` as the whole file would be."""

    start: int
    end: int
    index: int
    count: int
    chunk_bytes: int
    # An X12 part cut before an ST: the file's first bytes it reads first, its ISA and GS; 0 for
    # a part of whole interchanges, each with its own ISA (ingest/x12_parts.py).
    prologue: int = 0

    @property
    def first(self) -> bool:
        return self.index == 0

    @property
    def last(self) -> bool:
        return self.index == self.count - 1


def split(path: str, parts: int, encoding: str, chunk_bytes: int) -> list[ByteRange] | None:
    """`parts` ranges of about equal size, or None when the file is not one to cut (too small
    for two chunks, compressed, not UTF-8, X12, Parquet, CR-only line ends at its start)."""
    from cgt_claimcheck.ingest.x12_syntax import is_x12

    if parts < 2 or path == STDIN or path.lower().endswith((".parquet", ".parq", ".pq")):
        return None
    try:
        size = os.path.getsize(path)
        if size < 2 * chunk_bytes:
            return None
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        if head.startswith(b"\x1f\x8b") or ByteSource(path, encoding).transcode:
            return None
        if _has_bare_cr(head) or is_x12(path):
            return None
        header_end = head.find(b"\n")
        if header_end < 0:
            return None
        cuts: list[int] = []
        with open(path, "rb") as fh:
            for k in range(1, parts):
                multiple = round(size * k / parts / chunk_bytes) * chunk_bytes
                cut = _last_break_before(fh, multiple, chunk_bytes)
                if cut is not None and cut > header_end and cut + 1 < size and (not cuts or cut + 1 > cuts[-1]):
                    cuts.append(cut + 1)
    except (UsageError, OSError):
        return None  # the whole-file reader says what is wrong with it
    if not cuts:
        return None
    bounds = [0, *cuts, size]
    return [ByteRange(a, b, i, len(bounds) - 1, chunk_bytes) for i, (a, b) in enumerate(itertools.pairwise(bounds))]


def rows_before(path: str, start: int) -> int:
    """The data rows before `start`: the line breaks before the part, less the header's. Counted
    by the part's own process (the parts before it check their own line ends)."""
    return max(line_breaks_before(path, start) - 1, 0)


def line_breaks_before(path: str, start: int) -> int:
    """The LF bytes of the file before `start` (numpy over a memory map, a block at a time)."""
    import mmap

    import numpy as np

    breaks = 0
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        data = np.frombuffer(mapped, dtype=np.uint8, count=start)
        for at in range(0, start, SCAN_BYTES * 32):
            breaks += int(np.count_nonzero(data[at : at + SCAN_BYTES * 32] == 0x0A))
        del data  # the map closes only when no array views it
    return breaks


def _last_break_before(fh: object, multiple: int, chunk_bytes: int) -> int | None:
    """The offset of the last LF before `multiple`, searched back no further than one chunk (a
    chunk with no line break at all is joined to the next one by the reader: no cut there)."""
    floor = max(multiple - chunk_bytes, 0)
    end = multiple
    while end > floor:
        begin = max(end - SCAN_BYTES, floor)
        fh.seek(begin)  # type: ignore[attr-defined]
        block = fh.read(end - begin)  # type: ignore[attr-defined]
        found = block.rfind(b"\n")
        if found >= 0:
            return begin + found
        end = begin
    return None


def _has_bare_cr(block: bytes) -> bool:
    """A CR not followed by LF (a CR at the very end may still be followed by one: not counted)."""
    body = block[:-1] if block.endswith(b"\r") else block
    return body.count(b"\r") != body.count(b"\r\n")
