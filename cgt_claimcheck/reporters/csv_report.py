"""CSV of findings, safe to open in a spreadsheet, written a batch at a time."""

from __future__ import annotations

import csv
from typing import TextIO

from cgt_claimcheck.report import FINDING_COLUMNS, Report
from cgt_claimcheck.reporters.encode import csv_cells

COLUMNS = list(FINDING_COLUMNS)


def render(report: Report, stream: TextIO) -> None:
    # CRLF records (RFC 4180): the writer then quotes a value holding a bare CR as well as LF, so a
    # CR in a value can never end a record early.
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for batch in report.findings.batches():
        writer.writerows(zip(*(csv_cells(batch.column(name)) for name in COLUMNS), strict=True))
