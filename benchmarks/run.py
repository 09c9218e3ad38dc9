"""Time cgt-claimcheck against its baselines in one run, and write benchmarks/results.md.

    python benchmarks/run.py              # 1M and 10M lines, 5 runs each (a few minutes)
    python benchmarks/run.py --quick      # 1M only, 3 runs

Each measurement is a whole process (start-up included), timed several times; medians are
reported. Peak RSS comes from the kernel's rusage of the child (os.wait4). Targets (issue 5):
  check 1M / baseline read          <= 1.5   baseline: python -c "import pandas; pd.read_csv(engine=pyarrow, dtype=str)"
  peak RSS 10M / peak RSS 1M        <= 1.2
  lookup J3392 / import typer, rich <= 1.6   (and --help likewise)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PY = sys.executable


def measure(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Median wall seconds and max peak RSS (KB) of `runs` runs of a command."""
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return statistics.median(times), max(peaks)


def ensure(lines: int) -> Path:
    path = DATA / f"claims_{lines // 1_000_000}m.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        subprocess.run([PY, str(HERE / "generate.py"), "--lines", str(lines), "--out", str(path)], check=True)
    return path


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f", {int(fh.readline().split()[1]) // 1024 // 1024} GiB RAM"
    except OSError:
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    import pandas
    import pyarrow

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){mem}; Python "
        f"{platform.python_version()}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1M lines only, 3 runs")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write results.md")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    # Measure what a user runs: `pip install .` byte-compiles the package, so start-up never
    # compiles source. (An editable install with PYTHONDONTWRITEBYTECODE=1 would.)
    import cgt_claimcheck

    subprocess.run([PY, "-m", "compileall", "-q", str(Path(cgt_claimcheck.__file__).parent)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"CI": "true"}
    cli = [PY, "-m", "cgt_claimcheck"]
    rows: list[tuple[str, str, str, str, str]] = []
    ratios: list[tuple[str, float, float]] = []

    one = ensure(1_000_000)
    size_mb = one.stat().st_size / 1e6
    base_t, base_rss = measure(
        [PY, "-c", f"import pandas as pd; pd.read_csv({str(one)!r}, engine='pyarrow', dtype=str)"], runs
    )
    check_t, check_rss = measure([*cli, "check", str(one), "--format", "json", "--output", os.devnull], runs, env)
    rows.append(
        (
            "baseline: import pandas + read_csv(pyarrow), 1M",
            f"{base_t:.2f}",
            f"{1e6 / base_t:,.0f}",
            f"{size_mb / base_t:.0f}",
            f"{base_rss // 1024}",
        )
    )
    rows.append(
        (
            "cgt-claimcheck check, 1M",
            f"{check_t:.2f}",
            f"{1e6 / check_t:,.0f}",
            f"{size_mb / check_t:.0f}",
            f"{check_rss // 1024}",
        )
    )
    ratios.append(("check 1M / baseline read 1M", check_t / base_t, 1.5))

    if not args.quick:
        ten = ensure(10_000_000)
        ten_mb = ten.stat().st_size / 1e6
        ten_t, ten_rss = measure(
            [*cli, "check", str(ten), "--format", "json", "--output", os.devnull], max(1, runs // 2), env
        )
        rows.append(
            (
                "cgt-claimcheck check, 10M",
                f"{ten_t:.2f}",
                f"{1e7 / ten_t:,.0f}",
                f"{ten_mb / ten_t:.0f}",
                f"{ten_rss // 1024}",
            )
        )
        ratios.append(("peak RSS 10M / peak RSS 1M", ten_rss / check_rss, 1.2))

    import_t, _ = measure([PY, "-c", "import typer, rich"], runs * 2, env)
    lookup_t, lookup_rss = measure([*cli, "lookup", "J3392", "--format", "json"], runs * 2, env)
    help_t, _ = measure([*cli, "--help"], runs * 2, env)
    rows.append(("baseline: python -c 'import typer, rich'", f"{import_t:.3f}", "", "", ""))
    rows.append(("cgt-claimcheck lookup J3392", f"{lookup_t:.3f}", "", "", f"{lookup_rss // 1024}"))
    rows.append(("cgt-claimcheck --help", f"{help_t:.3f}", "", "", ""))
    ratios.append(("lookup / import typer, rich", lookup_t / import_t, 1.6))
    ratios.append(("--help / import typer, rich", help_t / import_t, 1.6))

    table = ["| measurement | seconds (median) | lines/s | MB/s | peak RSS MB |", "|---|---:|---:|---:|---:|"]
    table += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    table += ["", "| ratio | reached | target | |", "|---|---:|---:|---|"]
    table += [
        f"| {name} | {value:.2f} | <= {target} | {'met' if value <= target else 'MISSED'} |"
        for name, value, target in ratios
    ]
    text = "\n".join(table)
    print(text)
    if not args.no_write:
        (HERE / "results.md").write_text(
            "# Benchmark results\n\n"
            f"Machine: {machine()}.\n\n"
            f"Command: `python benchmarks/run.py{' --quick' if args.quick else ''}` ({runs} runs per measurement, medians; "
            f"1M-line file {size_mb:.0f} MB, 24 columns, ~0.5% CGT claims; package byte-compiled as an install "
            "leaves it).\n\n" + text + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
