"""Run the catalogue over claim-line extracts and build the finished Report.

1. Stream each file in batches; normalise; reject unusable rows (IN001); count every row.
2. Prefilter: keep only claims with a line that some selected rule declares relevant (its
   trigger codes). Nightly extracts are >99% non-CGT; those rows are counted and dropped.
   A claim whose lines straddle batches stays whole: the last claim of a batch is carried into
   the next one, and if an unsorted file made a claim relevant after some of its rows were
   dropped, those rows are recovered in a second pass (only then).
3. Enrich the kept lines with derived columns the rules read, run each selected rule where
   its payers, columns and resources allow, and turn its hits into Findings.

Columns a rule can read (besides the normalised extract columns, see ingest.normalise):
  _file, _row (1-based data row), _seq (order in the input), _history (a --history row),
  product_hcpcs, product_ndc, product (the CGT product of the line), is_cgt_drug, is_j3590,
  is_car_t_admin, brand, family, program (wnc / medi-cal), inpatient (837I, type of bill 011x),
  age (whole years on the date of service, NaN without a date of birth).
"""

from __future__ import annotations

import csv
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck import __version__
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.normalise import complete, parse_dates
from cgt_claimcheck.ingest.reader import ExtractReader, InvalidRow
from cgt_claimcheck.ingest.screen import screen
from cgt_claimcheck.models import (
    Finding,
    FindingCounts,
    InputSummary,
    NotChecked,
    ReferenceInfo,
    Report,
    Severity,
    Summary,
    ToolInfo,
)
from cgt_claimcheck.reference import Reference
from cgt_claimcheck.rules import select_rules
from cgt_claimcheck.rules.base import Rule, RuleContext, Triggers, cgt_drug_triggers
from cgt_claimcheck.rules.coverage import clinical_trial_markers

REDACTED = "[redacted]"
MEMBER_FIELDS = {"member_id", "member_dob"}
# What a finding shows as the value of a field: the text as written, not the parsed form.
DISPLAY_COLUMN = {
    "service_date": "service_date_text",
    "units": "units_text",
    "member_dob": "member_dob_text",
    "invoice_attached": "invoice_attached_text",
    "charge": "charge_text",
}


@dataclass
class CheckOptions:
    payer: str | None = None
    payer_aliases: dict[str, str] = field(default_factory=dict)
    column_map: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str = "utf-8"
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    repeat_window_days: int | None = None
    facilities: str | None = None
    history: list[str] = field(default_factory=list)
    redact: bool = False
    batch_rows: int = 250_000
    progress: Callable[[str, int], None] | None = None  # (file, rows read so far)


@dataclass
class _FileState:
    path: str
    summary: InputSummary
    present: set[str]


def _sequence(file_index: int, rows: pd.Series) -> np.ndarray:
    """Input order as one integer: file first, then data row."""
    return (np.int64(file_index) << np.int64(40)) + rows.to_numpy(dtype=np.int64)


