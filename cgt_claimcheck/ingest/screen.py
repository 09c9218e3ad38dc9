"""Stage 1 of the pipeline, on every row: validate the required values and mark relevant lines.

`screen` runs with pyarrow compute on every row of a batch: a row with a required value missing
or unparseable is rejected (IN001), and the lines a selected rule may care about are marked (a
loose superset; the rules decide exactly). Low-cardinality columns are worked on through their
distinct values, so the cost per row is a dictionary lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.ingest.dates import parse_date_arrow, two_digit_year
from cgt_claimcheck.value_parsers import DATE_LAYOUTS_TEXT

CLAIM_TYPES = {
    "837P": "837P",
    "P": "837P",
    "PROFESSIONAL": "837P",
    "837I": "837I",
    "I": "837I",
    "INSTITUTIONAL": "837I",
}
SKIP = "skip"  # a [payers] value: rows of this payer are out of scope
NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
# No service line bills ten million units (a month of factor VIII is a few hundred thousand IU):
# a larger figure is a charge, an NDC or a date that landed in the units column.
MAX_UNITS = 10_000_000


@dataclass
class Screened:
    table: pa.Table  # columns as read; claim_id trimmed; procedure_code and payer normalised
    valid: np.ndarray  # bool per row
    relevant: np.ndarray  # bool per row: a line some selected rule declares relevant
    rejected: pa.Table  # one row per problem: PROBLEM_SCHEMA
    out_of_scope: np.ndarray  # bool per row: a payer that is not ours (not checked, not rejected)
    out_of_scope_payers: dict[str, int]  # rows out of scope per payer value as written (trimmed)


# --- pyarrow helpers ------------------------------------------------------------------------------
# The bytes a whitespace trim may remove at a value's edge: ASCII controls and space, and any byte
# of a multi-byte character (some are Unicode spaces).
_EDGE_BYTES = np.zeros(256, dtype=bool)
_EDGE_BYTES[:33] = _EDGE_BYTES[127:] = True


def trim_whitespace(array: pa.Array) -> pa.Array:
    """pc.utf8_trim_whitespace(array), given back as it is (no copy) where no value starts or
    ends with a byte the trim may remove: most columns of a clean extract."""
    if array.type != pa.string():
        return pc.utf8_trim_whitespace(array)
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[array.offset : array.offset + len(array) + 1]
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.any():  # no value, or only empty ones
        return array
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    if _EDGE_BYTES[data[starts[filled]]].any() or _EDGE_BYTES[data[ends[filled] - 1]].any():
        return pc.utf8_trim_whitespace(array)
    return array


def _matches(array: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(array, pattern), False)


def _as_number(array: pa.Array) -> pa.Array:
    """Text that matches NUMBER as float64 (null otherwise); '1e400' becomes inf."""
    numbers = pc.if_else(_matches(array, NUMBER), array, pa.scalar(None, pa.string()))
    return pc.cast(numbers, pa.float64())


def _blank(array: pa.Array) -> np.ndarray:
    """Empty or only whitespace, without building trimmed copies of a million strings."""
    empty = pc.equal(pc.binary_length(array), 0)
    spaces = pc.fill_null(pc.utf8_is_space(array), False)
    return np.asarray(pc.or_(empty, spaces), dtype=bool)


class _Distinct:
    """A low-cardinality column (codes, dates, units) worked on through its distinct values.

    A million dates hold a few hundred distinct values: functions run on those, and their
    results are spread back to the rows as booleans or as a dictionary array (no string copies).
    """

    def __init__(self, array: pa.Array) -> None:
        # A CSV extract's screened codes come encoded by the parser (ingest.reader); others here.
        encoded = array if pa.types.is_dictionary(array.type) else pc.dictionary_encode(array)
        self.indices = encoded.indices
        self.codes = encoded.indices.to_numpy(zero_copy_only=False)  # once, for every mask
        self.values = pc.utf8_trim_whitespace(encoded.dictionary)

    def mask(self, fn) -> np.ndarray:  # type: ignore[no-untyped-def]
        flags = pc.fill_null(fn(self.values), False).to_numpy(zero_copy_only=False)
        if not flags.any():  # most checks of a clean file: no value fails, no row is looked at
            return np.zeros(len(self.codes), dtype=bool)
        return flags[self.codes]

    def counts(self, rows: np.ndarray) -> dict[str, int]:
        """How many of the flagged rows hold each distinct value (values case-folded together)."""
        if not rows.any():
            return {}
        tally = np.bincount(self.codes[rows], minlength=len(self.values))
        result: dict[str, int] = {}
        spelling: dict[str, str] = {}
        for value, count in zip(self.values.to_pylist(), tally.tolist(), strict=True):
            if count:
                key = spelling.setdefault(value.casefold(), value)
                result[key] = result.get(key, 0) + count
        return result

    def encoded(self, fn=None) -> pa.DictionaryArray:  # type: ignore[no-untyped-def]
        values = fn(self.values) if fn is not None else self.values
        return pa.DictionaryArray.from_arrays(self.indices, values)


def _dx_pattern(codes: frozenset[str]) -> str | None:
    """A loose pattern for dot-less ICD codes in raw text that may carry dots: Z3184 ~ Z31.84."""
    if not codes:
        return None
    alternatives = sorted(re.escape(c[:3]) + r"\.?" + re.escape(c[3:]) for c in codes)
    return "(?i)(" + "|".join(alternatives) + ")"


# --- stage 1: every row ----------------------------------------------------------------------------
def screen(
    table: pa.Table,
    rows: np.ndarray,
    *,
    known_payers: set[str] | frozenset[str],
    payer_aliases: dict[str, str],
    default_payer: str | None,
    procedure_codes: list[str],
    diagnosis_codes: frozenset[str],
    pcs_codes: frozenset[str],
    date_format: str | None = None,
    unknown_payer: str = "out-of-scope",
) -> Screened:
    n = table.num_rows
    combined: dict[str, pa.Array] = {}

    def column(name: str) -> pa.Array:  # each column made contiguous once per batch
        if name not in combined:
            if name in table.column_names:
                chunks = table.column(name)
                combined[name] = chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()
            else:
                combined[name] = pa.repeat(pa.scalar("", pa.string()), n)
        return combined[name]

    # The payer decides whether a row is ours at all: a multi-payer extract is mostly commercial
    # and Medicare rows. A value that maps to no profile (or that [payers] maps to "skip") is
    # out of scope: counted per value, never checked, never a finding (unknown_payer = "error"
    # makes an unmapped value a rejection again).
    lowered_aliases = {k.strip().lower(): v for k, v in payer_aliases.items()}

    def payer_profile(values: pa.Array) -> pa.Array:
        payer = pc.utf8_lower(values)
        if lowered_aliases:
            hit = pc.index_in(payer, value_set=pa.array(list(lowered_aliases)))
            payer = pc.if_else(pc.is_valid(hit), pc.take(pa.array(list(lowered_aliases.values())), hit), payer)
        if default_payer:
            payer = pc.if_else(pc.equal(payer, ""), default_payer, payer)
        return payer

    payer = _Distinct(column("payer"))
    payer_blank = payer.mask(lambda v: pc.equal(payer_profile(v), ""))
    skipped = payer.mask(lambda v: pc.equal(payer_profile(v), SKIP))
    unmapped = (
        ~payer_blank & ~skipped & ~payer.mask(lambda v: pc.is_in(payer_profile(v), pa.array(sorted(known_payers))))
    )
    out_of_scope = skipped | (unmapped if unknown_payer != "error" else np.zeros(n, dtype=bool))
    problems: list[tuple[np.ndarray, str, pa.Array, str]] = []

    def reject(flags: np.ndarray, field: str, reason: str, shown: pa.Array) -> None:
        if not flags.any():
            return
        flags = flags & ~out_of_scope
        if flags.any():
            problems.append((flags, field, shown, reason))

    def blank_or_invalid(values: _Distinct, field: str, valid, reason: str) -> None:  # type: ignore[no-untyped-def]
        blank = values.mask(lambda v: pc.equal(v, ""))
        reject(blank, field, "is missing", column(field))
        reject(~blank & ~values.mask(valid), field, reason, column(field))

    claim_id = trim_whitespace(column("claim_id"))  # high cardinality: trimmed row by row
    reject(np.asarray(pc.equal(claim_id, ""), dtype=bool), "claim_id", "is missing", claim_id)
    reject(_blank(column("member_id")), "member_id", "is missing", column("member_id"))

    # An 837I line may carry only a revenue code (room and board 0120, pharmacy 0250): SV202 is
    # situational. A line needs a procedure code or a revenue code.
    procedure = _Distinct(column("procedure_code"))
    no_procedure = procedure.mask(lambda v: pc.equal(v, ""))
    revenue = _Distinct(column("revenue_code"))
    no_revenue = revenue.mask(lambda v: pc.equal(v, ""))
    reject(
        no_procedure & no_revenue,
        "procedure_code",
        "is missing and the line has no revenue code either (a line needs one of them)",
        column("procedure_code"),
    )
    reject(
        ~no_procedure & ~procedure.mask(lambda v: _matches(pc.utf8_upper(v), r"^[A-Z0-9]{5}$")),
        "procedure_code",
        "is not a 5-character HCPCS/CPT code",
        column("procedure_code"),
    )
    reject(
        no_procedure & ~no_revenue & ~revenue.mask(lambda v: _matches(v, r"^[0-9]{3,4}$")),
        "revenue_code",
        "is not a 4-digit revenue code (and the line has no procedure code)",
        column("revenue_code"),
    )
    blank_or_invalid(
        _Distinct(column("line_number")), "line_number", lambda v: _matches(v, r"^[0-9]{1,6}$"), "is not a whole number"
    )
    blank_or_invalid(
        _Distinct(column("claim_type")),
        "claim_type",
        lambda v: pc.is_in(pc.utf8_upper(v), pa.array(list(CLAIM_TYPES))),
        "is not 837P or 837I (P, I, professional, institutional)",
    )

    reject(payer_blank, "payer", "is missing (give the column or --payer)", column("payer"))
    reject(
        unmapped,
        "payer",
        f"is not a payer profile ({', '.join(sorted(known_payers))}; map other values in [payers] of the config, "
        'or to "skip")',
        column("payer"),
    )

    dates = _Distinct(column("service_date"))
    date_blank = dates.mask(lambda v: pc.equal(v, ""))
    reject(date_blank, "service_date", "is missing", column("service_date"))
    short_year = ~date_blank & dates.mask(two_digit_year)
    reject(short_year, "service_date", "has a two-digit year: write the year with four digits", column("service_date"))
    layouts = DATE_LAYOUTS_TEXT + (f" or {date_format} (date_format)" if date_format else "")
    reject(
        ~date_blank & ~short_year & ~dates.mask(lambda v: pc.is_valid(parse_date_arrow(v, date_format))),
        "service_date",
        f"is not a date ({layouts}; other layouts: set date_format in the config)",
        column("service_date"),
    )
    units = _Distinct(column("units"))
    units_blank = units.mask(lambda v: pc.equal(v, ""))
    reject(units_blank, "units", "is missing", column("units"))
    units_number = units.mask(lambda v: _matches(v, NUMBER))
    reject(~units_blank & ~units_number, "units", "is not a number", column("units"))
    # '1e400' is a number to the pattern and infinity to the parser; '-3' units bill nothing.
    for meaningless, reason in (
        (lambda x: pc.is_inf(x), "is not a finite number"),
        (lambda x: pc.and_(pc.is_finite(x), pc.less(x, 0)), "is negative: a service line bills a positive quantity"),
        (
            lambda x: pc.and_(pc.is_finite(x), pc.greater_equal(x, MAX_UNITS)),
            f"is {MAX_UNITS:,} or more: no service line bills that many units "
            "(a charge, NDC or date in the units column?)",
        ),
    ):
        reject(units_number & units.mask(lambda v, f=meaningless: f(_as_number(v))), "units", reason, column("units"))

    bad = np.zeros(n, dtype=bool)
    for flags, *_ in problems:
        bad |= flags
    rejected = _problems_table(problems, rows, claim_id, column("line_number"))

    codes = pa.array(procedure_codes, pa.string())
    relevant = procedure.mask(lambda v: pc.is_in(pc.utf8_upper(v), codes))
    dx_pattern = _dx_pattern(diagnosis_codes)
    if dx_pattern:
        # A plain substring scan finds the few candidate rows; the regex runs on those only.
        dx = column("diagnosis_codes")
        candidates = np.zeros(n, dtype=bool)
        for stem in sorted({code[:3] for code in diagnosis_codes}):
            for variant in {stem.upper(), stem.lower()}:  # two exact scans beat one case-insensitive one
                candidates |= np.asarray(pc.fill_null(pc.match_substring(dx, variant), False), dtype=bool)
        if candidates.any():
            index = np.flatnonzero(candidates)
            hits = np.asarray(_matches(dx.take(pa.array(index)), dx_pattern), dtype=bool)
            relevant[index[hits]] = True
    if pcs_codes:
        pcs_pattern = "(?i)(" + "|".join(sorted(re.escape(c) for c in pcs_codes)) + ")"
        pcs = column("icd10_pcs_codes")  # empty on all but inpatient lines: the regex runs on the others
        index = np.flatnonzero(np.asarray(pc.greater(pc.binary_length(pcs), 0), dtype=bool))
        if len(index):
            relevant[index[np.asarray(_matches(pcs.take(pa.array(index)), pcs_pattern), dtype=bool)]] = True

    # Every column as read; claim id trimmed; procedure code and payer normalised (dictionary
    # encoded: they are decoded only for the rows the engine keeps).
    out = {name: table.column(name) for name in table.column_names}
    out |= {name: array for name, array in combined.items() if pa.types.is_dictionary(array.type)}  # one dictionary
    out["claim_id"] = claim_id
    out["procedure_code"] = procedure.encoded(pc.utf8_upper)
    out["payer"] = payer.encoded(payer_profile)
    return Screened(pa.table(out), ~bad & ~out_of_scope, relevant, rejected, out_of_scope, payer.counts(out_of_scope))


PROBLEM_SCHEMA = pa.schema(
    [
        ("_row", pa.int64()),
        ("field", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
        ("claim_id", pa.string()),
        ("line_number", pa.string()),
    ]
)


def claimless_problems(rows: list[int], fields: list[str], values: list[str], reasons: list[str]) -> pa.Table:
    """Problems that belong to no claim (a row that cannot be split, a file, a registry row)."""
    n = len(rows)
    return pa.table(
        {
            "_row": pa.array(rows, pa.int64()),
            "field": pa.array(fields, pa.string()),
            "value": pa.array(values, pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "claim_id": pa.nulls(n, pa.string()),
            "line_number": pa.nulls(n, pa.string()),
        },
        schema=PROBLEM_SCHEMA,
    )


def _problems_table(
    problems: list[tuple[np.ndarray, str, pa.Array, str]], rows: np.ndarray, claim_id: pa.Array, line_number: pa.Array
) -> pa.Table:
    """One row per rejected value, kept in Arrow (a file can have a million of them)."""
    if not problems:
        return PROBLEM_SCHEMA.empty_table()
    parts = []
    for flags, field, shown, reason in problems:
        index = np.flatnonzero(flags)
        taken = pa.array(index)
        parts.append(
            pa.table(
                {
                    "_row": pa.array(rows[index], pa.int64()),
                    "field": pa.repeat(pa.scalar(field, pa.string()), len(index)),
                    "value": trim_whitespace(pc.take(shown, taken).cast(pa.string())),
                    "reason": pa.repeat(pa.scalar(reason, pa.string()), len(index)),
                    "claim_id": pc.take(claim_id, taken),
                    "line_number": trim_whitespace(pc.take(line_number, taken).cast(pa.string())),
                },
                schema=PROBLEM_SCHEMA,
            )
        )
    return pa.concat_tables(parts)
