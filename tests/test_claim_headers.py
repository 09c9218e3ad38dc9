"""The header above a claim's findings, checked against a plain Python reading of the same lines.

A claim is a file and a claim id. Its header: the first payer and member id given in input order,
the earliest and latest date of service, and its usable charges added exactly (none: unknown).
Lines of a --history file are never a header's; claims without findings have none.
"""

from __future__ import annotations

import math
from datetime import datetime

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck.engine.claims import CLAIM_HEADER_SCHEMA, claim_headers
from cgt_claimcheck.report import CLAIM_HASH, Findings

FILES = ["a.csv", "b.csv"]
CLAIMS = ["C1", "C2", "C3", None]
DATES = [datetime(2025, 3, 1), datetime(2025, 1, 31), datetime(2024, 12, 31), datetime(1969, 7, 20), None]

lines_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "_file": st.sampled_from(FILES),
            "claim_id": st.sampled_from(CLAIMS),
            "payer": st.sampled_from(["wnc", "medi-cal", None]),
            "member_id": st.sampled_from(["M1", "M2", None]),
            "service_date": st.sampled_from(DATES),
            "charge": st.sampled_from([0.1, 0.2, 1e6, 2100150.25, None]),
            "_history": st.booleans(),
        }
    ),
    min_size=1,
    max_size=25,
)
wanted_strategy = st.lists(st.tuples(st.sampled_from([*FILES, "other.csv"]), st.sampled_from(CLAIMS)), max_size=8)


def _table(rows: list[dict]) -> pa.Table:
    types = {
        "_file": pa.string(),
        "claim_id": pa.string(),
        "payer": pa.string(),
        "member_id": pa.string(),
        "service_date": pa.timestamp("s"),
        "charge": pa.float64(),
        "_history": pa.bool_(),
    }
    return pa.table({name: pa.array([r[name] for r in rows], kind) for name, kind in types.items()})


def _expected(rows: list[dict], wanted: list[tuple[str, str | None]], redact: bool) -> list[dict]:
    keys = {(f, c) for f, c in wanted if c is not None}
    claims: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        key = (row["_file"], row["claim_id"])
        if key in keys and not row["_history"]:
            claims.setdefault(key, []).append(row)
    out = []
    for (file, claim), members in claims.items():  # dicts keep the order claims first appear in

        def first(name: str, members: list[dict] = members) -> str:
            return next((r[name] for r in members if r[name] is not None), "")

        days = [r["service_date"] for r in members if r["service_date"] is not None]
        charges = [r["charge"] for r in members if r["charge"] is not None]
        out.append(
            {
                "file": file,
                "claim_id": claim,
                "payer": first("payer"),
                "member_id": "[redacted]" if redact else first("member_id"),
                "first_service": min(days).strftime("%Y-%m-%d") if days else "",
                "last_service": max(days).strftime("%Y-%m-%d") if days else "",
                "billed": math.fsum(charges) if charges else None,
            }
        )
    return out


@settings(max_examples=150, deadline=None)
@given(rows=lines_strategy, wanted=wanted_strategy, redact=st.booleans(), encoded=st.booleans())
def test_each_claim_with_findings_has_the_header_its_lines_give(rows, wanted, redact, encoded):
    found = pa.table(
        {
            "file": pa.array([f for f, _ in wanted], pa.string()),
            "claim_id": pa.array([c for _, c in wanted], pa.string()),
        }
    )
    if encoded:  # the findings table holds its texts dictionary-encoded
        found = pa.table({name: found.column(name).dictionary_encode() for name in found.column_names})
    headers = claim_headers(_table(rows), Findings(found), redact)
    assert headers.schema.remove(headers.schema.get_field_index(CLAIM_HASH)) == CLAIM_HEADER_SCHEMA
    assert headers.drop_columns([CLAIM_HASH]).to_pylist() == _expected(rows, wanted, redact)
