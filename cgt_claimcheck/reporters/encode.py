"""Findings batches to text, column by column: JSON values and CSV cells without a loop per value.

Dictionary-encoded columns are encoded once per distinct value; plain columns go through
`json.dumps` only where a value needs escaping (a quote, a backslash, a control character).
"""

from __future__ import annotations

import json
import os
from typing import TextIO

import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.report import FINDING_COLUMNS

_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
# A cell starting with one of these is a formula in Excel/Sheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_AFTER_BREAK = r"([\r\n])([=+\-@\t])"


def _json_plain(array: pa.Array) -> pa.Array:
    if pa.types.is_integer(array.type):
        return pc.cast(array, pa.string())
    escape = pc.fill_null(pc.match_substring_regex(array, _NEEDS_ESCAPE), False)
    quoted = pc.binary_join_element_wise('"', array, '"', "")
    if pc.any(escape).as_py():
        index = pc.indices_nonzero(escape)
        special = pa.array([json.dumps(v, ensure_ascii=False) for v in pc.take(array, index).to_pylist()])
        quoted = pc.replace_with_mask(quoted, escape, special)
    return pc.fill_null(quoted, "null")


Encoded = dict[tuple[int, int], pa.Array]  # a dictionary (by its buffer and size) -> its values as JSON


def json_column(array: pa.Array, encoded: Encoded | None = None) -> pa.Array:
    """Each value of a column as a JSON literal. The batches of one findings table share their
    dictionaries: `encoded` keeps each one's JSON from batch to batch (it is encoded once)."""
    if pa.types.is_dictionary(array.type):
        dictionary = array.dictionary
        data = dictionary.buffers()[-1]
        key = (data.address if data is not None else 0, len(dictionary))
        words = encoded.get(key) if encoded is not None else None
        if words is None:
            words = pa.array([json.dumps(v, ensure_ascii=False) for v in dictionary.to_pylist()], pa.string())
            if encoded is not None:
                encoded[key] = words
        return pc.fill_null(pc.take(words, array.indices), "null")
    return _json_plain(array)


def json_records(batch: pa.RecordBatch, before: str = "", after: str = "", encoded: Encoded | None = None) -> pa.Buffer:
    """The batch's findings as compact JSON objects (keys in FINDING_COLUMNS order), each with
    `before` and `after` around it, as the UTF-8 bytes of one Arrow buffer: no Python object per
    finding. Pass the same `encoded` for every batch of a table."""
    pieces: list[pa.Array | str] = []
    for i, name in enumerate(FINDING_COLUMNS):
        pieces.append((before + "{" if i == 0 else ", ") + json.dumps(name) + ": ")
        pieces.append(json_column(batch.column(name), encoded))
    pieces.append("}" + after)
    return _concatenated(pc.binary_join_element_wise(*pieces, ""))


def _concatenated(array: pa.Array) -> pa.Buffer:
    """All values of a string array back to back: a slice of its data buffer (no copy)."""
    if not len(array):
        return pa.py_buffer(b"")
    offsets = array.buffers()[1]
    start, stop = (
        int.from_bytes(offsets[i * 4 : i * 4 + 4], "little", signed=True)
        for i in (array.offset, array.offset + len(array))
    )
    return array.buffers()[2].slice(start, stop - start)


class TextOut:
    """Writes a text stream takes, given as UTF-8 bytes: straight to the bytes under the stream
    where it writes UTF-8 and "\n" as it is (a report file, stdout on POSIX), so a batch of JSON
    is never copied into a Python string and encoded back; decoded and written as text otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        self.raw = getattr(stream, "buffer", None) if encoding == "utf8" and os.linesep == "\n" else None

    def write(self, data: pa.Buffer) -> None:
        if not data.size:
            return
        if self.raw is None:
            self.stream.write(data.to_pybytes().decode("utf-8"))
            return
        self.stream.flush()  # what was written as text goes first
        self.raw.write(memoryview(data))


def csv_cells(array: pa.Array) -> list[str]:
    """A column as spreadsheet-safe text: '' for null, a formula start neutralised with a quote."""

    def safe(values: pa.Array) -> pa.Array:
        text = pc.fill_null(pc.cast(values, pa.string()), "")
        formula = pc.starts_with(text, FORMULA_START[0])
        for start in FORMULA_START[1:]:
            formula = pc.or_(formula, pc.starts_with(text, start))
        text = pc.if_else(formula, pc.binary_join_element_wise("'", text, ""), text)
        # A spreadsheet that splits a cell on its line breaks would start a formula there too.
        return pc.replace_substring_regex(text, FORMULA_AFTER_BREAK, r"\1'\2")

    if pa.types.is_dictionary(array.type):
        return pc.fill_null(pc.take(safe(array.dictionary), array.indices), "").to_pylist()
    return safe(array).to_pylist()
