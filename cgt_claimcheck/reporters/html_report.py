"""The HTML report: one self-contained page a clerk opens, filters, sorts and prints.

No network: the style sheet and the script are inlined and a Content-Security-Policy forbids
any fetch. Every value from the input is escaped (text and attributes) and stripped of control
and reordering characters, so an extract cannot inject markup or script. Findings are written a
batch at a time; the page shows what the JSON report holds, in the same counts.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from typing import Any, TextIO

from cgt_claimcheck.printable import printable
from cgt_claimcheck.report import ClaimHeader, FindingRecord, Report, denial_codes

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
SEVERITIES = ("error", "warning", "info")
# The findings table: (heading, how a click sorts it, or None).
COLUMNS = (
    ("Claim", "text"),
    ("Line", "number"),
    ("Row (X12: where)", "number"),
    ("Severity", "number"),
    ("Rule", "text"),
    ("Payer", "text"),
    ("Field", "text"),
    ("Value", "text"),
    ("Message and fix", None),
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
    _claims_section(report, rest, write)

    values = {name: [v for v in rest.counts(name) if v != "None"] for name in ("rule", "severity", "payer")}
    values["severity"].sort(key=lambda v: SEVERITY_RANK.get(v, 9))  # error, warning, info: not alphabetical
    write('<section id="findings">\n<h2>Findings</h2>\n<form id="filters">\n')
    for name, label in (("rule", "Rule"), ("severity", "Severity"), ("payer", "Payer")):
        options = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values[name])
        write(f'<label>{label}<select id="filter-{name}"><option value="">all</option>{options}</select></label>\n')
    write(
        '<label>Claim<input id="filter-claim" type="search" placeholder="claim number"></label>\n'
        '<button type="button" id="filter-reset">Show all</button>\n'
        f'<span class="meta"><span id="shown-count">{len(rest):,}</span> of {len(rest):,} findings shown</span>\n'
        "</form>\n"
    )
    write('<table id="findings-table">\n<thead><tr>')
    for heading, sort in COLUMNS:
        write(f'<th data-sort="{sort}">{heading}</th>' if sort else f"<th>{heading}</th>")
    write("</tr></thead>\n<tbody>\n")
    cited: dict[str, tuple[str, dict[str, None], str]] = {}
    for f in rest:
        write(_finding_row(f))
        name, policies, codes = cited.setdefault(f.rule, (f.name, {}, denial_codes(f)))
        policies[f.policy] = None
    write("</tbody>\n</table>\n</section>\n")
    for g in systemic:
        cited.setdefault(g.rule, (g.name, {}, ""))
    _rules_cited(cited, write)
    write(f"<script>\n{_asset('html_report.js')}</script>\n</body>\n</html>\n")


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


def _claims_section(report: Report, rest: Any, write: Any) -> None:
    """One row per claim with findings: the claim's header and its counts by severity."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for batch in rest.batches():
        columns = [batch.column(n).to_pylist() for n in ("file", "claim_id", "severity")]
        for file, claim, severity in zip(*columns, strict=True):
            if claim is not None:
                tally = counts.setdefault((file, claim), dict.fromkeys(SEVERITIES, 0))
                tally[severity] += 1
    if not counts:
        return
    headers = report.claim_headers()
    write(
        '<section id="claims">\n<h2>Claims with findings</h2>\n<table id="claims-table">\n<thead><tr>'
        "<th>Claim</th><th>Member</th><th>Dates of service</th><th>Payer</th>"
        '<th class="num">Billed</th><th class="num">Errors</th><th class="num">Warnings</th>'
        '<th class="num">Info</th><th>File</th><th></th></tr></thead>\n<tbody>\n'
    )
    for (file, claim), tally in counts.items():
        h = headers.get((file, claim)) or ClaimHeader(file, claim, "", "", "", "", None)
        dates = h.service_dates()
        write(
            f'<tr data-claim="{e(claim)}"><td>{e(claim)}</td><td>{e(h.member_id)}</td><td>{e(dates)}</td>'
            f'<td>{e(h.payer)}</td><td class="num">{_money(h.billed)}</td>'
            + "".join(f'<td class="num">{tally[sev]}</td>' for sev in SEVERITIES)
            + f'<td>{e(file)}</td><td><button type="button" class="show-claim" data-claim="{e(claim)}">'
            "show findings</button></td></tr>\n"
        )
    write("</tbody>\n</table>\n</section>\n")


def _finding_row(f: FindingRecord) -> str:
    sev = f.severity.value
    line = f.line_number or ""
    return (
        f'<tr data-rule="{e(f.rule)}" data-severity="{sev}" data-payer="{e(f.payer or "")}" '
        f'data-claim="{e(f.claim_id or "")}">'
        f"<td>{e(f.claim_id or ('(rejected row)' if f.row else '(the file)'))}</td>"
        f'<td class="num" data-sort="{e(line) if line.isdigit() else -1}">{e(line)}</td>'
        f'<td class="num" data-sort="{f.row}">{e(f.location) if f.location else f.row}</td>'
        f'<td data-sort="{SEVERITY_RANK[sev]}"><span class="sev sev-{sev}">{sev}</span></td>'
        f'<td title="{e(f.name)}">{e(f.rule)}</td><td>{e(f.payer or "")}</td><td>{e(f.field)}</td>'
        f'<td class="value">{e(f.value)}</td>'
        f'<td>{e(f.message)} <span class="fix">Fix: {e(f.hint)}</span></td></tr>\n'
    )


def _rules_cited(cited: dict[str, tuple[str, dict[str, None], str]], write: Any) -> None:
    if not cited:
        return
    write('<section id="rules">\n<h2>Rules cited</h2>\n')
    for code in sorted(cited):
        name, policies, codes = cited[code]
        denial = f" (payer would deny with {e(codes)})" if codes else ""
        write(f'<div class="rule-cited" data-rule="{e(code)}"><strong>{e(code)} {e(name)}</strong>{denial}')
        write("".join(f"<p>{e(p)}</p>" for p in policies) + "</div>\n")
    write("</section>\n")
