"""`cgt-claimcheck reference import-hcpcs`: registered on the `reference` command group of cli.py.

Kept apart so the command line stays one readable file per concern; it only parses, calls
`reference.hcpcs_import` and prints what changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cgt_claimcheck.cli import ReferenceDirOption, _load, fail, reference_app
from cgt_claimcheck.errors import UsageError


@reference_app.command("import-hcpcs")
def reference_import_hcpcs(
    file: Annotated[
        Path, typer.Argument(help="A CMS HCPCS quarterly file: the ANWEB .xlsx, or its columns as CSV/tab text.")
    ],
    out: Annotated[Path, typer.Option("--out", help="A new folder for the updated table set.")],
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Update the HCPCS effective and termination dates from a CMS file; write a new table set."""
    import csv
    import io

    from cgt_claimcheck.printable import printable
    from cgt_claimcheck.reference import hcpcs_import

    ref = _load(reference_dir)
    try:
        dates = hcpcs_import.read_hcpcs_file(file)
        entry = ref.manifest.tables["hcpcs"]
        text = (ref.directory / entry.file).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        changes, left = hcpcs_import.plan_changes(rows, dates)
        note = f"dates: CMS HCPCS file {file.name} (imported)" if changes else ""
        hcpcs_import.write_table_set(ref.directory, out, rows, note)
        _load(out)  # the new set must validate like any other
    except UsageError as exc:
        fail(exc)
    for change in changes:
        typer.echo(printable(f"{change.code}: {change.field} {change.before} -> {change.after}"))
    for reason in left:
        typer.echo(printable(f"unchanged {reason}"))
    typer.echo(f"{len(changes)} change(s); new table set in {out} (use --reference-dir {out})")
