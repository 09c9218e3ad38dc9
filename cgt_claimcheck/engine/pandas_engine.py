"""The pandas engine's normalise and derive (ingest/normalise.py and engine/lines.py before issue 24).

Kept only for the parity harness (engine/parity.py), and deleted with it. What follows is the
old stage 2 of the pipeline, on the kept rows only: typed, normalised claim lines in pandas.

`complete` runs on the rows the engine keeps (well under 1% of a nightly extract): codes trimmed
and upper-cased, ICD codes without dots, NDCs to 11-digit 5-4-2, the date layouts, yes/no
variants. The single-value parsers in `cgt_claimcheck.value_parsers` follow the same rules (a
property test checks they agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.engine.claims import CLAIM_HEADER_SCHEMA, NO_HEADERS, REDACTED
from cgt_claimcheck.engine.findings import finding_table
from cgt_claimcheck.engine.intake import Intake, raw_rows
from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.engine.pending import Pending
from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.ingest.dates import parse_date_arrow
from cgt_claimcheck.ingest.screen import CLAIM_TYPES
from cgt_claimcheck.reference import Reference
from cgt_claimcheck.report import CLAIM_HASH, Findings
from cgt_claimcheck.rules.base import Rule, RuleContext, RuleDeclarationError
from cgt_claimcheck.rules.vector import claim_any, has_token
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


# --- the old engine/lines.py ---------------------------------------------------------------
TRIAL_MARKERS = (
    ("modifier Q0/Q1", "modifiers", "clinical_trial_modifier"),
    ("diagnosis Z00.6", "diagnosis_codes", "clinical_trial_dx"),
    ("condition code 30", "condition_codes", "clinical_trial_condition_code"),
)


def trial_markers(lines: pd.DataFrame, ref: Reference) -> pd.Series:
    """Per line, the clinical-trial markers of its claim ('' when none): modifier Q0/Q1, Z00.6, condition code 30."""
    markers = pd.Series("", index=lines.index, dtype="str")
    for label, column, codeset in TRIAL_MARKERS:
        present = claim_any(has_token(lines[column], ref.codes(codeset)), lines)
        markers = markers.mask(present & markers.eq(""), label).mask(
            present & markers.ne("") & ~markers.str.contains(label, regex=False), markers + ", " + label
        )
    return markers


def derive(lines: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Add the DERIVED columns of `ingest.columns` to normalised lines (in place, returned)."""
    lines["product_hcpcs"] = lines["procedure_code"].map(ref.product_of_hcpcs).astype("str")
    by_package = lines["ndc11"].map(ref.product_of_ndc).astype("str")
    by_product_code = lines["ndc11"].str.slice(0, 9).map(ref.product_of_ndc_product_code).astype("str")
    lines["product_ndc"] = by_package.fillna(by_product_code)
    labeler_known = lines["ndc11"].str.slice(0, 5).isin(list(ref.cgt_labelers))
    lines["ndc_match"] = (
        pd.Series("", index=lines.index, dtype="str")
        .mask(labeler_known.fillna(False).astype(bool), "labeler")
        .mask(by_product_code.notna(), "product")
        .mask(by_package.notna(), "package")
    )
    lines["is_j3590"] = lines["procedure_code"].isin(ref.unclassified_codes)
    lines["product"] = lines["product_hcpcs"].fillna(lines["product_ndc"].where(lines["is_j3590"]))
    lines["is_cgt_drug"] = lines["product"].notna()
    lines["is_car_t_admin"] = lines["procedure_code"].isin(ref.codes("car_t_admin"))
    lines["brand"] = lines["product"].map({pid: p.brand for pid, p in ref.products.items()}).astype("str")
    lines["family"] = lines["product"].map({pid: p.family for pid, p in ref.products.items()}).astype("str")
    lines["program"] = lines["payer"].map({pid: p.program for pid, p in ref.payers.items()}).astype("str")
    lines["inpatient"] = lines["claim_type"].eq("837I") & lines["bill_type"].str.startswith("011")
    served, born = lines["service_date"], lines["member_dob"]
    before_birthday = (served.dt.month < born.dt.month) | (
        (served.dt.month == born.dt.month) & (served.dt.day < born.dt.day)
    )
    lines["age"] = (
        (served.dt.year - born.dt.year - before_birthday.astype("int64")).astype("float64").where(born.notna())
    )
    # Voids (8) and replacements (7) are not new treatments. CLM05-3, or the type of bill's last digit.
    from_bill_type = (
        lines["bill_type"]
        .str.slice(3, 4)
        .where(lines["claim_type"].eq("837I") & lines["bill_type"].str.fullmatch(r"[0-9]{4}"), "")
    )
    lines["frequency"] = lines["claim_frequency"].mask(lines["claim_frequency"].eq(""), from_bill_type).fillna("")
    # WNC EPSDT special provision: for members under 21, limits on frequency and location may be
    # exceeded with documented medical necessity (prior approval is still required).
    epsdt_limit = {pid: p.epsdt_under_age for pid, p in ref.programs.items() if p.epsdt_under_age}
    lines["epsdt"] = lines["age"].lt(lines["program"].map(epsdt_limit).astype("float64")).fillna(False).astype(bool)
    lines["trial_markers"] = trial_markers(lines, ref)
    return lines


