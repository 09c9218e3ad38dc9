"""Rich renderings of `lookup`, `rules` and `reference` answers (the check report has reporters/).

Values from tables and queries are shown as data, through cgt_claimcheck.printable: never markup, no
control characters.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cgt_claimcheck.printable import markup_safe, shown
from cgt_claimcheck.reference import Reference
from cgt_claimcheck.rules.base import ALL_PAYERS, MEDI_CAL, Rule
from cgt_claimcheck.value_parsers import format_icd10cm


def _table(*columns: str) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _end(row: dict[str, Any]) -> str:
    """A code's last date: its own, the one its successor implies (said so), or open."""
    if row.get("effective_to"):
        return str(row["effective_to"])
    if row.get("implied_end"):
        return f"{row['implied_end']} ({row['implied_end_reason']})"
    return "open"


def _window(start: Any, row: dict[str, Any]) -> str:
    """'2025-01-01 onward', '2022-10-01 to 2024-09-30': a validity window as a clerk says it."""
    end = _end(row)
    return f"{start or 'unknown start'} onward" if end == "open" else f"{start or 'unknown start'} to {end}"


def _ages(low: Any, high: Any) -> str:
    """'12 and older', 'up to 17', '4 to 5', 'any age' (the table's bounds are inclusive years)."""
    if low is None and high is None:
        return "any age"
    if high is None:
        return f"{low} and older"
    if low is None:
        return f"up to {high}"
    return f"{low} to {high}"


def _words(token: Any) -> str:
    """A table token as words: per_treatment -> per treatment, best_knowledge -> best knowledge."""
    return "" if token is None else str(token).replace("_", " ")


def _t(value: Any) -> Text:
    return shown(value)


def render_lookup(console: Console, answer: dict[str, Any]) -> None:
    head = Text.assemble(
        shown("lookup ", style="bold"), shown(answer["query"], style="bold cyan"), shown(f"  ({answer['kind']})")
    )
    console.print(head)
    for note in answer["notes"]:
        console.print(shown("note: " + note, style="yellow"))
    direct = [m for m in answer["matched"] if "codeset" in m]
    if direct:
        table = _table("code set", "code", "description", "confidence")
        for m in direct:
            table.add_row(_t(m["codeset"]), _t(m["code"]), _t(m["description"]), _t(m["confidence"]))
        console.print(table)
    non_product = [m for m in answer["matched"] if "kind" in m and not m.get("product_id")]
    for m in non_product:
        console.print(
            Panel(
                Group(
                    shown(f"{m['code']}: {m.get('descriptor') or m.get('description')}"),
                    shown(f"effective {_window(m.get('effective_from'), m)}; confidence {_words(m['confidence'])}"),
                    shown(f"source: {m['source']}", style="dim"),
                    shown(m.get("notes") or "", style="dim"),
                ),
                title=m["kind"],
            )
        )
    for card in answer["cards"]:
        _render_card(console, card)


def _render_card(console: Console, card: dict[str, Any]) -> None:
    lines: list[Any] = [
        Text.assemble(shown(card["brand"], style="bold"), shown(f" ({card['generic']})")),
        shown(
            f"family {card['family']}; billed {(card['billing_unit'] or 'by a unit not verified').replace('_', ' ')}; "
            f"FDA approval {card['fda_approval_date'] or 'unverified'}; {card['manufacturer']}"
        ),
    ]
    if card.get("billable_on"):
        on = card["billable_on"]
        codes = on["codes"] + [f"{c} (start date unknown)" for c in on["codes_with_unknown_start"]]
        text = f"on {on['date']}: bill {', '.join(codes) if codes else on['fallback']}"
        if on.get("note"):
            text += f" ({on['note']})"
        lines.append(shown(text, style="bold green"))
    hcpcs = _table("HCPCS", "kind", "unit", "effective", "in use by", "successor", "confidence")
    for h in card["hcpcs"]:
        window = _window(h["effective_from"], h)
        if h["valid_on_date"] is not None:
            window += " (valid)" if h["valid_on_date"] else " (NOT valid)"
        hcpcs.add_row(
            _t(h["code"]),
            _t(h["kind"]),
            _t(_words(h["billing_unit"])),
            _t(window),
            _t(h["in_use_by"]),
            _t(h["successor"]),
            _t(_words(h["confidence"])),
        )
    lines.append(hcpcs)
    if card["ndc"]:
        ndc = _table("NDC 5-4-2", "level", "package", "confidence")
        for n in card["ndc"]:
            ndc.add_row(_t(n["ndc_5_4_2"]), _t(n["level"]), _t(n["package_description"]), _t(_words(n["confidence"])))
        lines.append(ndc)
    else:
        lines.append(shown("NDC: none verified (see the table notes)", style="yellow"))
    if card["icd10pcs"]:
        pcs = _table("ICD-10-PCS", "kind", "effective", "description", "confidence")
        for p in card["icd10pcs"]:
            pcs.add_row(
                _t(p["code"]),
                _t(p["kind"]),
                _t(_window(p["effective_from"], p)),
                _t(p["description"]),
                _t(_words(p["confidence"])),
            )
        lines.append(pcs)
    else:
        lines.append(shown("ICD-10-PCS: no product-specific code found in the sources", style="yellow"))
    ind = _table("indication", "ICD-10-CM", "ages", "from", "codes")
    for i in card["indications"]:
        codes = i["icd10cm_include"] + (f" except {i['icd10cm_exclude']}" if i["icd10cm_exclude"] else "")
        ind.add_row(
            _t(i["indication"]),
            _t(codes or "unknown"),
            _t(_ages(i["min_age"], i["max_age"])),
            _t(i["effective_from"] or "?"),
            _t(_words(i["codes_confidence"])),
        )
    lines.append(ind)
    rules = _table("payer", "rules that apply")
    for payer, codes in card["rules"].items():
        rules.add_row(_t(payer), _t(", ".join(codes) or "none"))
    lines.append(rules)
    lines.append(shown(f"sources ({card['confidence']}): {card['source']}", style="dim"))
    if card["notes"]:
        lines.append(shown(f"notes: {card['notes']}", style="dim"))
    console.print(Panel(Group(*lines), title=card["product_id"]))