def _sorted_unique(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.array([], dtype=np.uint64)
    merged = np.concatenate(parts)
    parts.clear()  # the pieces are no longer needed: do not hold them and the merge at once
    merged.sort()
    keep = np.empty(len(merged), dtype=bool)
    if len(merged):
        keep[0] = True
        np.not_equal(merged[1:], merged[:-1], out=keep[1:])
    return merged[keep]


def _contains(sorted_unique: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Membership in a sorted unique array without building another copy of it."""
    if not len(sorted_unique):
        return np.zeros(len(values), dtype=bool)
    position = np.searchsorted(sorted_unique, values).clip(max=len(sorted_unique) - 1)
    return sorted_unique[position] == values


def _hash(values: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(values, index=False).to_numpy()


class _Relevance:
    """Which lines a selected rule could care about (the prefilter)."""

    def __init__(self, ref: Reference, rules: Iterable[Rule]) -> None:
        triggers = cgt_drug_triggers(ref) | Triggers(procedure_codes=ref.codes("car_t_admin"))
        for r in rules:
            triggers = triggers | r.triggers(ref)
        self.procedure_codes = sorted(triggers.procedure_codes)
        self.diagnosis_codes = triggers.diagnosis_codes
        self.pcs_codes = triggers.pcs_codes


def run_check(paths: list[str], ref: Reference, options: CheckOptions) -> Report:
    selected, deselected = select_rules(options.select, options.ignore)
    relevance = _Relevance(ref, selected)
    facilities = load_facilities(options.facilities, ref) if options.facilities else None
    window = options.repeat_window_days or ref.programs["wnc"].repeat_treatment_window_days or 30

    files: list[_FileState] = []
    kept: list[_Pending] = []
    rejections: list[pd.DataFrame] = []
    claim_hashes: list[np.ndarray] = []
    dropped_hashes: list[np.ndarray] = []

    for file_index, path in enumerate(paths):
        reader = _reader(path, options)
        state = _FileState(reader.display, InputSummary(path=reader.display), set(reader.columns))
        files.append(state)
        known_relevant: set[str] = set()
        carry: _Pending | None = None
        for batch in reader.batches():
            state.summary.rows_read += batch.table.num_rows + len(batch.invalid)
            if batch.invalid:
                rejections.append(_invalid_rows(batch.invalid, state.path))
            screened = _screen(batch.table, batch.rows, ref, options, relevance)
            if len(screened.rejected):
                rejections.append(screened.rejected.assign(_file=state.path))
            state.summary.rows_rejected += len(batch.invalid) + int((~screened.valid).sum())
            pending = _Pending(screened.table, batch.rows, screened.relevant, file_index, state.path).subset(
                screened.valid
            )
            if carry is not None:
                pending = carry.then(pending)
            # The last claim may continue in the next batch: hold it back.
            pending, carry = pending.split_last_claim()
            _triage(pending, known_relevant, kept, claim_hashes, dropped_hashes)
            if options.progress:
                options.progress(state.path, state.summary.rows_read)
        if carry is not None:
            _triage(carry, known_relevant, kept, claim_hashes, dropped_hashes)
        state.summary.rows_checked = state.summary.rows_read - state.summary.rows_rejected

    frame = _complete(kept)
    dropped = _sorted_unique(dropped_hashes)
    kept_claims = _sorted_unique(claim_hashes)
    # A claim both kept and dropped had lines on both sides (an unsorted file): count it once.
    claims = len(dropped) + int((~_contains(dropped, kept_claims)).sum())
    frame = _recover_split_claims(frame, paths, files, dropped, options, ref, relevance)

    history = _read_history(options, ref, relevance, first_index=len(paths))
    if history is not None and len(history):
        frame = history if frame is None else pd.concat([frame, history], ignore_index=True)

    not_checked = [NotChecked(rule=r.code, reason="not selected (--select/--ignore)") for r in deselected]
    findings: list[Finding] = []
    if any(r.code == "IN001" for r in selected) and rejections:
        in001 = next(r for r in selected if r.code == "IN001")
        findings.extend(_rejection_findings(pd.concat(rejections, ignore_index=True), in001, options))

    cgt_claims = 0
    if frame is not None and len(frame):
        frame = enrich(frame.sort_values("_seq", kind="stable").reset_index(drop=True), ref)
        input_rows = ~frame["_history"]
        cgt_claims = int(frame.loc[input_rows & (frame["is_cgt_drug"] | frame["is_car_t_admin"]), "claim_id"].nunique())
        ctx = RuleContext(ref=ref, facilities=facilities, repeat_window_days=window)
        trial = frame["program"].eq("medi-cal") & clinical_trial_markers(frame, ref).ne("")
        for r in selected:
            if r.code == "IN001":
                continue
            reason = _cannot_run(r, files, facilities)
            if reason:
                not_checked.append(NotChecked(rule=r.code, reason=reason))
                continue
            partial = _partial_columns(r, files)
            if partial:
                not_checked.append(NotChecked(rule=r.code, reason=partial))
            scope = frame["payer"].isin(r.payers) & input_rows
            if not r.runs_on_clinical_trials:
                scope &= ~trial
            if not scope.any():
                continue
            hits = r.check(frame, ctx)
            findings.extend(_findings(r, frame, hits, scope, ref, options))
    else:
        for r in selected:
            if r.code != "IN001":
                reason = _cannot_run(r, files, facilities)
                if reason:
                    not_checked.append(NotChecked(rule=r.code, reason=reason))

    order = {f.path: i for i, f in enumerate(files)}
    findings.sort(key=lambda f: (order.get(f.file, 99), f.row, f.rule))
    counts = FindingCounts()
    for finding in findings:
        setattr(counts, finding.severity.value, getattr(counts, finding.severity.value) + 1)
    return Report(
        tool=ToolInfo(name="cgt-claimcheck", version=__version__),
        reference=ReferenceInfo(version=ref.version, path=str(ref.directory)),
        inputs=[f.summary for f in files],
        summary=Summary(
            rows_read=sum(f.summary.rows_read for f in files),
            rows_checked=sum(f.summary.rows_checked for f in files),
            rows_rejected=sum(f.summary.rows_rejected for f in files),
            claims=claims,
            cgt_claims=cgt_claims,
            findings=counts,
        ),
        findings=findings,
        not_checked=not_checked,
    )


@dataclass
class _Pending:
    """Screened, valid rows of one file not yet triaged (still pyarrow)."""

    table: pa.Table
    rows: np.ndarray
    relevant: np.ndarray
    file_index: int
    path: str

    def then(self, other: _Pending) -> _Pending:
        return _Pending(
            pa.concat_tables([self.table, other.table]),
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self.relevant, other.relevant]),
            other.file_index,
            other.path,
        )

    def split_last_claim(self) -> tuple[_Pending, _Pending | None]:
        """Hold back the trailing run of the last claim (zero-copy slices)."""
        n = self.table.num_rows
        if n == 0:
            return self, None
        claim = self.table.column("claim_id")
        same = np.asarray(pc.equal(claim, claim[-1]), dtype=bool)
        different = np.flatnonzero(~same)
        start = int(different[-1]) + 1 if len(different) else 0
        return self._slice(0, start), self._slice(start, n)

    def _slice(self, start: int, stop: int) -> _Pending:
        return _Pending(
            self.table.slice(start, stop - start),
            self.rows[start:stop],
            self.relevant[start:stop],
            self.file_index,
            self.path,
        )

    def subset(self, mask: np.ndarray) -> _Pending:
        if mask.all():
            return self
        index = pa.array(np.flatnonzero(mask))
        return _Pending(self.table.take(index), self.rows[mask], self.relevant[mask], self.file_index, self.path)


def _complete(parts: list[_Pending], history: bool = False) -> pd.DataFrame | None:
    """Normalise the kept rows in one go (few rows, so one pandas pass is cheapest)."""
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
    lines = complete(pa.concat_tables(tables), np.concatenate([p.rows for p in parts]))
    lines["_file"] = np.concatenate([np.full(p.table.num_rows, p.path, dtype=object) for p in parts])
    lines["_file"] = lines["_file"].astype("str")
    lines["_history"] = history
    lines["_seq"] = np.concatenate([_sequence(p.file_index, pd.Series(p.rows)) for p in parts])
    return lines


def _reader(path: str, options: CheckOptions) -> ExtractReader:
    return ExtractReader(
        path,
        column_map=options.column_map,
        delimiter=options.delimiter,
        encoding=options.encoding,
        payer_given=bool(options.payer),
        batch_rows=options.batch_rows,
    )


def _screen(table: pa.Table, rows: np.ndarray, ref: Reference, options: CheckOptions, relevance: _Relevance) -> Any:
    return screen(
        table,
        rows,
        known_payers=set(ref.payers),
        payer_aliases=options.payer_aliases,
        default_payer=options.payer,
        procedure_codes=relevance.procedure_codes,
        diagnosis_codes=relevance.diagnosis_codes,
        pcs_codes=relevance.pcs_codes,
    )


def _triage(
    pending: _Pending,
    known_relevant: set[str],
    kept: list[_Pending],
    claim_hashes: list[np.ndarray],
    dropped_hashes: list[np.ndarray],
) -> None:
    """Keep the lines of relevant claims; remember (as hashes) the claims kept and those dropped.

    Dropped claims are most claims of a nightly file: their hashes are the only per-claim
    memory the run keeps (8 bytes a claim).
    """
    if pending.table.num_rows == 0:
        return
    claims = pending.table.column("claim_id")
    known_relevant.update(pc.unique(pc.filter(claims, pa.array(pending.relevant))).to_pylist())
    relevant = pa.array(sorted(known_relevant), pa.string())
    unique = pc.unique(claims)
    hashes = _hash(pd.Series(unique.to_pandas()))
    unique_kept = np.asarray(pc.is_in(unique, relevant), dtype=bool)
    claim_hashes.append(hashes[unique_kept])  # dropped claims are counted from dropped_hashes
    if not unique_kept.all():
        dropped_hashes.append(hashes[~unique_kept])
    if unique_kept.any():
        kept.append(pending.subset(np.asarray(pc.is_in(claims, relevant), dtype=bool)))


def _recover_split_claims(
    frame: pd.DataFrame | None,
    paths: list[str],
    files: list[_FileState],
    dropped: np.ndarray,
    options: CheckOptions,
    ref: Reference,
    relevance: _Relevance,
) -> pd.DataFrame | None:
    """Second pass, only when an unsorted file dropped lines of a claim that later became relevant."""
    if frame is None or not len(dropped):
        return frame
    relevant_ids = pd.Series(frame["claim_id"].unique())
    suspect = relevant_ids[_contains(dropped, _hash(relevant_ids))]
    if suspect.empty:
        return frame
    wanted = pa.array(sorted(set(suspect)), pa.string())
    have = frame["_seq"].to_numpy()
    recovered = []
    for file_index, (path, state) in enumerate(zip(paths, files, strict=True)):
        for batch in _reader(path, options).batches():
            screened = _screen(batch.table, batch.rows, ref, options, relevance)  # rejections were counted already
            pending = _Pending(screened.table, batch.rows, screened.relevant, file_index, state.path)
            mask = screened.valid & np.asarray(pc.is_in(screened.table.column("claim_id"), wanted), dtype=bool)
            mask &= ~np.isin(_sequence(file_index, pd.Series(batch.rows)), have)
            if mask.any():
                recovered.append(pending.subset(mask))
    extra = _complete(recovered)
    return frame if extra is None else pd.concat([frame, extra], ignore_index=True)


def _read_history(
    options: CheckOptions, ref: Reference, relevance: _Relevance, first_index: int
) -> pd.DataFrame | None:
    """Prior claims (same format): their relevant lines inform member-level rules, never get findings."""
    parts = []
    for file_index, path in enumerate(options.history, start=first_index):
        reader = _reader(path, options)
        for batch in reader.batches():
            screened = _screen(batch.table, batch.rows, ref, options, relevance)
            mask = screened.valid & screened.relevant
            if mask.any():
                parts.append(
                    _Pending(screened.table, batch.rows, screened.relevant, file_index, reader.display).subset(mask)
                )
    lines = _complete(parts, history=True)
    if lines is not None:
        lines["claim_id"] = "history:" + lines["claim_id"]
    return lines


def enrich(lines: pd.DataFrame, ref: Reference) -> pd.DataFrame:
    """Derived columns every rule may read (see the module docstring)."""
    lines["product_hcpcs"] = lines["procedure_code"].map(ref.product_of_hcpcs).astype("str")
    lines["product_ndc"] = lines["ndc11"].map(ref.product_of_ndc).astype("str")
    lines["is_j3590"] = lines["procedure_code"].eq("J3590")
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
    return lines


def _cannot_run(r: Rule, files: list[_FileState], facilities: pd.DataFrame | None) -> str | None:
    if "facilities" in r.requires and facilities is None:
        return "no facility registry given (--facilities FILE)"
    absent = [c for c in r.requires_columns if files and all(c not in f.present for f in files)]
    if absent:
        return f"column {', '.join(absent)} absent from the input"
    return None


def _partial_columns(r: Rule, files: list[_FileState]) -> str | None:
    lacking = [(c, f.path) for c in r.requires_columns for f in files if c not in f.present]
    if not lacking:
        return None
    return "not checked on the rows of " + "; ".join(f"{p} (no {c} column)" for c, p in lacking)


class _Template(string.Formatter):
    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        return kwargs.get(key, "")


_TEMPLATE = _Template()


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _findings(
    r: Rule, lines: pd.DataFrame, hits: Any, scope: pd.Series, ref: Reference, options: CheckOptions
) -> list[Finding]:
    hits = pd.DataFrame({"hit": hits}) if isinstance(hits, pd.Series) else hits
    mask = hits["hit"].reindex(lines.index, fill_value=False).fillna(False).astype(bool) & scope
    if not mask.any():
        return []
    detail = hits.loc[mask[mask].index].drop(columns="hit").to_dict("records")
    base = lines.loc[mask].to_dict("records")
    severity_default = options.severity_overrides.get(r.code, r.severity)
    out = []
    for row, extra in zip(base, detail, strict=True):  # one iteration per finding, not per input row
        values = {k: _text(v) for k, v in row.items()}
        for key, column in DISPLAY_COLUMN.items():
            values[key] = values.get(column, values.get(key, ""))
        values["ndc"] = _text(row.get("ndc"))
        values.update({k: _text(v) for k, v in extra.items()})
        field_name: str = values["field"] if "field" in extra and values.get("field") else r.field
        value = values["value"] if "value" in extra else values.get(field_name, "")
        if options.redact:
            for key in ("member_id", "member_dob", "member_dob_text"):
                values[key] = REDACTED
            if any(part.strip() in MEMBER_FIELDS for part in field_name.split(",")):
                value = values["value"] = values["expected"] = REDACTED
        values["field"] = field_name
        values["value"] = value
        severity = severity_default
        if "severity" in extra and values.get("severity") and r.code not in options.severity_overrides:
            severity = Severity(values["severity"])
        carc = values.get("carc") or r.carc if "carc" in extra else r.carc
        rarc = values.get("rarc") or r.rarc if "rarc" in extra else r.rarc
        out.append(
            Finding(
                rule=r.code,
                name=r.name,
                severity=severity,
                payer=values.get("payer") or None,
                claim_id=values.get("claim_id") or None,
                line_number=values.get("line_number") or None,
                file=values["_file"],
                row=int(row["_row"]),
                field=field_name,
                value=value,
                message=_TEMPLATE.format(r.message, **values),
                hint=_TEMPLATE.format(r.hint, **values),
                policy=r.policy,
                carc=carc or None,
                rarc=rarc or None,
            )
        )
    return out


def _invalid_rows(invalid: list[InvalidRow], path: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_row": [r.row for r in invalid],
            "field": "(row)",
            "value": [r.text for r in invalid],
            "reason": [r.reason for r in invalid],
            "_file": path,
        }
    )


def _rejection_findings(rejected: pd.DataFrame, r: Rule, options: CheckOptions) -> list[Finding]:
    severity = options.severity_overrides.get(r.code, r.severity)
    out = []
    for row in rejected.to_dict("records"):
        value = str(row["value"])
        if options.redact and row["field"] in MEMBER_FIELDS:
            value = REDACTED
        out.append(
            Finding(
                rule=r.code,
                name=r.name,
                severity=severity,
                payer=None,
                claim_id=_text(row.get("claim_id")) or None,
                line_number=_text(row.get("line_number")) or None,
                file=row["_file"],
                row=int(row["_row"]),
                field=row["field"],
                value=value,
                message=_TEMPLATE.format(r.message, field=row["field"], reason=row["reason"]),
                hint=r.hint,
                policy=r.policy,
                carc=r.carc,
                rarc=r.rarc,
            )
        )
    return out


FACILITY_CERTIFICATIONS = ("QTC", "REMS", "HTC")


def load_facilities(path: str, ref: Reference) -> pd.DataFrame:
    """The facility registry for ST002: npi, certification, optional product and dates."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
            for column in ("npi", "certification"):
                if column not in header:
                    raise UsageError(
                        "facility registry needs the columns npi and certification (optional: product, effective_from, effective_to)",
                        file=path,
                        line=1,
                        column=column,
                    )
            rows = list(reader)
    except OSError as exc:
        raise UsageError(f"facility registry cannot be read ({exc.strerror})", file=path) from None
    except UnicodeDecodeError:
        raise UsageError("facility registry is not UTF-8 text", file=path) from None
    names = {p.brand.lower(): pid for pid, p in ref.products.items()} | {pid: pid for pid in ref.products}
    records: dict[str, list[Any]] = {"npi": [], "certification": [], "reg_product": [], "reg_start": [], "reg_end": []}
    for number, row in enumerate(rows, start=2):
        get = lambda key, row=row: (row.get(header.get(key, ""), "") or "").strip()  # noqa: E731
        certification = get("certification").upper()
        if certification not in FACILITY_CERTIFICATIONS:
            raise UsageError(
                f"certification {get('certification')!r} is not one of QTC, REMS, HTC",
                file=path,
                line=number,
                column="certification",
            )
        product = get("product").lower()
        if product and product not in names:
            raise UsageError(
                f"product {get('product')!r} is not a CGT product", file=path, line=number, column="product"
            )
        records["npi"].append(get("npi"))
        records["certification"].append(certification)
        records["reg_product"].append(names.get(product, ""))
        records["reg_start"].append(get("effective_from"))
        records["reg_end"].append(get("effective_to"))
    frame = pd.DataFrame(records)
    for column, label in (("reg_start", "effective_from"), ("reg_end", "effective_to")):
        parsed = parse_dates(frame[column].astype("str"))
        bad = frame[column].ne("") & parsed.isna()
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise UsageError(f"{frame.loc[bad, column].iloc[0]!r} is not a date", file=path, line=line, column=label)
        frame[column] = parsed
    return frame