# --- the old engine, run on the same intake ---------------------------------------------------
def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def texts(values: pd.Series | np.ndarray) -> np.ndarray:
    """A column as display text ('' for missing, dates as YYYY-MM-DD), converted per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values) if not isinstance(values, pd.Series) else values)
    table = np.array([_text(u) for u in uniques] + [""], dtype=object)
    return table[codes]  # code -1 (missing) takes the trailing ''


def _pandas_complete(parts: list[Pending], date_format: str | None, history: bool = False) -> pd.DataFrame | None:
    raw = raw_rows(parts)
    if raw is None:
        return None
    table, rows, files, seq = raw
    lines = complete(table, rows, date_format)
    lines["_file"] = pd.Series(files.to_pylist(), dtype="str")
    lines["_history"] = history
    lines["_seq"] = seq
    return lines


def _as_history(lines: pd.DataFrame | None, prefix: str) -> pd.DataFrame | None:
    if lines is None:
        return None
    lines = lines[lines["service_date"].notna() & lines["member_id"].ne("")].copy()
    lines["claim_id"] = prefix + lines["claim_id"]
    return lines if len(lines) else None


def pandas_lines(intake: Intake, date_format: str | None, ref: Reference) -> pd.DataFrame | None:
    lines = _pandas_complete(intake.kept, date_format)
    for rows, prefix in intake.context:
        context = _as_history(_pandas_complete(rows, date_format, history=True), prefix)
        if context is not None and len(context):
            lines = context if lines is None else pd.concat([lines, context], ignore_index=True)
    if lines is None:
        return None
    return derive(lines.sort_values("_seq", kind="stable").reset_index(drop=True), ref)


class PandasEngine:
    """The pandas checks, findings and claim headers on the same intake (the parity harness)."""

    def __init__(
        self, intake: Intake, ref: Reference, options: CheckOptions, facilities: pd.DataFrame | None, window: int
    ) -> None:
        self.lines = pandas_lines(intake, options.date_format, ref)
        self.ctx = RuleContext(ref=ref, facilities=facilities, repeat_window_days=window)
        self.options = options

    def cgt_claims(self) -> int:
        lines = self.lines
        if lines is None:
            return 0
        cgt = ~lines["_history"] & (lines["is_cgt_drug"] | lines["is_car_t_admin"])
        return int(lines.loc[cgt, "claim_id"].nunique())

    def findings(self, r: Rule) -> pa.Table | None:
        lines = self.lines
        assert lines is not None
        trial = lines["program"].eq("medi-cal") & lines["trial_markers"].ne("")
        scope = lines["payer"].isin(r.payers) & ~lines["_history"]
        if not r.runs_on_clinical_trials:
            scope &= ~trial
        if not scope.any():
            return None
        return _rule_findings(r, lines, r.check(lines, self.ctx), scope, self.options)

    def headers(self, findings: Findings) -> pa.Table:
        return _claim_headers(self.lines, findings, self.options.redact)


def _rule_findings(r: Rule, lines: pd.DataFrame, hits: Any, scope: pd.Series, options: CheckOptions) -> pa.Table | None:
    hits = hits.to_frame("hit") if isinstance(hits, pd.Series) else hits
    undeclared = [c for c in hits.columns if c != "hit" and c not in r.details]
    if undeclared:
        raise RuleDeclarationError(f"rule {r.code}: the check returned undeclared details {', '.join(undeclared)}")
    mask = hits["hit"].reindex(lines.index, fill_value=False).fillna(False).astype(bool) & scope
    if not mask.any():
        return None
    index = mask.index[mask.to_numpy()]
    at = lines.loc[index]
    detail = hits.reindex(index)
    n = len(index)

    def column_text(name: str) -> np.ndarray:
        return texts(at[name]) if name in at.columns else np.full(n, "", dtype=object)

    return finding_table(
        r,
        n,
        column_text,
        {c: texts(detail[c]) for c in detail.columns if c != "hit"},
        rows=at["_row"].to_numpy(dtype=np.int64),
        seq=at["_seq"].to_numpy(dtype=np.int64),
        options=options,
    )


def _claim_headers(lines: pd.DataFrame | None, findings: Findings, redact: bool) -> pa.Table:
    if lines is None or not len(lines) or not len(findings):
        return NO_HEADERS
    named = findings.table.select(["file", "claim_id"]).drop_null()
    named = named.cast(pa.schema([("file", pa.string()), ("claim_id", pa.string())]))
    wanted = named.group_by(["file", "claim_id"]).aggregate([]).to_pandas()
    if not len(wanted):
        return NO_HEADERS
    at = lines.loc[~lines["_history"] & lines["claim_id"].isin(wanted["claim_id"].unique())]
    if not len(at):
        return NO_HEADERS
    grouped = at.groupby(["_file", "claim_id"], sort=False, observed=True)
    headers = grouped.agg(
        payer=("payer", "first"),
        member_id=("member_id", "first"),
        first_service=("service_date", "min"),
        last_service=("service_date", "max"),
        billed=("charge", "sum"),
        charges=("charge", "count"),
    ).reset_index()
    headers["billed"] = headers["billed"].where(headers["charges"] > 0)
    headers = headers.rename(columns={"_file": "file"}).merge(wanted, on=["file", "claim_id"], how="inner")
    if redact:
        headers["member_id"] = REDACTED
    for name in ("first_service", "last_service"):
        headers[name] = pd.to_datetime(headers[name], errors="coerce").dt.strftime("%Y-%m-%d").fillna("")
    for name in ("file", "claim_id", "payer", "member_id"):
        headers[name] = headers[name].fillna("").astype(str)
    table = pa.Table.from_pandas(headers[CLAIM_HEADER_SCHEMA.names], schema=CLAIM_HEADER_SCHEMA, preserve_index=False)
    return table.append_column(CLAIM_HASH, row_claim_hashes(table.column("claim_id")))
