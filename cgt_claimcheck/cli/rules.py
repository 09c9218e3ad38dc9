"""`cgt-claimcheck rules`: the rule catalogue, or one rule's documentation with examples."""

from __future__ import annotations

from typing import Annotated

import typer

from cgt_claimcheck.cli.app import ReferenceDirOption, app, dumps, fail, stdout_console
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.printable import excerpt


# --- rules -------------------------------------------------------------------------------------
@app.command()
def rules(
    code: Annotated[str | None, typer.Argument(help="A rule code (e.g. CT001) for its full documentation.")] = None,
    output_format: Annotated[str, typer.Option("--format", metavar="rich|json", help="rich or json.")] = "rich",
    reference_dir: ReferenceDirOption = None,
    long: Annotated[
        bool, typer.Option("--long", help="Every rule with its name, denial codes and the policy text it enforces.")
    ] = False,
) -> None:
    """List the rules, one line each, or show one rule's documentation with examples."""
    from cgt_claimcheck.rules import CATALOGUE

    if output_format not in ("rich", "json"):
        fail(f"--format must be rich or json, not {excerpt(output_format)!r}")
    chosen = list(CATALOGUE.values())
    if code is not None:
        wanted = code.strip().upper()
        if wanted not in CATALOGUE:
            matches = [c for c in CATALOGUE if c.startswith(wanted)]
            if not matches:
                from difflib import get_close_matches

                close = get_close_matches(wanted, list(CATALOGUE), n=3, cutoff=0.6)
                named = ", ".join(close[:-1]) + " or " + close[-1] if len(close) > 1 else "".join(close)
                hint = f"did you mean {named}?" if close else "`cgt-claimcheck rules` lists them"
                fail(f"no rule {excerpt(code)!r}; {hint}")
            chosen = [CATALOGUE[c] for c in matches]
        else:
            chosen = [CATALOGUE[wanted]]
    if output_format == "json":
        typer.echo(
            dumps(
                [r.as_json() for r in chosen],
                indent=2,
            )
        )
        return
    from cgt_claimcheck.terminal_views import render_rule, render_rule_list

    console = stdout_console()
    if code is None:
        render_rule_list(console, chosen, long=long)
    else:
        from contextlib import suppress

        from cgt_claimcheck.reference import load_reference

        ref = None
        with suppress(UsageError):  # the documentation does not need the tables; denial texts are a bonus
            ref = load_reference(reference_dir)
        for r in chosen:
            render_rule(console, r, ref)
