"""The rows of one file between screening and the intake, kept whole by claim.

A claim's lines may straddle batches (the last claim of a batch is held back for the next one)
and, in an unsorted file, be far apart (the claims kept and dropped are remembered as hashes).
Used by the reading of one file (`engine/file_read.py`), in this process or in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.engine.claim_ids import hash_ids
from cgt_claimcheck.engine.rejections import summed_by_claim
from cgt_claimcheck.report import InputSummary

FILE_SHIFT = np.int64(40)  # _seq = file index << 40 | data row


@dataclass
class FileState:
    path: str
    summary: InputSummary
    present: set[str]  # canonical columns the file has
    # (claim_hash, billed) of the claims with rejected rows: a claim denied for a rejected row counts
    # as read, and its billed charges as denied, though its lines are never kept.
    rejected_claims: list[pa.Table] = field(default_factory=list)
    # Relevant rows of payers out of scope: never checked, but a member's history (a Zynteglo
    # infusion paid by another payer is still a prior CGT for the once-per-lifetime rule).
    other_payer_rows: list[Pending] = field(default_factory=list)
    _summed_rows: int = 0  # rows of rejected_claims after the last sum

    def add_rejected_claims(self, parts: list[pa.Table]) -> None:
        """Each batch's claims come summed; a claim rarely spans batches, so the whole is summed
        again only when it doubled (memory by claim, not by batch, at a sort's amortized cost)."""
        self.rejected_claims.extend(parts)
        rows = sum(t.num_rows for t in self.rejected_claims)
        if rows > 2 * max(self._summed_rows, 250_000):
            self.rejected_claims[:] = summed_by_claim(self.rejected_claims)
            self._summed_rows = self.rejected_claims[0].num_rows


def sequence(file_index: int, rows: np.ndarray) -> np.ndarray:
    """Input order as one integer: file first, then data row."""
    return (np.int64(file_index) << FILE_SHIFT) + np.asarray(rows, dtype=np.int64)


@dataclass
class Pending:
    """Screened, valid rows of one file not yet triaged (still pyarrow)."""

    table: pa.Table
    rows: np.ndarray
    relevant: np.ndarray
    file_index: int
    path: str

    def __getstate__(self) -> dict[str, object]:
        """Pickled (a worker's read on its way back, a cluster task's result) with only the rows
        it holds: Arrow pickles a slice with its parent's whole buffers, so a part's first claim,
        three lines sliced off a batch, travelled as the batch (3.6 MB of a 1M-line X12 file)."""
        state = dict(self.__dict__)
        table = self.table
        if table.get_total_buffer_size() > table.nbytes:
            state["table"] = table.take(pa.array(np.arange(table.num_rows)))
        return state

    def then(self, other: Pending) -> Pending:
        return Pending(
            pa.concat_tables([self.table, other.table]),
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self.relevant, other.relevant]),
            other.file_index,
            other.path,
        )

    def split_last_claim(self) -> tuple[Pending, Pending | None]:
        """Hold back the trailing run of the last claim (zero-copy slices)."""
        n = self.table.num_rows
        if n == 0:
            return self, None
        claim = self.table.column("claim_id")
        same = np.asarray(pc.equal(claim, claim[-1]), dtype=bool)
        different = np.flatnonzero(~same)
        start = int(different[-1]) + 1 if len(different) else 0
        return self._slice(0, start), self._slice(start, n)

    def split_first_claim(self) -> tuple[Pending, Pending]:
        """The leading run of the first claim, and the rest (zero-copy slices)."""
        n = self.table.num_rows
        if n == 0:
            return self, self
        claim = self.table.column("claim_id")
        different = np.flatnonzero(~np.asarray(pc.equal(claim, claim[0]), dtype=bool))
        stop = int(different[0]) if len(different) else n
        return self._slice(0, stop), self._slice(stop, n)

    def _slice(self, start: int, stop: int) -> Pending:
        return Pending(
            self.table.slice(start, stop - start),
            self.rows[start:stop],
            self.relevant[start:stop],
            self.file_index,
            self.path,
        )

    def subset(self, mask: np.ndarray) -> Pending:
        if mask.all():
            return self
        index = pa.array(np.flatnonzero(mask))
        return Pending(self.table.take(index), self.rows[mask], self.relevant[mask], self.file_index, self.path)


def triage(
    pending: Pending,
    known_relevant: set[str],
    kept: list[Pending],
    claim_hashes: list[np.ndarray],
    dropped_hashes: list[np.ndarray],
) -> None:
    """Keep the lines of relevant claims; remember (as hashes) the claims kept and those dropped.

    Dropped claims are most claims of a nightly file: their hashes are the only per-claim
    memory the run keeps (8 bytes a claim).
    """
    if pending.table.num_rows == 0:
        return
    claims = pending.table.column("claim_id")
    known_relevant.update(pc.unique(pc.filter(claims, pa.array(pending.relevant))).to_pylist())
    relevant = pa.array(sorted(known_relevant), pa.string())
    unique = pc.unique(claims)
    hashes = hash_ids(unique)
    unique_kept = np.asarray(pc.is_in(unique, relevant), dtype=bool)
    claim_hashes.append(hashes[unique_kept])  # dropped claims are counted from dropped_hashes
    if not unique_kept.all():
        dropped_hashes.append(hashes[~unique_kept])
    if unique_kept.any():
        kept.append(pending.subset(np.asarray(pc.is_in(claims, relevant), dtype=bool)))
