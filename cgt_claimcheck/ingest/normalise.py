"""Normalise claim lines in two stages, so the cost follows the CGT lines, not the file.

`screen` runs on every row with pyarrow compute: it validates the required values (a row with
one missing or unparseable is rejected, IN001) and marks the lines a selected rule may care
about (a loose superset; the rules decide exactly). `complete` runs in pandas on the rows the
engine keeps (well under 1% of a nightly extract) and normalises everything else: codes trimmed
and upper-cased, ICD codes without dots, NDCs to 11-digit 5-4-2, the three date layouts, yes/no
variants. The single-value normalisers in `cgt_claimcheck.normalize` follow the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.normalize import FALSE_WORDS, TRUE_WORDS, YEARS

CLAIM_TYPES = {
    "837P": "837P",
    "P": "837P",
    "PROFESSIONAL": "837P",
    "837I": "837I",
    "I": "837I",
    "INSTITUTIONAL": "837I",
}
NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


@dataclass
class Screened:
    table: pa.Table  # columns as read; claim_id trimmed; procedure_code and payer normalised
    valid: np.ndarray  # bool per row
    relevant: np.ndarray  # bool per row: a line some selected rule declares relevant
    rejected: pd.DataFrame  # one row per problem: _row, field, value, reason, claim_id, line_number


# --- pyarrow helpers ------------------------------------------------------------------------------
def _strip(array: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(array)


def _matches(array: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(array, pattern), False)


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
        encoded = pc.dictionary_encode(array)
        self.indices = encoded.indices
        self.values = pc.utf8_trim_whitespace(encoded.dictionary)

    def mask(self, fn) -> np.ndarray:  # type: ignore[no-untyped-def]
        flags = pc.fill_null(fn(self.values), False)
        return np.asarray(flags, dtype=bool)[np.asarray(self.indices)]

    def encoded(self, fn=None) -> pa.DictionaryArray:  # type: ignore[no-untyped-def]
        values = fn(self.values) if fn is not None else self.values
        return pa.DictionaryArray.from_arrays(self.indices, values)


def _parse_date_arrow(text: pa.Array) -> pa.Array:
    """YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY to timestamp[s]; null when not a real date.

    Arrow's strptime rolls 2025-02-30 over to March: each parse must format back to its text.
    """
    result = pa.nulls(len(text), pa.timestamp("s"))
    us = pc.replace_substring_regex(pc.replace_substring_regex(text, r"^([0-9])/", r"0\1/"), r"/([0-9])/", r"/0\1/")
    for source, pattern, fmt in (
        (text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "%Y-%m-%d"),
        (text, r"^[0-9]{8}$", "%Y%m%d"),
        (us, r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$", "%m/%d/%Y"),
    ):
        shaped = _matches(source, pattern)
        if not pc.any(shaped).as_py():
            continue
        candidate = pc.if_else(shaped, source, pa.scalar(None, pa.string()))
        parsed = pc.strptime(candidate, format=fmt, unit="s", error_is_null=True)
        exact = pc.fill_null(pc.equal(pc.strftime(parsed, format=fmt), candidate), False)
        year = pc.year(parsed)
        sane = pc.fill_null(pc.and_(pc.greater_equal(year, YEARS[0]), pc.less_equal(year, YEARS[1])), False)
        result = pc.if_else(pc.and_(exact, sane), parsed, result)
    return result


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
    known_payers: set[str],
    payer_aliases: dict[str, str],
    default_payer: str | None,
    procedure_codes: list[str],
    diagnosis_codes: frozenset[str],
    pcs_codes: frozenset[str],
) -> Screened:
    n = table.num_rows

    def column(name: str) -> pa.Array:
        if name in table.column_names:
            return table.column(name).combine_chunks()
        return pa.array([""] * n, pa.string())

    problems: list[tuple[np.ndarray, str, pa.Array, str]] = []

    def reject(flags: np.ndarray, field: str, reason: str, shown: pa.Array) -> None:
        if flags.any():
            problems.append((flags, field, shown, reason))

    def blank_or_invalid(values: _Distinct, field: str, valid, reason: str) -> None:  # type: ignore[no-untyped-def]
        blank = values.mask(lambda v: pc.equal(v, ""))
        reject(blank, field, "is missing", column(field))
        reject(~blank & ~values.mask(valid), field, reason, column(field))

    claim_id = _strip(column("claim_id"))  # high cardinality: trimmed row by row
    reject(np.asarray(pc.equal(claim_id, ""), dtype=bool), "claim_id", "is missing", claim_id)
    reject(_blank(column("member_id")), "member_id", "is missing", column("member_id"))

    procedure = _Distinct(column("procedure_code"))
    blank_or_invalid(
        procedure,
        "procedure_code",
        lambda v: _matches(pc.utf8_upper(v), r"^[A-Z0-9]{5}$"),
        "is not a 5-character HCPCS/CPT code",
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

    lowered_aliases = {k.lower(): v for k, v in payer_aliases.items()}

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
    reject(payer_blank, "payer", "is missing (give the column or --payer)", column("payer"))
    reject(
        ~payer_blank & ~payer.mask(lambda v: pc.is_in(payer_profile(v), pa.array(sorted(known_payers)))),
        "payer",
        f"is not a payer profile ({', '.join(sorted(known_payers))}; aliases go in [payers] of the config)",
        column("payer"),
    )

    blank_or_invalid(
        _Distinct(column("service_date")),
        "service_date",
        lambda v: pc.is_valid(_parse_date_arrow(v)),
        "is not a date (YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)",
    )
    blank_or_invalid(_Distinct(column("units")), "units", lambda v: _matches(v, NUMBER), "is not a number")

    bad = np.zeros(n, dtype=bool)
    for flags, *_ in problems:
        bad |= flags
    rejected = _problems_frame(problems, rows, claim_id, column("line_number"))

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
        relevant |= np.asarray(_matches(column("icd10_pcs_codes"), pcs_pattern), dtype=bool)

    # Every column as read; claim id trimmed; procedure code and payer normalised (dictionary
    # encoded: they are decoded only for the rows the engine keeps).
    out = {name: table.column(name) for name in table.column_names}
    out["claim_id"] = claim_id
    out["procedure_code"] = procedure.encoded(pc.utf8_upper)
    out["payer"] = payer.encoded(payer_profile)
    return Screened(pa.table(out), ~bad, relevant, rejected)


def _problems_frame(
    problems: list[tuple[np.ndarray, str, pa.Array, str]], rows: np.ndarray, claim_id: pa.Array, line_number: pa.Array
) -> pd.DataFrame:
    if not problems:
        return pd.DataFrame(columns=["_row", "field", "value", "reason", "claim_id", "line_number"])
    parts = []
    for flags, field, shown, reason in problems:
        index = np.flatnonzero(flags)
        taken = pa.array(index)
        parts.append(
            pd.DataFrame(
                {
                    "_row": rows[index],
                    "field": field,
                    "value": _strip(pc.take(shown, taken)).to_pylist(),
                    "reason": reason,
                    "claim_id": pc.take(claim_id, taken).to_pylist(),
                    "line_number": _strip(pc.take(line_number, taken)).to_pylist(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


# --- stage 2: the kept rows --------------------------------------------------------------------------
def text(series: pd.Series) -> pd.Series:
    return series.astype("str").str.strip()


def parse_dates(series: pd.Series) -> pd.Series:
    """YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY to datetime64; anything else NaT."""
    parsed = _parse_date_arrow(pa.array(text(series).tolist(), pa.string()))
    return pd.Series(parsed.to_pandas(), index=series.index).astype("datetime64[s]")


def join_codes(series: pd.Series, *, icd: bool = False) -> pd.Series:
    """';'-separated code lists: trimmed, upper-cased, dots dropped for ICD, empty items removed."""
    s = text(series).str.upper()
    if icd:
        s = s.str.replace(".", "", regex=False)
    s = s.str.replace(r"\s*[;,]\s*", ";", regex=True).str.replace(r"\s+", "", regex=True)
    return s.str.replace(r";{2,}", ";", regex=True).str.strip(";")


def normalise_ndc(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(ndc11, status) with status missing / valid / invalid / ambiguous (10 bare digits)."""
    s = text(series).str.upper().str.replace(r"\s+", "", regex=True)
    s = s.where(~s.str.fullmatch(r"N4[0-9\-]+"), s.str.slice(2))
    ndc11 = pd.Series(pd.NA, index=s.index, dtype="str")
    status = pd.Series("invalid", index=s.index, dtype="str")
    status[s.eq("")] = "missing"
    plain11 = s.str.fullmatch(r"[0-9]{11}")
    ndc11[plain11] = s[plain11]
    parts = s.str.extract(r"^([0-9]{4,5})-([0-9]{3,4})-([0-9]{1,2})$")
    lengths = parts.apply(lambda col: col.str.len())
    layouts = {
        (4, 4, 2): lambda p: "0" + p[0] + p[1] + p[2],
        (5, 3, 2): lambda p: p[0] + "0" + p[1] + p[2],
        (5, 4, 1): lambda p: p[0] + p[1] + "0" + p[2],
        (5, 4, 2): lambda p: p[0] + p[1] + p[2],
    }
    for (a, b, c), build in layouts.items():
        mask = lengths[0].eq(a) & lengths[1].eq(b) & lengths[2].eq(c)
        if mask.any():
            ndc11[mask] = build([parts.loc[mask, i] for i in range(3)])
    status[ndc11.notna()] = "valid"
    status[s.str.fullmatch(r"[0-9]{10}")] = "ambiguous"
    return ndc11, status


