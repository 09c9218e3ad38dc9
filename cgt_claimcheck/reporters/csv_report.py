"""CSV of findings, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from typing import TextIO

from cgt_claimcheck.models import Finding, Report

COLUMNS = list(Finding.model_fields)
# A cell starting with one of these is a formula in Excel/Sheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def render(report: Report, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for finding in report.findings:
        data = finding.model_dump(mode="json")
        writer.writerow([neutralise(data[column]) for column in COLUMNS])
