"""This checkout's `check` against another commit's, whole processes, alternating (run by hand).

    python benchmarks/compare.py caa17a4             # 5 runs per file, medians
    python benchmarks/compare.py caa17a4 --runs 3 --files cgt_100k claims_100000.x12
    python benchmarks/compare.py caa17a4 --reader --runs 8 --files claims_100000.x12

The other commit is checked out in a temporary git worktree and run from source with the same
interpreter and packages (PYTHONPATH), both byte-compiled first. Both write the same JSON report;
the script says whether the two reports are identical but for the `run` record. CPU seconds (user
+ system of the child) are given beside wall seconds: they are steadier on a busy machine.
Files: benchmarks/data/<name>.csv, or the name as given where it has a suffix (`benchmarks/run.py`
and `benchmarks/x12.py` generate them). The largest peak RSS of each side's runs is given too.

With --reader, the X12 files' reader alone is timed instead of `check` (`benchmarks/x12.py
--reader-cpu`: the CPU of one read in a fresh process, imports left out), the two checkouts in
turn; the best and the median of the runs are given. The best is the steadier figure on a busy
machine: a read is only ever slowed by what else runs.
"""

from __future__ import annotations

import argparse
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


def run_once(tree: Path, path: Path, out: Path) -> tuple[float, float, int]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"CI": "true", "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "cgt_claimcheck", "check", str(path), "--format", "json", "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tree)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} (in {tree}) failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


_SAME = """
import json, sys
def without_run(path):
    report = json.load(open(path, encoding="utf-8"))
    report.pop("run", None)
    report.pop("tool", None)
    report.get("reference", {}).pop("path", None)  # each tree reads its own reference_data
    return report
sys.exit(0 if without_run(sys.argv[1]) == without_run(sys.argv[2]) else 1)
"""


def same_reports(before: Path, after: Path) -> bool:
    """Are the two reports the same but for their run record? Parsed in a child process: a parent
    that held a 60 MB report's objects would hand its size to every later child's peak RSS (Linux
    keeps the high-water mark a forked child starts with)."""
    return subprocess.run([sys.executable, "-c", _SAME, str(before), str(after)], check=False).returncode == 0


def reader_once(tree: Path, path: Path) -> float:
    """CPU seconds of one read of an X12 file by `tree`'s reader, in a child process."""
    cmd = [sys.executable, str(HERE / "x12.py"), "--reader-cpu", str(path), "--source", str(tree)]
    return float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()[0])


def compare_readers(other: Path, commit: str, names: list[str], runs: int) -> None:
    print(f"| file | {commit} reader CPU s, best / median | this checkout | ratio best / median |")
    print("|---|---:|---:|---:|")
    for name in names:
        path = DATA / name
        before: list[float] = []
        after: list[float] = []
        for _ in range(runs):  # alternate, so that load drifts alike on both
            before.append(reader_once(other, path))
            after.append(reader_once(REPO, path))
        (bb, bm), (ab, am) = ((min(t), statistics.median(t)) for t in (before, after))
        print(f"| {name} | {bb:.3f} / {bm:.3f} | {ab:.3f} / {am:.3f} | {ab / bb:.3f} / {am / bm:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commit", help="the commit to compare with (e.g. the one before a change)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", nargs="+", default=["claims_50", "claims_1m", "cgt_100k"])
    parser.add_argument("--reader", action="store_true", help="time the X12 reader alone (X12 files only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        other = Path(scratch) / "other"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(other), args.commit], check=True
        )
        try:
            for tree in (REPO, other):
                subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "cgt_claimcheck")], check=True)
            if args.reader:
                compare_readers(other, args.commit, args.files, args.runs)
                return
            print(
                f"| file | {args.commit} wall / CPU s | this checkout wall / CPU s | ratio wall / CPU"
                f" | peak RSS MB {args.commit} / this checkout | same report |"
            )
            print("|---|---:|---:|---:|---:|---|")
            for name in args.files:
                path = DATA / (name if Path(name).suffix else f"{name}.csv")
                outs = {"before": Path(scratch) / "before.json", "after": Path(scratch) / "after.json"}
                times: dict[str, list[tuple[float, float, int]]] = {"before": [], "after": []}
                for _ in range(args.runs):  # alternate, so that load drifts alike on both
                    times["before"].append(run_once(other, path, outs["before"]))
                    times["after"].append(run_once(REPO, path, outs["after"]))
                (bw, bc, br), (aw, ac, ar) = (
                    (statistics.median(r[0] for r in t), statistics.median(r[1] for r in t), max(r[2] for r in t))
                    for t in times.values()
                )
                same = same_reports(outs["before"], outs["after"])
                print(
                    f"| {name} | {bw:.2f} / {bc:.2f} | {aw:.2f} / {ac:.2f} | {aw / bw:.2f} / {ac / bc:.2f}"
                    f" | {br >> 10} / {ar >> 10} | {same} |"
                )
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(other)], check=True)


if __name__ == "__main__":
    main()
