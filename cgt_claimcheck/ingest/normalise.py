"""Stage 2 of the pipeline, on the kept rows only: typed, normalised claim lines in pandas.

`complete` runs on the rows the engine keeps (well under 1% of a nightly extract): codes trimmed
and upper-cased, ICD codes without dots, NDCs to 11-digit 5-4-2, the date layouts, yes/no
variants. The single-value parsers in `cgt_claimcheck.value_parsers` follow the same rules (a
property test checks they agree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.ingest.dates import parse_date_arrow
from cgt_claimcheck.ingest.screen import CLAIM_TYPES
from cgt_claimcheck.value_parsers import FALSE_WORDS, TRUE_WORDS


def per_distinct(series: pd.Series, fn):  # type: ignore[no-untyped-def]
    """fn applied to the distinct values of a column and spread back to its rows.

    Codes, NDCs and diagnosis lists repeat across lines (a treatment center's file has a few
    hundred distinct NDCs in 100k lines): string work runs once per distinct value.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    result = fn(pd.Series(uniques, dtype="str"))

    def spread(values: pd.Series) -> pd.Series:
        return pd.Series(values.to_numpy()[codes], index=series.index, dtype=values.dtype)

    return tuple(spread(r) for r in result) if isinstance(result, tuple) else spread(result)


def text(series: pd.Series) -> pd.Series:
    return series.astype("str").str.strip()


def parse_dates(series: pd.Series, date_format: str | None = None) -> pd.Series:
    """Dates in the accepted layouts (ingest.dates) to datetime64; anything else NaT."""
    parsed = parse_date_arrow(pa.array(text(series).tolist(), pa.string()), date_format)
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


# The dearest CGT lists at about $4.25M: a line charge of $100M or more is a misplaced value.
MAX_CHARGE = 100_000_000


def charge_problem(charge_text: pd.Series) -> pd.Series:
    """Why a charge as written is unusable ('' when it is usable or blank)."""
    amount = pd.to_numeric(charge_text, errors="coerce")
    problem = pd.Series("", index=charge_text.index, dtype="str")
    problem = problem.mask(charge_text.ne("") & amount.isna(), "is not a number")
    problem = problem.mask(np.isinf(amount), "is not a finite amount")
    problem = problem.mask(np.isfinite(amount) & amount.lt(0), "is negative")
    problem = problem.mask(
        np.isfinite(amount) & amount.ge(MAX_CHARGE), f"is ${MAX_CHARGE:,} or more: no service line is billed that much"
    )
    return problem


def usable_charge(amount: pd.Series) -> pd.Series:
    """Charges that mean something; infinite, negative and absurd amounts become missing."""
    return amount.where(np.isfinite(amount) & amount.ge(0) & amount.lt(MAX_CHARGE))


def parse_flags(series: pd.Series) -> pd.Series:
    """Yes/no variants to a nullable boolean (NA for blank or unreadable)."""
    s = text(series).str.lower()
    flag = pd.Series(pd.NA, index=s.index, dtype="boolean")
    flag[s.isin(TRUE_WORDS)] = True
    flag[s.isin(FALSE_WORDS)] = False
    return flag


def complete(table: pa.Table, rows: np.ndarray, date_format: str | None = None) -> pd.DataFrame:
    """Typed, normalised lines from screened, valid rows (required values already checked)."""
    lines = table.to_pandas()
    lines["_row"] = rows.astype("int64")
    for column in COLUMNS:
        lines[column] = text(lines[column]) if column in lines.columns else ""
    lines["claim_type"] = lines["claim_type"].str.upper().map(CLAIM_TYPES).astype("str")
    lines["line_number"] = lines["line_number"].str.lstrip("0").replace("", "0")
    lines["service_date_text"] = lines["service_date"]
    lines["service_date"] = per_distinct(lines["service_date"], lambda s: parse_dates(s, date_format))
    lines["units_text"] = lines["units"]
    lines["units"] = pd.to_numeric(lines["units"], errors="coerce")
    lines["member_dob_text"] = lines["member_dob"]
    lines["member_dob"] = per_distinct(lines["member_dob"], lambda s: parse_dates(s, date_format))
    lines["invoice_attached_text"] = lines["invoice_attached"]
    lines["invoice_attached"] = parse_flags(lines["invoice_attached"])
    lines["mcp_enrolled"] = parse_flags(lines["mcp_enrolled"])
    lines["charge_text"] = lines["charge"]
    lines["charge"] = usable_charge(pd.to_numeric(lines["charge"], errors="coerce"))
    lines["ndc11"], lines["ndc_status"] = per_distinct(lines["ndc"], normalise_ndc)
    for field in ("modifiers", "condition_codes"):
        lines[field] = per_distinct(lines[field], join_codes)
    for field in ("diagnosis_codes", "icd10_pcs_codes"):
        lines[field] = per_distinct(lines[field], lambda s: join_codes(s, icd=True))
    for field, width in (("bill_type", 4), ("place_of_service", 2), ("revenue_code", 4)):
        digits = lines[field].str.fullmatch(rf"[0-9]{{{max(width - 1, 1)},{width}}}")
        lines[field] = lines[field].str.zfill(width).where(digits, lines[field])
    lines["prior_auth"] = lines["prior_auth"].str.upper()
    return lines
