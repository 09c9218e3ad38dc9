"""Stage: claims. The header a clerk reads above a claim's findings: who, when, which payer, how much.

One row per claim that has a finding (never per claim of the file: most claims of a nightly
extract have none), built with one group-by over the kept lines in Arrow. Findings on rows that
were rejected before they became lines (a claim whose every line was rejected) have no header.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.engine.claim_ids import row_claim_hashes
from cgt_claimcheck.report import CLAIM_HASH, CLAIM_HEADER_COLUMNS, Findings

REDACTED = "[redacted]"
CLAIM_HEADER_SCHEMA = pa.schema(
    [(name, pa.float64() if name == "billed" else pa.string()) for name in CLAIM_HEADER_COLUMNS]
)
NO_HEADERS = CLAIM_HEADER_SCHEMA.append(pa.field(CLAIM_HASH, pa.uint64())).empty_table()


def claim_headers(lines: pa.Table | None, findings: Findings, redact: bool) -> pa.Table:
    """(file, claim_id, payer, member_id, first_service, last_service, billed) of each claim with findings."""
    if lines is None or not lines.num_rows or not len(findings):
        return NO_HEADERS
    named = findings.table.select(["file", "claim_id"]).drop_null()
    named = named.cast(pa.schema([("file", pa.string()), ("claim_id", pa.string())]))
    wanted = named.group_by(["file", "claim_id"]).aggregate([])  # distinct claims
    if not wanted.num_rows:
        return NO_HEADERS
    keep = pc.and_(pc.invert(lines.column("_history")), pc.is_in(lines.column("claim_id"), wanted.column("claim_id")))
    # The six columns, then the rows: filtering the whole table first would copy its fifty columns.
    at = lines.select(["_file", "claim_id", "payer", "member_id", "service_date", "charge"]).filter(keep)
    if not at.num_rows:
        return NO_HEADERS
    at = at.rename_columns(["file", "claim_id", "payer", "member_id", "service_date", "charge"])
    at = at.append_column("_order", pa.array(range(at.num_rows), pa.int64()))
    # "first" in input order: one thread keeps the order of the rows.
    grouped = at.group_by(["file", "claim_id"], use_threads=False).aggregate(
        [
            ("_order", "min"),
            ("payer", "first"),
            ("member_id", "first"),
            ("service_date", "min"),
            ("service_date", "max"),
            ("charge", "list"),
        ]
    )
    headers = grouped.filter(pc.is_in(_key(grouped), _key(wanted)))
    headers = headers.sort_by("_order_min")  # claims in the order they first appear
    member = headers.column("member_id_first")
    if redact:
        member = pa.repeat(pa.scalar(REDACTED), headers.num_rows)

    def day(name: str) -> pa.Array:
        return pc.fill_null(pc.strftime(headers.column(name), format="%Y-%m-%d"), "")

    table = pa.table(
        {
            "file": pc.fill_null(headers.column("file"), ""),
            "claim_id": pc.fill_null(headers.column("claim_id"), ""),
            "payer": pc.fill_null(headers.column("payer_first"), ""),
            "member_id": pc.fill_null(member, ""),
            "first_service": day("service_date_min"),
            "last_service": day("service_date_max"),
            "billed": pa.array([_billed(c) for c in headers.column("charge_list").to_pylist()], pa.float64()),
        },
        schema=CLAIM_HEADER_SCHEMA,
    )
    return table.append_column(CLAIM_HASH, row_claim_hashes(table.column("claim_id")))  # the denied charges' key


def _billed(charges: list[float | None]) -> float | None:
    """The claim's usable charges added exactly (math.fsum); none at all is unknown, not $0."""
    usable = [c for c in charges if c is not None]
    return math.fsum(usable) if usable else None


def _key(table: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(table.column("file"), table.column("claim_id"), "\x1f")
