"""Blank lines are not records: a line of nothing but delimiters, quotes and spaces is dropped
like an empty one (its row number stays taken), never read as a row of missing values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BLANK_LINE = "is a blank line"  # spaces and delimiters only: like an empty line, not a record


def drop_blank_lines(
    table: pa.Table, numbers: np.ndarray, chunk: pa.Buffer, rows_before: int, delimiter: str
) -> tuple[pa.Table, np.ndarray]:
    """Blank lines are not records: drop rows whose line holds nothing but delimiters, quotes and
    spaces (row numbers stay). A line with text only in a column the check does not read is a
    row (it is then rejected for its missing values), never dropped unseen."""
    if table.num_rows == 0 or "claim_id" not in table.column_names:
        return table, numbers
    candidate = pc.equal(pc.binary_length(table.column("claim_id")), 0)
    if not pc.any(candidate).as_py():
        return table, numbers
    blank = np.asarray(candidate, dtype=bool)
    for name in table.column_names:
        text = table.column(name).cast(pa.string())
        blank &= np.asarray(pc.equal(pc.binary_length(pc.utf8_trim_whitespace(text)), 0), dtype=bool)
    if not blank.any():
        return table, numbers
    empty_lines = lines_without_text(np.frombuffer(chunk, dtype=np.uint8), delimiter)
    blank &= empty_lines[numbers - rows_before - 1]
    keep = np.flatnonzero(~blank)
    return table.take(pa.array(keep)), numbers[keep]


def lines_without_text(data: np.ndarray, delimiter: str) -> np.ndarray:
    """Per line of a chunk that ends with a line break: does it hold only delimiters, quotes and spaces?"""
    ends = np.flatnonzero(data == 0x0A)
    starts = np.r_[0, ends[:-1] + 1]
    filler = np.isin(data, np.frombuffer((delimiter + ' \t\r\n"').encode(), dtype=np.uint8))
    text_bytes = np.add.reduceat((~filler).astype(np.int64), starts) if len(starts) else np.zeros(0, np.int64)
    text_bytes[starts == ends] = 0  # an empty line: reduceat would count the next line's first byte
    return text_bytes == 0
