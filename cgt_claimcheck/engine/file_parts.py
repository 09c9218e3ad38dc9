"""Stage: one file read in parts (ingest/byte_ranges.py for a CSV extract, ingest/x12_parts.py
for an X12 file), merged into what reading it whole gives.

Each part counted its rows, folded its problems and triaged the claims that begin and end inside
it. A claim cut by a part's edge is whole only here: the last claim of a part and the first
claim of the next are joined and triaged together, so a claim is kept or dropped whole, as when
one process reads the file. (A claim whose lines lie far apart in an unsorted file is recovered
by the intake's second pass, as always.) An X12 part numbered its service lines from 1: its
rows, its problems and where its lines are come after those of the parts before it.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.engine.file_read import FileRead
from cgt_claimcheck.engine.pending import FileState, Pending, triage
from cgt_claimcheck.ingest.x12_syntax import LineLocator
from cgt_claimcheck.report import REPRESENTS, UNLISTED_CLAIMS, InputError, InputSummary


def merged(parts: list[FileRead], whole: Callable[[], FileRead], max_repeats: int = 0) -> FileRead:
    """The read of the whole file from its parts' reads, in file order; `whole()` reads it
    again in one piece when a part found it must (ingest.scan.read_whole)."""
    if any(p.read_whole for p in parts):
        return whole()
    first = parts[0]
    if first.part is None:  # the file could not be opened: every part says the same
        return first
    if first.rows_in_part is not None:  # X12: each part numbered its service lines from 1
        parts = _renumbered(parts)
    state = FileState(first.state.path, InputSummary(path=first.state.path), first.state.present)
    read = FileRead(state, first.rejections, locator=_locator([p.locator for p in parts]))
    summary = state.summary
    carry: Pending | None = None
    for index, part in enumerate(parts):
        if index:
            read.rejections.absorb(part.rejections)
        _add_counts(summary, part.state.summary)
        state.rejected_claims.extend(part.state.rejected_claims)
        state.other_payer_rows.extend(part.state.other_payer_rows)
        for code, table in part.x12_problems.items():
            read.x12_problems[code] = (
                pa.concat_tables([read.x12_problems[code], table]) if code in read.x12_problems else table
            )
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
    read.x12_problems = {code: _refolded(table, max_repeats) for code, table in read.x12_problems.items()}
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


def _renumbered(parts: list[FileRead]) -> list[FileRead]:
    """Each part's rows after those of the parts before it (row 0, no line, stays 0)."""
    offset = 0
    for part in parts:
        if offset:
            for pending in [*part.kept, part.head, part.tail, *part.state.other_payer_rows]:
                if pending is not None:
                    pending.rows = pending.rows + offset
            part.rejections.parts = [_shifted(t, offset) for t in part.rejections.parts]
            part.x12_problems = {code: _shifted(t, offset) for code, t in part.x12_problems.items()}
        offset += part.rows_in_part or 0
    return parts


def _shifted(table: pa.Table, offset: int) -> pa.Table:
    rows = table.column("_row")
    shifted = pc.if_else(pc.greater(rows, 0), pc.add(rows, offset), rows)
    return table.set_column(table.schema.get_field_index("_row"), "_row", shifted)


def _locator(locators: list[Callable[[int], str] | None]) -> Callable[[int], str] | None:
    """An X12 file's locator from its parts' (an extract has none)."""
    if locators[0] is None:
        return None
    return LineLocator.joined([loc for loc in locators if isinstance(loc, LineLocator)])


def _refolded(table: pa.Table, max_repeats: int) -> pa.Table:
    """An X12 rule's problems from all parts, folded as one reader folds them: a cause (field and
    reason) kept max_repeats + 1 times in reading order, the last of those standing for the rest
    (their count and their claims). Folding again later, in the findings' order, would pick
    another record: a problem outside any line has row 0 and sorts first."""
    if not max_repeats or table.num_rows <= max_repeats + 1:
        return table
    fields, reasons = table.column("field").to_pylist(), table.column("reason").to_pylist()
    represents = table.column(REPRESENTS).to_pylist()
    claims = row_claim_hashes(table.column("claim_id")).to_pylist()
    unlisted = table.column(UNLISTED_CLAIMS).to_pylist()
    seen: dict[tuple[str, str], int] = {}
    closing: dict[tuple[str, str], int] = {}
    keep = []
    for row, key in enumerate(zip(fields, reasons, strict=True)):
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= max_repeats + 1:
            keep.append(row)
            if seen[key] == max_repeats + 1:
                closing[key] = row
            continue
        target = closing[key]
        represents[target] += represents[row]
        unlisted[target] = [
            *(unlisted[target] or []),
            *([claims[row]] if claims[row] is not None else []),
            *(unlisted[row] or []),
        ]
    for row in closing.values():
        unlisted[row] = sorted(set(unlisted[row] or []))
    table = table.set_column(table.schema.get_field_index(REPRESENTS), REPRESENTS, pa.array(represents, pa.int64()))
    column = pa.array(unlisted, table.schema.field(UNLISTED_CLAIMS).type)
    table = table.set_column(table.schema.get_field_index(UNLISTED_CLAIMS), UNLISTED_CLAIMS, column)
    return table.take(pa.array(keep, pa.int64()))
