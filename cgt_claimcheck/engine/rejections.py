"""Rejected rows as problem tables (ingest.screen's PROBLEM_SCHEMA plus the file's index).

The intake makes them while it reads; the findings stage turns them into IN001, IN005 and IN006
findings. A file can reject a million rows: they stay in Arrow, never one object per row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.engine.repeats import UNLISTED_TYPE
from cgt_claimcheck.ingest.columns import WHOLE_ROW
from cgt_claimcheck.ingest.normalise import numbers, usable_charge
from cgt_claimcheck.ingest.reader import InvalidRow, RawBatch
from cgt_claimcheck.ingest.screen import PROBLEM_SCHEMA, Screened, claimless_problems, trim_whitespace
from cgt_claimcheck.ingest.x12 import X12Problem
from cgt_claimcheck.report import CLAIM_HASH, REPRESENTS, UNLISTED_CLAIMS


def rejected(batch: RawBatch, screened: Screened, file_index: int) -> list[pa.Table]:
    """The rows of a batch that were rejected: unsplittable lines, then unusable values."""
    parts = [invalid_rows(batch.invalid)] if batch.invalid else []
    return [with_file(p, file_index) for p in parts + [screened.rejected] if p.num_rows]


def rejected_claims(screened: Screened) -> list[pa.Table]:
    """(claim_hash, billed) of a batch's rejected rows, one row a claim: the charges are read as the
    kept lines' are (usable_charge), and a batch holds its claims once, not once a row."""
    table = screened.table
    rejected_rows = np.flatnonzero(~screened.valid & ~screened.out_of_scope)
    if not len(rejected_rows):  # a clean batch: no claim id is hashed
        return []
    hashes = row_claim_hashes(table.column("claim_id").take(pa.array(rejected_rows)))
    named = hashes.is_valid().to_numpy(zero_copy_only=False)
    rejected_rows, hashes = rejected_rows[named], hashes.filter(pa.array(named))
    if not len(rejected_rows):
        return []
    taken = pa.array(rejected_rows)
    billed = np.zeros(len(taken))
    if "charge" in table.column_names:
        written = trim_whitespace(table.column("charge").take(taken).combine_chunks())
        billed = usable_charge(numbers(written)).fill_null(0.0).to_numpy(zero_copy_only=False)
    claims = pa.table({CLAIM_HASH: hashes, "billed": pa.array(billed, pa.float64())})
    return summed_by_claim([claims])


def summed_by_claim(parts: list[pa.Table]) -> list[pa.Table]:
    """(claim_hash, billed) parts as one table, one row a claim: what rejected rows cost grows with
    the claims (16 bytes each), not the rows (a million rejected rows may be 200,000 claims)."""
    if not parts:
        return []
    # numpy, not Arrow's group_by: its hash table costs about ten times the keys it groups.
    hashes = np.concatenate([p.column(CLAIM_HASH).to_numpy() for p in parts])
    if len(parts) == 1 and bool(np.all(hashes[1:] > hashes[:-1])):
        return parts  # summed already
    billed = np.concatenate([p.column("billed").to_numpy() for p in parts])
    order = np.argsort(hashes, kind="stable")
    hashes, billed = hashes[order], billed[order]
    del order  # a million claims are 8 MB an array: hold as few at once as we can
    first = np.r_[True, hashes[1:] != hashes[:-1]]
    if not first.all():
        starts = np.flatnonzero(first)
        hashes, billed = hashes[starts], np.add.reduceat(billed, starts)
    return [pa.table({CLAIM_HASH: pa.array(hashes, pa.uint64()), "billed": pa.array(billed, pa.float64())})]


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
                UNLISTED_CLAIMS: _claim_lists([p.unlisted_claims for p in found]),
            },
            schema=PROBLEM_SCHEMA.append(pa.field("location", pa.string()))
            .append(pa.field(REPRESENTS, pa.int64()))
            .append(pa.field(UNLISTED_CLAIMS, UNLISTED_TYPE)),
        )
        for code, found in by_code.items()
    }


def _claim_lists(claims: list[set[str]]) -> pa.ListArray:
    """Sets of claim ids as lists of their hashes (the unlisted-claims column)."""
    flat = pa.array([claim for each in claims for claim in sorted(each)], pa.string())
    offsets = pa.array(np.r_[0, np.cumsum([len(each) for each in claims], dtype=np.int64)].astype(np.int32))
    return pa.ListArray.from_arrays(offsets, row_claim_hashes(flat), type=UNLISTED_TYPE)
