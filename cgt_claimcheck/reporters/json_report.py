"""JSON (one document, pinned by schema_version) and JSON Lines (one finding per line)."""

from __future__ import annotations

import json
from typing import TextIO

from cgt_claimcheck.models import Report


def render(report: Report, stream: TextIO) -> None:
    stream.write(report.model_dump_json(indent=2))
    stream.write("\n")


def render_lines(report: Report, stream: TextIO) -> None:
    for finding in report.findings:
        stream.write(json.dumps(finding.model_dump(mode="json"), ensure_ascii=False))
        stream.write("\n")
