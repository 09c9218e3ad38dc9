"""Stage: read the inputs side by side. Each file is read, screened and triaged in a worker
process (`--jobs N`); only what a file keeps (its relevant claims, whole), its counts and its
folded problems come back, and they meet in the intake in file order, so the report is the same
byte for byte whatever the number of jobs. Claim-level and lifetime rules then run once, in
this process, on everything kept.

What stays in this process: standard input (read once), frames a Python caller holds (copying
them to a worker costs more than reading them), and everything when there is one job. An X12
file's line locator comes back with its read (ingest/x12_syntax.LineLocator).

With fewer large files than jobs, a large X12 file (by default) and a plain CSV extract (with
--jobs N only: on two cores a CSV part gains nothing) are read in parts (ingest/scan.cut): this
process reads the first part while workers read the others, and the parts merge into the read
of the whole file (engine/file_parts.py). Otherwise a file is the unit of work. A worker that
dies leaves its file to this process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.engine.file_parts import merged
from cgt_claimcheck.ingest import reader
from cgt_claimcheck.ingest.byte_ranges import ByteRange
from cgt_claimcheck.ingest.scan import cut
from cgt_claimcheck.workers import X12_PART_BYTES, default_jobs, worker_context, worth_a_worker

if TYPE_CHECKING:
    from cgt_claimcheck.engine.options import CheckOptions
    from cgt_claimcheck.ingest.arrow_source import ArrowSource
    from cgt_claimcheck.ingest.scan import Screening

# A part is at least 16 reader chunks (256 MB, some 2M lines): a worker takes about a second to
# start, and a part of 1M lines read beside this process took 1.5x the whole file (2 cores).
PART_CHUNKS = 16


def set_up_worker(threads: int) -> None:
    """In a worker: Arrow's thread pools sized to this worker's share of the cores (N workers
    each parsing with every core's thread would fight over them); no pandas (a worker returns
    Arrow tables only); Arrow's memory from jemalloc, as in the check that started it."""
    import pyarrow as pa

    from cgt_claimcheck.arrow_pool import use_jemalloc
    from cgt_claimcheck.pandas_free import keep_pandas_out

    keep_pandas_out()
    use_jemalloc()
    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)


def read_files(
    paths: Sequence[str | ArrowSource],
    options: CheckOptions,
    screening: Screening,
    read_one: Callable[..., Any],
) -> Iterator[Any]:
    """Each input's `read_one` result, in input order: in worker processes where it pays, a
    large extract in parts when there are fewer large files than jobs."""
    automatic = options.jobs is None  # no --jobs: the cores, for files big enough to pay for a worker
    wanted = options.jobs or default_jobs()
    eligible = [] if wanted == 1 else [i for i, path in enumerate(paths) if worth_a_worker(path, automatic)]
    parts = _parts(paths, eligible, wanted, options)
    tasks: list[tuple[int, ByteRange | None]] = (
        [(i, None) for i in eligible if i not in parts] if len(paths) > 1 else []
    )
    tasks += [(i, part) for i, file_parts in parts.items() for part in file_parts[1:]]  # part 0: this process
    jobs = min(wanted, len(tasks))
    if not tasks or (jobs < 2 and not parts):
        for index, path in enumerate(paths):
            yield read_one(path, index, options, screening)
        return
    context = worker_context()
    plain = replace(options, progress=None)  # a callback does not cross processes
    threads = max(1, (os.cpu_count() or 1) // max(jobs, 2 if parts else 1))
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=set_up_worker, initargs=(threads,))
    # The first submit starts the fork server unless `workers.start_early` did (a new interpreter
    # importing the engine, about half a second): on a thread, while this process reads its part.
    futures: dict[tuple[int, int], Future[Any]] = {}
    in_workers = {i for i, part in tasks if part is None}  # files read whole by a worker
    submitted = _Submitted(
        pool, futures, [(i, part, (read_one, paths[i], i, plain, screening, part)) for i, part in tasks]
    )
    try:
        for index, path in enumerate(paths):
            here = partial(read_one, path, index, options, screening)  # the whole file, in this process
            if index in parts:
                local = read_one(path, index, options, screening, parts[index][0])
                submitted.wait()
                reads = [_result(futures.pop((index, p.index))) for p in parts[index][1:]]
                if any(read is None for read in reads):
                    result = here()
                else:
                    result = merged([local, *reads], here, options.max_repeats)
            elif index in in_workers:
                submitted.wait()
                result = _result(futures.pop((index, 0))) or here()
            else:
                yield read_one(path, index, options, screening)
                continue
            if options.progress:
                options.progress(result.state.path, result.state.summary.rows_read)
            yield result
    finally:
        submitted.wait(raising=False)
        pool.shutdown(wait=True, cancel_futures=True)


def _result(future: Future[Any]) -> Any:
    """A worker's read, or None when its process ended abruptly (killed for memory, say): the
    caller reads that file in this process instead, and the report is the same."""
    try:
        return future.result()
    except BrokenProcessPool:
        return None


class _Submitted:
    """The tasks submitted to the pool on a thread of their own; `wait` before using a future."""

    def __init__(
        self, pool: ProcessPoolExecutor, futures: dict[tuple[int, int], Future[Any]], tasks: list[Any]
    ) -> None:
        self.error: BaseException | None = None

        def submit() -> None:
            try:
                for i, part, call in tasks:
                    futures[(i, part.index if part else 0)] = pool.submit(*call)
            except BaseException as exc:  # raised where the futures are needed
                self.error = exc

        self.thread = threading.Thread(target=submit, name="cgt-claimcheck submit", daemon=True)
        self.thread.start()

    def wait(self, raising: bool = True) -> None:
        self.thread.join()
        if raising and self.error is not None:
            raise self.error


def _parts(
    paths: Sequence[str | ArrowSource], eligible: list[int], wanted: int, options: CheckOptions
) -> dict[int, list[ByteRange]]:
    """The files to read in parts: each cut into its share of the jobs, a CSV part at least
    PART_CHUNKS chunks, an X12 part X12_PART_BYTES. Without --jobs, X12 files only: a CSV part
    gains nothing on two cores, an X12 part does (docs/scale.md)."""
    share = wanted // max(len(eligible), 1)
    if share < 2:
        return {}
    cuts = {}
    for i in eligible:
        ranges = cut(
            str(paths[i]),
            share,
            options.encoding,
            chunk_bytes=reader.CHUNK_BYTES,
            csv_part_chunks=PART_CHUNKS if options.jobs else 0,
            x12_part_bytes=X12_PART_BYTES,
        )
        if ranges:
            cuts[i] = ranges
    return cuts
