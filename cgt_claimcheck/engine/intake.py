"""Stage: intake. Read every file, screen every row, keep the relevant claims whole, count every row.

1. Stream each file in batches; screen them (ingest.screen): unusable rows are rejected (IN001
   later) and every row is counted as checked or rejected.
2. Keep only claims with a line that some selected rule declares relevant (its trigger codes).
   Nightly extracts are >99% non-CGT; those rows are counted and dropped. A claim whose lines
   straddle batches stays whole: the last claim of a batch is carried into the next one, and if
   an unsorted file made a claim relevant after some of its rows were dropped, those rows are
   recovered in a second pass (only then).
3. Normalise the kept rows (ingest.normalise) and add the --history rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.engine.claim_ids import contains, hash_ids, sorted_unique
from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.engine.parallel_reads import read_files
from cgt_claimcheck.engine.rejections import (
    file_problem,
    rejected,
    rejected_claims,
    summed_by_claim,
    with_file,
    x12_problem_tables,
)
from cgt_claimcheck.engine.repeats import RepeatedProblems
from cgt_claimcheck.errors import EmptyInput, UsageError
from cgt_claimcheck.ingest.arrow_source import ArrowSource
from cgt_claimcheck.ingest.columns import COLUMNS, HISTORY_PREFIX, OTHER_PAYER_PREFIX
from cgt_claimcheck.ingest.normalise import complete
from cgt_claimcheck.ingest.problems import InputProblems
from cgt_claimcheck.ingest.scan import Reader, Screening, open_input, scan
from cgt_claimcheck.ingest.source import display_name
from cgt_claimcheck.reference import Reference
from cgt_claimcheck.report import CLAIM_HASH, InputError, InputSummary
from cgt_claimcheck.rules.base import Rule, Triggers, cgt_drug_triggers

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
    other_payer_rows: list[_Pending] = field(default_factory=list)
    _summed_rows: int = 0  # rows of rejected_claims after the last sum

    def add_rejected_claims(self, parts: list[pa.Table]) -> None:
        """Each batch's claims come summed; a claim rarely spans batches, so the whole is summed
        again only when it doubled (memory by claim, not by batch, at a sort's amortized cost)."""
        self.rejected_claims.extend(parts)
        rows = sum(t.num_rows for t in self.rejected_claims)
        if rows > 2 * max(self._summed_rows, 250_000):
            self.rejected_claims[:] = summed_by_claim(self.rejected_claims)
            self._summed_rows = self.rejected_claims[0].num_rows


@dataclass
class Intake:
    """What the rules and the findings stage need from the inputs."""

    files: list[FileState]
    lines: pd.DataFrame | None  # normalised kept lines (input and history), in input order
    # What is wrong with the inputs themselves, for the input rules: rejected rows, empty files,
    # unusable rows of --history files (never dropped silently: a repeat treatment may hide
    # there), what the X12 reader found.
    problems: InputProblems
    claims: int = 0
    errors: list[InputError] = field(default_factory=list)  # files that could not be read (others were)
    x12_locators: dict[int, Callable[[int], str]] = field(default_factory=dict)  # file index -> row -> location


class Relevance:
    """Which lines a selected rule could care about (the prefilter)."""

    def __init__(self, ref: Reference, rules: Iterable[Rule]) -> None:
        triggers = cgt_drug_triggers(ref) | Triggers(procedure_codes=ref.codes("car_t_admin"))
        for r in rules:
            triggers = triggers | r.triggers(ref)
        self.procedure_codes = sorted(triggers.procedure_codes)
        self.diagnosis_codes = triggers.diagnosis_codes
        self.pcs_codes = triggers.pcs_codes


def take_in(paths: Sequence[str | ArrowSource], ref: Reference, options: CheckOptions, relevance: Relevance) -> Intake:
    files: list[FileState] = []
    kept: list[_Pending] = []
    rejections = RepeatedProblems(options.max_repeats)  # memory by cause, not by row
    claim_hashes: list[np.ndarray] = []
    dropped_hashes: list[np.ndarray] = []

    empty: list[pa.Table] = []
    x12_problems: dict[str, list[pa.Table]] = {}
    x12_locators: dict[int, Callable[[int], str]] = {}
    errors: list[tuple[UsageError, InputError]] = []
    screening = _screening(ref, options, relevance)
    # Each file is read, screened and triaged on its own (in parallel with --jobs); the results
    # meet here in file order, so the report is the same whatever the number of jobs.
    for file_index, read in enumerate(read_files(paths, options, screening, read_one)):
        files.append(read.state)
        kept.extend(read.kept)
        rejections.absorb(read.rejections)
        claim_hashes.extend(read.claim_hashes)
        dropped_hashes.extend(read.dropped_hashes)
        if read.error is not None:
            errors.append(read.error)
        if read.locator is not None:
            x12_locators[file_index] = read.locator
        for code, table in read.x12_problems.items():
            x12_problems.setdefault(code, []).append(table)
        if read.empty is not None:
            empty.append(read.empty)
    if errors and len(errors) == len(paths):
        raise errors[0][0]  # nothing usable could be read

    lines = _complete(kept, options.date_format)
    dropped = sorted_unique(dropped_hashes)
    kept_claims = sorted_unique(claim_hashes)
    # A claim both kept and dropped had lines on both sides (an unsorted file): count it once; a
    # claim with rejected rows is a claim read too (its other rows may be kept or dropped).
    for f in files:  # one table a file, one row a claim, from here on
        f.rejected_claims[:] = summed_by_claim(f.rejected_claims)
    rejected_claims = sorted_unique([t.column(CLAIM_HASH).to_numpy() for f in files for t in f.rejected_claims])
    claims = len(sorted_unique([dropped, kept_claims, rejected_claims]))
    lines = _recover_split_claims(lines, paths, files, dropped, options, screening)

    history, history_rejections, history_files = _read_history(options, screening, first_index=len(paths))
    other_payers = _as_history(
        _complete([p for f in files for p in f.other_payer_rows], options.date_format, history=True), OTHER_PAYER_PREFIX
    )
    for context in (history, other_payers):
        if context is not None and len(context):
            lines = context if lines is None else pd.concat([lines, context], ignore_index=True)
    if lines is not None:
        lines = lines.sort_values("_seq", kind="stable").reset_index(drop=True)
    problems = InputProblems(
        files=[f.path for f in files],
        rejected_rows=rejections.tables(),
        empty_files=empty,
        context_rows=history_rejections,
        context_files=[f.path for f in files] + history_files,
        x12=x12_problems,
    )
    return Intake(files, lines, problems, claims, [error for _, error in errors], x12_locators)


@dataclass
class FileRead:
    """One input read, screened and triaged: what the intake merges, file by file, in file order."""

    state: FileState
    rejections: RepeatedProblems
    kept: list[_Pending] = field(default_factory=list)
    claim_hashes: list[np.ndarray] = field(default_factory=list)
    dropped_hashes: list[np.ndarray] = field(default_factory=list)
    x12_problems: dict[str, pa.Table] = field(default_factory=dict)
    locator: Callable[[int], str] | None = None
    empty: pa.Table | None = None  # the IN005 problem of an empty file
    error: tuple[UsageError, InputError] | None = None  # a file that could not be read (whole or in part)


def read_one(path: str | ArrowSource, file_index: int, options: CheckOptions, screening: Screening) -> FileRead:
    """Read one input (in this process, or in a worker of `read_files`)."""
    display = display_name(path)
    rejections = RepeatedProblems(options.max_repeats)  # memory by cause, not by row
    try:
        reader = open_input(path, **options.reading())
    except EmptyInput:
        blank = FileState(display, InputSummary(path=display), set(COLUMNS))
        return FileRead(blank, rejections, empty=file_problem("is empty (no header, no rows)", file_index))
    except UsageError as exc:  # unreadable: the other files are still checked, the exit code is 2
        blank = FileState(display, InputSummary(path=display), set(COLUMNS))  # no "column absent" noise
        return FileRead(blank, rejections, error=(exc, InputError(file=display, message=str(exc))))
    state = FileState(reader.display, InputSummary(path=reader.display), set(reader.columns))
    read = FileRead(state, rejections)
    try:
        _read_file(
            reader, file_index, state, options, screening, read.kept, rejections, read.claim_hashes, read.dropped_hashes
        )
    except UsageError as exc:
        read.error = (exc, InputError(file=state.path, message=f"{exc} (after {state.summary.rows_read:,} rows)"))
    read.locator = reader.locator
    read.x12_problems = {code: with_file(t, file_index) for code, t in x12_problem_tables(reader.problems).items()}
    if state.summary.rows_read == 0 and read.error is None:
        read.empty = file_problem("has a header but no rows", file_index)
    return read


def _read_file(
    reader: Reader,
    file_index: int,
    state: FileState,
    options: CheckOptions,
    screening: Screening,
    kept: list[_Pending],
    rejections: RepeatedProblems,
    claim_hashes: list[np.ndarray],
    dropped_hashes: list[np.ndarray],
) -> None:
    """Screen and triage one file's batches; count its rows (also when reading fails midway)."""
    known_relevant: set[str] = set()
    carry: _Pending | None = None
    summary = state.summary
    try:
        for batch, screened in scan(reader, screening):
            summary.rows_read += batch.table.num_rows + len(batch.invalid)
            rejections.extend(rejected(batch, screened, file_index))
            out_of_scope = int(screened.out_of_scope.sum())
            summary.rows_out_of_scope += out_of_scope
            for value, count in screened.out_of_scope_payers.items():
                summary.out_of_scope[value] = summary.out_of_scope.get(value, 0) + count
            summary.rows_rejected += len(batch.invalid) + int((~screened.valid).sum()) - out_of_scope
            state.add_rejected_claims(rejected_claims(screened))
            pending = _Pending(screened.table, batch.rows, screened.relevant, file_index, state.path)
            if (screened.out_of_scope & screened.relevant).any():
                state.other_payer_rows.append(pending.subset(screened.out_of_scope & screened.relevant))
            pending = pending.subset(screened.valid)
            if carry is not None:
                pending = carry.then(pending)
            # The last claim may continue in the next batch: hold it back.
            pending, carry = pending.split_last_claim()
            _triage(pending, known_relevant, kept, claim_hashes, dropped_hashes)
            if options.progress:
                options.progress(state.path, summary.rows_read)
        if carry is not None:
            _triage(carry, known_relevant, kept, claim_hashes, dropped_hashes)
    finally:
        summary.rows_checked = summary.rows_read - summary.rows_rejected - summary.rows_out_of_scope


def file_index_of(seq: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(seq, dtype=np.int64) >> FILE_SHIFT


# --- claim bookkeeping ------------------------------------------------------------------------
def _sequence(file_index: int, rows: np.ndarray) -> np.ndarray:
    """Input order as one integer: file first, then data row."""
    return (np.int64(file_index) << FILE_SHIFT) + np.asarray(rows, dtype=np.int64)


@dataclass
class _Pending:
    """Screened, valid rows of one file not yet triaged (still pyarrow)."""

    table: pa.Table
    rows: np.ndarray
    relevant: np.ndarray
    file_index: int
    path: str

    def then(self, other: _Pending) -> _Pending:
        return _Pending(
            pa.concat_tables([self.table, other.table]),
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self.relevant, other.relevant]),
            other.file_index,
            other.path,
        )

    def split_last_claim(self) -> tuple[_Pending, _Pending | None]:
        """Hold back the trailing run of the last claim (zero-copy slices)."""
        n = self.table.num_rows
        if n == 0:
            return self, None
        claim = self.table.column("claim_id")
        same = np.asarray(pc.equal(claim, claim[-1]), dtype=bool)
        different = np.flatnonzero(~same)
        start = int(different[-1]) + 1 if len(different) else 0
        return self._slice(0, start), self._slice(start, n)

    def _slice(self, start: int, stop: int) -> _Pending:
        return _Pending(
            self.table.slice(start, stop - start),
            self.rows[start:stop],
            self.relevant[start:stop],
            self.file_index,
            self.path,
        )

    def subset(self, mask: np.ndarray) -> _Pending:
        if mask.all():
            return self
        index = pa.array(np.flatnonzero(mask))
        return _Pending(self.table.take(index), self.rows[mask], self.relevant[mask], self.file_index, self.path)


