"""Stage: repeats. A cause repeated past --max-repeats is listed that many times, then closed.

A cause is one rule, file, field and message: a column that is wrong on every row, an X12 writer
that ends every segment twice. Past `max_repeats` findings, the next one becomes the closing
record (its message says how many more there were, it stands for them in every count, and it
carries the claims they name for the denied claims) and the rest are dropped. A claim rule's
findings are causes per claim as well: 5,000 claims without a prior authorization are 5,000
claims to fix, each listed (the input rules, IN and XE, describe the file's layout, where the
repeats say nothing new).

The same fold runs twice: on the rejected rows while the files are read (`RepeatedProblems`), so a
file of ten million bad dates holds a thousand problem records, not ten million; and on the
assembled findings (`limit_repeats`), where the closing messages are written. Folding the
problems first changes nothing the second fold would not: an IN rule's message is made of the
field and the reason only (a test holds the rules to that). Works on dictionary indices: no
Python per finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.distinct import distinct
from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.report import CLAIM_HASH, REPRESENTS, UNLISTED_CLAIMS, Findings, not_listed_note

CAUSE = ("rule", "file", "field", "message")
INPUT_RULE_PREFIXES = ("IN", "XE")  # causes of the file itself; every other rule's causes are per claim
# A rejected row's cause, before it has a message: its file, field and reason.
PROBLEM_CAUSE = ("_file_index", "field", "reason")
UNLISTED_TYPE = pa.list_(pa.uint64())  # claim hashes: 8 bytes a claim, merged without a string in sight


def limit_repeats(findings: Findings, max_repeats: int) -> Findings:
    """At most max_repeats findings per cause, plus one closing record for the rest (0: no limit)."""
    table = findings.table
    if not max_repeats or table.num_rows <= max_repeats:
        return findings
    table = with_fold_columns(table.combine_chunks())
    fold = _Fold.of(_cause_ids(table, CAUSE, per_claim=True), max_repeats)
    if fold is None:
        return findings
    table = fold.weighed(table)
    table = table.set_column(
        table.schema.get_field_index(UNLISTED_CLAIMS), UNLISTED_CLAIMS, _unlisted_claims(table, fold)
    )
    table = table.filter(pa.array(fold.keep))
    closing = np.cumsum(fold.keep)[fold.closing] - 1  # their positions among the records kept
    represents = table.column(REPRESENTS).to_numpy()
    message = _closing_messages(table.column("message"), closing, represents[closing] - 1)
    return Findings(table.set_column(table.schema.get_field_index("message"), "message", message))


class RepeatedProblems:
    """The rejected rows' problems while the files are read, each cause (file, field, reason) kept
    max_repeats times and closed by one record that stands for the rest.

    The claims the dropped problems name are kept aside as hashes, deduplicated per fold and
    appended (never re-sorted as they grow), and given to the closing records at the end.
    """

    def __init__(self, max_repeats: int) -> None:
        self.max_repeats = max_repeats
        self.parts: list[pa.Table] = []
        self._rows = 0
        self._claims: dict[tuple[object, ...], list[np.ndarray]] = {}

    def extend(self, parts: list[pa.Table]) -> None:
        self.parts.extend(parts)
        self._rows += sum(p.num_rows for p in parts)
        if self.max_repeats and self._rows > self.max_repeats:
            self._fold()

    def absorb(self, other: RepeatedProblems) -> None:
        """Take another file's problems (read apart, perhaps in another process), after these.

        Causes name their file, so the two share none; folding again gives what one fold over
        both would (a closing record folded again keeps its count and its claims).
        """
        for key, parts in other._claims.items():
            self._claims.setdefault(key, []).extend(parts)
        self.extend(other.parts)

    def tables(self) -> list[pa.Table]:
        """The problems kept, closing records with the claims they stand for."""
        if not self._claims:
            return self.parts
        table = self.parts[0]  # folded into one table
        closing = np.flatnonzero(table.column(REPRESENTS).to_numpy() > 1)
        keys = table.select(list(PROBLEM_CAUSE)).take(pa.array(closing)).to_pylist()
        lists = [self._claims.pop(tuple(k.values()), []) for k in keys]
        values = [
            distinct(np.concatenate(found), in_place=True) if found else np.array([], np.uint64) for found in lists
        ]
        counts = np.zeros(table.num_rows, np.int64)
        counts[closing] = [len(v) for v in values]
        offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32))
        flat = pa.array(np.concatenate(values) if values else np.array([], np.uint64), pa.uint64())
        column = pa.ListArray.from_arrays(offsets, flat)
        return [table.set_column(table.schema.get_field_index(UNLISTED_CLAIMS), UNLISTED_CLAIMS, column)]

    def _fold(self) -> None:
        table = pa.concat_tables([with_fold_columns(p) for p in self.parts], promote_options="default")
        table = table.combine_chunks()
        self.parts, self._rows = [table], table.num_rows
        fold = _Fold.of(_cause_ids(table, PROBLEM_CAUSE, per_claim=False), self.max_repeats)
        if fold is None:
            return
        dropped = fold.rank > self.max_repeats
        hashes = row_claim_hashes(table.column("claim_id").filter(pa.array(dropped)))
        groups = fold.group[dropped][hashes.is_valid().to_numpy(zero_copy_only=False)]
        hashes = hashes.drop_null().to_numpy()
        order = np.lexsort((hashes, groups))
        groups, hashes = groups[order], hashes[order]
        distinct = np.r_[True, (groups[1:] != groups[:-1]) | (hashes[1:] != hashes[:-1])] if len(order) else order > 0
        groups, hashes = groups[distinct], hashes[distinct]
        if len(groups):
            starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
            closing_of_group = np.full(fold.causes, -1, np.int64)
            closing_of_group[fold.group[fold.closing]] = fold.closing
            rows = closing_of_group[groups[starts]]
            keys = table.select(list(PROBLEM_CAUSE)).take(pa.array(rows, pa.int64())).to_pylist()
            for key, part in zip(keys, np.split(hashes, starts[1:]), strict=True):
                self._claims.setdefault(tuple(key.values()), []).append(part)
        table = fold.weighed(table).filter(pa.array(fold.keep))
        self.parts, self._rows = [table], table.num_rows


def with_fold_columns(table: pa.Table) -> pa.Table:
    """The table with the hidden fold columns (one finding a record, no unlisted claims) if missing."""
    if REPRESENTS not in table.column_names:
        table = table.append_column(REPRESENTS, pa.array(np.ones(table.num_rows, np.int64)))
    if UNLISTED_CLAIMS not in table.column_names:
        table = table.append_column(UNLISTED_CLAIMS, pa.nulls(table.num_rows, UNLISTED_TYPE))
    return table


@dataclass
class _Fold:
    """Where each record stands in its cause (table order within a cause)."""

    rank: np.ndarray  # 0 for a cause's first record
    group: np.ndarray  # the cause's number
    closing: np.ndarray  # the records of rank max_repeats (one per cause past the limit)
    keep: np.ndarray  # rank <= max_repeats
    tail: np.ndarray  # rank >= max_repeats: the closing record and the ones it stands for
    causes: int

    @classmethod
    def of(cls, cause: np.ndarray, max_repeats: int) -> _Fold | None:
        """None when no cause repeats past max_repeats."""
        order = np.argsort(cause, kind="stable")
        ordered = cause[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        if sizes.max() <= max_repeats:
            return None
        rank = np.empty(len(cause), np.int64)
        rank[order] = np.arange(len(cause)) - np.repeat(starts, sizes)
        group = np.empty(len(cause), np.int64)
        group[order] = np.repeat(np.arange(len(starts)), sizes)
        return cls(
            rank, group, np.flatnonzero(rank == max_repeats), rank <= max_repeats, rank >= max_repeats, len(starts)
        )

    def weighed(self, table: pa.Table) -> pa.Table:
        """The table with each closing record standing for its cause's tail."""
        weights = table.column(REPRESENTS).to_numpy().astype(np.int64)
        beyond = np.zeros(self.causes, np.int64)
        np.add.at(beyond, self.group[self.tail], weights[self.tail])
        weights[self.closing] = beyond[self.group[self.closing]]
        return table.set_column(table.schema.get_field_index(REPRESENTS), REPRESENTS, pa.array(weights))


