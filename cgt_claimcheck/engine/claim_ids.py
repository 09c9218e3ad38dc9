"""Claims by identity, 8 bytes each: the hashes of claim ids, as sorted sets.

A nightly file has hundreds of thousands of claims the check drops; counting them (claims read)
and finding a claim split across batches or files needs their identity only, not their rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def sorted_unique(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.array([], dtype=np.uint64)
    merged = np.concatenate(parts)
    parts.clear()  # the pieces are no longer needed: do not hold them and the merge at once
    merged.sort()
    keep = np.empty(len(merged), dtype=bool)
    if len(merged):
        keep[0] = True
        np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def contains(sorted_unique: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Membership in a sorted unique array without building another copy of it."""
    if not len(sorted_unique):
        return np.zeros(len(values), dtype=bool)
    position = np.searchsorted(sorted_unique, values).clip(max=len(sorted_unique) - 1)
    return sorted_unique[position] == values


def hash_ids(values: pd.Series | pa.Array) -> np.ndarray:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        values = pd.Series(values.to_pandas())
    return pd.util.hash_pandas_object(values, index=False).to_numpy()


def row_claim_hashes(claim_ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each row's claim id as its hash (null where the row names no claim), hashed once per
    distinct id: how the findings carry their claims for the denied-claims count."""
    if isinstance(claim_ids, pa.ChunkedArray):
        claim_ids = claim_ids.combine_chunks()
    if pa.types.is_dictionary(claim_ids.type):
        claim_ids = claim_ids.cast(claim_ids.type.value_type)
    encoded = pc.dictionary_encode(claim_ids.cast(pa.string()))
    distinct = encoded.dictionary
    if not len(distinct):
        return pa.nulls(len(claim_ids), pa.uint64())
    hashes = pa.array(hash_ids(pd.Series(distinct.to_pandas())), pa.uint64())
    named = pc.fill_null(pc.not_equal(distinct, ""), False)
    return pc.take(pc.if_else(named, hashes, pa.scalar(None, pa.uint64())), encoded.indices)
