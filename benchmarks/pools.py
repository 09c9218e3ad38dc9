"""Arrow's memory pools under `check`: jemalloc (what a check uses, arrow_pool.py) against
pyarrow's default mimalloc, with the pandas read of the same file as yardstick (run by hand).

    python benchmarks/pools.py                                  # claims_1m, cgt_100k, bad_dates_1m; 6 rounds
    python benchmarks/pools.py --runs 8 --files claims_1m
    python benchmarks/pools.py --files claims_1000000.x12       # any name benchmarks/compare.py takes

Each round runs the three commands in turn: the pandas read (pyarrow engine, every column as
text; a process of its own, with pyarrow's default pool), the check as it runs, and the check with
ARROW_DEFAULT_MEMORY_POOL=mimalloc (the pool the check would use without arrow_pool.py). Medians
of wall and CPU seconds, the largest peak RSS from the kernel (os.wait4), and each check's wall
time over the read's. The two checks must write the same report but for its `run` record.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PY = sys.executable


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS MB) of one whole process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: findings
        sys.exit(f"{' '.join(command)}: exit {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss >> 10


def without_run(path: Path) -> dict[str, object]:
    report = json.loads(path.read_text(encoding="utf-8"))
    report.pop("run", None)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--files", nargs="+", default=["claims_1m", "cgt_100k", "bad_dates_1m"])
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("ARROW_DEFAULT_MEMORY_POOL", "PYTHONDONTWRITEBYTECODE")}
    print(
        "| file | rounds | pandas read wall s | check (jemalloc) wall / CPU s, RSS MB | check (mimalloc) wall / CPU s, RSS MB | check / read, jemalloc and mimalloc |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.files:
            path = DATA / (name if Path(name).suffix else f"{name}.csv")
            if not path.exists():
                sys.exit(f"{path}: not found (benchmarks/run.py and benchmarks/x12.py write the files)")
            outputs = [Path(scratch, "jemalloc.json"), Path(scratch, "mimalloc.json")]
            check = [PY, "-m", "cgt_claimcheck", "check", str(path), "--format", "json", "-o"]
            commands = [
                ([PY, "-c", f"import pandas as pd; pd.read_csv({str(path)!r}, engine='pyarrow', dtype=str)"], env),
                ([*check, str(outputs[0])], env),
                ([*check, str(outputs[1])], {**env, "ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}),
            ]
            seen: list[list[tuple[float, float, int]]] = [[], [], []]
            for _ in range(args.runs):
                for i, (command, command_env) in enumerate(commands):
                    seen[i].append(timed(command, command_env))
            if without_run(outputs[0]) != without_run(outputs[1]):
                sys.exit(f"{name}: the two pools gave different reports")
            wall = [statistics.median(r[0] for r in runs) for runs in seen]
            cpu = [statistics.median(r[1] for r in runs) for runs in seen]
            rss = [max(r[2] for r in runs) for runs in seen]
            print(
                f"| {name} | {args.runs} | {wall[0]:.3f} | {wall[1]:.3f} / {cpu[1]:.2f}, {rss[1]} "
                f"| {wall[2]:.3f} / {cpu[2]:.2f}, {rss[2]} | {wall[1] / wall[0]:.2f} and {wall[2] / wall[0]:.2f} |"
            )


if __name__ == "__main__":
    main()
