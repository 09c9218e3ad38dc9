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


def distinct_claim_hashes(columns: list[pa.ChunkedArray]) -> np.ndarray:
    """The hashes of the distinct non-blank claim ids in these columns."""
    if not columns:
        return np.array([], dtype=np.uint64)
    ids = pc.unique(pa.chunked_array([c for column in columns for c in column.chunks], pa.string()))
    ids = ids.filter(pc.not_equal(ids, ""))
    return hash_ids(pd.Series(ids.to_pandas())) if len(ids) else np.array([], dtype=np.uint64)


def hash_ids(values: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(values, index=False).to_numpy()
