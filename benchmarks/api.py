"""The Python API inside a running process: `check(frame)` on a 50-line DataFrame (issue 27).

    python benchmarks/api.py            # 50 runs after one warm-up, median and slowest

Target: under 20 ms a call once the process has loaded the package and the tables (a pipeline
task checks many small frames). The frame is benchmarks/generate.py's 50-line extract.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import ensure  # noqa: E402


def main() -> None:
    import pandas as pd

    import cgt_claimcheck

    frame = pd.read_csv(ensure("claims_50"), dtype=str, keep_default_na=False)
    cgt_claimcheck.check(frame)  # warm-up: imports, reference tables
    times = []
    for _ in range(50):
        started = time.perf_counter()
        report = cgt_claimcheck.check(frame)
        times.append(time.perf_counter() - started)
    print(f"check(frame), {len(frame)} lines, {len(report.findings)} findings: ")
    print(f"median {statistics.median(times) * 1000:.1f} ms, slowest {max(times) * 1000:.1f} ms (target < 20 ms)")


if __name__ == "__main__":
    main()
