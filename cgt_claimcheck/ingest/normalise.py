"""Stage 2 of the pipeline, on the kept rows only: typed, normalised claim lines as one Arrow table.

`complete` runs on the rows the engine keeps (well under 1% of a nightly extract): codes trimmed
and upper-cased, ICD codes without dots, NDCs to 11-digit 5-4-2, the date layouts, yes/no
variants, numbers. Each column is worked on with pyarrow compute, or through its distinct values
where a value needs Python (a few hundred NDCs in 100k lines). The single-value parsers in
`cgt_claimcheck.value_parsers` follow the same rules (property tests check they agree).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.ingest.dates import parse_date_arrow
from cgt_claimcheck.ingest.screen import CLAIM_TYPES, trim_whitespace
from cgt_claimcheck.value_parsers import FALSE_WORDS, INFINITE, NUMBER, TRUE_WORDS

# The dearest CGT lists at about $4.25M: a line charge of $100M or more is a misplaced value.
MAX_CHARGE = 100_000_000
NDC_LAYOUTS = {(4, 4, 2): 0, (5, 3, 2): 1, (5, 4, 1): 2, (5, 4, 2): None}  # segment lengths -> the one padded


def _replace(array: pa.Array, pattern: str, replacement: str) -> pa.Array:
    return pc.replace_substring_regex(array, pattern, replacement)


def _fullmatch(array: pa.Array, pattern: str) -> pa.Array:
    return pc.match_substring_regex(array, f"^(?:{pattern})$")


def parse_dates(text: pa.Array, date_format: str | None = None) -> pa.Array:
    """Dates in the accepted layouts (ingest.dates) to timestamp[s]; anything else null."""
    return Distinct(pc.utf8_trim_whitespace(text)).map(lambda v: parse_date_arrow(v, date_format)).rows()


def parse_flags(text: pa.Array) -> pa.Array:
    """Yes/no variants to bool (null for blank or unreadable)."""
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    flag = pc.if_else(pc.is_in(lowered, pa.array(sorted(TRUE_WORDS))), True, pa.scalar(None, pa.bool_()))
    return pc.if_else(pc.is_in(lowered, pa.array(sorted(FALSE_WORDS))), False, flag)


def numbers(text: pa.Array) -> pa.Array:
    """Numbers as pandas.to_numeric reads them (value_parsers.numeric_value: decimal or exponent
    notation, inf; ASCII spaces around); null when not one. Arrow's cast reads them correctly rounded."""
    trimmed = pc.utf8_trim(text, " \t\n\r\f\v")
    shaped = pc.fill_null(pc.match_substring_regex(trimmed, f"^(?:{NUMBER.pattern})$"), False)
    values = pc.cast(pc.if_else(shaped, trimmed, pa.scalar(None, pa.string())), pa.float64())
    word = pc.utf8_lower(trimmed)
    for spelling, sign in INFINITE.items():
        values = pc.if_else(pc.fill_null(pc.equal(word, spelling), False), sign * float("inf"), values)
    return values


def charge_problems(text: pa.Array) -> pa.Array:
    """Why each charge as written is unusable ('' when it is usable or blank)."""
    amount = numbers(text)
    unread = pc.and_(pc.is_null(amount), pc.fill_null(pc.not_equal(text, ""), False))
    reasons = [
        (unread, "is not a number"),
        (pc.fill_null(pc.is_inf(amount), False), "is not a finite amount"),
        (pc.fill_null(pc.less(amount, 0), False), "is negative"),
        (
            pc.fill_null(pc.and_(pc.is_finite(amount), pc.greater_equal(amount, MAX_CHARGE)), False),
            f"is ${MAX_CHARGE:,} or more: no service line is billed that much",
        ),
    ]
    problem = pa.repeat(pa.scalar("", pa.string()), len(text))
    for mask, reason in reversed(reasons):  # the first reason that applies
        problem = pc.if_else(mask, reason, problem)
    return problem


def usable_charge(amount: pa.Array) -> pa.Array:
    """Charges that mean something; infinite, negative and absurd amounts become null."""
    usable = pc.and_(pc.is_finite(amount), pc.and_(pc.greater_equal(amount, 0), pc.less(amount, MAX_CHARGE)))
    return pc.if_else(pc.fill_null(usable, False), amount, pa.scalar(None, pa.float64()))


def _ndc(cleaned: str | None) -> tuple[str | None, str]:
    """(ndc11, status) of an NDC already upper-cased, without whitespace or its N4 qualifier."""
    if cleaned is None:
        return None, "invalid"
    if cleaned == "":
        return None, "missing"
    if len(cleaned) == 11 and cleaned.isascii() and cleaned.isdigit():
        return cleaned, "valid"
    if len(cleaned) == 10 and cleaned.isascii() and cleaned.isdigit():
        return None, "ambiguous"
    segments = cleaned.split("-")
    layout = tuple(len(s) for s in segments)
    if len(segments) != 3 or layout not in NDC_LAYOUTS or not all(s.isascii() and s.isdigit() for s in segments):
        return None, "invalid"
    pad = NDC_LAYOUTS[layout]
    if pad is not None:
        segments[pad] = "0" + segments[pad]
    return "".join(segments), "valid"


