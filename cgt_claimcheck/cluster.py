"""A check too big for one machine's reading: the files read as Dask tasks, the rules run once.

    pip install 'cgt-claimcheck[dask]'

    from dask.distributed import Client
    from cgt_claimcheck.cluster import check_dataset

    report = check_dataset("s3-mirror/claims/2025/", client=Client("scheduler:8786"), payer="wnc")
    report.fails("error"); write_findings_dataset(report, "findings/2025/")

The same map as `check --jobs N` (engine/parallel_reads.py), on a cluster: each file (a
partition of a Parquet dataset, or an extract) is read, screened and triaged by a worker
(`engine/file_read.read_one`), and only what it keeps comes back: the claims relevant to a
selected rule (whole), the row counts, the folded problems, the hashes of the claims it dropped.
They meet in file order on this machine, where the rules run once over the kept claims and the
history: claim-level and lifetime rules see what they see in one process, and the report is the
same as `cgt_claimcheck.check` on the same files (a test compares them). What must fit here is
the kept claims (typically under 1% of a nightly file's lines) and 8 bytes per claim read.
docs/scale.md has the limits and the measured scaling.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.errors import UsageError

if TYPE_CHECKING:
    from cgt_claimcheck.engine.options import CheckOptions
    from cgt_claimcheck.ingest.scan import Screening
    from cgt_claimcheck.report import Report

DATA_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".txt", ".837", ".x12")


def dataset_files(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The files of a dataset: a folder's data files (recursively, sorted: hive partitions read in
    a stable order), or the paths given."""
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        folder = Path(source)
        files = sorted(
            str(p)
            for p in folder.rglob("*")
            if p.is_file() and p.name.lower().endswith(DATA_SUFFIXES) and not p.name.startswith((".", "_"))
        )
        if not files:
            raise UsageError(f"no data files ({', '.join(DATA_SUFFIXES)}) under {folder}")
        return files
    if isinstance(source, (str, os.PathLike)):
        return [os.fspath(source)]
    return [os.fspath(s) for s in source]


def cluster_reads(client: Any) -> Any:
    """A `read_files` for CheckOptions that reads each file as a task of the Dask `client`."""

    def read_files(paths: Sequence[str], options: CheckOptions, screening: Screening, read_one: Any) -> Iterator[Any]:
        from cgt_claimcheck.ingest.source import readable_elsewhere

        plain = replace(options, progress=None, read_files=None)  # what crosses to the workers
        # Standard input and frames are read here, as with --jobs.
        futures: list[Any] = [
            client.submit(read_one, path, i, plain, screening, pure=False) if readable_elsewhere(path) else None
            for i, path in enumerate(paths)
        ]
        try:
            for i, future in enumerate(futures):
                result = future.result() if future is not None else read_one(paths[i], i, options, screening)
                futures[i] = None  # the result is held here now, not by the cluster too
                if options.progress:
                    options.progress(result.state.path, result.state.summary.rows_read)
                yield result
        finally:
            client.cancel([f for f in futures if f is not None])

    return read_files


def check_dataset(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    client: Any = None,
    payer: str | None = None,
    facilities: str | os.PathLike[str] | None = None,
    history: Iterable[str | os.PathLike[str]] | None = None,
    select: Iterable[str] | str | None = None,
    ignore: Iterable[str] | str | None = None,
    fail_on: str | None = None,
    reference: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> Report:
    """Check the files of a dataset with their reading spread over a Dask cluster.

    `source`: a folder (its data files, recursively: a Parquet dataset's partitions) or paths.
    `client`: a `dask.distributed.Client` (default: the current one, `distributed.get_client()`).
    The other arguments are those of `cgt_claimcheck.check`. The history and the facility
    registry are read on this machine.
    """
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - the extra is not installed
        raise UsageError("the Dask extra is not installed: pip install 'cgt-claimcheck[dask]'") from None
    from cgt_claimcheck.api import check

    files = dataset_files(source)
    return check(
        files,
        payer=payer,
        facilities=facilities,
        history=history,
        select=select,
        ignore=ignore,
        fail_on=fail_on,
        reference=reference,
        config=config,
        read_files=cluster_reads(client if client is not None else get_client()),
    )


def write_findings_dataset(report: Report, folder: str | os.PathLike[str], rows_per_file: int = 1_000_000) -> list[str]:
    """Write the report's findings (`Report.findings_table()`) as a Parquet dataset: `folder`
    holds part-0.parquet, part-1.parquet...; returns the files written. An existing folder must
    be empty (a dataset is never mixed with another run's)."""
    import pyarrow.parquet as pq

    target = Path(folder)
    if target.exists() and not target.is_dir():  # a file, a device, a FIFO: never written over
        raise UsageError(f"{target} is not a folder: findings are written as a dataset of Parquet files")
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} is not empty: findings are written to an empty or new folder")
    target.mkdir(parents=True, exist_ok=True)
    table = report.findings_table()
    written = []
    for part, start in enumerate(range(0, max(table.num_rows, 1), rows_per_file)):
        path = target / f"part-{part}.parquet"
        pq.write_table(table.slice(start, rows_per_file), path)
        written.append(str(path))
    return written
