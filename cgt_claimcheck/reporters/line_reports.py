"""One line per finding, for terminals and CI logs: `concise` (file:line: RULE message) and `github`
(workflow commands, so GitHub Actions annotates the file and line of each finding); and
`--statistics`, one line per rule with its count, like ruff's.

The line is the file's line as an editor shows it: the data row plus the header line (a problem
of the whole file is line 1). Both stream the findings; values go through `printable`, and the
GitHub form escapes what its command syntax reserves (%, CR, LF; in properties also : and ,).
"""

from __future__ import annotations

from typing import TextIO

from cgt_claimcheck.printable import printable
from cgt_claimcheck.report import Report, counted, editor_line, file_byte, place_of

GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render_concise(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        stream.write(
            printable(f"{f.file}:{editor_line(f)}: {f.rule} [{f.severity.value}] {f.message}{place_of(f)}") + "\n"
        )


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, stream: TextIO) -> None:
    for f in report.findings:
        level = GITHUB_LEVEL[f.severity.value]
        title = _property(f"{f.rule} {f.name}")
        byte = file_byte(f)  # an X12 file written as one line: the segment's column too
        column = f",col={byte + 1}" if byte is not None else ""
        where = f"file={_property(f.file)},line={editor_line(f)}{column},title={title}"
        stream.write(f"::{level} {where}::{_data(printable(f.message + place_of(f) + '. Fix: ' + f.hint))}\n")
    counts = report.summary.findings
    stream.write(
        _data(
            f"cgt-claimcheck: {counted(counts.error, 'error')}, {counted(counts.warning, 'warning')}, {counts.info:,} info"
        )
        + f" in {report.summary.rows_read:,} rows\n"
    )


def render_statistics(report: Report, stream: TextIO) -> None:
    """Per rule: count, code and name, most frequent first."""
    import pyarrow as pa

    table = report.findings.table
    rows: list[tuple[int, str, str]] = []
    if table.num_rows:
        pairs = table.select(["rule", "name"]).cast(pa.schema([("rule", pa.string()), ("name", pa.string())]))
        grouped = pairs.group_by(["rule", "name"]).aggregate([("rule", "count")]).to_pylist()
        rows = [(g["rule_count"], g["rule"], g["name"]) for g in grouped]
    for count, code, name in sorted(rows, key=lambda r: (-r[0], r[1])):
        stream.write(f"{count:>8,}  {code}  {name}\n")
    stream.write(f"{sum(r[0] for r in rows):>8,}  findings in {report.summary.rows_read:,} rows\n")
