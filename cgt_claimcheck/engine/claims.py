"""Stage: claims. The header a clerk reads above a claim's findings: who, when, which payer, how much.

One row per claim that has a finding (never per claim of the file: most claims of a nightly
extract have none), built with one group-by over the kept lines in Arrow. Findings on rows that
were rejected before they became lines (a claim whose every line was rejected) have no header.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.distinct import distinct
from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.report import CLAIM_HASH, CLAIM_HEADER_COLUMNS, Findings

REDACTED = "[redacted]"
CLAIM_HEADER_SCHEMA = pa.schema(
    [(name, pa.float64() if name == "billed" else pa.string()) for name in CLAIM_HEADER_COLUMNS]
)
NO_HEADERS = CLAIM_HEADER_SCHEMA.append(pa.field(CLAIM_HASH, pa.uint64())).empty_table()


def claim_headers(lines: pa.Table | None, findings: Findings, redact: bool) -> pa.Table:
    """(file, claim_id, payer, member_id, first_service, last_service, billed) of each claim with findings."""
    if lines is None or not lines.num_rows or not len(findings):
        return NO_HEADERS
    # A claim is a file and a claim id: both as codes of the lines' distinct values, one number each.
    files, file_of = _codes(lines.column("_file"))
    claims, claim_of = _codes(lines.column("claim_id"))
    stride = len(claims) + 1
    key = np.where((file_of >= 0) & (claim_of >= 0), file_of * stride + claim_of, -1)
    named = findings.table.select(["file", "claim_id"])
    found_file, found_claim = _codes_in(named.column("file"), files), _codes_in(named.column("claim_id"), claims)
    wanted = distinct((found_file * stride + found_claim)[(found_file >= 0) & (found_claim >= 0)])
    history = lines.column("_history").combine_chunks().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(np.isin(key, wanted) & ~history & (key >= 0))
    if not len(rows):
        return NO_HEADERS
    # Each claim's lines together, in input order; claims in the order they first appear.
    _, first, group = np.unique(key[rows], return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(first))
    group = rank[group]
    order = np.argsort(group, kind="stable")
    rows, group = rows[order], group[order]
    starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
    member = _first_given(lines.column("member_id"), rows, starts)
    if redact:
        member = pa.repeat(pa.scalar(REDACTED), len(starts))
    served = lines.column("service_date").combine_chunks()
    charges = lines.column("charge").combine_chunks().take(pa.array(rows))
    usable = charges.is_valid().to_numpy(zero_copy_only=False)
    amounts, ends = charges.fill_null(0.0).to_numpy().tolist(), [*starts[1:].tolist(), len(rows)]
    table = pa.table(
        {
            "file": files.take(pa.array(file_of[rows[starts]])),
            "claim_id": claims.take(pa.array(claim_of[rows[starts]])),
            "payer": pc.fill_null(_first_given(lines.column("payer"), rows, starts), ""),
            "member_id": pc.fill_null(member, ""),
            "first_service": _day(served, rows, starts, np.minimum),
            "last_service": _day(served, rows, starts, np.maximum),
            "billed": pa.array(
                [_billed(amounts[a:b], usable[a:b]) for a, b in zip(starts.tolist(), ends, strict=True)], pa.float64()
            ),
        },
        schema=CLAIM_HEADER_SCHEMA,
    )
    return table.append_column(CLAIM_HASH, row_claim_hashes(table.column("claim_id")))  # the denied charges' key


def _codes(column: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of a text column and each row's code among them (-1: null)."""
    encoded = pc.dictionary_encode(column.combine_chunks().cast(pa.string()))
    return encoded.dictionary, encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _codes_in(column: pa.ChunkedArray, values: pa.Array) -> np.ndarray:
    """Each row's code among `values` (-1: null or not among them); a dictionary column is looked
    up once per dictionary value."""
    array = column.combine_chunks()
    dictionary = pa.types.is_dictionary(array.type)
    looked_up = pc.index_in((array.dictionary if dictionary else array).cast(pa.string()), value_set=values)
    codes = looked_up.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if not dictionary:
        return codes
    indices = array.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.append(codes, -1)[indices]  # a null index (-1) takes the trailing -1


def _first_given(column: pa.ChunkedArray, rows: np.ndarray, starts: np.ndarray) -> pa.Array:
    """Per claim (rows grouped, `starts` where each claim begins), its first value that is not null."""
    values = column.combine_chunks().take(pa.array(rows))
    given = np.flatnonzero(values.is_valid().to_numpy(zero_copy_only=False))
    at = np.searchsorted(given, starts)
    ends = np.append(starts[1:], len(rows))
    found = at < len(given)
    found[found] &= given[at[found]] < ends[found]
    picked = np.where(found, given[np.minimum(at, len(given) - 1)] if len(given) else 0, 0)
    return values.take(pa.array(picked, mask=~found))


def _day(dates: pa.Array, rows: np.ndarray, starts: np.ndarray, pick: np.ufunc) -> pa.Array:
    """Per claim, its earliest (np.minimum) or latest (np.maximum) date as YYYY-MM-DD; '' when none."""
    taken = dates.take(pa.array(rows))
    seconds = taken.cast(pa.timestamp("s")).cast(pa.int64()).fill_null(0).to_numpy()  # int64, nulls masked below
    given = taken.is_valid().to_numpy(zero_copy_only=False)
    none = np.iinfo(np.int64).max if pick is np.minimum else np.iinfo(np.int64).min
    chosen = pick.reduceat(np.where(given, seconds, none), starts)
    missing = chosen == none
    days = pa.array((np.where(missing, 0, chosen) // 86_400).astype(np.int32), pa.date32(), mask=missing)
    return pc.fill_null(days.cast(pa.string()), "")


def _billed(charges: list[float], usable: np.ndarray) -> float | None:
    """The claim's usable charges added exactly (math.fsum); none at all is unknown, not $0."""
    kept = [c for c, ok in zip(charges, usable.tolist(), strict=True) if ok]
    return math.fsum(kept) if kept else None
