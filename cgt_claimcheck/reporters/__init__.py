"""Reporters render a finished Report. They never decide anything: no filtering, no exit codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from cgt_claimcheck.report import Report
from cgt_claimcheck.reporters import (
    ci_reports,
    csv_report,
    html_report,
    json_report,
    junit_report,
    line_reports,
    rich_report,
)

Renderer = Callable[[Report, TextIO], None]

REPORTERS: dict[str, Renderer] = {
    "rich": rich_report.render,
    "json": json_report.render,
    "jsonl": json_report.render_lines,
    "csv": csv_report.render,
    "junit": junit_report.render,
    "concise": line_reports.render_concise,
    "github": line_reports.render_github,
    "gitlab": ci_reports.render_gitlab,
    "sarif": ci_reports.render_sarif,
    "html": html_report.render,
    "statistics": line_reports.render_statistics,  # --statistics
}
