"""The C heap's free pages go back to the system between the stages of a large check (freed_heap.py)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from cgt_claimcheck.engine import CheckOptions, run_check
from cgt_claimcheck.engine import run as engine_run
from tests.conftest import REPO

# In a fresh interpreter: 96 numpy arrays of 512 KB on glibc's heap (the mmap threshold fixed above
# them, as glibc's own rises once such blocks are freed), a block kept above them so that free()
# cannot shrink the heap from its top, then the arrays freed: resident until the heap is trimmed.
_HOLES = """
import ctypes, numpy as np
from cgt_claimcheck.freed_heap import give_heap_back
libc = ctypes.CDLL(None)
libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD
def resident_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20
arrays = [np.ones(1 << 16) for _ in range(96)]
libc.malloc.restype = ctypes.c_void_p
above = libc.malloc(300_000)  # larger than any free chunk below: placed at the top
held = resident_mb()
del arrays
freed = resident_mb()
give_heap_back()
print(round(held - freed), round(freed - resident_mb()))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_pages_inside_the_heap_go_back_to_the_system():
    run = subprocess.run([sys.executable, "-c", _HOLES], capture_output=True, text=True, check=True)
    by_free, by_trim = (int(x) for x in run.stdout.split())
    assert by_free < 8, "free() alone already gave the pages back: the test no longer shows the problem"
    assert by_trim >= 40, run.stdout  # 48 MB of freed arrays


def test_a_large_check_gives_the_heap_back_after_the_rules_and_after_the_claim_headers(monkeypatch, ref):
    calls = []
    monkeypatch.setattr(engine_run, "give_heap_back", lambda: calls.append(True))
    example = str(REPO / "examples" / "claims.csv")
    run_check([example], ref, CheckOptions())
    assert calls == []  # 13 lines: too few to be worth it
    monkeypatch.setattr(engine_run, "WORTH_IT_LINES", 1)
    run_check([example], ref, CheckOptions())
    assert calls == [True, True]