def parse_flags(series: pd.Series) -> pd.Series:
    """Yes/no variants to a nullable boolean (NA for blank or unreadable)."""
    s = text(series).str.lower()
    flag = pd.Series(pd.NA, index=s.index, dtype="boolean")
    flag[s.isin(TRUE_WORDS)] = True
    flag[s.isin(FALSE_WORDS)] = False
    return flag


def complete(table: pa.Table, rows: np.ndarray) -> pd.DataFrame:
    """Typed, normalised lines from screened, valid rows (required values already checked)."""
    lines = table.to_pandas()
    lines["_row"] = rows.astype("int64")
    for column in COLUMNS:
        lines[column] = text(lines[column]) if column in lines.columns else ""
    lines["claim_type"] = lines["claim_type"].str.upper().map(CLAIM_TYPES).astype("str")
    lines["line_number"] = lines["line_number"].str.lstrip("0").replace("", "0")
    lines["service_date_text"] = lines["service_date"]
    lines["service_date"] = parse_dates(lines["service_date"])
    lines["units_text"] = lines["units"]
    lines["units"] = pd.to_numeric(lines["units"], errors="coerce")
    lines["member_dob_text"] = lines["member_dob"]
    lines["member_dob"] = parse_dates(lines["member_dob"])
    lines["invoice_attached_text"] = lines["invoice_attached"]
    lines["invoice_attached"] = parse_flags(lines["invoice_attached"])
    lines["charge_text"] = lines["charge"]
    lines["charge"] = pd.to_numeric(lines["charge"], errors="coerce")
    lines["ndc11"], lines["ndc_status"] = normalise_ndc(lines["ndc"])
    for field in ("modifiers", "condition_codes"):
        lines[field] = join_codes(lines[field])
    for field in ("diagnosis_codes", "icd10_pcs_codes"):
        lines[field] = join_codes(lines[field], icd=True)
    for field, width in (("bill_type", 4), ("place_of_service", 2), ("revenue_code", 4)):
        digits = lines[field].str.fullmatch(rf"[0-9]{{{max(width - 1, 1)},{width}}}")
        lines[field] = lines[field].str.zfill(width).where(digits, lines[field])
    lines["prior_auth"] = lines["prior_auth"].str.upper()
    return lines
