"""Claim lines a Python caller already holds: a pyarrow Table or RecordBatchReader, or a pandas
DataFrame, read like an extract file (the same column names and mapping, the same text values).

A frame has no file to point at: its findings name it by `display` (`<pyarrow.Table>` unless the
caller names it) and by row (1-based, in frame order), as a file's findings name a data line.
A RecordBatchReader can be read only once, and a check may read its input twice (claims whose
lines are spread over the input): it is read into a Table first. A source bigger than memory is
better written as Parquet and given as a path, which is read a batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.columns import COLUMNS, REQUIRED
from cgt_claimcheck.ingest.reader import RawBatch, as_text, map_columns
from cgt_claimcheck.ingest.x12 import X12Problem


@dataclass(frozen=True)
class ArrowSource:
    """An in-memory input: its table and the name its findings and summary show."""

    table: pa.Table
    display: str

    @classmethod
    def of(cls, data: Any, display: str | None = None) -> ArrowSource:
        """From a pyarrow Table, RecordBatch or RecordBatchReader, or a pandas DataFrame."""
        if isinstance(data, pa.Table):
            return cls(data, display or "<pyarrow.Table>")
        if isinstance(data, pa.RecordBatch):
            return cls(pa.Table.from_batches([data]), display or "<pyarrow.RecordBatch>")
        if isinstance(data, pa.RecordBatchReader):
            return cls(data.read_all(), display or "<pyarrow.RecordBatchReader>")
        if type(data).__module__.startswith("pandas") and type(data).__name__ == "DataFrame":
            frame = data.reset_index(drop=True)
            frame.columns = [str(c) for c in frame.columns]
            return cls(pa.Table.from_pandas(frame, preserve_index=False), display or "<pandas.DataFrame>")
        raise UsageError(
            f"cannot check a {type(data).__name__}: give file paths, a pyarrow Table or RecordBatchReader, "
            "or a pandas DataFrame"
        )


class TableReader:
    """The `Reader` of an ArrowSource: its columns mapped like a file header, its rows as text."""

    def __init__(
        self,
        source: ArrowSource,
        *,
        column_map: dict[str, str] | None = None,
        payer_given: bool = False,
        batch_rows: int = 250_000,
    ) -> None:
        self.source = source
        self.display = source.display
        self.batch_rows = max(1, batch_rows)
        header = [str(name) for name in source.table.column_names]
        self.columns = map_columns(header, column_map or {}, payer_given, self.display)
        self.columns = {c: h for c, h in self.columns.items() if c in COLUMNS or c in REQUIRED}
        self.problems: list[X12Problem] = []
        self.locator: Callable[[int], str] | None = None

    def batches(self) -> Iterator[RawBatch]:
        table = self.source.table
        index = {name: table.schema.get_field_index(name) for name in self.columns.values()}
        for start in range(0, table.num_rows, self.batch_rows):
            part = table.slice(start, self.batch_rows)
            text = {canonical: as_text(part.column(index[actual])) for canonical, actual in self.columns.items()}
            rows = np.arange(start + 1, start + part.num_rows + 1, dtype=np.int64)
            yield RawBatch(pa.table(text).combine_chunks(), rows)
