"""`cgt-claimcheck lookup`: a code, an NDC in any layout, an ICD-10 code or a brand, answered from the tables."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cgt_claimcheck.cli.app import ReferenceDirOption, app, dumps, fail, load_tables, parse_day, stdout_console
from cgt_claimcheck.exitcodes import ExitStatus
from cgt_claimcheck.printable import excerpt


# --- lookup ------------------------------------------------------------------------------------
@app.command()
def lookup(
    query: Annotated[
        str,
        typer.Argument(help="HCPCS/CPT code, NDC (any layout), ICD-10-PCS or ICD-10-CM code, or a brand/generic name."),
    ],
    on: Annotated[
        str | None, typer.Option("--on", metavar="DATE", help="Answer as of this date of service (YYYY-MM-DD).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", metavar="rich|json", help="rich or json.")] = "rich",
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Look up a code, NDC or product name: product, codes with dates, NDCs, PCS, indications, rules."""
    from cgt_claimcheck.lookup import NotFound, product_card
    from cgt_claimcheck.lookup import lookup as run_lookup
    from cgt_claimcheck.rules import CATALOGUE

    if output_format not in ("rich", "json"):
        fail(f"--format must be rich or json, not {excerpt(output_format)!r}")
    if not query.strip():
        fail("lookup needs a code, an NDC or a name: the query is empty")
    day = parse_day(on, "--on")
    ref = load_tables(reference_dir)
    try:
        answer = run_lookup(ref, query, day)
    except NotFound as missing:
        if output_format == "json":
            typer.echo(
                dumps({"query": query, "found": False, "reason": missing.reason, "nearest": missing.nearest}, indent=2)
            )
        else:
            from cgt_claimcheck.terminal_views import render_not_found

            render_not_found(stdout_console(), query, missing.reason, missing.nearest)
        raise typer.Exit(ExitStatus.FINDINGS) from None
    result: dict[str, Any] = {
        "query": answer.query,
        "found": True,
        "kind": answer.kind,
        "on": day.isoformat() if day else None,
        "reference_version": ref.version,
        "notes": answer.notes,
        "matched": answer.matched,
        "cards": [product_card(ref, pid, day, list(CATALOGUE.values())) for pid in answer.products],
    }
    if output_format == "json":
        typer.echo(dumps(result, indent=2))
    else:
        from cgt_claimcheck.terminal_views import render_lookup

        render_lookup(stdout_console(), result)
