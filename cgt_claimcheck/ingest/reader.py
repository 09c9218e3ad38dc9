"""Read claim-line extracts (CSV with , | or tab, .gz, Parquet, stdin) in batches of strings.

Every data row comes out once: in a batch with its 1-based data row number (`_row`), or as an
invalid row (wrong number of fields) with its row number and the reason. Anything that makes
the file unusable raises UsageError naming the file, line and column.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.columns import COLUMNS, REQUIRED, name_key

SNIFF_BYTES = 64 * 1024
DEFAULT_BLOCK = 8 << 20
MAX_BLOCK = 1 << 30  # a cell larger than this is not a claim extract


@dataclass
class InvalidRow:
    row: int  # 1-based data row
    reason: str
    text: str


@dataclass
class RawBatch:
    frame: pd.DataFrame  # canonical column names, all strings, plus `_row`
    invalid: list[InvalidRow] = field(default_factory=list)


def _open_bytes(path: str) -> Any:
    if path == "-":
        return io.BytesIO(sys.stdin.buffer.read())
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


class ExtractReader:
    """One input file. `columns` maps canonical names to the file's header names."""

    def __init__(
        self,
        path: str,
        *,
        column_map: dict[str, str] | None = None,
        delimiter: str | None = None,
        encoding: str = "utf-8",
        payer_given: bool = False,
        batch_rows: int = 250_000,
        wanted: tuple[str, ...] | None = None,
    ) -> None:
        self.path = path
        self.display = "<stdin>" if path == "-" else path
        self.encoding = encoding
        self.batch_rows = batch_rows
        self.is_parquet = path.lower().endswith((".parquet", ".parq", ".pq"))
        self._stdin_bytes: bytes | None = None
        if path != "-" and not Path(path).is_file():
            raise UsageError("no such file" if not Path(path).exists() else "not a file", file=self.display)
        if path == "-":
            self._stdin_bytes = sys.stdin.buffer.read()
        header = self._parquet_header() if self.is_parquet else self._csv_header(delimiter)
        self.header = header
        self.columns = self._map_columns(header, column_map or {}, payer_given)
        wanted_set = set(wanted) if wanted is not None else set(COLUMNS)
        self.columns = {c: h for c, h in self.columns.items() if c in wanted_set or c in REQUIRED}

    # --- header --------------------------------------------------------------------------------
    def _raw_stream(self) -> Any:
        if self._stdin_bytes is not None:
            data = self._stdin_bytes
            return gzip.GzipFile(fileobj=io.BytesIO(data)) if data[:2] == b"\x1f\x8b" else io.BytesIO(data)
        return _open_bytes(self.path)

    def _csv_header(self, delimiter: str | None) -> list[str]:
        try:
            with self._raw_stream() as fh:
                head = fh.read(SNIFF_BYTES)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise UsageError(f"cannot be read ({exc})", file=self.display) from None
        if not head.strip():
            raise UsageError("file is empty: expected a header row", file=self.display, line=1)
        first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
        try:
            text = first_line.decode(self.encoding).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError) as exc:
            raise UsageError(
                f"header is not {self.encoding} text ({exc.__class__.__name__}); pass --encoding if the file uses another one",
                file=self.display,
                line=1,
            ) from None
        if delimiter is None:
            counts = {d: text.count(d) for d in (",", "|", "\t")}
            delimiter = max(counts, key=lambda d: counts[d])
            if counts[delimiter] == 0:
                delimiter = ","
        self.delimiter = delimiter
        import csv

        names = next(csv.reader([text], delimiter=delimiter))
        return [n.strip() for n in names]

    def _parquet_header(self) -> list[str]:
        import pyarrow.parquet as pq

        try:
            source = io.BytesIO(self._stdin_bytes) if self._stdin_bytes is not None else self.path
            self._parquet = pq.ParquetFile(source)
        except (OSError, pa.ArrowException) as exc:
            raise UsageError(f"not a readable Parquet file ({exc})", file=self.display) from None
        return list(self._parquet.schema_arrow.names)

    def _map_columns(self, header: list[str], column_map: dict[str, str], payer_given: bool) -> dict[str, str]:
        by_key: dict[str, str] = {}
        for name in header:
            key = name_key(name)
            if not key:
                continue
            if key in by_key:
                raise UsageError(
                    f"columns {by_key[key]!r} and {name!r} are the same column once case, spaces and underscores are ignored",
                    file=self.display,
                    line=1,
                    column=name,
                )
            by_key[key] = name
        mapped: dict[str, str] = {}
        for canonical in COLUMNS:
            source_name = column_map.get(canonical, canonical)
            actual = by_key.get(name_key(source_name))
            if actual is not None:
                mapped[canonical] = actual
        missing = [c for c in REQUIRED if c not in mapped and not (c == "payer" and payer_given)]
        if missing:
            hints = ", ".join(f"{c}" + (f" (mapped to {column_map[c]!r})" if c in column_map else "") for c in missing)
            raise UsageError(
                f"required column{'s' if len(missing) > 1 else ''} missing: {hints}; the header has {', '.join(header[:30]) or 'no names'}"
                + ("" if column_map else "; map other names in the [columns] table of cgt-claimcheck.toml"),
                file=self.display,
                line=1,
                column=missing[0],
            )
        return mapped

    # --- rows --------------------------------------------------------------------------------------
    def batches(self, skip_rows: int = 0) -> Iterator[RawBatch]:
        if self.is_parquet:
            yield from self._parquet_batches()
            return
        block = DEFAULT_BLOCK
        yielded = skip_rows
        while True:
            try:
                for batch in self._csv_batches(block, yielded):
                    yielded += len(batch.frame) + len(batch.invalid)
                    yield batch
                return
            except _BlockTooSmall:
                if block >= MAX_BLOCK:
                    raise UsageError(f"a row is larger than {MAX_BLOCK >> 20} MB", file=self.display) from None
                block *= 8  # a huge cell straddles blocks: restart after the rows already given

    def _csv_batches(self, block: int, skip: int) -> Iterator[RawBatch]:
        invalid: list[InvalidRow] = []

        def on_invalid(row: Any) -> str:
            # Physical line numbers; with one line per record, data row = line - 1.
            number = (row.number - 1) if row.number is not None else -1
            invalid.append(
                InvalidRow(
                    number, f"has {row.actual_columns} fields, the header has {row.expected_columns}", row.text[:200]
                )
            )
            return "skip"

        header_names = self.header
        # Duplicate names in a header would break pyarrow's renaming; give every column a slot name.
        slot_names = [f"c{i}" for i in range(len(header_names))]
        wanted_slots = {f"c{header_names.index(actual)}": canonical for canonical, actual in self.columns.items()}
        try:
            reader = pacsv.open_csv(
                self._raw_stream(),
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=block, column_names=slot_names, skip_rows=1, encoding=self.encoding
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter, invalid_row_handler=on_invalid, newlines_in_values=False
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={slot: pa.string() for slot in wanted_slots},
                    include_columns=list(wanted_slots),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowException as exc:
            raise self._arrow_error(exc) from None
        except (OSError, EOFError) as exc:
            raise UsageError(f"cannot be read ({exc})", file=self.display) from None
        position = 0  # data rows seen so far, valid and invalid
        while True:
            try:
                record_batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                if "straddl" in str(exc).lower():
                    raise _BlockTooSmall() from None
                raise self._arrow_error(exc) from None
            except (OSError, EOFError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot be read ({exc})", file=self.display) from None
            frame = record_batch.to_pandas().rename(columns=wanted_slots)
            # The reader is serial: invalid rows reported while reading this batch lie in its
            # range, and the valid rows take the remaining row numbers in order.
            batch_invalid = list(invalid)
            invalid.clear()
            total = len(frame) + len(batch_invalid)
            numbers = np.arange(position + 1, position + total + 1, dtype=np.int64)
            if batch_invalid:
                numbers = numbers[~np.isin(numbers, [r.row for r in batch_invalid])][: len(frame)]
            position += total
            frame["_row"] = numbers
            yield from self._emit(frame, batch_invalid, skip)
        if invalid:  # ragged rows after the last valid one
            empty = pd.DataFrame({c: pd.Series([], dtype="str") for c in self.columns})
            empty["_row"] = pd.Series([], dtype="int64")
            yield from self._emit(empty, list(invalid), skip)

    def _emit(self, frame: pd.DataFrame, invalid: list[InvalidRow], skip: int) -> Iterator[RawBatch]:
        if skip:
            frame = frame[frame["_row"] > skip]
            invalid = [r for r in invalid if r.row > skip]
        for start in range(0, max(len(frame), 1), self.batch_rows):
            part = frame.iloc[start : start + self.batch_rows].reset_index(drop=True)
            if len(part) or (start == 0 and invalid):
                yield RawBatch(part, invalid if start == 0 else [])

    def _parquet_batches(self) -> Iterator[RawBatch]:
        position = 0
        columns = list(dict.fromkeys(self.columns.values()))
        try:
            for record_batch in self._parquet.iter_batches(batch_size=self.batch_rows, columns=columns):
                arrays = {}
                for canonical, actual in self.columns.items():
                    array = record_batch.column(record_batch.schema.get_field_index(actual))
                    arrays[canonical] = _as_text(array)
                frame = pa.table(arrays).to_pandas()
                frame["_row"] = np.arange(position + 1, position + len(frame) + 1, dtype=np.int64)
                position += len(frame)
                yield RawBatch(frame)
        except pa.ArrowException as exc:
            raise UsageError(f"cannot be read as Parquet ({exc})", file=self.display) from None

    def _arrow_error(self, exc: Exception) -> UsageError:
        text = str(exc)
        if "UTF8" in text or "UTF-8" in text:
            line = _first_bad_utf8_line(self._raw_stream())
            return UsageError(
                f"not valid {self.encoding} text; if the file is Latin-1 or Windows-1252, pass --encoding cp1252",
                file=self.display,
                line=line,
            )
        return UsageError(f"cannot be parsed as delimited text ({text.splitlines()[0]})", file=self.display)


def _as_text(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Parquet columns of any type as strings ('' for null), the way a CSV would give them."""
    import pyarrow.compute as pc

    if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
        array = pc.strftime(array, format="%Y-%m-%d")
    elif not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.string())
    return pc.fill_null(array, "")


def _first_bad_utf8_line(stream: Any) -> int | None:
    with stream as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


class _BlockTooSmall(Exception):
    pass
