"""Stage: the input boundary. Every input is opened here, recognized by its content, and scanned.

`open_input` chooses the reader (an X12 837 by its ISA envelope whatever the name; Parquet by
its name; a frame a Python caller holds (`ArrowSource`); anything else a delimited extract,
stdin included); every reader meets `Reader`, so no
caller asks which kind it holds. `scan` reads a reader's batches and screens each one
(`Screening`): the check's intake, its history files, the second pass that recovers split claims
and `convert` all read through here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np
import pyarrow as pa

from cgt_claimcheck.ingest.arrow_source import ArrowSource, TableReader
from cgt_claimcheck.ingest.byte_ranges import ByteRange, split
from cgt_claimcheck.ingest.read_ahead import read_ahead
from cgt_claimcheck.ingest.reader import ExtractReader, RawBatch
from cgt_claimcheck.ingest.screen import Screened, screen
from cgt_claimcheck.ingest.x12 import X12Problem, X12Reader, is_x12
from cgt_claimcheck.ingest.x12_parts import split_x12


class Reader(Protocol):
    """What every reader gives: its name as shown, its canonical columns, its batches, and
    afterwards what was wrong with the file itself and where a line is (X12 only)."""

    display: str
    columns: dict[str, str]  # canonical name -> the name in the file
    problems: list[X12Problem]  # filled while reading (an extract has none)

    def batches(self) -> Iterator[RawBatch]: ...

    @property
    def locator(self) -> Callable[[int], str] | None:
        """Row -> where the line is in the file, for formats whose rows are not lines (X12)."""
        ...


def open_input(
    path: str | ArrowSource,
    *,
    payer: str | None = None,
    column_map: dict[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    batch_rows: int = 250_000,
    max_repeats: int = 1_000,
    part: ByteRange | None = None,
) -> Reader:
    """The reader for this input, chosen by content (raises EmptyInput or UsageError); `part`,
    bytes of a plain extract or an X12 file that ingest.byte_ranges or ingest.x12_parts cut."""
    if isinstance(path, ArrowSource):  # claim lines a Python caller holds (cgt_claimcheck.check)
        return TableReader(path, column_map=column_map, payer_given=bool(payer), batch_rows=batch_rows)
    if is_x12(path):
        return X12Reader(path, payer=payer, batch_rows=batch_rows, max_repeats=max_repeats, part=part)
    return ExtractReader(
        path,
        column_map=column_map,
        delimiter=delimiter,
        encoding=encoding,
        payer_given=bool(payer),
        batch_rows=batch_rows,
        part=part,
    )


@dataclass(frozen=True)
class Screening:
    """How rows are screened in this run: the payers checked and the codes that make a line relevant."""

    known_payers: frozenset[str]
    payer_aliases: dict[str, str]
    default_payer: str | None
    procedure_codes: list[str]
    diagnosis_codes: frozenset[str]
    pcs_codes: frozenset[str]
    date_format: str | None = None
    unknown_payer: str = "out-of-scope"

    def __call__(self, table: pa.Table, rows: np.ndarray) -> Screened:
        return screen(table, rows, **{f.name: getattr(self, f.name) for f in fields(self)})


def scan(reader: Reader, screening: Screening) -> Iterator[tuple[RawBatch, Screened]]:
    """Each batch of the input with its screening: rows valid, relevant, rejected (and why), out of scope.

    An extract (CSV, Parquet) is read one batch ahead on a thread (`read_ahead`): Arrow parses the
    next chunk while this one is screened. The X12 reader is Python throughout: it reads in turn."""
    batches = reader.batches()
    if isinstance(reader, ExtractReader):
        batches = read_ahead(batches)
    for batch in batches:
        yield batch, screening(batch.table, batch.rows)


def read_whole(reader: Reader) -> bool:
    """Whether a reader of part of a file found the file is not one its parts can read: a CSV
    part met a CR-only line end (its lines are not the whole file's, ingest/byte_ranges.py), an
    X12 part another group or interchange (ingest/x12_parts.py). The file is read whole instead."""
    if isinstance(reader, ExtractReader):
        return reader.lines_moved
    return isinstance(reader, X12Reader) and reader.layout_moved


def rows_in_part(reader: Reader) -> int | None:
    """The service lines an X12 part read, numbered from 1 (engine/file_parts.py renumbers them);
    None where rows carry the file's numbers."""
    return reader.ordinal if isinstance(reader, X12Reader) and reader.part is not None else None


def cut(
    path: str, parts: int, encoding: str, *, chunk_bytes: int, csv_part_chunks: int, x12_part_bytes: int
) -> list[ByteRange] | None:
    """The input in up to `parts` byte ranges that processes can read side by side, chosen by
    content: an X12 file before ISA or ST segments, parts of at least `x12_part_bytes`
    (ingest/x12_parts.py); a plain CSV extract where the reader's chunks end, parts of at least
    `csv_part_chunks` chunks (ingest/byte_ranges.py; 0: never). None: read it whole."""
    if is_x12(path):
        return split_x12(path, parts, x12_part_bytes)
    if not csv_part_chunks:
        return None
    count = min(parts, os.path.getsize(path) // (csv_part_chunks * chunk_bytes))
    return split(path, count, encoding, chunk_bytes) if count > 1 else None
