"""Stage: repeats. A cause repeated past --max-repeats is listed that many times, then closed.

A cause is one rule, file, field and message: a column that is wrong on every row, an X12 writer
that ends every segment twice. Past `max_repeats` findings, the next one becomes the closing
record (its message says how many more there were, and it stands for them in every count) and the
rest are dropped. A claim rule's findings are causes per claim as well: 5,000 claims without a
prior authorization are 5,000 claims to fix, each listed (the input rules, IN and XE, describe
the file's layout, where the repeats say nothing new). Works on the dictionary indices of the
assembled table: no Python per finding.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.report import REPRESENTS, Findings, not_listed_note

CAUSE = ("rule", "file", "field", "message")
INPUT_RULE_PREFIXES = ("IN", "XE")  # causes of the file itself; every other rule's causes are per claim


def limit_repeats(findings: Findings, max_repeats: int) -> Findings:
    """At most max_repeats findings per cause, plus one closing record for the rest (0: no limit)."""
    table = findings.table
    if not max_repeats or table.num_rows <= max_repeats:
        return findings
    table = table.combine_chunks()
    cause = _cause_ids(table)
    order = np.argsort(cause, kind="stable")  # table order within each cause
    ordered = cause[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    if sizes.max() <= max_repeats:
        return findings
    rank = np.empty(len(cause), np.int64)
    rank[order] = np.arange(len(cause)) - np.repeat(starts, sizes)
    weights = table.column(REPRESENTS).to_numpy().astype(np.int64)
    # What each cause's records from the closing one on stand for, summed per cause.
    beyond = np.zeros(len(starts), np.int64)
    group = np.empty(len(cause), np.int64)
    group[order] = np.repeat(np.arange(len(starts)), sizes)
    np.add.at(beyond, group[rank >= max_repeats], weights[rank >= max_repeats])
    closing = np.flatnonzero(rank == max_repeats)
    represents = weights.copy()
    represents[closing] = beyond[group[closing]]
    message = _closing_messages(table.column("message"), closing, represents[closing] - 1)
    table = table.set_column(table.schema.get_field_index("message"), "message", message)
    table = table.set_column(table.schema.get_field_index(REPRESENTS), REPRESENTS, pa.array(represents))
    return Findings(table.filter(pa.array(rank <= max_repeats)))


def _cause_ids(table: pa.Table) -> np.ndarray:
    """One integer per distinct (rule, file, field, message), from the columns' dictionary indices."""
    ids = np.zeros(table.num_rows, np.int64)
    for name in (*CAUSE, "claim_id"):
        codes = _codes(table.column(name))
        if name == "claim_id":  # only a claim rule's causes are per claim
            codes[_input_rule_rows(table)] = 0
        _, ids = np.unique(ids * (int(codes.max(initial=0)) + 1) + codes, return_inverse=True)
        ids = ids.astype(np.int64)
    return ids


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
