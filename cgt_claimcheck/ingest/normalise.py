"""Vectorised normalisation of a batch of claim lines, and the rejections of unusable rows.

The same rules as `cgt_claimcheck.normalize` (one value at a time), over whole columns:
codes trimmed and upper-cased, ICD codes without dots, NDCs to 11-digit 5-4-2, three date
layouts, yes/no variants. A row with a required value missing or unparseable is rejected (IN001)
and does not reach the rules; everything else is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.normalize import FALSE_WORDS, TRUE_WORDS

CLAIM_TYPES = {
    "837P": "837P",
    "P": "837P",
    "PROFESSIONAL": "837P",
    "837I": "837I",
    "I": "837I",
    "INSTITUTIONAL": "837I",
}


@dataclass
class Normalised:
    lines: pd.DataFrame  # valid rows, typed
    rejected: pd.DataFrame  # one row per problem: _row, field, value, reason
    rejected_rows: int


def text(series: pd.Series) -> pd.Series:
    return series.astype("str").str.strip()


def parse_dates(series: pd.Series) -> pd.Series:
    """YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY to datetime64; anything else NaT."""
    s = text(series)
    result = pd.to_datetime(s.where(s.str.fullmatch(r"\d{4}-\d{2}-\d{2}")), format="%Y-%m-%d", errors="coerce")
    compact = s.str.fullmatch(r"\d{8}")
    if compact.any():
        result = result.fillna(pd.to_datetime(s.where(compact), format="%Y%m%d", errors="coerce"))
    us = s.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}")
    if us.any():
        result = result.fillna(pd.to_datetime(s.where(us), format="%m/%d/%Y", errors="coerce"))
    return result.astype("datetime64[ns]")


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
    s = s.where(~s.str.fullmatch(r"N4[\d\-]+"), s.str.slice(2))
    ndc11 = pd.Series(pd.NA, index=s.index, dtype="str")
    status = pd.Series("invalid", index=s.index, dtype="str")
    status[s.eq("")] = "missing"
    plain11 = s.str.fullmatch(r"\d{11}")
    ndc11[plain11] = s[plain11]
    parts = s.str.extract(r"^(\d{4,5})-(\d{3,4})-(\d{1,2})$")
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
    status[s.str.fullmatch(r"\d{10}")] = "ambiguous"
    return ndc11, status


def parse_flags(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(flag, unparseable): yes/no variants to a nullable boolean."""
    s = text(series).str.lower()
    flag = pd.Series(pd.NA, index=s.index, dtype="boolean")
    flag[s.isin(TRUE_WORDS)] = True
    flag[s.isin(FALSE_WORDS)] = False
    return flag, s.ne("") & flag.isna()


