"""Read claim-line extracts (CSV with , | or tab, .gz, Parquet, stdin) in batches of strings.

Every data row comes out once: in a batch with its 1-based data row number (`_row`, the physical
line minus the header), or as an invalid row (wrong number of fields, an unclosed quote, bytes
that are not text) with its row number and the reason. The columns every row is screened on
(`SCREENED_CODES`) come dictionary encoded by the parser's threads: that costs less there than
hashing them again to screen. The bytes come from ingest.source (UTF-8, LF); ingest.records
finds the lines a quote-aware parser would join. Anything that makes the file unusable raises
UsageError naming the file, line and column.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest import byte_ranges
from cgt_claimcheck.ingest.blank_lines import BLANK_LINE, drop_blank_lines
from cgt_claimcheck.ingest.columns import COLUMNS, REQUIRED, SCREENED_CODES, name_key
from cgt_claimcheck.ingest.records import BadLine, bad_lines, without_lines
from cgt_claimcheck.ingest.source import ByteSource
from cgt_claimcheck.ingest.undecodable_rows import quiet_undecodable_rows
from cgt_claimcheck.printable import excerpt

if TYPE_CHECKING:
    from collections.abc import Callable

    from cgt_claimcheck.ingest.byte_ranges import ByteRange
    from cgt_claimcheck.ingest.x12_syntax import X12Problem

HEADER_PEEK = 1 << 16  # the header line is found within this many bytes (a longer one is searched whole)
ENCODED = pa.dictionary(pa.int32(), pa.string())  # a screened code column, as the parser hands it over
# Bytes parsed at a time: memory stays flat however large the file. 16 MB, not 32: jemalloc gives
# freed pages back after 100 ms (arrow_pool.py), so a large chunk's pages were given back and
# faulted in again for the next one (sys time 1.6-1.8 s of a clean 10M check, 1.0-1.2 at 16 MB).
# Clean 10M check 4.99-5.57 s against 5.22-6.34, peak 318-334 MB against 362-391; clean 1M
# 0.82 s against 0.95, 267 MB against 317 (alternating runs, benchmarks/results.md 2026-12-07).
# At 8 MB the 10M check was slower again (5.4 s: more batches), at 4 MB slower still.
CHUNK_BYTES = 16 << 20
PARSE_BLOCK = 1 << 20  # pyarrow parses a chunk in blocks of this size on all cores


class _NotUtf8(Exception):
    """The parser met bytes that are not UTF-8: find their lines and reject just those."""


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
        chunk_bytes: int | None = None,
        wanted: tuple[str, ...] | None = None,
        part: ByteRange | None = None,
    ) -> None:
        self.path = path
        self.part = part  # bytes of the file this reader reads (ingest/byte_ranges.py); None: all
        self.batch_rows = batch_rows
        self.chunk_bytes = part.chunk_bytes if part is not None else chunk_bytes or CHUNK_BYTES
        self.is_parquet = path.lower().endswith((".parquet", ".parq", ".pq"))
        self.source = ByteSource(path, encoding, text=not self.is_parquet)
        self.display = self.source.display
        self.encoding = self.source.encoding
        header = self._parquet_header() if self.is_parquet else self._csv_header(delimiter)
        self.header = header
        self.columns = map_columns(header, column_map or {}, payer_given, self.display, getattr(self, "delimiter", ","))
        wanted_set = set(wanted) if wanted is not None else set(COLUMNS)
        self.columns = {c: h for c, h in self.columns.items() if c in wanted_set or c in REQUIRED}
        self.problems: list[X12Problem] = []  # the file's own problems: an extract's are its rows'
        self.locator: Callable[[int], str] | None = None  # a row is a line of the file

    @property
    def lines_moved(self) -> bool:
        """A part that met a CR-only line end: its lines are not the whole file's (read it whole)."""
        return self.part is not None and self.source.bare_cr_seen

    # --- header --------------------------------------------------------------------------------
    def _csv_header(self, delimiter: str | None) -> list[str]:
        first_line = self.source.header_line()
        try:
            text = first_line.decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"header is not {self.encoding} text ({exc.reason}); pass --encoding if the file uses another one",
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

        names = next(csv.reader([text], delimiter=delimiter), [])
        return [n.strip() for n in names]

    def _parquet_header(self) -> list[str]:
        import pyarrow.parquet as pq

        try:
            with self.source.raw() as fh:
                source = io.BytesIO(fh.read()) if self.path == "-" else self.path
            self._parquet = pq.ParquetFile(source)
        except (OSError, pa.ArrowException) as exc:
            raise UsageError(f"not a readable Parquet file ({exc})", file=self.display) from None
        return list(self._parquet.schema_arrow.names)

    # --- rows --------------------------------------------------------------------------------------
    def batches(self) -> Iterator[RawBatch]:
        if self.is_parquet:
            yield from self._parquet_batches()
        else:
            yield from self._csv_batches()

    def _chunks(self) -> Iterator[pa.Buffer]:
        """The data lines in chunks that end on a line break (a huge row just makes a bigger chunk).

        Chunks are views of what was read (ByteSource.line_blocks), each parsed before the next
        is read into the same buffer; the text after the last line break gets one."""
        first = self.part is None or self.part.first  # a header to skip
        bounds = (self.part.start, self.part.end) if self.part is not None else ()
        for block in self.source.line_blocks(self.chunk_bytes, *bounds):
            start = 0
            if first:  # the header ends at the first line break (none: the file is its header)
                first = False
                after_header = _after_first_line(block)
                if after_header is None:
                    continue
                start = after_header
            if block[-1:] != b"\n":  # the file's last line, without a line break
                if bytes(block[start:]).strip(b"\r\n\t "):
                    yield pa.py_buffer(bytes(block[start:]) + b"\n")
                continue
            if start < len(block):
                yield pa.py_buffer(block)[start:]

    def _csv_batches(self) -> Iterator[RawBatch]:
        names = self.header
        slot_names = [f"c{i}" for i in range(len(names))]  # header names may repeat or be blank
        wanted = {f"c{names.index(actual)}": canonical for canonical, actual in self.columns.items()}
        rows_before = 0  # data rows (= lines after the header) before the chunk
        if self.part is not None and not self.part.first:
            rows_before = byte_ranges.rows_before(self.path, self.part.start)
        for chunk in self._chunks():
            lines = int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x0A))
            table, invalid, line_of = self._records(chunk, lines, slot_names, wanted, rows_before)
            numbers = rows_before + line_of  # data row = physical line - 1
            if invalid:
                numbers = numbers[~np.isin(numbers, [r.row for r in invalid])]
                invalid = [r for r in invalid if r.reason != BLANK_LINE]
            rows_before += lines
            table = table.rename_columns([wanted[c] for c in table.column_names])
            table, numbers = drop_blank_lines(table, numbers, chunk, rows_before - lines, self.delimiter)
            for start in range(0, max(table.num_rows, 1), self.batch_rows):
                if start and start >= table.num_rows:
                    break
                yield RawBatch(
                    table.slice(start, self.batch_rows),
                    numbers[start : start + self.batch_rows],
                    invalid if start == 0 else [],
                )

    def _records(
        self, chunk: pa.Buffer, lines: int, slot_names: list[str], wanted: dict[str, str], rows_before: int
    ) -> tuple[pa.Table, list[InvalidRow], np.ndarray]:
        """Parse a chunk as one record per physical line; `line_of` is each record's line in the chunk.

        The fast path parses the chunk as it is. Only when the record count differs from the line
        count (a quote spanning lines) or the text is not UTF-8 are the offending lines found,
        rejected on their own, and the rest parsed again.
        """
        try:
            table, invalid = self._parse(chunk, slot_names, wanted, rows_before, threads=True)
            if invalid and any(r.row < 0 for r in invalid):
                # Threaded parsing does not know line numbers: parse this chunk again serially.
                table, invalid = self._parse(chunk, slot_names, wanted, rows_before, threads=False)
            if table.num_rows + len(invalid) == lines:  # every line is a record, blank lines too
                return table, invalid, np.arange(1, lines + 1, dtype=np.int64)
        except _NotUtf8:
            pass
        raw = chunk.to_pybytes()
        bad = bad_lines(raw, self.delimiter, self.encoding)
        cleaned, line_of = without_lines(raw, bad)
        try:
            table, invalid = self._parse(
                pa.py_buffer(cleaned), slot_names, wanted, rows_before, threads=False, line_of=line_of
            )
        except _NotUtf8:
            table, invalid = None, []
        if table is None or table.num_rows + len(invalid) != len(line_of):
            first = rows_before + 1 + (bad[0].line if bad else 0)
            raise UsageError("cannot be split into one row per line", file=self.display, line=first)
        invalid.extend(self._rejected_line(b, rows_before) for b in bad)
        invalid.sort(key=lambda r: r.row)
        return table, invalid, line_of

    def _rejected_line(self, bad: BadLine, rows_before: int) -> InvalidRow:
        text = bad.text.rstrip(b"\r\n").decode("utf-8", errors="replace")
        return InvalidRow(rows_before + bad.line, bad.reason, text[:200])

    def _parse(
        self,
        chunk: pa.Buffer,
        slot_names: list[str],
        wanted: dict[str, str],
        rows_before: int,
        *,
        threads: bool,
        block: int = PARSE_BLOCK,
        line_of: np.ndarray | None = None,
    ) -> tuple[pa.Table, list[InvalidRow]]:
        quiet_undecodable_rows()  # an undecodable ragged row is IN001's, not a printed traceback
        invalid: list[InvalidRow] = []

        def on_invalid(row: Any) -> str:
            if row.number is None:
                number = -1
            else:
                number = rows_before + (int(line_of[row.number - 1]) if line_of is not None else row.number)
            if not row.text.strip(self.delimiter + " \t\r"):  # a lone quote is an open quote, not a blank
                reason = BLANK_LINE  # not a record: dropped below, like an empty line
            else:
                reason = f"has {row.actual_columns} fields, the header has {row.expected_columns}"
                if '"' in row.text:
                    reason += " (a quoted value may not contain a line break)"
            invalid.append(InvalidRow(number, reason, row.text[:200]))
            return "skip"

        try:
            table = pacsv.read_csv(
                pa.BufferReader(chunk),
                read_options=pacsv.ReadOptions(
                    use_threads=threads, column_names=slot_names, encoding="utf8", block_size=block
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter, invalid_row_handler=on_invalid, ignore_empty_lines=False
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={slot: ENCODED if wanted[slot] in SCREENED_CODES else pa.string() for slot in wanted},
                    include_columns=list(wanted),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block < chunk.size + 1:
                # A row longer than a parse block (a 10 MB cell): one block for the whole chunk.
                return self._parse(
                    chunk, slot_names, wanted, rows_before, threads=threads, block=chunk.size + 1, line_of=line_of
                )
            text = str(exc)
            if line_of is None or "UTF8" in text or "UTF-8" in text or "decode" in text.lower():
                # Bytes that are not UTF-8, also inside a row the parser joined across lines (then
                # its invalid-row callback cannot decode the row): find the lines, reject them.
                raise _NotUtf8 from None
            # The parser's message can quote row text (a member's data): keep only its kind.
            kind = text.splitlines()[0].split(":", 1)[0][:80]
            raise UsageError(f"cannot be parsed as delimited text ({kind})", file=self.display) from None
        return table, invalid

    def _parquet_batches(self) -> Iterator[RawBatch]:
        position = 0
        columns = list(dict.fromkeys(self.columns.values()))
        try:
            for record_batch in self._parquet.iter_batches(batch_size=self.batch_rows, columns=columns):
                arrays = {
                    canonical: as_text(record_batch.column(record_batch.schema.get_field_index(actual)))
                    for canonical, actual in self.columns.items()
                }
                table = pa.table(arrays)
                rows = np.arange(position + 1, position + table.num_rows + 1, dtype=np.int64)
                position += table.num_rows
                yield RawBatch(table, rows)
        except pa.ArrowException as exc:
            raise UsageError(f"cannot be read as Parquet ({exc})", file=self.display) from None


def map_columns(
    header: list[str], column_map: dict[str, str], payer_given: bool, display: str, delimiter: str = ","
) -> dict[str, str]:
    """The canonical column -> the input's column name (names match ignoring case, spaces and
    underscores; `[columns]` maps others); a required column missing is a UsageError."""
    by_key: dict[str, str] = {}
    for name in header:
        key = name_key(name)
        if not key:
            continue
        if key in by_key:
            raise UsageError(
                f"columns {by_key[key]!r} and {name!r} are the same column once case, spaces and underscores are ignored",
                file=display,
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
        other = _delimiter_hint(header, delimiter)
        advice = other or (
            f"{_header_shown(header, mapped)}"
            + ("" if column_map else "; map other names in the [columns] table of cgt-claimcheck.toml")
        )
        raise UsageError(
            f"required column{'s' if len(missing) > 1 else ''} missing: {hints}; {advice}",
            file=display,
            line=1,
            column=missing[0],
        )
    return mapped


def as_text(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Parquet or Arrow columns of any type as strings ('' for null), the way a CSV would give them."""
    import pyarrow.compute as pc

    if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
        array = pc.strftime(array, format="%Y-%m-%d")
    elif not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = pc.cast(array, pa.string())
    return pc.fill_null(array, "")


def _after_first_line(block: memoryview) -> int | None:
    """Where the second line of the block starts (None: the block is one line without a break)."""
    newline = bytes(block[:HEADER_PEEK]).find(b"\n")
    if newline < 0 and len(block) > HEADER_PEEK:
        found = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 0x0A)
        newline = int(found[0]) if len(found) else -1
    return newline + 1 if newline >= 0 else None


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    """When the header splits into the required columns at another delimiter: say which one."""
    line = delimiter.join(header)
    for other in (";", ",", "|", "\t", ":"):
        if other != delimiter and other in line:
            keys = {name_key(name) for name in line.split(other)}
            if all(name_key(c) in keys for c in REQUIRED if c != "payer"):
                shown = "tab" if other == "\t" else other
                return f"the first line is {shown!r}-separated: pass --delimiter {shown!r}"
    return ""


def _header_shown(header: list[str], mapped: dict[str, str]) -> str:
    """The header's names for a message, short; none when the first line names no column at all.

    A file given by mistake (a token, a key, a note) must not land in a CI log: a first line with
    no column of an extract is described, never quoted.
    """
    if not mapped:
        length = sum(len(name) for name in header) + max(len(header) - 1, 0)
        return (
            f"the first line names none of the columns of a claim-line extract ({length:,} characters; not "
            "quoted, in case the file is not meant to be seen): is this the right file?"
        )
    names = ", ".join(excerpt(name, 40) for name in header[:30])
    return f"the header has {names}" + (f" and {len(header) - 30:,} more" if len(header) > 30 else "")
