"""Arrow's memory from jemalloc in a process the tool owns (a command-line check or convert, a
read worker), where pyarrow has it and the user has not chosen a pool.

pyarrow's default pool is mimalloc. On the same checks, jemalloc's peak RSS was 9-22% lower in
every case measured (benchmarks/results.md, 2026-12-07): the clean 100k check 143-146 MB against
176-184, the every-line-CGT 100k check 262-270 against 299-306, the 1M-line X12 check 233-249
against 258-274. Time (benchmarks/pools.py and an 8-round comparison): the every-line-CGT check
9-17% faster, the clean 1M check 4-7% slower, the 1M all-rejected check from 4% faster to 7%
slower. mimalloc takes transparent huge pages (2 MB at a time, half the page faults) where the
kernel offers them on request; jemalloc, given them, peaks as high. A Python caller's process is
left as it is (it may hold Arrow memory already); ARROW_DEFAULT_MEMORY_POOL, when set, is the
user's choice and wins.

jemalloc is also told to give freed pages back to the system outright, 100 ms after they are freed
(pyarrow's settings keep them 1 s, then only mark them reclaimable, and such pages count as
resident until the kernel runs short of memory). jemalloc reads that setting when pyarrow is
loaded, so `give_freed_pages_back` runs first thing in each process the tool owns (a `check`, a
`convert`, the fork server the read workers start from); set any later, it is ignored (the
every-line-CGT 100k check peaked at 257-266 MB with pyarrow imported first, 232-234 without).
Peak RSS: the clean 10M check 354-368 MB against 413-427, the every-line-CGT 100k check 230-240
against 256-267, the clean 1M check 312-323 against 321-329, with no time cost measured on 1M
lines and 0-14% on 10M (benchmarks/results.md, 2026-12-07); the CSV reader's chunks are 16 MB
so that a chunk's pages are reused before they are given back (ingest/reader.py).
JE_ARROW_MALLOC_CONF, when set, wins.
"""

from __future__ import annotations

import os

FREED_PAGES = "dirty_decay_ms:100,muzzy_decay_ms:0"


def give_freed_pages_back() -> None:
    """Tell jemalloc to give freed pages back after 100 ms: before pyarrow is imported, or it has no effect."""
    os.environ.setdefault("JE_ARROW_MALLOC_CONF", FREED_PAGES)


def use_jemalloc() -> None:
    """Make jemalloc Arrow's default pool, unless ARROW_DEFAULT_MEMORY_POOL says otherwise, this
    pyarrow was built without it (Windows wheels) or it cannot allocate here (a jemalloc built
    for smaller memory pages than the machine's fails its first allocation): then nothing changes."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    try:
        pool = pa.jemalloc_memory_pool()
        pa.allocate_buffer(64, memory_pool=pool)
    except (NotImplementedError, MemoryError, pa.ArrowException):
        return
    pa.set_memory_pool(pool)
