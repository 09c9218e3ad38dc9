"""Worker processes that read inputs: how many a check may use, which inputs are worth one, and
the fork server they start from (the reading itself is engine/parallel_reads.py).

Light on purpose (os and multiprocessing, nothing of the engine): `check` calls `start_early`
before it imports the engine, so that the server's own import of the engine (about half a
second) runs on another core meanwhile, and the first worker reads as soon as it is asked to.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.ingest.source import readable_elsewhere

if TYPE_CHECKING:
    from cgt_claimcheck.ingest.arrow_source import ArrowSource

MAX_JOBS = 8  # beyond this, reading is bound by the disk and the merge, not the cores
# Without --jobs, a file goes to a worker only when reading it takes longer than starting a
# worker (about a second): 32 MB of text, some 300,000 lines (a compressed file counts 5 times).
AUTO_MIN_BYTES = 32 * 1024 * 1024
# An X12 part is at least 32 MB (some 1.4 s of reading on the 2-core machine, 220,000 service
# lines): X12 reading is numpy over small arrays, so two processes read twice as fast as one.
X12_PART_BYTES = 32 << 20


def default_jobs() -> int:
    """The machine's cores (those this process may use), capped."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_JOBS))


def worth_a_worker(path: str | ArrowSource, automatic: bool) -> bool:
    """Whether a worker should read this input: a file (not stdin, not a frame), by its size
    unless --jobs was given."""
    if not isinstance(path, str) or path == "-":
        return False
    if automatic:
        try:
            size = os.path.getsize(path) * (5 if path.lower().endswith(".gz") else 1)
        except OSError:
            return False
        if size < AUTO_MIN_BYTES:
            return False
    return readable_elsewhere(path)


def worker_context() -> Any:
    """A fresh interpreter per worker (forkserver): forking a process whose Arrow thread pools
    already run can deadlock the child. The server imports the engine once for all workers."""
    import multiprocessing  # only where a worker is wanted: a small check never loads it

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["cgt_claimcheck.read_worker"])
    return context


def start_early(paths: Sequence[str | ArrowSource], jobs: int | None) -> bool:
    """Start the fork server now where reading will surely want a worker: an X12 file large
    enough for two parts, or two inputs large enough for a worker each. Whether it is used, and
    for what, `parallel_reads.read_files` still decides; a CSV extract read alone (no worker
    without --jobs) never starts one here. Returns whether the server was started."""
    if jobs == 1 or (jobs is None and default_jobs() < 2):
        return False
    large = [str(path) for path in paths if worth_a_worker(path, automatic=True)]
    if len(large) < 2:
        from cgt_claimcheck.ingest.x12_parts import may_be_cut  # numpy: the engine loads it next anyway

        if not any(may_be_cut(path, X12_PART_BYTES) for path in large):
            return False
    from multiprocessing import forkserver

    worker_context()
    forkserver.ensure_running()
    return True
