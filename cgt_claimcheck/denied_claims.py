"""The denied claims of a report and what was billed on them, counted by claim hash.

A claim is denied as it stands when it has an error: a listed finding's own claim, or one a
closing record stands for (`unlisted_claims`). Hashes and numpy, 8 bytes a claim: a file with a
million rejected claims is counted without a string or a hash table per claim.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.distinct import distinct
from cgt_claimcheck.report import CLAIM_HASH, UNLISTED_CLAIMS


def denied_claims(errors: pa.Table) -> dict[str, np.ndarray]:
    """file -> the hashes of its claims with an error (sorted, distinct): the listed findings' own
    and those their closing records stand for."""
    if not errors.num_rows or CLAIM_HASH not in errors.column_names:
        return {}
    files = errors.column("file").combine_chunks().cast(pa.string()).to_numpy(zero_copy_only=False)
    own = errors.column(CLAIM_HASH).combine_chunks()
    lists = errors.column(UNLISTED_CLAIMS).combine_chunks()
    owners = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    unlisted = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    named = own.is_valid().to_numpy(zero_copy_only=False)
    hashes = own.fill_null(0).to_numpy(zero_copy_only=False)
    denied = {}
    names = list(dict.fromkeys(files.tolist()))
    for file in names:
        if len(names) == 1:  # the common case: no masks over a million unlisted claims
            found = distinct(np.concatenate([hashes[named], unlisted]), in_place=True)
        else:
            here = files == file
            found = distinct(np.concatenate([hashes[here & named], unlisted[here[owners]]]), in_place=True)
        if len(found):
            denied[file] = found
    return denied


def denied_charges(denied: dict[str, np.ndarray], billed_by_claim: pa.Table) -> float:
    """What (file, claim_hash, billed) rows bill on the denied claims."""
    total = 0.0
    if not denied or not billed_by_claim.num_rows:
        return total
    files = billed_by_claim.column("file").combine_chunks()
    files = files if pa.types.is_dictionary(files.type) else pc.dictionary_encode(files)
    names = files.dictionary.to_pylist()
    index = files.indices.to_numpy(zero_copy_only=False)
    hashes = billed_by_claim.column(CLAIM_HASH).to_numpy()
    billed = billed_by_claim.column("billed").to_numpy(zero_copy_only=False)
    for file, claims in denied.items():
        if file in names:
            found = np.searchsorted(claims, hashes)
            np.minimum(found, len(claims) - 1, out=found)
            hit = np.equal(claims[found], hashes)
            del found
            if len(names) > 1:
                hit &= index == names.index(file)
            total += float(np.nansum(billed[hit]))
    return total