def _unlisted_claims(table: pa.Table, fold: _Fold) -> pa.Array:
    """The unlisted-claims column after a fold: a closing record gets the distinct claims of its
    cause's tail (the records dropped and what earlier closing records among them carried)."""
    n, group, tail, closing = table.num_rows, fold.group, fold.tail, fold.closing
    lists = table.column(UNLISTED_CLAIMS).combine_chunks()
    closing_of_group = np.full(int(group.max()) + 1, -1, np.int64)
    closing_of_group[group[closing]] = closing
    hashes = table.column(CLAIM_HASH).combine_chunks()  # hashed once, when the findings were assembled
    dropped = tail & hashes.is_valid().to_numpy(zero_copy_only=False)
    dropped[closing] = False  # the closing record is listed: its own claim counts from it
    targets = [closing_of_group[group[dropped]]]
    values = [hashes.filter(pa.array(dropped)).to_numpy(zero_copy_only=False)]
    carried = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    if len(carried):  # earlier closing records: into the new closing record if in a tail, else kept
        targets.append(np.where(tail[carried], closing_of_group[group[carried]], carried))
        values.append(pc.list_flatten(lists).to_numpy(zero_copy_only=False))
    target, value = np.concatenate(targets), np.concatenate(values).astype(np.uint64)
    order = np.lexsort((value, target))
    target, value = target[order], value[order]
    distinct = np.r_[True, (target[1:] != target[:-1]) | (value[1:] != value[:-1])] if len(order) else order > 0
    counts = np.bincount(target[distinct], minlength=n)
    offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(value[distinct], pa.uint64()))


