"""Rejected rows as problem tables (ingest.screen's PROBLEM_SCHEMA plus the file's index).

The intake makes them while it reads; the findings stage turns them into IN001, IN005 and IN006
findings. A file can reject a million rows: they stay in Arrow, never one object per row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cgt_claimcheck.ingest.columns import WHOLE_ROW
from cgt_claimcheck.ingest.reader import InvalidRow, RawBatch
from cgt_claimcheck.ingest.screen import PROBLEM_SCHEMA, Screened


def rejected(batch: RawBatch, screened: Screened, file_index: int) -> list[pa.Table]:
    """The rows of a batch that were rejected: unsplittable lines, then unusable values."""
    parts = [invalid_rows(batch.invalid)] if batch.invalid else []
    return [with_file(p, file_index) for p in parts + [screened.rejected] if p.num_rows]


def invalid_rows(invalid: list[InvalidRow]) -> pa.Table:
    """Rows the reader could not split into the header's fields, as screen problems."""
    n = len(invalid)
    return pa.table(
        {
            "_row": pa.array([r.row for r in invalid], pa.int64()),
            "field": pa.array([WHOLE_ROW] * n, pa.string()),
            "value": pa.array([r.text for r in invalid], pa.string()),
            "reason": pa.array([r.reason for r in invalid], pa.string()),
            "claim_id": pa.nulls(n, pa.string()),
            "line_number": pa.nulls(n, pa.string()),
        },
        schema=PROBLEM_SCHEMA,
    )


def file_problem(reason: str, file_index: int) -> pa.Table:
    """A problem of the whole file (row 0, the header), in the shape of a rejected row."""
    problem = pa.table(
        {
            "_row": pa.array([0], pa.int64()),
            "field": pa.array(["(file)"]),
            "value": pa.array([""]),
            "reason": pa.array([reason]),
            "claim_id": pa.nulls(1, pa.string()),
            "line_number": pa.nulls(1, pa.string()),
        },
        schema=PROBLEM_SCHEMA,
    )
    return with_file(problem, file_index)


def with_file(problems: pa.Table, file_index: int) -> pa.Table:
    return problems.append_column("_file_index", pa.array(np.full(problems.num_rows, file_index, dtype=np.int32)))
