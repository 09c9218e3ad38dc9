"""Rejected rows as problem tables (ingest.screen's PROBLEM_SCHEMA plus the file's index).

The intake makes them while it reads; the findings stage turns them into IN001, IN005 and IN006
findings. A file can reject a million rows: they stay in Arrow, never one object per row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cgt_claimcheck.ingest.columns import WHOLE_ROW
from cgt_claimcheck.ingest.reader import InvalidRow, RawBatch
from cgt_claimcheck.ingest.screen import PROBLEM_SCHEMA, Screened, claimless_problems
from cgt_claimcheck.ingest.x12 import X12Problem
from cgt_claimcheck.report import REPRESENTS


def rejected(batch: RawBatch, screened: Screened, file_index: int) -> list[pa.Table]:
    """The rows of a batch that were rejected: unsplittable lines, then unusable values."""
    parts = [invalid_rows(batch.invalid)] if batch.invalid else []
    return [with_file(p, file_index) for p in parts + [screened.rejected] if p.num_rows]


def invalid_rows(invalid: list[InvalidRow]) -> pa.Table:
    """Rows the reader could not split into the header's fields, as screen problems."""
    rows = [r.row for r in invalid]
    return claimless_problems(rows, [WHOLE_ROW] * len(rows), [r.text for r in invalid], [r.reason for r in invalid])


def file_problem(reason: str, file_index: int) -> pa.Table:
    """A problem of the whole file (row 0, the header), in the shape of a rejected row."""
    return with_file(claimless_problems([0], ["(file)"], [""], [reason]), file_index)


def with_file(problems: pa.Table, file_index: int) -> pa.Table:
    return problems.append_column("_file_index", pa.array(np.full(problems.num_rows, file_index, dtype=np.int32)))


def x12_problem_tables(problems: list[X12Problem]) -> dict[str, pa.Table]:
    """The X12 reader's problems as problem tables, one per XE rule code."""
    by_code: dict[str, list[X12Problem]] = {}
    for p in problems:
        by_code.setdefault(p.code, []).append(p)
    return {
        code: pa.table(
            {
                "_row": pa.array([p.row for p in found], pa.int64()),
                "field": pa.array([p.field for p in found], pa.string()),
                "value": pa.array([p.value for p in found], pa.string()),
                "reason": pa.array([p.reason for p in found], pa.string()),
                "claim_id": pa.array([p.claim_id or None for p in found], pa.string()),
                "line_number": pa.array([p.line_number or None for p in found], pa.string()),
                "location": pa.array([p.location or None for p in found], pa.string()),
                REPRESENTS: pa.array([p.represents for p in found], pa.int64()),
            },
            schema=PROBLEM_SCHEMA.append(pa.field("location", pa.string())).append(pa.field(REPRESENTS, pa.int64())),
        )
        for code, found in by_code.items()
    }
