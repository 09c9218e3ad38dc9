"""`check --jobs N` against `--jobs 1` on several files, in one run (issue 27).

    python benchmarks/jobs.py                   # 4 files of 1M lines, --jobs 2 vs 1, 3 runs each
    python benchmarks/jobs.py --files 4 --lines 1000000 --jobs 2 --runs 5
    python benchmarks/jobs.py --file benchmarks/data/claims_10m.csv   # one file, read in parts

Target: --jobs 2 on 4 files of 1M lines at most 0.65x the wall time of --jobs 1 (a 2-core
machine). The two commands alternate; medians are reported, and the two JSON reports must be the
same but for their `run` record (the settings and the time), or the benchmark fails.
The files come from benchmarks/generate.py with one seed each (written once into benchmarks/data).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PY = sys.executable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", action="append", help="time these files instead of generated ones")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    files = list(args.file or [])
    for seed in range(0 if files else args.files):
        path = DATA / f"jobs_{args.lines}_{seed}.csv"
        if not path.exists():  # one night's files: distinct claims (members may recur)
            generate = [PY, str(HERE / "generate.py"), "--lines", str(args.lines), "--seed", str(100 + seed)]
            generate += ["--claim-prefix", f"F{seed}"]
            subprocess.run([*generate, "--out", str(path)], check=True)
        files.append(str(path))
    # As a user runs it: the package byte-compiled (as an install leaves it), so no worker compiles.
    import os

    import cgt_claimcheck

    subprocess.run([PY, "-m", "compileall", "-q", str(Path(cgt_claimcheck.__file__).parent)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: dict[int, list[float]] = {1: [], args.jobs: []}
    reports: dict[int, dict] = {}
    for _ in range(args.runs):
        for jobs in (1, args.jobs):
            out = DATA / f"jobs_report_{jobs}.json"
            started = time.perf_counter()
            command = [PY, "-m", "cgt_claimcheck", "check", *files, "--jobs", str(jobs), "-o", str(out), "-q"]
            done = subprocess.run(command, env=env)
            times[jobs].append(time.perf_counter() - started)
            assert done.returncode in (0, 1), done.returncode
            report = json.loads(out.read_text(encoding="utf-8"))
            report.pop("run")
            reports[jobs] = report
    if reports[1] != reports[args.jobs]:
        raise SystemExit("the reports differ: --jobs must not change a report")
    one, many = statistics.median(times[1]), statistics.median(times[args.jobs])
    print(
        f"{len(files)} file(s): {', '.join(Path(f).name for f in files)} ({sum(Path(f).stat().st_size for f in files) / 1e6:.0f} MB)"
    )
    print(f"--jobs 1: {one:.2f} s; --jobs {args.jobs}: {many:.2f} s (medians of {args.runs}, alternating)")
    print(f"ratio {many / one:.2f} (target <= 0.65); reports identical but for `run`")


if __name__ == "__main__":
    main()