def _complete(parts: list[_Pending], date_format: str | None, history: bool = False) -> pd.DataFrame | None:
    """Normalise the kept rows in one go (few rows, so one pandas pass is cheapest)."""
    parts = [p for p in parts if p.table.num_rows]
    if not parts:
        return None
    names = sorted({name for p in parts for name in p.table.column_names})
    tables = []
    for p in parts:
        missing = {
            name: pa.array([""] * p.table.num_rows, pa.string()) for name in names if name not in p.table.column_names
        }
        table = p.table.select([n for n in names if n in p.table.column_names])
        for name, array in missing.items():
            table = table.append_column(name, array)
        tables.append(table.select(names).cast(pa.schema([(n, pa.string()) for n in names])))
    lines = complete(pa.concat_tables(tables), np.concatenate([p.rows for p in parts]), date_format)
    lines["_file"] = np.concatenate([np.full(p.table.num_rows, p.path, dtype=object) for p in parts])
    lines["_file"] = lines["_file"].astype("str")
    lines["_history"] = history
    lines["_seq"] = np.concatenate([_sequence(p.file_index, p.rows) for p in parts])
    return lines


def _screening(ref: Reference, options: CheckOptions, relevance: Relevance) -> Screening:
    return Screening(
        known_payers=frozenset(ref.payers),
        payer_aliases=options.payer_aliases,
        default_payer=options.payer,
        procedure_codes=relevance.procedure_codes,
        diagnosis_codes=relevance.diagnosis_codes,
        pcs_codes=relevance.pcs_codes,
        date_format=options.date_format,
        unknown_payer=options.unknown_payer,
    )


