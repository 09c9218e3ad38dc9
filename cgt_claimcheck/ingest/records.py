"""One record per physical line: find the lines that would break that, so the parser never sees them.

A CSV parser that honours quotes joins lines when a quote opens and is not closed on its line:
one stray quote on line 10 swallows every line up to the next quote, silently. Claim extracts
do not carry line breaks inside values, so the contract is simple: **a record is a physical
line**, and row numbers are line numbers. A line that opens a quote it does not close, or holds
bytes that are not UTF-8, is rejected on its own with its line number; the lines after it are
read as usual.

The check is paid only for a chunk where the parser's record count and the line count differ,
or where it reports undecodable text, so clean extracts keep the fast path.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np

from cgt_claimcheck.distinct import distinct

UNCLOSED_QUOTE = (
    'opens a quote (") that is not closed on the same line; a value may not contain a line break, '
    "so each line is read as its own row"
)
NOT_UTF8 = (
    "is not valid {encoding} text (byte {byte} of the line); "
    "if the file is Latin-1 or Windows-1252, pass --encoding cp1252"
)


@dataclass
class BadLine:
    line: int  # 1-based line within the chunk
    reason: str
    text: bytes


def line_bounds(chunk: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets (end exclusive, with its line break) of each line of a chunk that
    ends with a line break."""
    ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x0A).astype(np.int64) + 1
    return np.concatenate([[0], ends[:-1]]).astype(np.int64), ends


def bad_lines(chunk: bytes, delimiter: str, encoding: str) -> list[BadLine]:
    """Lines of `chunk` that are not UTF-8, or that leave a quote open at their end."""
    starts, ends = line_bounds(chunk)
    bytes_ = np.frombuffer(chunk, dtype=np.uint8)
    bad: dict[int, BadLine] = {}
    # Only lines with a byte above 0x7F can fail to decode, and there are few: decode just those.
    for index in _lines_holding(starts, np.flatnonzero(bytes_ >= 0x80)):
        try:
            chunk[starts[index] : ends[index]].decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = NOT_UTF8.format(encoding=encoding, byte=exc.start + 1)
            bad[index] = BadLine(index + 1, reason, chunk[starts[index] : ends[index]])
    for index in _lines_holding(starts, np.flatnonzero(bytes_ == 0x22)):
        text = chunk[starts[index] : ends[index]]
        if index not in bad and _leaves_quote_open(text.decode("utf-8", errors="replace").rstrip("\r\n"), delimiter):
            bad[index] = BadLine(index + 1, UNCLOSED_QUOTE, text)
    return [bad[i] for i in sorted(bad)]


def without_lines(chunk: bytes, lines: list[BadLine]) -> tuple[bytes, np.ndarray]:
    """The chunk minus the given lines (in order), and the chunk line number (1-based) of each line kept."""
    starts, ends = line_bounds(chunk)
    pieces, position = [], 0
    for b in lines:  # the stretches between bad lines are copied whole
        pieces.append(chunk[position : starts[b.line - 1]])
        position = int(ends[b.line - 1])
    pieces.append(chunk[position:])
    keep = np.ones(len(starts), dtype=bool)
    keep[[b.line - 1 for b in lines]] = False
    return b"".join(pieces), np.flatnonzero(keep) + 1


def _lines_holding(starts: np.ndarray, offsets: np.ndarray) -> list[int]:
    """Index of each line that holds one of the byte offsets, once."""
    return distinct(np.searchsorted(starts, offsets, side="right") - 1).tolist()


def _leaves_quote_open(line: str, delimiter: str) -> bool:
    try:
        for _ in csv.reader([line], delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        # Strict mode also objects to text after a closing quote ("1"2), which the parser accepts;
        # only an end of line inside a quoted value is an open quote.
        return "unexpected end of data" in str(exc)
    return False
