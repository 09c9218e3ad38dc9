"""Read an X12 file both ways and say where they differ: transaction bodies as columns (the
reader's default) and every segment one at a time (the per-segment mapping, the reference).

Used by tests/test_x12_columns.py on every X12 file the tests know, and, with
CGT_CLAIMCHECK_X12_PARITY=1, on every X12 file any test reads (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.x12 import X12Reader

BATCHES = X12Reader.batches  # as defined, whatever a test's hook wraps it in later


def outcome(path: str, *, per_segment: bool, **options: Any) -> dict[str, Any]:
    """Everything a reader gives: rows, ordinals, rejected lines, problems, locations, the error."""
    reader = X12Reader(path, per_segment=per_segment, **options)
    tables, rows, invalid, error = [], [], [], None
    try:
        for batch in BATCHES(reader):
            tables.append(batch.table)
            rows.extend(batch.rows.tolist())
            invalid.extend((row.row, row.reason, row.text) for row in batch.invalid)
    except UsageError as exc:
        error = str(exc)
    table = pa.concat_tables(tables).to_pylist() if tables else []
    problems = [
        (p.code, p.row, p.field, p.value, p.reason, p.claim_id, p.line_number, p.location, p.represents)
        + (tuple(sorted(p.unlisted_claims)),)
        for p in reader.problems
    ]
    return {
        "lines": table,
        "rows": rows,
        "invalid": invalid,
        "problems": problems,
        "error": error,
        "segments": reader.segments_read,
        "transactions": reader.transactions_read,
        "locations": [reader.locate(row) for row in range(1, reader.ordinal + 1)],
        "mapped_by_segment": dict(reader.mapped_by_segment),
    }


def differences(path: str, **options: Any) -> list[str]:
    """What differs between the two ways of reading `path` (empty: nothing)."""
    by_column = outcome(path, per_segment=False, **options)
    by_segment = outcome(path, per_segment=True, **options)
    found = []
    for key, expected in by_segment.items():
        if key == "mapped_by_segment":
            continue
        got = by_column[key]
        if got != expected:
            if isinstance(expected, list) and isinstance(got, list):
                first = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), None)
                where = f"first at {first}: {got[first]!r} != {expected[first]!r}" if first is not None else ""
                found.append(f"{key}: {len(got)} vs {len(expected)} {where}")
            else:
                found.append(f"{key}: {got!r} != {expected!r}")
    return found
