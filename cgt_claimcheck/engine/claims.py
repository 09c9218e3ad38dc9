"""Stage: claims. The header a clerk reads above a claim's findings: who, when, which payer, how much.

One row per claim that has a finding (never per claim of the file: most claims of a nightly
extract have none), built with one group-by over the kept lines. Findings on rows that were
rejected before they became lines (a claim whose every line was rejected) have no header.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.engine.findings import REDACTED
from cgt_claimcheck.report import CLAIM_HASH, CLAIM_HEADER_COLUMNS, Findings

CLAIM_HEADER_SCHEMA = pa.schema(
    [(name, pa.float64() if name == "billed" else pa.string()) for name in CLAIM_HEADER_COLUMNS]
)
NO_HEADERS = CLAIM_HEADER_SCHEMA.append(pa.field(CLAIM_HASH, pa.uint64())).empty_table()


def claim_headers(lines: pd.DataFrame | None, findings: Findings, redact: bool) -> pa.Table:
    """(file, claim_id, payer, member_id, first_service, last_service, billed) of each claim with findings."""
    if lines is None or not len(lines) or not len(findings):
        return NO_HEADERS
    named = findings.table.select(["file", "claim_id"]).drop_null()
    named = named.cast(pa.schema([("file", pa.string()), ("claim_id", pa.string())]))
    wanted = named.group_by(["file", "claim_id"]).aggregate([]).to_pandas()  # distinct claims, in Arrow
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
        charges=("charge", "count"),  # usable charges: none at all is an unknown amount, not $0
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
    return table.append_column(CLAIM_HASH, row_claim_hashes(table.column("claim_id")))  # the denied charges' key
