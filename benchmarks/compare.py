"""This checkout's `check` against another commit's, whole processes, alternating (run by hand).

    python benchmarks/compare.py caa17a4             # 5 runs per file, medians
    python benchmarks/compare.py caa17a4 --runs 3 --files cgt_100k

The other commit is checked out in a temporary git worktree and run from source with the same
interpreter and packages (PYTHONPATH), both byte-compiled first. Both write the same JSON report;
the script says whether the two reports are identical but for the `run` record. CPU seconds (user
+ system of the child) are given beside wall seconds: they are steadier on a busy machine.
Files: benchmarks/data/<name>.csv (`benchmarks/run.py` generates them).
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
REPO = HERE.parent
DATA = HERE / "data"


def run_once(tree: Path, path: Path, out: Path) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"CI": "true", "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "cgt_claimcheck", "check", str(path), "--format", "json", "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tree)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} (in {tree}) failed")
    return wall, usage.ru_utime + usage.ru_stime


def without_run(path: Path) -> dict:
    report = json.loads(path.read_text())
    report.pop("run", None)
    report.pop("tool", None)
    report.get("reference", {}).pop("path", None)  # each tree reads its own reference_data
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commit", help="the commit to compare with (e.g. the one before a change)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", nargs="+", default=["claims_50", "claims_1m", "cgt_100k"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        other = Path(scratch) / "other"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(other), args.commit], check=True
        )
        try:
            for tree in (REPO, other):
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "cgt_claimcheck")], check=True)
            print(
                f"| file | {args.commit} wall / CPU s | this checkout wall / CPU s | ratio wall / CPU | same report |"
            )
            print("|---|---:|---:|---:|---|")
            for name in args.files:
                path = DATA / f"{name}.csv"
                outs = {"before": Path(scratch) / "before.json", "after": Path(scratch) / "after.json"}
                times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
                for _ in range(args.runs):  # alternate, so that load drifts alike on both
                    times["before"].append(run_once(other, path, outs["before"]))
                    times["after"].append(run_once(REPO, path, outs["after"]))
                (bw, bc), (aw, ac) = (
                    (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for t in times.values()
                )
                same = without_run(outs["before"]) == without_run(outs["after"])
                print(
                    f"| {name} | {bw:.2f} / {bc:.2f} | {aw:.2f} / {ac:.2f} | {aw / bw:.2f} / {ac / bc:.2f} | {same} |"
                )
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(other)], check=True)


if __name__ == "__main__":
    main()