def normalise_ndc(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(ndc11, status) with status missing / valid / invalid / ambiguous (10 bare digits)."""
    cleaned = _replace(pc.utf8_upper(pc.utf8_trim_whitespace(text)), r"\s+", "")
    n4 = pc.fill_null(_fullmatch(cleaned, r"N4[0-9\-]+"), False)
    cleaned = pc.if_else(n4, pc.utf8_slice_codeunits(cleaned, 2), cleaned)
    encoded = pc.dictionary_encode(cleaned)
    read = [_ndc(v) for v in encoded.dictionary.to_pylist()]
    ndc11 = pa.array([r[0] for r in read], pa.string()).take(encoded.indices)
    status = pa.array([r[1] for r in read], pa.string()).take(encoded.indices)
    return ndc11, pc.fill_null(status, "invalid")


def join_codes(text: pa.Array, *, icd: bool = False) -> pa.Array:
    """';'-separated code lists: trimmed, upper-cased, dots dropped for ICD, empty items removed."""
    s = pc.utf8_upper(pc.utf8_trim_whitespace(text))
    if icd:
        s = pc.replace_substring(s, ".", "")
    s = _replace(_replace(s, r"\s*[;,]\s*", ";"), r"\s+", "")
    return pc.utf8_trim(_replace(s, r";{2,}", ";"), ";")


def _zero_padded(text: pa.Array, width: int) -> pa.Array:
    """Digit codes written short (131, 2, 636) padded to their width (0131, 02, 0636)."""
    digits = pc.fill_null(_fullmatch(text, f"[0-9]{{{max(width - 1, 1)},{width}}}"), False)
    return pc.if_else(digits, pc.utf8_lpad(text, width, "0"), text)


class Distinct:
    """A column as its distinct values and one index per row: string work runs once per distinct
    value (a few hundred codes, diagnosis lists or NDCs in 100k lines) and is spread back with a take."""

    def __init__(self, array: pa.Array) -> None:
        encoded = pc.dictionary_encode(array)
        self.values, self.indices = encoded.dictionary, encoded.indices

    def map(self, fn: Callable[[pa.Array], pa.Array]) -> Distinct:
        mapped = Distinct.__new__(Distinct)
        mapped.values, mapped.indices = fn(self.values), self.indices
        return mapped

    def rows(self) -> pa.Array:
        return self.values.take(self.indices)


LOW_CARDINALITY = (
    "claim_type",
    "service_date",
    "member_dob",
    "units",
    "invoice_attached",
    "mcp_enrolled",
    "ndc",
    "modifiers",
    "condition_codes",
    "diagnosis_codes",
    "icd10_pcs_codes",
    "bill_type",
    "place_of_service",
    "revenue_code",
)


def complete(table: pa.Table, rows: np.ndarray, date_format: str | None = None) -> pa.Table:
    """Typed, normalised lines from screened, valid rows (required values already checked)."""
    n = table.num_rows
    columns: dict[str, pa.Array] = {name: table.column(name).combine_chunks() for name in table.column_names}
    columns["_row"] = pa.array(rows.astype(np.int64))
    for name in COLUMNS:  # each column trimmed, as written
        raw = columns[name] if name in columns else pa.repeat(pa.scalar("", pa.string()), n)
        columns[name] = trim_whitespace(raw)
    # Columns of codes, dates and amounts hold few distinct values: their parsing runs on those.
    text = {name: Distinct(columns[name]) for name in LOW_CARDINALITY}
    known = pa.array(list(CLAIM_TYPES))
    columns["claim_type"] = (
        text["claim_type"]
        .map(lambda v: pc.take(pa.array(list(CLAIM_TYPES.values())), pc.index_in(pc.utf8_upper(v), known)))
        .rows()
    )
    columns["line_number"] = _line_number(columns["line_number"])
    for name in ("service_date", "member_dob"):
        columns[f"{name}_text"] = columns[name]
        columns[name] = text[name].map(lambda v: parse_date_arrow(v, date_format)).rows()
    columns["units_text"] = columns["units"]
    columns["units"] = text["units"].map(numbers).rows()
    columns["invoice_attached_text"] = columns["invoice_attached"]
    columns["invoice_attached"] = text["invoice_attached"].map(parse_flags).rows()
    columns["mcp_enrolled"] = text["mcp_enrolled"].map(parse_flags).rows()
    columns["charge_text"] = columns["charge"]
    columns["charge"] = usable_charge(numbers(columns["charge"]))
    columns["ndc11"] = text["ndc"].map(lambda v: normalise_ndc(v)[0]).rows()
    columns["ndc_status"] = text["ndc"].map(lambda v: normalise_ndc(v)[1]).rows()
    for name in ("modifiers", "condition_codes"):
        columns[name] = text[name].map(join_codes).rows()
    for name in ("diagnosis_codes", "icd10_pcs_codes"):
        columns[name] = text[name].map(lambda v: join_codes(v, icd=True)).rows()
    for name, width in (("bill_type", 4), ("place_of_service", 2), ("revenue_code", 4)):
        columns[name] = text[name].map(functools.partial(_zero_padded, width=width)).rows()
    columns["prior_auth"] = pc.utf8_upper(columns["prior_auth"])
    return pa.table(columns)


def _line_number(text: pa.Array) -> pa.Array:
    """Line numbers without leading zeros ('01' is line 1, '0' stays 0)."""
    number = pc.utf8_ltrim(text, "0")
    return pc.if_else(pc.equal(number, ""), "0", number)
