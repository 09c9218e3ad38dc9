"""The data set the HTML report's script draws its tables from: one JSON document, column by column.

A page of one `<tr>` per finding held 48.9 MB for 71,772 findings and took a minute to open. Here
each text column is dictionary-encoded (its distinct values once, then one small integer per
record), so the page carries each rule's fix, each payer and each repeated message once; the
script renders a page of rows at a time. Every value is made printable here (control and
reordering characters written out), and the JSON is safe inside a `<script>` element: no `<`
survives, so no value can close the element or open a comment.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cgt_claimcheck.printable import printable
from cgt_claimcheck.report import ClaimHeader, Findings, Report

# (key in the data set, column of the findings table). `row` stays a plain integer column.
FINDING_FIELDS = (
    ("claim", "claim_id"),
    ("line", "line_number"),
    ("where", "location"),
    ("severity", "severity"),
    ("rule", "rule"),
    ("name", "name"),
    ("payer", "payer"),
    ("field", "field"),
    ("value", "value"),
    ("message", "message"),
    ("hint", "hint"),
)
SEVERITIES = ("error", "warning", "info")


def script_safe(text: str) -> str:
    """JSON text that cannot end its `<script>` element (`</script>`, `<!--`): every `<` escaped."""
    return text.replace("<", "\\u003c")


def _ints(values: Iterable[int]) -> str:
    return "[" + ",".join(map(str, values)) + "]"


def _encoded(array: pa.Array | pa.ChunkedArray) -> str:
    """{"values": [distinct, printable], "codes": [index per record]}; a null is the empty string."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], pa.string())
    text = pc.fill_null(array.cast(pa.string()), "")
    encoded = pc.dictionary_encode(text)
    values = [printable(v) for v in encoded.dictionary.to_pylist()]
    return (
        '{"values":'
        + json.dumps(values, ensure_ascii=False, separators=(",", ":"))
        + ',"codes":'
        + _ints(encoded.indices.to_pylist())
        + "}"
    )


def findings_data(findings: Findings) -> str:
    """The findings as columns: the dictionary-encoded texts and the plain `row` numbers."""
    table = findings.table
    parts = [f'"n":{table.num_rows}', '"row":' + _ints(table.column("row").to_pylist())]
    parts += [f'"{key}":' + _encoded(table.column(column)) for key, column in FINDING_FIELDS]
    return "{" + ",".join(parts) + "}"


def claim_counts(findings: Findings, checked_files: Iterable[str]) -> list[tuple[str, str, dict[str, int]]]:
    """(file, claim, findings listed by severity) for each claim with findings, in report order.

    Only claims of the files checked: a --history or --facilities row is not a claim of this run.
    """
    table = findings.table
    if not table.num_rows:
        return []
    keys = pa.table({name: table.column(name).cast(pa.string()) for name in ("file", "claim_id", "severity")})
    checked = pc.is_in(keys.column("file"), value_set=pa.array(list(checked_files), pa.string()))
    keys = keys.filter(pc.and_(pc.is_valid(keys.column("claim_id")), checked))
    # Each (file, claim) once, at its first appearance (report order): one row index per pair.
    files, claims = (pc.dictionary_encode(keys.column(n)).combine_chunks() for n in ("file", "claim_id"))
    pair = files.indices.to_numpy().astype(np.int64) * len(claims.dictionary) + claims.indices.to_numpy()
    _, first = np.unique(pair, return_index=True)
    firsts = keys.take(pa.array(np.sort(first)))
    pairs = zip(firsts.column("file").to_pylist(), firsts.column("claim_id").to_pylist(), strict=True)
    order = {pair: dict.fromkeys(SEVERITIES, 0) for pair in pairs}
    tally = keys.group_by(["file", "claim_id", "severity"]).aggregate([([], "count_all")])
    columns = (tally.column(name).to_pylist() for name in ("file", "claim_id", "severity", "count_all"))
    for file, claim, severity, count in zip(*columns, strict=True):
        order[(file, claim)][severity] = count
    return [(file, claim, tally) for (file, claim), tally in order.items()]


def claims_data(report: Report, counts: Sequence[tuple[str, str, dict[str, int]]]) -> str:
    """One record per claim with findings: its header (member masked under --redact) and counts."""
    headers = report.claim_headers()
    rows = [headers.get((file, claim)) or ClaimHeader(file, claim, "", "", "", "", None) for file, claim, _ in counts]
    texts = {
        "claim": [h.claim_id for h in rows],
        "member": [h.member_id for h in rows],
        "dates": [h.service_dates() for h in rows],
        "payer": [h.payer for h in rows],
        "file": [h.file for h in rows],
    }
    parts = [f'"n":{len(rows)}']
    parts += [f'"{key}":' + _encoded(pa.array(values, pa.string())) for key, values in texts.items()]
    billed: list[Any] = [None if h.billed is None or math.isnan(h.billed) else round(h.billed, 2) for h in rows]
    parts.append('"billed":' + json.dumps(billed, separators=(",", ":")))
    for severity in SEVERITIES:
        parts.append(f'"{severity}":' + _ints(tally[severity] for _, _, tally in counts))
    return "{" + ",".join(parts) + "}"


def report_data(report: Report, findings: Findings, counts: Sequence[tuple[str, str, dict[str, int]]]) -> str:
    """The whole data set, ready to sit inside `<script type="application/json">`."""
    return script_safe('{"findings":' + findings_data(findings) + ',"claims":' + claims_data(report, counts) + "}")
