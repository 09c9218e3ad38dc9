"""Read one input: screen every batch, count every row, fold its problems, keep its relevant
claims whole. In this process, or in a worker of `engine/parallel_reads.py` (what it returns,
a `FileRead`, crosses processes as it is)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.engine.pending import FileState, Pending, triage
from cgt_claimcheck.engine.rejections import file_problem, rejected, rejected_claims, with_file, x12_problem_tables
from cgt_claimcheck.engine.repeats import RepeatedProblems
from cgt_claimcheck.errors import EmptyInput, UsageError
from cgt_claimcheck.ingest.arrow_source import ArrowSource
from cgt_claimcheck.ingest.byte_ranges import ByteRange
from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.ingest.scan import Reader, Screening, open_input, read_whole, rows_in_part, scan
from cgt_claimcheck.ingest.source import display_name
from cgt_claimcheck.report import InputError, InputSummary


@dataclass
class FileRead:
    """One input read, screened and triaged: what the intake merges, file by file, in file order."""

    state: FileState
    rejections: RepeatedProblems
    kept: list[Pending] = field(default_factory=list)
    claim_hashes: list[np.ndarray] = field(default_factory=list)
    dropped_hashes: list[np.ndarray] = field(default_factory=list)
    x12_problems: dict[str, pa.Table] = field(default_factory=dict)
    locator: Callable[[int], str] | None = None
    empty: pa.Table | None = None  # the IN005 problem of an empty file
    error: tuple[UsageError, InputError] | None = None  # a file that could not be read (whole or in part)
    # A part of a file: its first and last claims, untriaged (they may go on in the parts around
    # it); whether a claim ended in it; whether the file must be read whole after all
    # (ingest.scan.read_whole); an X12 part's service lines, numbered from 1.
    part: ByteRange | None = None
    head: Pending | None = None
    tail: Pending | None = None
    claims_end: bool = False
    read_whole: bool = False
    rows_in_part: int | None = None


def read_one(
    path: str | ArrowSource, file_index: int, options: CheckOptions, screening: Screening, part: ByteRange | None = None
) -> FileRead:
    """Read one input, or one part of it (in this process, or in a worker of `read_files`)."""
    display = display_name(path)
    rejections = RepeatedProblems(options.max_repeats)  # memory by cause, not by row
    try:
        reader = open_input(path, **options.reading(), part=part)
    except EmptyInput:
        blank = FileState(display, InputSummary(path=display), set(COLUMNS))
        return FileRead(blank, rejections, empty=file_problem("is empty (no header, no rows)", file_index))
    except UsageError as exc:  # unreadable: the other files are still checked, the exit code is 2
        blank = FileState(display, InputSummary(path=display), set(COLUMNS))  # no "column absent" noise
        return FileRead(blank, rejections, error=(exc, InputError(file=display, message=str(exc))))
    state = FileState(reader.display, InputSummary(path=reader.display), set(reader.columns))
    read = FileRead(state, rejections, part=part)
    try:
        _read_file(reader, file_index, options, screening, read)
    except UsageError as exc:
        read.error = (exc, InputError(file=state.path, message=f"{exc} (after {state.summary.rows_read:,} rows)"))
    read.locator = reader.locator
    read.read_whole, read.rows_in_part = read_whole(reader), rows_in_part(reader)
    read.x12_problems = {code: with_file(t, file_index) for code, t in x12_problem_tables(reader.problems).items()}
    if state.summary.rows_read == 0 and read.error is None and (part is None or part.first):
        read.empty = file_problem("has a header but no rows", file_index)
    return read


def _read_file(reader: Reader, file_index: int, options: CheckOptions, screening: Screening, read: FileRead) -> None:
    """Screen and triage one file's batches; count its rows (also when reading fails midway).

    A part of a file (`read.part`) leaves its first and last claims untriaged: they may go on in
    the parts around it, and meet there when the parts are merged (engine/file_parts.py)."""
    known_relevant: set[str] = set()
    carry: Pending | None = None
    state, summary = read.state, read.state.summary
    kept, claim_hashes, dropped_hashes = read.kept, read.claim_hashes, read.dropped_hashes
    read.claims_end = read.part is None or read.part.first  # else its first claim may have begun before
    try:
        for batch, screened in scan(reader, screening):
            summary.rows_read += batch.table.num_rows + len(batch.invalid)
            read.rejections.extend(rejected(batch, screened, file_index))
            out_of_scope = int(screened.out_of_scope.sum())
            summary.rows_out_of_scope += out_of_scope
            for value, count in screened.out_of_scope_payers.items():
                summary.out_of_scope[value] = summary.out_of_scope.get(value, 0) + count
            summary.rows_rejected += len(batch.invalid) + int((~screened.valid).sum()) - out_of_scope
            state.add_rejected_claims(rejected_claims(screened))
            pending = Pending(screened.table, batch.rows, screened.relevant, file_index, state.path)
            if (screened.out_of_scope & screened.relevant).any():
                state.other_payer_rows.append(pending.subset(screened.out_of_scope & screened.relevant))
            pending = pending.subset(screened.valid)
            if carry is not None:
                pending = carry.then(pending)
            # The last claim may continue in the next batch: hold it back.
            pending, carry = pending.split_last_claim()
            if not read.claims_end and pending.table.num_rows:  # another claim began: the first one ended
                read.head, pending = pending.split_first_claim()
                read.claims_end = True
            triage(pending, known_relevant, kept, claim_hashes, dropped_hashes)
            if options.progress:
                options.progress(state.path, summary.rows_read)
        if not read.claims_end:  # one claim from start to end of the part
            read.head = carry
        elif read.part is not None and not read.part.last:
            read.tail = carry
        elif carry is not None:
            triage(carry, known_relevant, kept, claim_hashes, dropped_hashes)
    finally:
        summary.rows_checked = summary.rows_read - summary.rows_rejected - summary.rows_out_of_scope