def normalise_batch(
    raw: pd.DataFrame,
    *,
    known_payers: set[str],
    payer_aliases: dict[str, str],
    default_payer: str | None,
) -> Normalised:
    lines = pd.DataFrame(index=raw.index)
    lines["_row"] = raw["_row"].astype("int64")
    for column in COLUMNS:
        if column in raw.columns:
            lines[column] = text(raw[column])
        else:
            lines[column] = pd.Series("", index=raw.index, dtype="str")
    problems: list[pd.DataFrame] = []
    raw_claim, raw_line = lines["claim_id"].copy(), lines["line_number"].copy()

    def reject(mask: pd.Series, field: str, reason: str, values: pd.Series | None = None) -> None:
        if mask.any():
            shown = (values if values is not None else lines[field])[mask]
            problems.append(
                pd.DataFrame(
                    {
                        "_row": lines.loc[mask, "_row"],
                        "field": field,
                        "value": shown.astype("str"),
                        "reason": reason,
                        "claim_id": raw_claim[mask],
                        "line_number": raw_line[mask],
                    }
                )
            )

    for field in ("claim_id", "member_id", "procedure_code"):
        reject(lines[field].eq(""), field, "is missing")
    lines["procedure_code"] = lines["procedure_code"].str.upper()
    reject(
        lines["procedure_code"].ne("") & ~lines["procedure_code"].str.fullmatch(r"[A-Z0-9]{5}"),
        "procedure_code",
        "is not a 5-character HCPCS/CPT code",
    )

    line_ok = lines["line_number"].str.fullmatch(r"\d{1,6}")
    reject(lines["line_number"].eq(""), "line_number", "is missing")
    reject(lines["line_number"].ne("") & ~line_ok, "line_number", "is not a whole number")
    lines["line_number"] = lines["line_number"].str.lstrip("0").replace("", "0").where(line_ok, lines["line_number"])

    claim_type = lines["claim_type"].str.upper().map(CLAIM_TYPES)
    reject(lines["claim_type"].eq(""), "claim_type", "is missing")
    reject(
        lines["claim_type"].ne("") & claim_type.isna(),
        "claim_type",
        "is not 837P or 837I (P, I, professional, institutional)",
    )
    lines["claim_type"] = claim_type.fillna(lines["claim_type"]).astype("str")

    payer_raw = lines["payer"]
    payer = payer_raw.str.lower()
    if payer_aliases:
        payer = payer.replace({k.lower(): v for k, v in payer_aliases.items()})
    if default_payer:
        payer = payer.mask(payer.eq(""), default_payer)
    reject(payer.eq(""), "payer", "is missing (give the column or --payer)")
    reject(
        payer.ne("") & ~payer.isin(known_payers),
        "payer",
        f"is not a payer profile ({', '.join(sorted(known_payers))}; aliases go in [payers] of the config)",
        payer_raw,
    )
    lines["payer"] = payer

    service_date = parse_dates(lines["service_date"])
    reject(lines["service_date"].eq(""), "service_date", "is missing")
    reject(
        lines["service_date"].ne("") & service_date.isna(),
        "service_date",
        "is not a date (YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)",
    )
    lines["service_date_text"] = lines["service_date"]
    lines["service_date"] = service_date

    units = pd.to_numeric(lines["units"], errors="coerce")
    reject(lines["units"].eq(""), "units", "is missing")
    reject(lines["units"].ne("") & (units.isna() | ~np.isfinite(units.fillna(0))), "units", "is not a number")
    lines["units_text"] = lines["units"]
    lines["units"] = units

    # Optional values: normalised; unparseable ones are noted for IN004 and treated as absent.
    lines["member_dob_text"] = lines["member_dob"]
    lines["member_dob"] = parse_dates(lines["member_dob"])
    lines["invoice_attached_text"] = lines["invoice_attached"]
    lines["invoice_attached"], _ = parse_flags(lines["invoice_attached"])
    lines["charge_text"] = lines["charge"]
    lines["charge"] = pd.to_numeric(lines["charge"], errors="coerce")
    lines["ndc11"], lines["ndc_status"] = normalise_ndc(lines["ndc"])
    for field in ("modifiers", "condition_codes"):
        lines[field] = join_codes(lines[field])
    for field in ("diagnosis_codes", "icd10_pcs_codes"):
        lines[field] = join_codes(lines[field], icd=True)
    lines["bill_type"] = (
        lines["bill_type"].str.zfill(4).where(lines["bill_type"].str.fullmatch(r"\d{3,4}"), lines["bill_type"])
    )
    lines["place_of_service"] = (
        lines["place_of_service"]
        .str.zfill(2)
        .where(lines["place_of_service"].str.fullmatch(r"\d{1,2}"), lines["place_of_service"])
    )
    lines["revenue_code"] = (
        lines["revenue_code"].str.zfill(4).where(lines["revenue_code"].str.fullmatch(r"\d{3,4}"), lines["revenue_code"])
    )
    lines["prior_auth"] = lines["prior_auth"].str.upper()

    rejected = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=["_row", "field", "value", "reason", "claim_id", "line_number"])
    )
    bad_rows = rejected["_row"].unique() if len(rejected) else np.array([], dtype=np.int64)
    keep = ~lines["_row"].isin(bad_rows)
    return Normalised(lines[keep].reset_index(drop=True), rejected, int(len(bad_rows)))
