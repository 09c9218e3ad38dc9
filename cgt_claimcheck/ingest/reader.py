"""Read claim-line extracts (CSV with , | or tab, .gz, Parquet, stdin) in batches of strings.

Every data row comes out once: in a batch with its 1-based data row number (`_row`), or as an
invalid row (wrong number of fields) with its row number and the reason. Anything that makes
the file unusable raises UsageError naming the file, line and column.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from cgt_claimcheck.errors import EmptyInput, UsageError
from cgt_claimcheck.ingest.columns import COLUMNS, REQUIRED, name_key

SNIFF_BYTES = 64 * 1024
CHUNK_BYTES = 32 << 20  # bytes parsed at a time: memory stays flat however large the file
PARSE_BLOCK = 1 << 20  # pyarrow parses a chunk in blocks of this size on all cores


@dataclass
class InvalidRow:
    row: int  # 1-based data row
    reason: str
    text: str


@dataclass
class RawBatch:
    table: pa.Table  # canonical column names, all strings
    rows: np.ndarray  # 1-based data row of each table row
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
        chunk_bytes: int = CHUNK_BYTES,
        wanted: tuple[str, ...] | None = None,
    ) -> None:
        self.path = path
        self.display = "<stdin>" if path == "-" else path
        self.encoding = encoding
        self.batch_rows = batch_rows
        self.chunk_bytes = chunk_bytes
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
            raise EmptyInput("file is empty: expected a header row", file=self.display, line=1)
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
            # A mapped name wins; an extract that uses the canonical name still works with the
            # same config (one config file, several extract layouts).
            actual = by_key.get(name_key(source_name)) or by_key.get(name_key(canonical))
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
    def batches(self) -> Iterator[RawBatch]:
        if self.is_parquet:
            yield from self._parquet_batches()
        else:
            yield from self._csv_batches()

    def _chunks(self) -> Iterator[pa.Buffer]:
        """The data lines in blocks that end on a line break (a huge row just makes a bigger block).

        Blocks are zero-copy views of what was read; only the partial last line is carried over.
        """
        try:
            with self._raw_stream() as fh:
                leftover = b""
                first = True
                while True:
                    block = fh.read(self.chunk_bytes)
                    if not block:
                        break
                    data = leftover + block if leftover else block
                    start = 0
                    if first:
                        newline = data.find(b"\n")
                        if newline < 0:
                            leftover = data
                            continue
                        start, first = newline + 1, False
                    cut = data.rfind(b"\n", start)
                    if cut < 0:
                        leftover = data[start:]
                        continue
                    leftover = data[cut + 1 :]
                    yield pa.py_buffer(data)[start : cut + 1]
                if leftover.strip(b"\r\n\t ") and not first:
                    yield pa.py_buffer(leftover + b"\n")
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise UsageError(f"cannot be read ({exc})", file=self.display) from None

    def _csv_batches(self) -> Iterator[RawBatch]:
        names = self.header
        slot_names = [f"c{i}" for i in range(len(names))]  # header names may repeat or be blank
        wanted = {f"c{names.index(actual)}": canonical for canonical, actual in self.columns.items()}
        line_before = 1  # physical lines before the chunk (the header)
        for chunk in self._chunks():
            table, invalid = self._parse(chunk, slot_names, wanted, line_before, threads=True)
            if invalid and any(r.row < 0 for r in invalid):
                # Threaded parsing does not know line numbers: parse this chunk again serially.
                table, invalid = self._parse(chunk, slot_names, wanted, line_before, threads=False)
            records = table.num_rows + len(invalid)  # every line is a record: blank lines are invalid rows
            numbers = np.arange(line_before, line_before + records, dtype=np.int64)  # data row = line - 1
            if invalid:
                numbers = numbers[~np.isin(numbers, [r.row for r in invalid])]
            line_before += records
            table = table.rename_columns([wanted[c] for c in table.column_names])
            numbers = numbers[: table.num_rows]
            table, numbers = _drop_blank_lines(table, numbers)
            for start in range(0, max(table.num_rows, 1), self.batch_rows):
                if start and start >= table.num_rows:
                    break
                yield RawBatch(
                    table.slice(start, self.batch_rows),
                    numbers[start : start + self.batch_rows],
                    invalid if start == 0 else [],
                )

    def _parse(
        self,
        chunk: pa.Buffer,
        slot_names: list[str],
        wanted: dict[str, str],
        line_before: int,
        *,
        threads: bool,
        block: int = PARSE_BLOCK,
    ) -> tuple[pa.Table, list[InvalidRow]]:
        invalid: list[InvalidRow] = []

        def on_invalid(row: Any) -> str:
            number = line_before + row.number - 1 if row.number is not None else -1
            reason = (
                "is a blank line"
                if not row.text.strip()
                else f"has {row.actual_columns} fields, the header has {row.expected_columns}"
            )
            invalid.append(InvalidRow(number, reason, row.text[:200]))
            return "skip"

        try:
            table = pacsv.read_csv(
                pa.BufferReader(chunk),
                read_options=pacsv.ReadOptions(
                    use_threads=threads, column_names=slot_names, encoding=self.encoding, block_size=block
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={slot: pa.string() for slot in wanted},
                    include_columns=list(wanted),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block < chunk.size + 1:
                # A row longer than a parse block (a 10 MB cell): one block for the whole chunk.
                return self._parse(chunk, slot_names, wanted, line_before, threads=threads, block=chunk.size + 1)
            raise self._arrow_error(exc, chunk, line_before) from None
        return table, invalid

    def _parquet_batches(self) -> Iterator[RawBatch]:
        position = 0
        columns = list(dict.fromkeys(self.columns.values()))
        try:
            for record_batch in self._parquet.iter_batches(batch_size=self.batch_rows, columns=columns):
                arrays = {
                    canonical: _as_text(record_batch.column(record_batch.schema.get_field_index(actual)))
                    for canonical, actual in self.columns.items()
                }
                table = pa.table(arrays)
                rows = np.arange(position + 1, position + table.num_rows + 1, dtype=np.int64)
                position += table.num_rows
                yield RawBatch(table, rows)
        except pa.ArrowException as exc:
            raise UsageError(f"cannot be read as Parquet ({exc})", file=self.display) from None

    def _arrow_error(self, exc: Exception, chunk: pa.Buffer, line_before: int) -> UsageError:
        text = str(exc)
        if "UTF8" in text or "UTF-8" in text or "decode" in text.lower():
            line = _first_bad_line(chunk.to_pybytes(), self.encoding)
            return UsageError(
                f"not valid {self.encoding} text; if the file is Latin-1 or Windows-1252, pass --encoding cp1252",
                file=self.display,
                line=line_before + line if line is not None else None,
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


def _drop_blank_lines(table: pa.Table, numbers: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Blank lines are not records: drop rows whose every field is empty (row numbers stay)."""
    import pyarrow.compute as pc

    if table.num_rows == 0 or "claim_id" not in table.column_names:
        return table, numbers
    candidate = pc.equal(pc.binary_length(table.column("claim_id")), 0)
    if not pc.any(candidate).as_py():
        return table, numbers
    blank = np.asarray(candidate, dtype=bool)
    for name in table.column_names:
        blank &= np.asarray(pc.equal(pc.binary_length(pc.utf8_trim_whitespace(table.column(name))), 0), dtype=bool)
    if not blank.any():
        return table, numbers
    keep = np.flatnonzero(~blank)
    return table.take(pa.array(keep)), numbers[keep]


def _first_bad_line(chunk: bytes, encoding: str) -> int | None:
    for number, line in enumerate(chunk.split(b"\n"), start=1):
        try:
            line.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            return number
    return None