def _cause_ids(table: pa.Table, names: tuple[str, ...], *, per_claim: bool) -> np.ndarray:
    """One integer per distinct combination of the named columns (and, for a claim rule's findings,
    the claim), from the columns' dictionary indices: the rank of the combination in the order of
    the columns' codes."""
    key, span = np.zeros(table.num_rows, np.int64), 1
    for name in (*names, "claim_id") if per_claim else names:
        codes = _codes(table.column(name))
        if name == "claim_id":  # only a claim rule's causes are per claim
            codes[_input_rule_rows(table)] = 0
        width = int(codes.max(initial=0)) + 1
        if span * width >= 1 << 62:  # the combinations so far ranked first, so the key stays in 64 bits
            key, span = _ranked(key, span)
        key, span = key * width + codes, span * width
    return _ranked(key, span)[0]


def _ranked(key: np.ndarray, span: int) -> tuple[np.ndarray, int]:
    """Each key's rank among the distinct keys (0 <= key < span), and how many there are: through
    a table of the span where it is small (most folds hold a handful of causes), else a sort."""
    if span <= max(4 * len(key), 1 << 16):
        present = np.zeros(span, dtype=bool)
        present[key] = True
        rank = np.cumsum(present) - 1
        return rank[key], int(rank[-1]) + 1
    distinct, ranks = np.unique(key, return_inverse=True)
    return ranks.astype(np.int64), len(distinct)


def _codes(column: pa.ChunkedArray) -> np.ndarray:
    """1 + the dictionary index of each value (0 for null)."""
    array = column.combine_chunks()
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    return array.indices.fill_null(-1).to_numpy().astype(np.int64) + 1


def _input_rule_rows(table: pa.Table) -> np.ndarray:
    rules = table.column("rule").combine_chunks()
    if not pa.types.is_dictionary(rules.type):
        rules = pc.dictionary_encode(rules)
    names = rules.dictionary.to_pylist()
    is_input = np.array([str(n).startswith(INPUT_RULE_PREFIXES) for n in names] + [False])
    return is_input[rules.indices.fill_null(-1).to_numpy()]


def _closing_messages(messages: pa.ChunkedArray, closing: np.ndarray, more: np.ndarray) -> pa.DictionaryArray:
    """The message column with each closing record's text extended by how many more there were."""
    column = messages.combine_chunks()
    texts = column.dictionary.to_pylist()
    indices = column.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    for row, extra in zip(closing.tolist(), more.tolist(), strict=True):
        texts.append(texts[indices[row]] + not_listed_note(extra))
        indices[row] = len(texts) - 1
    return pa.DictionaryArray.from_arrays(pa.array(indices), pa.array(texts, pa.string()))
