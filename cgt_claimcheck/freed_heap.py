"""Give the free pages of the C heap back to the system between the stages of a large check.

glibc keeps memory freed inside its heap resident: numpy's arrays of a few hundred KB land there
once glibc has raised its mmap threshold (it does so each time such a block is freed), and the
rules' views of 100k lines, freed after the last rule, still counted 38 MB resident while the
report was written. `malloc_trim(0)` gives back every free page of the heap, wherever it lies
(glibc 2.8 and later), in a few milliseconds. Arrow's memory is jemalloc's, which gives its own
back (arrow_pool.py). Where the C library has no `malloc_trim` (musl, macOS, Windows), nothing
happens.
"""

from __future__ import annotations

import sys

# A smaller check frees too little to be worth it (and need not import ctypes, 3 ms).
WORTH_IT_LINES = 10_000


def give_heap_back() -> None:
    """Return the C heap's free pages to the system (glibc); elsewhere, nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):  # not glibc
        return
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
