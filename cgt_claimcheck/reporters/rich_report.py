"""The report a billing clerk reads: a summary panel, then findings grouped by claim."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cgt_claimcheck.printable import excerpt
from cgt_claimcheck.printable import shown as literal
from cgt_claimcheck.report import ClaimHeader, Report, counted, denial_codes
from cgt_claimcheck.report import FindingRecord as Finding

VALUE_SHOWN = 200  # characters of a value on a finding's line (a rejected row is shown as its raw text)
STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render(report: Report, stream: TextIO) -> None:
    console = Console(file=stream, highlight=False, emoji=False)
    s = report.summary
    summary = _grid()
    summary.add_row(
        "files",
        literal(
            ", ".join(
                f"{i.path} ({i.rows_read:,} read, {i.rows_checked:,} checked, {i.rows_rejected:,} rejected"
                + (f", {i.rows_out_of_scope:,} out of scope)" if i.rows_out_of_scope else ")")
                for i in report.inputs
            )
        ),
    )
    rows = f"{s.rows_read:,} read = {s.rows_checked:,} checked + {s.rows_rejected:,} rejected"
    summary.add_row("rows", literal(rows + (f" + {s.rows_out_of_scope:,} out of scope" if s.rows_out_of_scope else "")))
    if s.rows_out_of_scope:
        summary.add_row("out of scope", literal(s.out_of_scope_text()))
    summary.add_row("claims", literal(f"{counted(s.claims, 'claim')}, {s.cgt_claims:,} with a cell or gene therapy"))
    summary.add_row(
        "findings",
        Text.assemble(
            literal(counted(s.findings.error, "error"), style=STYLE["error"]),
            ", ",
            literal(counted(s.findings.warning, "warning"), style=STYLE["warning"]),
            ", ",
            literal(f"{s.findings.info:,} info", style=STYLE["info"]),
        ),
    )
    if report.baseline is not None:
        b = report.baseline
        stale = (
            f"; {counted(len(b.stale), 'entry no longer occurs', 'of its entries no longer occur')}" if b.stale else ""
        )
        shown = "; ".join(str(entry) for entry in b.stale_entries[:5])
        more = f" and {len(b.stale_entries) - 5:,} more" if len(b.stale_entries) > 5 else ""
        stale += f" ({shown}{more})" if shown else ""
        summary.add_row("baseline", literal(f"{b.suppressed:,} known findings suppressed ({b.path}){stale}"))
    by_rule = report.findings_by_rule()
    if by_rule:
        summary.add_row("by rule", literal(", ".join(f"{code} x{n}" for code, n in by_rule.items())))
    summary.add_row("reference", literal(f"{report.reference.version} ({report.reference.path})"))
    by_reason: dict[str, list[str]] = {}
    for item in report.not_checked:
        by_reason.setdefault(item.reason, []).append(item.rule)
    for reason, rule_codes in by_reason.items():
        summary.add_row("not checked", literal(f"{', '.join(rule_codes)}: {reason}"))
    console.print(Panel(summary, title="cgt-claimcheck", expand=False))

    systemic, rest = report.findings.split_systemic()
    rows_read = {i.path: i.rows_read for i in report.inputs}
    for g in systemic:  # a file where most rows fail for one reason opens with that
        if rows_read.get(g.file) and g.count * 2 >= rows_read[g.file]:
            row, value = g.examples[0]
            console.print(
                Text.assemble(
                    literal(f"{g.file}: ", style="bold"),
                    literal(f"{g.field}: {g.count:,} of {rows_read[g.file]:,} rows: ", style=STYLE[g.severity]),
                    literal(f"{g.message}, e.g. {value!r} on line {row + 1}: {g.hint}"),
                )
            )
    for g in systemic:
        lines = ", ".join(f"{row + 1} ({value!r})" for row, value in g.examples)
        body = Group(
            Text.assemble(
                literal(f"{g.severity.upper():7} ", style=STYLE[g.severity]),
                literal(f"{g.rule} {g.name}", style="bold"),
                literal(f"  {g.message}"),
            ),
            Text.assemble("    ", literal(f"{g.count:,} findings; first on lines {lines}")),
            Text.assemble(("    fix: ", "green"), literal(g.hint)),
        )
        console.print(
            Panel(body, title=literal(f"{g.field}: one cause, {g.count:,} rows  [{g.file}]"), title_align="left")
        )

    claims: dict[tuple[str, str], list[Finding]] = {}
    cited: dict[str, dict[str, None]] = {}  # rule -> its distinct policy texts (one per payer at most)
    denial: dict[str, str] = {}
    names: dict[str, str] = {}
    for finding in rest:
        key = (finding.file, finding.claim_id or (f"(row {finding.row}, rejected)" if finding.row else "(the file)"))
        claims.setdefault(key, []).append(finding)
    for g in systemic:
        cited.setdefault(g.rule, {})
        names[g.rule] = g.name
    headers = report.claim_headers()
    for (file, claim), findings in claims.items():
        # One header line a claim, one line a finding (soft-wrapped, so a narrow terminal wraps it
        # rather than the report growing): 100 claims with 300 findings is about 400 lines.
        block = _claim_header(claim, file, headers.get((file, claim)))
        for f in sorted(findings, key=_line_order):
            block.append("\n")
            block.append_text(
                Text.assemble(
                    literal(f"  line {f.line_number or '-'} ({f.location or f'row {f.row}'})  "),
                    literal(f"{f.severity.value.upper():7} ", style=STYLE[f.severity.value]),
                    literal(f.rule, style="bold"),
                    literal(_value_shown(f)),
                    literal(f.message),
                    ("  fix: ", "green"),
                    literal(f.hint),
                )
            )
            cited.setdefault(f.rule, {})[f.policy] = None
            names[f.rule] = f.name
            codes = denial_codes(f)
            if codes:
                denial[f.rule] = codes
        console.print(block, soft_wrap=True)  # one write a claim: printing is most of this report's time
    if not report.findings:
        console.print(literal("No findings.", style="bold green"))
        return
    _rules_cited(console, cited, names, denial)
    _closing_summary(console, report, claims)


def _value_shown(f: Finding) -> str:
    """'  field = 'value': ' before the message, unless the message already quotes the value."""
    if not f.value or f.value in f.message:
        return "  "
    return f"  {f.field} = {excerpt(f.value, VALUE_SHOWN)!r}: "


def _claim_header(claim: str, file: str, header: ClaimHeader | None) -> Text:
    """'claim P1001  member M1 · 2025-03-01 · wnc · billed $2,100,000.00  [file]'."""
    parts = []
    if header is not None:
        dates = header.service_dates()
        parts = [f"member {header.member_id or '-'}", dates or "no date", header.payer or "no payer"]
        parts.append(f"billed ${header.billed:,.2f}" if header.billed is not None else "no charge")
    return Text.assemble(
        literal(f"claim {claim}", style="bold underline"),
        literal(f"  {' · '.join(parts)}" if parts else ""),
        literal(f"  [{file}]", style="dim"),
    )


def _grid() -> Table:
    """A two-column grid of labels and values (the opening and closing summaries)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    return grid


