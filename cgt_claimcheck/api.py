"""The Python API: check claim lines a pipeline holds (files, a pyarrow Table, a pandas DataFrame)
and get the Report the command line renders.

    import cgt_claimcheck
    report = cgt_claimcheck.check(frame, payer="wnc")
    if report.fails("error"):
        report.write("sarif", "claimcheck.sarif")

Settings mean what the command line's flags mean and are resolved by the same code
(`config.resolve_check`): a config file is read only when `config=` names it (a pipeline does
not pick up a file from its working directory). Reference tables are loaded once per process
and folder. Bad input or settings raise `UsageError` (its message names the file, line and
column); nothing is printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.errors import UsageError

if TYPE_CHECKING:
    from cgt_claimcheck.ingest.arrow_source import ArrowSource
    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.report import Report

_TABLES: dict[str, Reference] = {}  # reference folder -> its loaded tables, once per process


def check(
    source: Any,
    *,
    payer: str | None = None,
    facilities: str | os.PathLike[str] | None = None,
    history: Iterable[str | os.PathLike[str]] | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    fail_on: str | None = None,
    reference: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
    name: str | None = None,
    jobs: int | None = None,
    read_files: Callable[..., Iterator[Any]] | None = None,
) -> Report:
    """Check claim lines against the CGT rules and return the report.

    `source`: a path (or a list of paths) to an extract, Parquet or X12 837 file; or a pyarrow
    Table, RecordBatch or RecordBatchReader, or a pandas DataFrame with the extract's columns
    (named as in the README, or mapped by the config's `[columns]`). `name` is what the report
    calls an in-memory source (default `<pyarrow.Table>`, `<pandas.DataFrame>`). The other
    arguments are the flags of `cgt-claimcheck check` (`--payer`, `--facilities`, `--history`,
    `--select`, `--ignore`, `--fail-on`, `--reference-dir`, `--config`, `--jobs`). `read_files`
    says where the files are read (`cluster.check_dataset` passes its Dask cluster's).
    """
    from cgt_claimcheck.config import CheckFlags, load_settings, reference_dir_of, resolve_check
    from cgt_claimcheck.engine import run_check

    settings, config_path = load_settings(Path(config) if config is not None else None)
    ref = tables(reference_dir_of(Path(reference) if reference is not None else None, settings, config_path))
    flags = CheckFlags(
        payer=payer,
        fail_on=fail_on,
        select=_codes(select),
        ignore=_codes(ignore),
        facilities=str(facilities) if facilities is not None else None,
        history=[str(h) for h in history] if history is not None else None,
        jobs=jobs,
    )
    resolved = resolve_check(flags, settings, config_path, ref)
    resolved.options.read_files = read_files
    report = run_check(_sources(source, name), ref, resolved.options)
    report.fail_on = resolved.fail_on
    return report


def tables(folder: Path | None) -> Reference:
    """The reference tables of a folder (None: the shipped set), loaded and validated once per process."""
    from cgt_claimcheck.reference import load_reference

    key = str(folder.resolve()) if folder is not None else ""
    if key not in _TABLES:
        _TABLES[key] = load_reference(folder)
    return _TABLES[key]


def _codes(values: Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def _sources(source: Any, name: str | None) -> Sequence[str | ArrowSource]:
    from cgt_claimcheck.ingest.arrow_source import ArrowSource

    if isinstance(source, (str, os.PathLike)):
        return [os.fspath(source)]
    if isinstance(source, (list, tuple)):
        if not source:
            raise UsageError("no input: give one or more files, or a table")
        return [os.fspath(s) if isinstance(s, (str, os.PathLike)) else ArrowSource.of(s, name) for s in source]
    return [ArrowSource.of(source, name)]
