"""The Arrow rule checks against the pandas ones, whole processes, in one run (issue 24; by hand).

    python benchmarks/engines.py            # 5 alternating runs per file, medians
    python benchmarks/engines.py --runs 3

The yardstick is the same `check` with CGT_CLAIMCHECK_RULE_ENGINE=pandas (every rule's pandas
check); the measured run is the default engine (each rule's Arrow check). Both read, screen,
normalise and write the same way, so the ratio is what the rule checks cost. CPU seconds
(user + system of the child) are given beside wall seconds: they are steadier on a busy machine.
Files: benchmarks/data/{claims_50,claims_1m,cgt_100k}.csv (`benchmarks/run.py` generates them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FILES = ("claims_50", "claims_1m", "cgt_100k")


def run_once(path: Path, engine: str, out: Path) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"CI": "true", "CGT_CLAIMCHECK_RULE_ENGINE": engine}
    cmd = [sys.executable, "-m", "cgt_claimcheck", "check", str(path), "--format", "json", "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import cgt_claimcheck

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(cgt_claimcheck.__file__).parent)], check=True)
    print("| file | pandas checks wall / CPU s | Arrow checks wall / CPU s | ratio wall / CPU |")
    print("|---|---:|---:|---:|")
    for name in FILES:
        path = DATA / f"{name}.csv"
        if not path.exists():
            print(f"| {name} | (missing: python benchmarks/run.py --quick generates it) | | |")
            continue
        times: dict[str, list[tuple[float, float]]] = {"pandas": [], "arrow": []}
        for _ in range(args.runs):
            for engine in times:  # alternate, so that load drifts alike on both
                times[engine].append(run_once(path, engine, DATA / f"engines_{engine}.json"))
        medians = {e: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for e, t in times.items()}
        (pw, pc), (aw, ac) = medians["pandas"], medians["arrow"]
        print(f"| {name} | {pw:.2f} / {pc:.2f} | {aw:.2f} / {ac:.2f} | {aw / pw:.2f} / {ac / pc:.2f} |")
        a = (DATA / "engines_pandas.json").read_text()
        b = (DATA / "engines_arrow.json").read_text()
        strip = lambda text: text[: text.find('"run"')] + text[text.find('"inputs"') :]  # noqa: E731
        print(f"|   same report but for `run`: {strip(a) == strip(b)} | | | |")


if __name__ == "__main__":
    main()