def _line_order(f: Finding) -> tuple[int, int]:
    number = f.line_number or ""
    return (int(number) if number.isdigit() else 0, f.row)


def _rules_cited(
    console: Console, cited: dict[str, dict[str, None]], names: dict[str, str], denial: dict[str, str]
) -> None:
    """Each rule's policy text once, after the claims (a clerk reads it when needed, not 300 times);
    rules that cite the same text (the X12 file rules, the input rules) are listed above it once."""
    sharing: dict[tuple[str, ...], list[str]] = {}
    for code in sorted(cited):
        sharing.setdefault(tuple(cited[code]), []).append(code)
    parts = []
    for policies, codes in sharing.items():
        for code in codes:
            head = Text.assemble(literal(f"{code} {names.get(code, '')}", style="bold"))
            if code in denial:
                head.append_text(literal(f"  (payer would deny with {denial[code]})", style="dim"))
            parts.append(head)
        parts.extend(Text.assemble("    ", literal(policy), style="dim") for policy in policies)
    console.print(Panel(Group(*parts), title="rules cited", title_align="left"))


def _closing_summary(console: Console, report: Report, claims: dict[tuple[str, str], list[Finding]]) -> None:
    s = report.summary
    failing = sum(1 for findings in claims.values() if any(report.fails(f.severity) for f in findings))
    closing = _grid()
    closing.add_row(
        "rows",
        literal(
            f"{s.rows_read:,} read: {s.rows_checked:,} checked, {s.rows_rejected:,} rejected, {s.rows_out_of_scope:,} out of scope"
        ),
    )
    closing.add_row("claims", literal(f"{s.claims:,} read, {s.cgt_claims:,} with a cell or gene therapy checked"))
    closing.add_row(
        "findings",
        literal(
            f"{counted(s.findings.error, 'error')}, {counted(s.findings.warning, 'warning')}, {s.findings.info:,} info"
        ),
    )
    closing.add_row("by rule", literal(", ".join(f"{code} x{n:,}" for code, n in report.findings_by_rule().items())))
    if report.fail_on != "error":  # at error, the denied line below says the same
        closing.add_row(
            "to fix",
            literal(
                f"{counted(failing, 'claim has', 'claims have')} findings at or above {report.fail_on} "
                f"({'it fails' if failing == 1 else 'they fail'} this check)"
            ),
        )
    closing.add_row(
        "denied",
        literal(
            f"{counted(s.claims_denied, 'claim has', 'claims have')} errors and would be denied as they stand"
            + (f" (${s.charges_denied:,.2f} billed on them)" if s.claims_denied else "")
        ),
    )
    if report.elapsed_seconds is not None:
        closing.add_row("time", literal(f"{report.elapsed_seconds:.1f} s to check, before this report was written"))
    console.print(Panel(closing, title="summary", expand=False))