def render_not_found(console: Console, query: str, reason: str, nearest: list[str]) -> None:
    console.print(shown(f"not found: {reason}", style="bold red"))
    if nearest:
        console.print(shown("nearest: " + ", ".join(nearest)))


def render_rule_list(console: Console, rules: list[Rule], *, long: bool = False) -> None:
    """One line a rule (code, severity, payers, what it checks), or with --long the policy each enforces."""
    if long:
        table = _table("code", "name", "severity", "payers", "denial", "enforces")
        for r in rules:
            denial = "/".join(x for x in (r.carc, r.rarc) if x)
            table.add_row(
                _t(r.code), _t(r.name), _t(r.severity.value), _t(", ".join(r.payers)), _t(denial), _t(r.policy_text)
            )
        console.print(table)
        return
    rows = [(r.code, r.severity.value, _payers(r.payers), r.summary) for r in rules]
    if not console.is_terminal:  # a pipe or a file: whole lines, for grep
        for row in rows:
            console.print(shown("{:<6} {:<8} {:<9} {}".format(*row)), soft_wrap=True)
        return
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    widths = [max(len(name), *(len(row[i]) for row in rows)) for i, name in enumerate(("code", "severity", "payers"))]
    for name, width in zip(("code", "severity", "payers"), widths, strict=True):  # kept whole
        table.add_column(name, no_wrap=True, width=width)
    # The summary gives way: cut with an ellipsis at the terminal's edge, one line a rule.
    table.add_column("checks", no_wrap=True, overflow="ellipsis", width=max(10, console.width - sum(widths) - 6))
    for row in rows:
        table.add_row(*(_t(value) for value in row))
    console.print(table)
    console.print(shown(f"{len(rules)} rules; `rules CODE` shows one in full, `rules --long` their policies."))


def _payers(payers: tuple[str, ...]) -> str:
    if set(payers) == set(ALL_PAYERS):
        return "all"
    if set(payers) == set(MEDI_CAL):
        return "medi-cal"
    return ", ".join(payers)


def render_rule(console: Console, r: Rule, ref: Reference | None) -> None:
    lines: list[Any] = [
        Text.assemble(
            shown(f"{r.code} {r.name}", style="bold"),
            shown(f"  severity {r.severity.value}; payers {', '.join(r.payers)}"),
        ),
        shown(f"enforces: {r.policy_text}"),
    ]
    if r.cites:
        lines.append(shown(f"policy sections (docs/policy-map.md): {', '.join(r.cites)}"))
    if r.carc or r.rarc:
        carc = f"CARC {r.carc}" + (f" ({ref.denial_text(r.carc, 'carc')})" if ref and r.carc else "") if r.carc else ""
        rarc = f"RARC {r.rarc}" + (f" ({ref.denial_text(r.rarc, 'rarc')})" if ref and r.rarc else "") if r.rarc else ""
        lines.append(shown("denial a payer would answer with: " + "; ".join(x for x in (carc, rarc) if x)))
    lines.append(shown(f"points at: {r.field}"))
    if r.requires_columns or r.requires:
        lines.append(shown("needs: " + ", ".join(r.requires_columns + r.requires)))
    lines.append(shown(""))
    lines.append(shown(r.doc, newlines=True))
    console.print(Panel(Group(*lines), title=r.code))


def render_reference(console: Console, ref: Reference, sources: dict[str, list[str]]) -> None:
    console.print(Text.assemble(shown("reference ", style="bold"), shown(ref.version), shown(f"  ({ref.directory})")))
    for policy in ref.manifest.policies:
        console.print(shown(f"  follows: {policy.title} ({policy.date})"))
    horizon = ref.manifest.verified_through
    console.print(
        shown(f"  verified through: {horizon.isoformat() if horizon else 'not stated'} (later dates of service: IN007)")
    )
    table = _table("table", "file", "rows", "covers", "sha256")
    for name, entry in ref.manifest.tables.items():
        covers = f"{entry.covers_from} to {entry.covers_through}" if entry.covers_from else ""
        rows = entry.rows if entry.rows is not None else "-"
        table.add_row(_t(name), _t(entry.file), _t(rows), _t(covers), _t(entry.sha256[:16]))
    console.print(table)
    for name, items in sources.items():
        console.print(shown(f"{name} sources:", style="bold"))
        for item in items:
            console.print(shown(f"  - {item}"))


def icd_display(code: str) -> str:
    return format_icd10cm(code)


class ProgressSpinner:
    """A transient spinner per input file on stderr: `with spinner:` around the check."""

    def __init__(self, console: Console) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        )
        self.tasks: dict[str, Any] = {}

    def update(self, path: str, rows: int) -> None:
        if path not in self.tasks:
            self.tasks[path] = self.progress.add_task(markup_safe(path))
        self.progress.update(self.tasks[path], description=markup_safe(f"{path}: {rows:,} rows"))

    def __enter__(self) -> ProgressSpinner:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)  # type: ignore[arg-type]
