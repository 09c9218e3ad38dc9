"""Stage: one file read in parts (ingest/byte_ranges.py), merged into what reading it whole gives.

Each part counted its rows, folded its problems and triaged the claims that begin and end inside
it. A claim cut by a part's edge is whole only here: the last claim of a part and the first
claim of the next are joined and triaged together, so a claim is kept or dropped whole, as when
one process reads the file. (A claim whose lines lie far apart in an unsorted file is recovered
by the intake's second pass, as always.)
"""

from __future__ import annotations

from collections.abc import Callable

from cgt_claimcheck.engine.file_read import FileRead
from cgt_claimcheck.engine.pending import FileState, Pending, triage
from cgt_claimcheck.report import InputError, InputSummary


def merged(parts: list[FileRead], whole: Callable[[], FileRead]) -> FileRead:
    """The read of the whole file from its parts' reads, in file order; `whole()` reads it
    again in one piece when a part's lines are not the file's (a CR-only line end)."""
    if any(p.lines_moved for p in parts):
        return whole()
    first = parts[0]
    if first.part is None:  # the file could not be opened: every part says the same
        return first
    state = FileState(first.state.path, InputSummary(path=first.state.path), first.state.present)
    read = FileRead(state, first.rejections, locator=first.locator)
    summary = state.summary
    carry: Pending | None = None
    for index, part in enumerate(parts):
        if index:
            read.rejections.absorb(part.rejections)
        _add_counts(summary, part.state.summary)
        state.rejected_claims.extend(part.state.rejected_claims)
        state.other_payer_rows.extend(part.state.other_payer_rows)
        if part.head is not None:
            carry = part.head if carry is None else carry.then(part.head)
        if part.claims_end:  # what was carried is whole: triage it before the part's own claims
            _triage(carry, read)
            read.kept.extend(part.kept)
            read.claim_hashes.extend(part.claim_hashes)
            read.dropped_hashes.extend(part.dropped_hashes)
            carry = part.tail
        if part.error is not None or part.part is None:  # reading stopped here, as it would have whole
            exc, _ = part.error if part.error is not None else (None, None)
            if exc is not None:
                message = f"{exc} (after {summary.rows_read:,} rows)"
                read.error = (exc, InputError(file=state.path, message=message))
            return read
    _triage(carry, read)
    read.empty = first.empty if summary.rows_read == 0 else None
    return read


def _add_counts(total: InputSummary, part: InputSummary) -> None:
    total.rows_read += part.rows_read
    total.rows_checked += part.rows_checked
    total.rows_rejected += part.rows_rejected
    total.rows_out_of_scope += part.rows_out_of_scope
    for value, count in part.out_of_scope.items():
        total.out_of_scope[value] = total.out_of_scope.get(value, 0) + count


def _triage(carry: Pending | None, read: FileRead) -> None:
    if carry is not None:
        triage(carry, set(), read.kept, read.claim_hashes, read.dropped_hashes)
