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


def line_starts(chunk: bytes) -> np.ndarray:
    """Offset of the first byte of each line of a chunk that ends with a line break."""
    ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x0A)
    return np.concatenate([[0], ends[:-1] + 1]).astype(np.int64) if len(ends) else np.zeros(0, np.int64)


def bad_lines(chunk: bytes, delimiter: str, encoding: str) -> list[BadLine]:
    """Lines of `chunk` that are not UTF-8, or that leave a quote open at their end."""
    starts = line_starts(chunk)
    ends = np.concatenate([starts[1:], [len(chunk)]]) if len(starts) else starts
    bad: dict[int, BadLine] = {}
    for index, offset in _undecodable(chunk, starts):
        text = chunk[starts[index] : ends[index]]
        bad[index] = BadLine(index + 1, NOT_UTF8.format(encoding=encoding, byte=offset + 1), text)
    quotes = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x22)
    for index in np.unique(np.searchsorted(starts, quotes, side="right") - 1).tolist():
        if index in bad:
            continue
        text = chunk[starts[index] : ends[index]]
        if _leaves_quote_open(text.decode("utf-8", errors="replace").rstrip("\r\n"), delimiter):
            bad[index] = BadLine(index + 1, UNCLOSED_QUOTE, text)
    return [bad[i] for i in sorted(bad)]


def without_lines(chunk: bytes, lines: list[BadLine]) -> tuple[bytes, np.ndarray]:
    """The chunk minus the given lines, and the chunk line number (1-based) of each line kept."""
    starts = line_starts(chunk)
    keep = np.ones(len(starts), dtype=bool)
    keep[[b.line - 1 for b in lines]] = False
    ends = np.concatenate([starts[1:], [len(chunk)]])
    kept = np.flatnonzero(keep)
    # Runs of consecutive kept lines are copied as one slice.
    pieces = []
    run_start = None
    for position, index in enumerate(kept.tolist()):
        if run_start is None:
            run_start = index
        if position + 1 == len(kept) or kept[position + 1] != index + 1:
            pieces.append(chunk[starts[run_start] : ends[index]])
            run_start = None
    return b"".join(pieces), kept + 1


def _undecodable(chunk: bytes, starts: np.ndarray) -> list[tuple[int, int]]:
    """(line index, byte offset within the line) of each line with bytes that are not UTF-8.

    Only lines with a byte above 0x7F can fail, and there are few of them: decode just those.
    """
    high = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) >= 0x80)
    ends = np.concatenate([starts[1:], [len(chunk)]])
    found = []
    for index in np.unique(np.searchsorted(starts, high, side="right") - 1).tolist():
        try:
            chunk[starts[index] : ends[index]].decode("utf-8")
        except UnicodeDecodeError as exc:
            found.append((index, exc.start))
    return found


def _leaves_quote_open(line: str, delimiter: str) -> bool:
    try:
        for _ in csv.reader([line], delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        # Strict mode also objects to text after a closing quote ("1"2), which the parser accepts;
        # only an end of line inside a quoted value is an open quote.
        return "unexpected end of data" in str(exc)
    return False
