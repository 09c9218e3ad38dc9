"""The HTML report: one self-contained page a clerk opens, filters, sorts and prints.

No network: the style sheet, the script and the data are inlined and a Content-Security-Policy
forbids any fetch. The claims and findings tables are drawn by the page's script from one
embedded, dictionary-encoded data set (`html_data.py`), a page of rows at a time, so a report of
100,000 findings opens in a second instead of a minute. The script writes every value as text
(never as markup), and every value was made printable here: an extract cannot inject markup or
script. The page shows what the JSON report holds, in the same counts.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from typing import Any, TextIO

import pyarrow as pa

from cgt_claimcheck.printable import printable
from cgt_claimcheck.report import Findings, Report
from cgt_claimcheck.reporters.html_data import claim_counts, report_data

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
# The tables' columns: (heading, how a click on it sorts, or None; key in the data set). The
# script reads them from the headings, so they are declared here once.
FINDING_COLUMNS: tuple[tuple[str, str | None, str], ...] = (
    ("Claim", "text", "claim"),
    ("Line", "number", "line"),
    ("Row (X12: where)", "number", "row"),
    ("Severity", "severity", "severity"),
    ("Rule", "text", "rule"),
    ("Payer", "text", "payer"),
    ("Field", "text", "field"),
    ("Value", "text", "value"),
    ("Message and fix", None, "message"),
)
CLAIM_COLUMNS: tuple[tuple[str, str | None, str], ...] = (
    ("Claim", "text", "claim"),
    ("Member", "text", "member"),
    ("Dates of service", "text", "dates"),
    ("Payer", "text", "payer"),
    ("Billed", "number", "billed"),
    ("Errors", "number", "error"),
    ("Warnings", "number", "warning"),
    ("Info", "number", "info"),
    ("File", "text", "file"),
    ("", None, "show"),
)
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}  # errors first when sorted ascending


def e(value: object) -> str:
    """Text and attribute safe: escaped, control and reordering characters written as \\xNN."""
    return escape(printable(value), quote=True)


def _asset(name: str) -> str:
    return resources.files("cgt_claimcheck.reporters").joinpath(name).read_text(encoding="utf-8")


def _money(amount: float | None) -> str:
    return "" if amount is None else f"${amount:,.2f}"


def render(report: Report, stream: TextIO) -> None:
    s = report.summary
    write = stream.write
    write('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    write(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n')
    write('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    write(f"<title>cgt-claimcheck report: {e(', '.join(i.path for i in report.inputs))}</title>\n")
    write(f"<style>\n{_asset('html_report.css')}</style>\n</head>\n<body>\n<header>\n")
    write("<h1>Cell and gene therapy claim check</h1>\n")
    for i in report.inputs:
        scope = f", {i.rows_out_of_scope:,} out of scope" if i.rows_out_of_scope else ""
        write(
            f'<p class="meta">{e(i.path)}: {i.rows_read:,} rows read, {i.rows_checked:,} checked, '
            f"{i.rows_rejected:,} rejected{scope}</p>\n"
        )
    took = f"; {report.elapsed_seconds:.1f} s" if report.elapsed_seconds is not None else ""
    write(
        f'<p class="meta">{e(report.tool.name)} {e(report.tool.version)}; reference tables '
        f"{e(report.reference.version)}; failing at {e(report.fail_on)}{took}</p>\n</header>\n"
    )

    cards: list[tuple[str, str, Any, str]] = [
        ("rows_read", "rows read", s.rows_read, ""),
        ("rows_checked", "rows checked", s.rows_checked, ""),
        ("rows_rejected", "rows rejected", s.rows_rejected, ""),
        ("rows_out_of_scope", "rows out of scope", s.rows_out_of_scope, ""),
        ("claims", "claims read", s.claims, ""),
        ("cgt_claims", "claims with a CGT", s.cgt_claims, ""),
        ("error", "errors", s.findings.error, "error"),
        ("warning", "warnings", s.findings.warning, "warning"),
        ("info", "info", s.findings.info, "info"),
        ("claims_denied", "claims denied as they stand", s.claims_denied, "error"),
    ]
    write('<section id="summary" class="cards" aria-label="summary">\n')
    for key, label, value, tone in cards:
        write(
            f'<div class="card {tone}" data-key="{key}" data-value="{value}">'
            f'<span class="value">{value:,}</span><span class="label">{label}</span></div>\n'
        )
    write(
        f'<div class="card error wide" data-key="charges_denied" data-value="{s.charges_denied}">'
        f'<span class="value">{_money(s.charges_denied)}</span>'
        '<span class="label">billed on denied claims</span></div>\n</section>\n'
    )
    _notes(report, write)

    systemic, rest = report.findings.split_systemic()
    for g in systemic:
        shown = ", ".join(f"row {row} ({value!r})" for row, value in g.examples)
        write(
            f'<div class="systemic"><strong>{e(g.rule)} {e(g.name)}</strong>: {e(g.file)}, {e(g.field)}: '
            f"{g.count:,} findings with one cause. {e(g.message)}. First: {e(shown)}. "
            f'<span class="fix">Fix: {e(g.hint)}</span></div>\n'
        )
    counts = claim_counts(rest, [i.path for i in report.inputs])
    write(
        '<nav class="jump">'
        + (f'<a href="#claims">Claims with findings ({len(counts):,})</a>' if counts else "")
        + f'<a href="#findings">Findings ({len(rest):,})</a><a href="#rules">Rules cited</a></nav>\n'
        '<noscript><p class="notes">The claims and findings tables are drawn by the page\'s own script: '
        "allow JavaScript for this file, or write the same findings with --format csv or json.</p></noscript>\n"
    )
    if counts:
        _claims_section(len(counts), write)
    _findings_section(rest, write)
    _rules_cited(rest, [(g.rule, g.name) for g in systemic], write)
    write(f'<script type="application/json" id="report-data">{report_data(report, rest, counts)}</script>\n')
    write(f"<script>\n{_asset('html_report.js')}</script>\n</body>\n</html>\n")


def _pager(name: str, sizes: tuple[int, ...]) -> str:
    options = "".join(f'<option value="{n}">{n} a page</option>' for n in sizes)
    return (
        f'<div class="pager" id="{name}-pager"><button type="button" class="prev">&#9664; previous</button>'
        f'<span class="range"></span><button type="button" class="next">next &#9654;</button>'
        f'<select class="size" aria-label="rows a page">{options}</select></div>\n'
    )


def _table(table_id: str, columns: tuple[tuple[str, str | None, str], ...]) -> str:
    heads = "".join(
        f'<th data-key="{key}"' + (f' data-sort="{sort}" tabindex="0"' if sort else "") + f">{heading}</th>"
        for heading, sort, key in columns
    )
    return f'<table id="{table_id}">\n<thead><tr>{heads}</tr></thead>\n<tbody></tbody>\n</table>\n'


def _claims_section(count: int, write: Any) -> None:
    """One row per claim with findings: its header and counts; sortable, searchable, paged."""
    write(
        '<section id="claims">\n<h2>Claims with findings</h2>\n<form id="claim-filters" class="filters">\n'
        '<label>Claim or member<input id="claims-search" type="search" placeholder="claim or member number">'
        "</label>\n"
        '<label class="check"><input id="claims-errors" type="checkbox"> only claims with errors</label>\n'
        f'<span class="meta"><span id="claims-count">{count:,}</span> of {count:,} claims shown; '
        "click a heading to sort</span>\n</form>\n"
    )
    write(_pager("claims", (25, 100, 500)) + _table("claims-table", CLAIM_COLUMNS) + "</section>\n")


def _findings_section(rest: Any, write: Any) -> None:
    values = {name: rest.counts(name) for name in ("rule", "severity", "payer", "field")}
    for tally in values.values():
        tally.pop("None", None)
    write('<section id="findings">\n<h2>Findings</h2>\n<form id="filters" class="filters">\n')
    for name, label in (("rule", "Rule"), ("severity", "Severity"), ("payer", "Payer"), ("field", "Field")):
        names = list(values[name])
        if name == "severity":
            names.sort(key=lambda v: SEVERITY_RANK.get(v, 9))  # error, warning, info: not alphabetical
        options = "".join(f'<option value="{e(v)}">{e(v)} ({values[name][v]:,})</option>' for v in names)
        write(f'<label>{label}<select id="filter-{name}"><option value="">all</option>{options}</select></label>\n')
    write(
        '<label>Claim<input id="filter-claim" type="search" placeholder="claim number"></label>\n'
        '<label>Text<input id="filter-text" type="search" placeholder="in value or message"></label>\n'
        '<button type="button" id="filter-reset">Show all</button>\n'
        f'<span class="meta"><span id="shown-count">{len(rest):,}</span> of {len(rest):,} findings shown</span>\n'
        "</form>\n"
    )
    write(_pager("findings", (100, 250, 500)) + _table("findings-table", FINDING_COLUMNS) + "</section>\n")


def _notes(report: Report, write: Any) -> None:
    notes = [f"{e(n.rule)} not checked: {e(n.reason)}" for n in report.not_checked]
    notes += [f"Could not read {e(x.file)}: {e(x.message)}" for x in report.errors]
    if report.baseline is not None:
        b = report.baseline
        stale = f"; {len(b.stale):,} of its entries no longer occur" if b.stale else ""
        notes.append(f"Baseline {e(b.path)}: {b.suppressed:,} known findings suppressed{stale}")
    if report.summary.rows_out_of_scope:
        notes.append(f"Out of scope: {e(report.summary.out_of_scope_text())}")
    if notes:
        write('<ul class="notes">' + "".join(f"<li>{n}</li>" for n in notes) + "</ul>\n")


def _rules_cited(rest: Findings, systemic: list[tuple[str, str]], write: Any) -> None:
    """Each rule behind a finding once, with every policy text its findings cite and its denial codes."""
    columns = ("rule", "name", "policy", "carc", "rarc")
    cited: dict[str, tuple[str, dict[str, None], str]] = {}
    if len(rest):
        table = pa.table({c: rest.table.column(c).cast(pa.string()) for c in columns})
        distinct = table.group_by(list(columns)).aggregate([])
        for code, name, policy, carc, rarc in zip(*(distinct.column(c).to_pylist() for c in columns), strict=True):
            codes = " ".join(part for part in (f"CARC {carc}" if carc else "", f"RARC {rarc}" if rarc else "") if part)
            cited.setdefault(code, (name, {}, codes))[1][policy] = None
    for code, name in systemic:
        cited.setdefault(code, (name, {}, ""))
    if not cited:
        return
    write('<section id="rules">\n<h2>Rules cited</h2>\n')
    for code in sorted(cited):
        name, policies, codes = cited[code]
        denial = f" (payer would deny with {e(codes)})" if codes else ""
        write(f'<div class="rule-cited" data-rule="{e(code)}"><strong>{e(code)} {e(name)}</strong>{denial}')
        write("".join(f"<p>{e(p)}</p>" for p in sorted(policies)) + "</div>\n")
    write("</section>\n")
