"""`cgt-claimcheck convert`: the canonical claim-line extract of any accepted input, as CSV or Parquet.

What `check` reads, written out (X12 837 files above all): one row per service line, the canonical
columns in their documented order, after `source_file`, `source_row` and `source_location` (the
X12 segment a line came from). Nothing is judged here; lines that could not be read and the
problems of an X12 file are counted for the caller to report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.errors import EmptyInput, UsageError
from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.ingest.scan import Reader, open_input

SOURCE_COLUMNS = ("source_file", "source_row", "source_location")
SCHEMA = pa.schema([(name, pa.string()) for name in (*SOURCE_COLUMNS, *COLUMNS)])
FORMATS = ("csv", "parquet")


@dataclass
class Converted:
    """What a conversion read, per file: lines written, lines that could not be read, X12 problems."""

    lines: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)
    problems: dict[str, dict[str, int]] = field(default_factory=dict)  # file -> XE rule -> count
    errors: list[str] = field(default_factory=list)


def canonical_batches(paths: list[str], options: CheckOptions, outcome: Converted) -> Iterator[pa.Table]:
    """Every readable line of every file, as SCHEMA tables."""
    for path in paths:
        try:
            reader = open_input(path, **options.reading())
        except EmptyInput:
            continue
        except UsageError as exc:
            outcome.errors.append(str(exc))
            continue
        name = reader.display
        outcome.lines.setdefault(name, 0)
        try:
            for batch in reader.batches():
                n = batch.table.num_rows
                outcome.lines[name] += n
                outcome.unreadable[name] = outcome.unreadable.get(name, 0) + len(batch.invalid)
                if n:
                    yield _canonical(batch.table, name, batch.rows, reader)
        except UsageError as exc:
            outcome.errors.append(str(exc))
        if reader.problems:
            tally = outcome.problems.setdefault(name, {})
            for p in reader.problems:
                tally[p.code] = tally.get(p.code, 0) + p.represents


def _canonical(table: pa.Table, name: str, rows: Any, reader: Reader) -> pa.Table:
    n = table.num_rows
    locate = reader.locator
    columns = {
        "source_file": pa.array([name] * n, pa.string()),
        "source_row": pa.array([str(r) for r in rows], pa.string()),
        "source_location": pa.array([locate(int(r)) for r in rows] if locate else [""] * n, pa.string()),
    }
    for column in COLUMNS:
        columns[column] = (
            table.column(column).cast(pa.string()) if column in table.column_names else pa.array([""] * n, pa.string())
        )
    return pa.table(columns, schema=SCHEMA)


def write(batches: Iterator[pa.Table], fmt: str, sink: Any) -> None:
    """Write the batches to a binary stream as CSV (header once) or Parquet."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetWriter(sink, SCHEMA) as writer:
            for table in batches:
                writer.write_table(table)
            # no batch at all still writes a valid file with the schema
    else:
        import pyarrow.csv as pacsv

        with pacsv.CSVWriter(sink, SCHEMA) as writer:
            for table in batches:
                writer.write_table(table)
