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
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.engine.claim_ids import contains, hash_ids, sorted_unique
from cgt_claimcheck.engine.file_read import read_one
from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.engine.parallel_reads import read_files
from cgt_claimcheck.engine.pending import FILE_SHIFT, FileState, Pending, sequence
from cgt_claimcheck.engine.rejections import (
    rejected,
    summed_by_claim,
)
from cgt_claimcheck.engine.repeats import RepeatedProblems
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.arrow_source import ArrowSource
from cgt_claimcheck.ingest.columns import HISTORY_PREFIX, OTHER_PAYER_PREFIX
from cgt_claimcheck.ingest.normalise import complete
from cgt_claimcheck.ingest.problems import InputProblems
from cgt_claimcheck.ingest.scan import Screening, open_input, scan
from cgt_claimcheck.reference import Reference
from cgt_claimcheck.report import CLAIM_HASH, InputError
from cgt_claimcheck.rules.base import Rule, Triggers, cgt_drug_triggers


@dataclass
class Intake:
    """What the rules and the findings stage need from the inputs."""

    files: list[FileState]
    kept: list[Pending]  # the kept rows of the inputs, screened, not yet normalised
    # Context rows, never checked: (rows, claim id prefix) of --history files and of payers out of scope.
    context: list[tuple[list[Pending], str]]
    # What is wrong with the inputs themselves, for the input rules: rejected rows, empty files,
    # unusable rows of --history files (never dropped silently: a repeat treatment may hide
    # there), what the X12 reader found.
    problems: InputProblems
    claims: int = 0
    errors: list[InputError] = field(default_factory=list)  # files that could not be read (others were)
    x12_locators: dict[int, Callable[[int], str]] = field(default_factory=dict)  # file index -> row -> location

    def release_rows(self) -> None:
        """Drop the raw rows once `kept_lines` has normalised them."""
        self.kept.clear()
        for rows, _ in self.context:
            rows.clear()
        for f in self.files:
            f.other_payer_rows.clear()


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
    kept: list[Pending] = []
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
    reads = options.read_files or read_files
    for file_index, read in enumerate(reads(paths, options, screening, read_one)):
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

    dropped = sorted_unique(dropped_hashes)
    kept_claims = sorted_unique(claim_hashes)
    # A claim both kept and dropped had lines on both sides (an unsorted file): count it once; a
    # claim with rejected rows is a claim read too (its other rows may be kept or dropped).
    for f in files:  # one table a file, one row a claim, from here on
        f.rejected_claims[:] = summed_by_claim(f.rejected_claims)
    rejected_claims = sorted_unique([t.column(CLAIM_HASH).to_numpy() for f in files for t in f.rejected_claims])
    claims = len(sorted_unique([dropped, kept_claims, rejected_claims]))
    kept.extend(_recover_split_claims(kept, paths, files, dropped, options, screening))
    history, history_rejections, history_files = _read_history(options, screening, first_index=len(paths))
    context = [(history, HISTORY_PREFIX), ([p for f in files for p in f.other_payer_rows], OTHER_PAYER_PREFIX)]
    problems = InputProblems(
        files=[f.path for f in files],
        rejected_rows=rejections.tables(),
        empty_files=empty,
        context_rows=history_rejections,
        context_files=[f.path for f in files] + history_files,
        x12=x12_problems,
    )
    return Intake(files, kept, context, problems, claims, [error for _, error in errors], x12_locators)


def file_index_of(seq: np.ndarray) -> np.ndarray:
    return np.asarray(seq, dtype=np.int64) >> FILE_SHIFT


