"""Stage: findings. Rule hits and rejected rows become one columnar findings table.

Nothing here makes an object per finding. Values are turned into text per distinct value, and
each message and hint is formatted once per distinct combination of the values its template
names (a million rejected dates with one reason format one message). The repetitive columns
(rule, policy, message...) are dictionary encoded, so a finding costs a few bytes of memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.engine.intake import file_index_of
from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.engine.repeats import UNLISTED_TYPE, with_fold_columns
from cgt_claimcheck.ingest.columns import DISPLAY_COLUMN, WHOLE_ROW
from cgt_claimcheck.report import CLAIM_HASH, FINDING_COLUMNS, NULLABLE_COLUMNS, REPRESENTS, UNLISTED_CLAIMS, Findings
from cgt_claimcheck.rules.base import Rule, RuleDeclarationError
from cgt_claimcheck.rules.lines import Hits, Lines, shown
from cgt_claimcheck.severity import Severity

REDACTED = "[redacted]"
DATE_COLUMNS = frozenset({"service_date", "member_dob", "service_date_to"})
MEMBER_FIELDS = frozenset({"member_id", "member_dob"})
IDENTIFYING_PLACEHOLDERS = ("member_id", "member_dob", "member_dob_text")
# Details a check may return that are not template values: the engine reads them.
_TEXT = pa.dictionary(pa.int32(), pa.string())
PLAIN_COLUMNS = frozenset({"claim_id", "line_number", "value", "location"})  # mostly distinct per finding
FINDINGS_SCHEMA = pa.schema(
    [
        (name, pa.int64() if name == "row" else pa.string() if name in PLAIN_COLUMNS else _TEXT)
        for name in FINDING_COLUMNS
    ]
    + [(REPRESENTS, pa.int64()), (UNLISTED_CLAIMS, UNLISTED_TYPE), (CLAIM_HASH, pa.uint64())]
    + [("_file_index", pa.int32()), ("_rule", pa.string())]
)


def texts(values: Any, n: int) -> np.ndarray:
    """A detail as display text per finding ('' for missing, dates as YYYY-MM-DD, whole floats
    without '.0'): one value for every finding, or one each; converted once per distinct value."""
    if values is None or isinstance(values, (str, int, float)) or not hasattr(values, "__len__"):
        return np.full(n, shown(values), dtype=object)
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    try:  # text and no value only, the common case: one Python string per distinct value
        encoded = pc.dictionary_encode(pa.array(items, pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    else:
        distinct = np.array([*encoded.dictionary.to_pylist(), ""], dtype=object)
        return distinct[encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)]
    seen: dict[Any, str] = {}
    out = np.empty(n, dtype=object)
    for i, v in enumerate(items):
        key = (type(v), v) if v == v else ("nan", None)  # NaN is not equal to itself
        if key not in seen:
            seen[key] = shown(v)
        out[i] = seen[key]
    return out


def _factorized(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    encoded = pc.dictionary_encode(pa.array(values.tolist() if isinstance(values, np.ndarray) else values, pa.string()))
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _format(template: str, names: tuple[str, ...], values: dict[str, np.ndarray], n: int) -> pa.DictionaryArray:
    """template.format(**row) for n rows, computed once per distinct combination of the named values."""
    used = [name for name in dict.fromkeys(names) if f"{{{name}" in template]
    if not used:
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([template]))
    key = values[used[0]].astype(object)
    for name in used[1:]:
        key = key + "\x1f" + values[name]
    codes, uniques = _factorized(key)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)  # the first row of each combination
    texts_ = [template.format(**{name: values[name][i] for name in used}) for i in first]
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(texts_, pa.string()))


def _constant(value: str | None, n: int) -> pa.DictionaryArray:
    # A null is a null index, never a null in the dictionary (Arrow cannot unify those).
    if value is None:
        return pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), pa.array([], pa.string()))
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))


def _encoded(values: np.ndarray) -> pa.DictionaryArray:
    return pc.dictionary_encode(pa.array(values.tolist(), pa.string())).cast(_TEXT)


def _nullable(values: np.ndarray) -> pa.Array:
    """'' stands for no value: null in the table (and in the JSON report)."""
    array = pa.array(values, pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def _table(columns: dict[str, Any], n: int, file_index: np.ndarray | pa.Array, rule_code: str) -> pa.Table:
    arrays = []
    for name, kind in zip(FINDINGS_SCHEMA.names, FINDINGS_SCHEMA.types, strict=True):
        if name == "_file_index":
            arrays.append(file_index if isinstance(file_index, pa.Array) else pa.array(file_index, pa.int32()))
        elif name == "_rule":
            arrays.append(pa.repeat(pa.scalar(rule_code, pa.string()), n))
        elif name == REPRESENTS:  # one finding a record, unless the intake already folded repeats
            given = columns.get(REPRESENTS)
            arrays.append(given if given is not None else pa.array(np.ones(n, np.int64)))
        elif name == CLAIM_HASH:  # filled once for the whole table in `assemble`
            arrays.append(pa.nulls(n, pa.uint64()))
        elif name == UNLISTED_CLAIMS:
            given = columns.get(UNLISTED_CLAIMS)
            arrays.append(given if given is not None else pa.nulls(n, UNLISTED_TYPE))
        else:
            value = columns[name]
            if isinstance(value, np.ndarray) and kind == _TEXT:
                value = _encoded(value)
            elif isinstance(value, np.ndarray):
                value = _nullable(value) if name in NULLABLE_COLUMNS else pa.array(value, kind)
            if kind == _TEXT and name in NULLABLE_COLUMNS:
                value = _null_empty_dictionary(value)
            arrays.append(value)
    return pa.Table.from_arrays(arrays, schema=FINDINGS_SCHEMA)


def _null_empty_dictionary(array: pa.DictionaryArray) -> pa.DictionaryArray:
    dictionary = array.dictionary
    empty = pc.fill_null(pc.equal(dictionary, ""), True)
    if not pc.any(empty).as_py():
        return array
    indices = pc.if_else(pc.take(empty, array.indices), pa.scalar(None, pa.int32()), array.indices)
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def rule_findings(r: Rule, lines: Lines, found: Hits, scope: np.ndarray, options: CheckOptions) -> pa.Table | None:
    """The findings of one rule: its hits on the lines in scope, with their texts."""
    undeclared = [c for c in found.details if c not in r.details]
    if undeclared:
        raise RuleDeclarationError(f"rule {r.code}: the check returned undeclared details {', '.join(undeclared)}")
    keep = scope[found.rows]
    rows = found.rows[keep]
    if not len(rows):
        return None
    n = len(rows)
    per_hit = {name: np.asarray(v, dtype=object) if isinstance(v, list) else v for name, v in found.details.items()}
    details = {name: v[keep] if isinstance(v, np.ndarray) else v for name, v in per_hit.items()}
    present = set(lines.table.column_names)

    def column_text(name: str) -> np.ndarray:
        return lines.text_at(name, rows) if name in present else np.full(n, "", dtype=object)

    return finding_table(
        r,
        n,
        column_text,
        {name: texts(value, n) for name, value in details.items()},
        data_rows=lines.integers("_row")[rows],
        seq=lines.integers("_seq")[rows],
        options=options,
    )


def finding_table(
    r: Rule,
    n: int,
    column_text: Callable[[str], np.ndarray],
    detail: dict[str, np.ndarray],
    data_rows: np.ndarray,
    seq: np.ndarray,
    options: CheckOptions,
) -> pa.Table:
    """A rule's findings from the texts of its hit lines (`column_text`: a line column's text at
    the hits) and of its details: fields, values, messages, severities, codes and policy."""

    def line_text(name: str) -> np.ndarray:
        return column_text(DISPLAY_COLUMN.get(name, name))

    fields = np.full(n, r.field, dtype=object)
    if "field" in detail:
        fields = np.where(detail["field"] != "", detail["field"], fields)
    if "value" in detail:
        value = detail["value"]
    else:
        value = np.full(n, "", dtype=object)
        for name in set(fields.tolist()):
            value[fields == name] = line_text(name)[fields == name]

    def quoted(name: str) -> np.ndarray:
        # A message quotes a date as it was read (2025-09-30), not as written (2025-09-30 00:00:00);
        # the finding's value keeps what was written.
        if name in DATE_COLUMNS:
            read_as = column_text(name)
            return np.where(read_as != "", read_as, line_text(name))
        return line_text(name)

    values: dict[str, np.ndarray] = {"field": fields, "value": value}
    for name in r.placeholders:
        if name not in values:
            values[name] = detail[name] if name in detail else quoted(name)
    if options.redact:
        for name in IDENTIFYING_PLACEHOLDERS:
            if name in values:
                values[name] = np.full(n, REDACTED, dtype=object)
        names = set(fields.tolist())  # a handful of field names, not one test per finding
        identifying = {name for name in names if any(part.strip() in MEMBER_FIELDS for part in name.split(","))}
        member = np.isin(fields, list(identifying))
        if member.any():
            for name in ("value", "expected"):
                if name in values:
                    values[name] = np.where(member, REDACTED, values[name])
    default = options.severity_overrides.get(r.code, r.severity)
    severity: Any = _constant(default.value, n)
    if "severity" in detail and r.code not in options.severity_overrides:
        severity = np.where(detail["severity"] != "", detail["severity"], default.value)
        unknown = set(severity.tolist()) - {s.value for s in Severity}
        if unknown:
            raise RuleDeclarationError(f"rule {r.code}: unknown severity {sorted(unknown)}")
    codes = {}
    for name, fixed in (("carc", r.carc), ("rarc", r.rarc)):
        codes[name] = np.where(detail[name] != "", detail[name], fixed or "") if name in detail else _constant(fixed, n)
    if isinstance(r.policy, str):
        policy: Any = _constant(r.policy, n)
    else:  # each finding quotes the policy of the line's own payer (a handful of distinct values)
        programs = column_text("program")
        quotes = {program: r.policy_for(program or None) for program in set(programs.tolist())}
        policy = _encoded(np.array([quotes[p] for p in programs.tolist()], dtype=object))
    columns = {
        "rule": _constant(r.code, n),
        "name": _constant(r.name, n),
        "severity": severity,
        "payer": line_text("payer"),
        "claim_id": line_text("claim_id"),
        "line_number": line_text("line_number"),
        "file": _encoded(column_text("_file")),
        "row": pa.array(data_rows),
        "location": pa.nulls(n, pa.string()),  # set in `assemble` for X12 lines
        "field": fields,
        "value": values["value"],
        "message": _format(r.message, r.placeholders, values, n),
        "hint": _format(r.hint, r.placeholders, values, n),
        "policy": policy,
        **codes,
    }
    return _table(columns, n, file_index_of(seq), r.code)


def rejection_findings(rejections: list[pa.Table], r: Rule, files: list[str], options: CheckOptions) -> pa.Table | None:
    """IN001: one finding per rejected value (or unsplittable row), built in Arrow throughout.

    A file can reject every one of its million rows for the same reason: the texts are formatted
    once per distinct (field, reason), and no Python object is made per row.
    """
    if not rejections:
        return None
    table = pa.concat_tables([with_fold_columns(t) for t in rejections], promote_options="default")
    n = table.num_rows
    if not n:
        return None
    rejected = {name: table.column(name).combine_chunks() for name in table.column_names}
    missing = [name for name in r.placeholders if name not in ("field", "reason", "value")]
    if missing:
        raise RuleDeclarationError(f"rule {r.code}: rejected rows have no {', '.join(missing)}")
    field, value = rejected["field"], rejected["value"]
    if options.redact:
        # A row that could not be split is shown as its raw text: any of its fields may identify
        # the member (also columns the check does not read, such as a name), so all of it goes.
        member = pc.is_in(field, pa.array(sorted(MEMBER_FIELDS | {WHOLE_ROW})))
        value = pc.if_else(member, pa.scalar(REDACTED), value)
    key_parts = [field, rejected["reason"]] + ([value] if "value" in r.placeholders else [])
    key = pc.dictionary_encode(pc.binary_join_element_wise(*key_parts, "\x1f"))
    combos = [
        dict(zip(("field", "reason", "value"), k.split("\x1f"), strict=False)) for k in key.dictionary.to_pylist()
    ]

    def formatted(template: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(
            key.indices, pa.array([template.format(**c) for c in combos], pa.string())
        )

    file_index = rejected["_file_index"]
    columns = {
        "rule": _constant(r.code, n),
        "name": _constant(r.name, n),
        "severity": _constant(options.severity_overrides.get(r.code, r.severity).value, n),
        "payer": _constant(None, n),
        "claim_id": _empty_to_null(rejected["claim_id"]),
        "line_number": _empty_to_null(rejected["line_number"]),
        "file": pa.DictionaryArray.from_arrays(file_index, pa.array(files, pa.string())),
        "row": rejected["_row"],
        "location": rejected["location"] if "location" in rejected else pa.nulls(n, pa.string()),
        "field": pc.dictionary_encode(field),
        "value": value,
        "message": formatted(r.message),
        "hint": formatted(r.hint),
        "policy": _constant(r.policy_text, n),
        "carc": _constant(r.carc, n),
        "rarc": _constant(r.rarc, n),
        REPRESENTS: rejected[REPRESENTS].cast(pa.int64()),
        UNLISTED_CLAIMS: rejected[UNLISTED_CLAIMS],
    }
    return _table(columns, n, file_index, r.code)


def _empty_to_null(array: pa.Array) -> pa.Array:
    return pc.if_else(pc.fill_null(pc.equal(array, ""), True), pa.scalar(None, pa.string()), array)


def assemble(parts: list[pa.Table], locators: dict[int, Callable[[int], str]] | None = None) -> Findings:
    """One findings table in report order: file, then row, then rule code (stable).

    `locators` (file index -> service line -> X12 location) place the findings on X12 lines that
    their rule did not locate itself.
    """
    parts = [p for p in parts if p is not None and p.num_rows]
    if not parts:
        return Findings(FINDINGS_SCHEMA.empty_table().drop_columns(["_file_index", "_rule"]))
    table = pa.concat_tables(parts).unify_dictionaries().combine_chunks()
    hashes = row_claim_hashes(table.column("claim_id"))  # one pass over every rule's findings
    table = table.set_column(table.schema.get_field_index(CLAIM_HASH), CLAIM_HASH, hashes)
    if locators:
        table = _located(table, locators)
    order = pc.sort_indices(
        table, sort_keys=[("_file_index", "ascending"), ("row", "ascending"), ("_rule", "ascending")]
    )
    return Findings(table.take(order).drop_columns(["_file_index", "_rule"]))


def _located(table: pa.Table, locators: dict[int, Callable[[int], str]]) -> pa.Table:
    """Fill the location of findings on X12 lines (a Python step per such finding, not per line)."""
    files = table.column("_file_index").to_numpy(zero_copy_only=False)
    todo = np.isin(files, list(locators)) & table.column("location").is_null().to_numpy(zero_copy_only=False)
    todo &= table.column("row").to_numpy(zero_copy_only=False) > 0
    if not todo.any():
        return table
    rows = table.column("row").to_numpy(zero_copy_only=False)
    location = np.array(table.column("location").to_pylist(), dtype=object)
    for i in np.flatnonzero(todo):
        location[i] = locators[int(files[i])](int(rows[i]))
    index = table.schema.get_field_index("location")
    return table.set_column(index, "location", pa.array(location, pa.string()))
