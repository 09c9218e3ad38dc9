"""Claims by identity, 8 bytes each: the hashes of claim ids, as sorted sets.

A nightly file has hundreds of thousands of claims the check drops; counting them (claims read)
and finding a claim split across batches or files needs their identity only, not their rows.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.distinct import distinct


def sorted_unique(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.array([], dtype=np.uint64)
    merged = np.concatenate(parts)
    parts.clear()  # the pieces are no longer needed: do not hold them and the merge at once
    return distinct(merged, in_place=True)


def contains(sorted_unique: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Membership in a sorted unique array without building another copy of it."""
    if not len(sorted_unique):
        return np.zeros(len(values), dtype=bool)
    position = np.searchsorted(sorted_unique, values).clip(max=len(sorted_unique) - 1)
    return sorted_unique[position] == values


FNV_OFFSET, FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)
LONG_ID = 256  # bytes: an id longer than this (a misplaced column) is hashed on its own


def hash_ids(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each string (FNV-1a over its UTF-8 bytes, then the splitmix64 finalizer),
    the same in every process and on every run; a null hashes as ''. Vectorised: one numpy pass
    per byte position over the strings that are still that long."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = pc.fill_null(values.cast(pa.large_string()), "")
    if not len(values):
        return np.zeros(0, dtype=np.uint64)
    _, offsets_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    hashes = np.full(len(values), FNV_OFFSET, dtype=np.uint64)
    active = np.flatnonzero((lengths > 0) & (lengths <= LONG_ID))
    position = 0
    with np.errstate(over="ignore"):
        while len(active):
            hashes[active] = (hashes[active] ^ data[starts[active] + position].astype(np.uint64)) * FNV_PRIME
            position += 1
            active = active[lengths[active] > position]
        for i in np.flatnonzero(lengths > LONG_ID).tolist():
            digest = hashlib.blake2b(data[starts[i] : starts[i] + lengths[i]].tobytes(), digest_size=8).digest()
            hashes[i] = np.uint64(int.from_bytes(digest, "little"))
        hashes ^= hashes >> np.uint64(30)
        hashes *= np.uint64(0xBF58476D1CE4E5B9)
        hashes ^= hashes >> np.uint64(27)
        hashes *= np.uint64(0x94D049BB133111EB)
        hashes ^= hashes >> np.uint64(31)
    return hashes


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
    hashes = pa.array(hash_ids(distinct), pa.uint64())
    named = pc.fill_null(pc.not_equal(distinct, ""), False)
    return pc.take(pc.if_else(named, hashes, pa.scalar(None, pa.uint64())), encoded.indices)