def kept_lines(intake: Intake, date_format: str | None) -> pa.Table | None:
    """The kept rows normalised, with the context rows (claim ids prefixed), in input order."""
    parts = [_complete(intake.kept, date_format)]
    parts += [_as_history(_complete(rows, date_format, history=True), prefix) for rows, prefix in intake.context]
    tables = [t for t in parts if t is not None and t.num_rows]
    if not tables:
        return None
    lines = pa.concat_tables(tables, promote_options="default")
    seq = lines.column("_seq").to_numpy()
    if bool(np.all(seq[1:] >= seq[:-1])):  # one file read in order: no copy of every column
        return lines
    return lines.take(pc.sort_indices(lines, sort_keys=[("_seq", "ascending")]))


def raw_rows(parts: list[Pending]) -> tuple[pa.Table, np.ndarray, pa.Array, np.ndarray] | None:
    """The rows of some parts as one table of text (a column a file lacks is ''), with their data
    rows, files and input order."""
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
    files = pa.concat_arrays([pa.repeat(pa.scalar(p.path, pa.string()), p.table.num_rows) for p in parts])
    rows = np.concatenate([p.rows for p in parts])
    seq = np.concatenate([sequence(p.file_index, p.rows) for p in parts])
    return pa.concat_tables(tables), rows, files, seq


def _complete(parts: list[Pending], date_format: str | None, history: bool = False) -> pa.Table | None:
    """Normalise the kept rows in one go (ingest.normalise), with their bookkeeping columns."""
    raw = raw_rows(parts)
    if raw is None:
        return None
    table, rows, files, seq = raw
    lines = complete(table, rows, date_format)
    # One value a file: a dictionary, 4 bytes a line (as text, the path's length a line: 3 MB in 100k).
    files = pc.dictionary_encode(files)
    lines = lines.append_column("_file", files).append_column("_history", pa.repeat(pa.scalar(history), len(rows)))
    return lines.append_column("_seq", pa.array(seq))


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


def _recover_split_claims(
    kept: list[Pending],
    paths: Sequence[str | ArrowSource],
    files: list[FileState],
    dropped: np.ndarray,
    options: CheckOptions,
    screening: Screening,
) -> list[Pending]:
    """Second pass, only when an unsorted file dropped lines of a claim that later became relevant."""
    if not kept or not len(dropped):
        return []
    relevant_ids = pc.unique(pa.concat_arrays([p.table.column("claim_id").combine_chunks() for p in kept]))
    suspect = relevant_ids.filter(pa.array(contains(dropped, hash_ids(relevant_ids))))
    if not len(suspect):
        return []
    have = np.concatenate([sequence(p.file_index, p.rows) for p in kept])
    recovered = []
    for file_index, (path, state) in enumerate(zip(paths, files, strict=True)):
        for batch, screened in scan(open_input(path, **options.reading()), screening):  # rejections counted already
            pending = Pending(screened.table, batch.rows, screened.relevant, file_index, state.path)
            mask = screened.valid & np.asarray(pc.is_in(screened.table.column("claim_id"), suspect), dtype=bool)
            mask &= ~np.isin(sequence(file_index, batch.rows), have)
            if mask.any():
                recovered.append(pending.subset(mask))
    return recovered


def _read_history(
    options: CheckOptions, screening: Screening, first_index: int
) -> tuple[list[Pending], list[pa.Table], list[str]]:
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
                    Pending(screened.table, batch.rows, screened.relevant, file_index, reader.display).subset(mask)
                )
    return parts, rejections.tables(), displays


def _as_history(lines: pa.Table | None, prefix: str) -> pa.Table | None:
    """Context lines, their claim ids prefixed; a line without a member or a readable date cannot
    be anyone's history (rows of checked payers with such values were rejected already)."""
    if lines is None:
        return None
    usable = pc.and_(
        pc.is_valid(lines.column("service_date")), pc.fill_null(pc.not_equal(lines.column("member_id"), ""), False)
    )
    lines = lines.filter(usable)
    prefixed = pc.binary_join_element_wise(pa.scalar(prefix), lines.column("claim_id"), "")
    return lines.set_column(lines.schema.get_field_index("claim_id"), "claim_id", prefixed) if lines.num_rows else None
