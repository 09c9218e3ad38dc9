"""JSON (one document, pinned by schema_version) and JSON Lines (one finding per line), streamed.

The document is written piece by piece: the header, then the findings a batch at a time (one
finding per line inside the array), then not_checked. Memory does not grow with the findings.
"""

from __future__ import annotations

import json
from typing import TextIO

from cgt_claimcheck.report import Report
from cgt_claimcheck.reporters.encode import Encoded, TextOut, json_records


def render(report: Report, stream: TextIO) -> None:
    header = json.dumps(report.header(), indent=2, ensure_ascii=False)
    stream.write(header[: header.rstrip().rfind("}")].rstrip() + ',\n  "findings": [')
    first = True
    encoded: Encoded = {}
    out = TextOut(stream)
    for batch in report.findings.batches():
        records = json_records(batch, before=",\n    ", encoded=encoded)
        if records.size:
            out.write(records.slice(1) if first else records)  # no comma before the first finding
            first = False
    stream.write("\n  ]," if not first else "],")
    not_checked = json.dumps(report.not_checked_json(), indent=2, ensure_ascii=False).replace("\n", "\n  ")
    stream.write(f'\n  "not_checked": {not_checked}\n}}\n')


def render_lines(report: Report, stream: TextIO) -> None:
    encoded: Encoded = {}
    out = TextOut(stream)
    for batch in report.findings.batches():
        out.write(json_records(batch, after="\n", encoded=encoded))
