"""`cgt-claimcheck reference`: show the tables, validate an edited set, import CMS HCPCS and ICD-10 files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cgt_claimcheck.cli.app import ReferenceDirOption, dumps, fail, load_tables, reference_app, stdout_console
from cgt_claimcheck.errors import UsageError


# --- reference ---------------------------------------------------------------------------------
@reference_app.callback(invoke_without_command=True)
def reference_show(
    ctx: typer.Context,
    output_format: Annotated[str, typer.Option("--format", metavar="rich|json", help="rich or json.")] = "rich",
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Show the reference version, its policies, tables, row counts, checksums and sources."""
    if ctx.invoked_subcommand is not None:
        return
    from cgt_claimcheck.reference.rows import as_json

    ref = load_tables(reference_dir)
    sources = ref.sources()
    if output_format == "json":
        tables = as_json(ref.manifest.tables)
        info = {"version": ref.version, "path": str(ref.directory), "policies": as_json(ref.manifest.policies)}
        info["verified_through"] = as_json(ref.manifest.verified_through)
        typer.echo(dumps(info | {"tables": tables, "sources": sources}, indent=2))
        return
    from cgt_claimcheck.terminal_views import render_reference

    render_reference(stdout_console(), ref, sources)


@reference_app.command("validate")
def reference_validate(
    directory: Annotated[Path, typer.Argument(help="A reference table set (a folder with manifest.json).")],
) -> None:
    """Validate an edited table set: checksums, formats, duplicates, overlapping windows."""
    ref = load_tables(directory, whole=True)
    rows = sum(e.rows or 0 for e in ref.manifest.tables.values())
    typer.echo(f"{directory}: valid reference {ref.version} ({len(ref.manifest.tables)} tables, {rows} rows)")


@reference_app.command("import-hcpcs")
def reference_import_hcpcs(
    file: Annotated[
        Path, typer.Argument(help="A CMS HCPCS quarterly file: the ANWEB .xlsx, or its columns as CSV/tab text.")
    ],
    out: Annotated[Path, typer.Option("--out", metavar="FOLDER", help="A new folder for the updated table set.")],
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Update the HCPCS effective and termination dates from a CMS file; write a new table set."""
    import csv
    import io

    from cgt_claimcheck.finding_records import counted
    from cgt_claimcheck.printable import printable
    from cgt_claimcheck.reference import hcpcs_import

    ref = load_tables(reference_dir)
    try:
        dates = hcpcs_import.read_hcpcs_file(file)
        entry = ref.manifest.tables["hcpcs"]
        text = (ref.directory / entry.file).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        changes, left = hcpcs_import.plan_changes(rows, dates)
        note = f"dates: CMS HCPCS file {file.name} (imported)" if changes else ""
        hcpcs_import.write_table_set(ref.directory, out, rows, note)
        load_tables(out)  # the new set must validate like any other
    except UsageError as exc:
        fail(exc)
    for change in changes:
        typer.echo(printable(f"{change.code}: {change.field} {change.before} -> {change.after}"))
    for reason in left:
        typer.echo(printable(f"unchanged {reason}"))
    typer.echo(f"{counted(len(changes), 'change')}; new table set in {out} (use --reference-dir {out})")


@reference_app.command("import-icd10")
def reference_import_icd10(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CMS ICD-10-CM/PCS order or code files of one fiscal year (.txt, or the .zip CMS publishes)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", metavar="FOLDER", help="A new folder for the extended table set.")],
    fiscal_year: Annotated[
        int | None,
        typer.Option(
            "--fiscal-year", metavar="YEAR", min=2016, max=2100, help="The fiscal year (default: from the file names)."
        ),
    ] = None,
    starting: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            help="The date the files take effect, for an April update (default: October 1 before the year).",
        ),
    ] = None,
    reference_dir: ReferenceDirOption = None,
) -> None:
    """Extend the ICD-10-CM/PCS validity tables by a fiscal year from the CMS code files; write a new table set."""
    from datetime import date, timedelta

    from cgt_claimcheck.printable import printable
    from cgt_claimcheck.reference import icd10_import as icd10
    from cgt_claimcheck.value_parsers import format_icd10cm

    ref = load_tables(reference_dir, whole=True)
    try:
        year = icd10.fiscal_year_of(files, fiscal_year)
        start = date(year - 1, 10, 1)
        if starting is not None:
            start = date.fromisoformat(starting)
        end = date(year, 9, 30)
        code_sets = icd10.read_code_files(files)
        tables: dict[str, bytes] = {}
        covers: dict[str, date] = {}
        changes = []
        for system, code_set in sorted(code_sets.items()):
            table = icd10.SYSTEMS[system]
            entry = ref.manifest.tables.get(table)
            if entry is None or entry.covers_through is None:
                raise UsageError(f"the reference tables have no {table} table with covers_through to extend")
            windows = icd10.read_windows((ref.directory / entry.file).read_bytes())
            change = icd10.extend(windows, code_set.codes, start, end, entry.covers_through, system)
            tables[table], covers[table] = icd10.windows_csv(windows), change.covers_through
            changes.append(change)
        icd10.write_table_set(
            ref.directory, out, tables, covers, f"FY{year}" + ("" if starting is None else f" from {start}")
        )
        load_tables(out, whole=True)  # the new set must validate like any other
    except ValueError as exc:
        fail(f"--from: {exc}")
    except UsageError as exc:
        fail(exc)
    for change in changes:
        shown = format_icd10cm if change.system == "cm" else str
        added = _examples([shown(c) for c in change.added[:5]], len(change.added))
        ended = _examples([shown(c) for c in change.ended[:5]], len(change.ended))
        typer.echo(
            printable(
                f"ICD-10-{change.system.upper()} FY{year} from {start}: {change.valid:,} valid codes; "
                f"{len(change.added):,} added ({added}); {len(change.ended):,} ended {start - timedelta(days=1)} "
                f"({ended}); the table covers through {change.covers_through}"
            )
        )
    typer.echo(f"new table set in {out} (use --reference-dir {out})")


def _examples(codes: list[str], total: int) -> str:
    return ", ".join(codes) + (", ..." if total > len(codes) else "") if codes else "none"