def _triage(
    pending: _Pending,
    known_relevant: set[str],
    kept: list[_Pending],
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
    hashes = hash_ids(pd.Series(unique.to_pandas()))
    unique_kept = np.asarray(pc.is_in(unique, relevant), dtype=bool)
    claim_hashes.append(hashes[unique_kept])  # dropped claims are counted from dropped_hashes
    if not unique_kept.all():
        dropped_hashes.append(hashes[~unique_kept])
    if unique_kept.any():
        kept.append(pending.subset(np.asarray(pc.is_in(claims, relevant), dtype=bool)))


def _recover_split_claims(
    lines: pd.DataFrame | None,
    paths: Sequence[str | ArrowSource],
    files: list[FileState],
    dropped: np.ndarray,
    options: CheckOptions,
    screening: Screening,
) -> pd.DataFrame | None:
    """Second pass, only when an unsorted file dropped lines of a claim that later became relevant."""
    if lines is None or not len(dropped):
        return lines
    relevant_ids = pd.Series(lines["claim_id"].unique())
    suspect = relevant_ids[contains(dropped, hash_ids(relevant_ids))]
    if suspect.empty:
        return lines
    wanted = pa.array(sorted(set(suspect)), pa.string())
    have = lines["_seq"].to_numpy()
    recovered = []
    for file_index, (path, state) in enumerate(zip(paths, files, strict=True)):
        for batch, screened in scan(open_input(path, **options.reading()), screening):  # rejections counted already
            pending = _Pending(screened.table, batch.rows, screened.relevant, file_index, state.path)
            mask = screened.valid & np.asarray(pc.is_in(screened.table.column("claim_id"), wanted), dtype=bool)
            mask &= ~np.isin(_sequence(file_index, batch.rows), have)
            if mask.any():
                recovered.append(pending.subset(mask))
    extra = _complete(recovered, options.date_format)
    return lines if extra is None else pd.concat([lines, extra], ignore_index=True)


def _read_history(
    options: CheckOptions, screening: Screening, first_index: int
) -> tuple[pd.DataFrame | None, list[pa.Table], list[str]]:
    """Prior claims (same format): their relevant lines inform member-level rules, never get findings.

    Rows that cannot be read come back as problems (IN006) with their file index: a history row
    with a bad date dropped silently would hide the repeat treatment it records.
    """
    parts, displays = [], []
    rejections = RepeatedProblems(options.max_repeats)
    for file_index, path in enumerate(options.history, start=first_index):
        reader = open_input(path, **options.reading())
        displays.append(reader.display)
        for batch, screened in scan(reader, screening):
            rejections.extend(rejected(batch, screened, file_index))
            # Whoever paid: a payer out of scope is not checked, but its treatments are history.
            mask = (screened.valid | screened.out_of_scope) & screened.relevant
            if mask.any():
                parts.append(
                    _Pending(screened.table, batch.rows, screened.relevant, file_index, reader.display).subset(mask)
                )
    lines = _as_history(_complete(parts, options.date_format, history=True), HISTORY_PREFIX)
    return lines, rejections.tables(), displays


def _as_history(lines: pd.DataFrame | None, prefix: str) -> pd.DataFrame | None:
    """Context lines, their claim ids prefixed; a line without a member or a readable date cannot
    be anyone's history (rows of checked payers with such values were rejected already)."""
    if lines is None:
        return None
    lines = lines[lines["service_date"].notna() & lines["member_id"].ne("")].copy()
    lines["claim_id"] = prefix + lines["claim_id"]
    return lines if len(lines) else None
