"""The report a billing clerk reads: a summary panel, then findings grouped by claim."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cgt_claimcheck.printable import elided
from cgt_claimcheck.printable import shown as literal
from cgt_claimcheck.report import ClaimHeader, Report, SystemicGroup, counted, denial_codes
from cgt_claimcheck.report import FindingRecord as Finding
from cgt_claimcheck.reporters.terminal_layout import TerminalLayout

VALUE_SHOWN = 200  # characters of a value on a finding's line (a rejected row is shown as its raw text)
STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
INDENT = (0, 0, 0, 4)  # a hanging block under a heading line
SIDE_FILE = ""  # the group of a side file's unusable rows (no claim id is empty)


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
    groups: dict[tuple[str, str], list[SystemicGroup]] = {}
    for g in systemic:  # one panel a rule and file: each cause on its line, each distinct fix once
        groups.setdefault((g.rule, g.file), []).append(g)
    for (rule, file), causes in groups.items():
        total = sum(g.count for g in causes)
        # The file is named when the run read several (one file is in the summary above).
        lines: list[Text | Padding] = [literal(file, style="dim")] if len(report.inputs) > 1 else []
        for g in causes:
            read = rows_read.get(g.file) or 0
            share = f"{g.count:,} of {read:,} rows" if read and g.count * 2 >= read else f"{g.count:,} rows"
            first = ", ".join(f"{row + 1} ({value!r})" for row, value in dict.fromkeys(g.examples))
            lines.append(
                Text.assemble(
                    literal(f"{g.severity.upper():7} ", style=STYLE[g.severity]),
                    literal(f"{g.field}: ", style="bold"),
                    literal(f"{g.message}: {share}, first on line {first}"),
                )
            )
        for hint in dict.fromkeys(g.hint for g in causes):
            lines.append(Text.assemble(("fix: ", "green"), literal(hint)))
        title = f"{rule} {causes[0].name}: {counted(total, 'finding')}"
        title += f", {len(causes)} causes" if len(causes) > 1 else ", one cause"
        console.print(Panel(Group(*lines), title=literal(title), title_align="left"))

    claims: dict[tuple[str, str], list[Finding]] = {}
    cited: dict[str, dict[str, None]] = {}  # rule -> its distinct policy texts (one per payer at most)
    denial: dict[str, str] = {}
    names: dict[str, str] = {}
    checked_files = {i.path for i in report.inputs}
    for finding in rest:
        if finding.file not in checked_files:  # a --history or --facilities row: context, not a claim of this run
            key = (finding.file, SIDE_FILE)
        else:
            key = (
                finding.file,
                finding.claim_id or (f"(row {finding.row}, rejected)" if finding.row else "(the file)"),
            )
        claims.setdefault(key, []).append(finding)
    for g in systemic:
        cited.setdefault(g.rule, {})
        names[g.rule] = g.name
    headers = report.claim_headers()
    # At a terminal, lines are laid out for its width: words never split, a finding's text hangs
    # under its first line, the fix on a line of its own. Elsewhere (a file, a pipe, a CI log) each
    # finding is one line, for grep and for a viewer that wraps by itself.
    layout = TerminalLayout(console.width) if console.is_terminal else None
    for (file, claim), findings in claims.items():
        # At a terminal, a run of one file names it in the summary only (a line a claim saved).
        shown_file = "" if layout is not None and len(report.inputs) == 1 else file
        if claim == SIDE_FILE:
            title, note = f"rows left out of {file}", "  (a --history or --facilities file: not claims of this run)"
            if layout is not None:
                note, _ = layout.header(len(title), note, "")
            block = Text.assemble(literal(title, style="bold underline"), literal(note, newlines=True, style="dim"))
        else:
            block = _claim_header(claim, shown_file, headers.get((file, claim)), layout)
        for f in sorted(findings, key=_line_order):
            block.append("\n")
            head = f"  line {f.line_number or '-'} ({f.location or f'row {f.row}'})  "
            severity = f"{f.severity.value.upper():7} "
            text = _value_shown(f, layout) + f.message
            if layout is None:
                parts = [literal(text), literal("  fix: ", style="green"), literal(f.hint)]
            else:  # the layout's line breaks are kept: every other control character is still escaped
                laid_out = layout.finding(len(head) + len(severity) + len(f.rule), text, f.hint)
                parts = [literal(piece, newlines=True, style=style) for piece, style in laid_out]
            for part in (
                literal(head),
                literal(severity, style=STYLE[f.severity.value]),
                literal(f.rule, style="bold"),
            ):
                block.append_text(part)
            for part in parts:
                block.append_text(part)
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


def _value_shown(f: Finding, layout: TerminalLayout | None) -> str:
    """'  field = 'value': ' before the message, unless the message already quotes the value.

    A long value keeps its start and its end (the middle elided): at a terminal, to a third of the width.
    """
    if not f.value or f.value in f.message:
        return "  "
    limit = VALUE_SHOWN if layout is None else max(24, layout.width // 3)
    return f"  {f.field} = {elided(f.value, limit)!r}: "


def _claim_header(claim: str, file: str, header: ClaimHeader | None, layout: TerminalLayout | None) -> Text:
    """'claim P1001  member M1 · 2025-03-01 · wnc · billed $2,100,000.00  [file]'."""
    parts = []
    if header is not None:
        dates = header.service_dates()
        parts = [f"member {header.member_id or '-'}", dates or "no date", header.payer or "no payer"]
        parts.append(f"billed ${header.billed:,.2f}" if header.billed is not None else "no charge")
    details = f"  {' · '.join(parts)}" if parts else ""
    where = f"  [{file}]" if file else ""
    if layout is not None:  # the file name moves to the next line whole rather than split
        details, where = layout.header(len(f"claim {claim}"), details, where)
        return Text.assemble(
            literal(f"claim {claim}", style="bold underline"),
            literal(details, newlines=True),
            literal(where, newlines=True, style="dim"),
        )
    return Text.assemble(
        literal(f"claim {claim}", style="bold underline"), literal(details), literal(where, style="dim")
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
    parts: list[Text | Padding] = []
    for policies, codes in sharing.items():
        for code in codes:
            head = Text.assemble(literal(f"{code} {names.get(code, '')}", style="bold"))
            if code in denial:
                head.append_text(literal(f"  (payer would deny with {denial[code]})", style="dim"))
            parts.append(head)
        parts.extend(Padding(literal(policy, style="dim"), INDENT) for policy in policies)
    console.print(Panel(Group(*parts), title="rules cited", title_align="left"))


def _closing_summary(console: Console, report: Report, claims: dict[tuple[str, str], list[Finding]]) -> None:
    s = report.summary
    failing = sum(
        1
        for (_, claim), findings in claims.items()
        if claim != SIDE_FILE and any(report.severity_fails(f.severity) for f in findings)
    )
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
