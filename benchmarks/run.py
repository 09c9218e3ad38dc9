"""Time cgt-claimcheck against its yardsticks in one run, and add the run to benchmarks/results.md (a history).

    python benchmarks/run.py              # every target, 5 runs each (10M-line runs: 2)
    python benchmarks/run.py --quick      # no 10M-line file, 3 runs

Each measurement is a whole process (start-up included), timed several times; medians are
reported, of wall time and of CPU time (user + system, from the kernel's rusage of the child,
os.wait4, as is the peak RSS). A time ratio is met when both its wall and its CPU ratio are within
the target. The commands a ratio compares run in turn, round after round (yardstick, check,
yardstick, check...), so a slow minute of the machine weighs on both sides of the ratio. The
yardstick is a whole-process read of the same file: python -c "import pandas; pd.read_csv(f, engine='pyarrow',
dtype=str)". Targets (issue 24, the Arrow engine; --help is issue 9's):
  clean 1M check / read 1M                          <= 1.15
  clean 10M check / read 10M                        <= 1.15
  peak RSS clean 10M / clean 1M                     <= 1.2
  100k lines, every line a CGT drug / read 100k     <= 3.5
  peak RSS of that run / clean 100k check           <= 1.5
  1M lines, every row rejected (bad date) / clean 1M check   <= 1.5   (peak RSS <= 1.3)
  50-line check / python -c "import pandas"         <= 0.9
  lookup J3392 / a hello-world Typer app printing with rich (benchmarks/hello_app.py)  <= 1.3
  --help / the same app                             <= 1.6
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
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PY = sys.executable


Command = tuple[list[str], "dict[str, str] | None"]


class Measured(NamedTuple):
    seconds: float  # median wall
    peak_kb: int  # the largest peak RSS of the runs
    cpu: float  # median CPU seconds (user + system) of the process


def measure(*commands: Command, runs: int) -> list[Measured]:
    """Each command's median wall and CPU seconds and largest peak RSS, the commands run in turn `runs` times."""
    times: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    peaks: list[list[int]] = [[] for _ in commands]
    for _ in range(runs):
        for i, (cmd, env) in enumerate(commands):
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            times[i].append(time.perf_counter() - start)
            cpus[i].append(usage.ru_utime + usage.ru_stime)
            peaks[i].append(usage.ru_maxrss)
            code = os.waitstatus_to_exitcode(status)
            if code not in (0, 1):
                raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return [
        Measured(statistics.median(t), max(p), statistics.median(c)) for t, p, c in zip(times, peaks, cpus, strict=True)
    ]


FILES = {  # name: (lines, generator flags)
    "claims_50": (50, []),
    "claims_100k": (100_000, []),
    "claims_1m": (1_000_000, []),
    "claims_10m": (10_000_000, []),
    "cgt_100k": (100_000, ["--every-line-cgt", "--cgt-share", "1"]),
    "bad_dates_1m": (1_000_000, ["--bad-date", "03/01/25"]),
}


def ensure(name: str) -> Path:
    lines, flags = FILES[name]
    path = DATA / f"{name}.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        subprocess.run([PY, str(HERE / "generate.py"), "--lines", str(lines), *flags, "--out", str(path)], check=True)
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
    parser.add_argument("--output", type=Path, default=HERE / "results.md", help="where to write the table")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    # Measure what a user runs: `pip install .` byte-compiles the package, so start-up never
    # compiles source. (An editable install with PYTHONDONTWRITEBYTECODE=1 would.)
    import cgt_claimcheck

    subprocess.run([PY, "-m", "compileall", "-q", str(Path(cgt_claimcheck.__file__).parent)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"CI": "true"}
    cli = [PY, "-m", "cgt_claimcheck"]
    rows: list[tuple[str, Measured, Path | None]] = []  # label, measured, file
    ratios: list[tuple[str, float, float | None, float]] = []  # name, wall (or the value), CPU, target

    def read(name: str) -> Command:
        path = ensure(name)
        return [PY, "-c", f"import pandas as pd; pd.read_csv({str(path)!r}, engine='pyarrow', dtype=str)"], None

    def check(name: str, fmt: str = "json") -> Command:
        path = ensure(name)
        # A real file, written as a user's report is (temporary file, rename): never a device.
        out = DATA / ("report.json" if fmt == "json" else f"{name}.{fmt}.txt")
        return [*cli, "check", str(path), "--format", fmt, "--output", str(out)], env

    def timed(label: str, name: str | None, result: Measured) -> Measured:
        rows.append((label, result, ensure(name) if name else None))
        return result

    def read_and_check(name: str, n: int) -> tuple[Measured, Measured]:
        read_t, checked = measure(read(name), check(name), runs=n)
        timed(f"yardstick: read_csv(pyarrow, dtype=str), {name}", name, read_t)
        return read_t, timed(f"check --format json, {name}", name, checked)

    def time_ratio(name: str, a: Measured, b: Measured, target: float) -> None:
        ratios.append((name, a.seconds / b.seconds, a.cpu / b.cpu, target))

    read_1m, clean_1m = read_and_check("claims_1m", runs)
    time_ratio("clean 1M check / read 1M", clean_1m, read_1m, 1.15)
    if not args.quick:
        read_10m, clean_10m = read_and_check("claims_10m", max(1, runs // 2))
        time_ratio("clean 10M check / read 10M", clean_10m, read_10m, 1.15)
        ratios.append(("peak RSS clean 10M / clean 1M", clean_10m.peak_kb / clean_1m.peak_kb, None, 1.2))
    read_cgt, cgt = read_and_check("cgt_100k", runs)
    clean_100k = timed("check --format json, claims_100k", "claims_100k", measure(check("claims_100k"), runs=runs)[0])
    time_ratio("every line CGT 100k check / read 100k", cgt, read_cgt, 3.5)
    ratios.append(("peak RSS every line CGT 100k / clean 100k check", cgt.peak_kb / clean_100k.peak_kb, None, 1.5))
    clean, bad, rich = measure(check("claims_1m"), check("bad_dates_1m"), check("bad_dates_1m", "rich"), runs=runs)
    timed("check --format json, claims_1m (beside the next two)", "claims_1m", clean)
    timed("check --format json, bad_dates_1m", "bad_dates_1m", bad)
    rows.append(("check --format rich, bad_dates_1m", rich._replace(peak_kb=0), None))
    time_ratio("every row rejected 1M / clean 1M check", bad, clean, 1.5)
    ratios.append(("peak RSS every row rejected 1M / clean 1M check", bad.peak_kb / clean.peak_kb, None, 1.3))
    ratios.append(("rich of every row rejected 1M minus json (seconds)", rich.seconds - bad.seconds, None, 3))
    rich_out = DATA / "bad_dates_1m.rich.txt"
    ratios.append(("lines of that rich report", len(rich_out.read_text(encoding="utf-8").splitlines()), None, 200))
    pandas, small = measure(([PY, "-c", "import pandas"], env), check("claims_50"), runs=runs * 2)
    rows.append(("yardstick: python -c 'import pandas'", pandas._replace(peak_kb=0), None))
    timed("check --format json, claims_50", "claims_50", small)
    time_ratio("50-line check / import pandas", small, pandas, 0.9)

    hello, lookup, helped = measure(
        ([PY, str(HERE / "hello_app.py")], env),
        ([*cli, "lookup", "J3392", "--format", "json"], env),
        ([*cli, "--help"], env),
        runs=runs * 2,
    )
    rows.append(
        (
            "yardstick: hello-world Typer app printing with rich (benchmarks/hello_app.py)",
            hello._replace(peak_kb=0),
            None,
        )
    )
    rows.append(("lookup J3392", lookup, None))
    rows.append(("--help", helped._replace(peak_kb=0), None))
    time_ratio("lookup / hello-world Typer app", lookup, hello, 1.3)
    time_ratio("--help / hello-world Typer app", helped, hello, 1.6)

    def line(label: str, result: Measured, path: Path | None) -> str:
        seconds = result.seconds
        speed = " | "
        if path is not None:
            speed = f"{FILES[path.stem][0] / seconds:,.0f} | {path.stat().st_size / 1e6 / seconds:.0f}"
        peak = result.peak_kb // 1024 if result.peak_kb else ""
        return f"| {label} | {seconds:.3f} | {result.cpu:.3f} | {speed} | {peak} |"

    def verdict(wall: float, cpu: float | None, target: float) -> str:
        if wall <= target and (cpu is None or cpu <= target):
            return "met"
        if wall <= target:
            return "met in wall time, not in CPU"
        return "MISSED" if cpu is None or cpu > target else "MISSED in wall time, met in CPU"

    table = [
        "| measurement | seconds (median) | CPU seconds (median) | lines/s | MB/s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    table += [line(*row) for row in rows]
    table += ["", "| ratio | reached (wall) | CPU | target | |", "|---|---:|---:|---:|---|"]
    table += [
        f"| {name} | {value:.2f} | {'' if cpu is None else f'{cpu:.2f}'} | <= {target} | {verdict(value, cpu, target)} |"
        for name, value, cpu, target in ratios
    ]
    text = "\n".join(table)
    print(text)
    if not args.no_write:
        record(
            args.output,
            f"Machine: {machine()}.\n\n"
            f"Command: `python benchmarks/run.py{' --quick' if args.quick else ''}` ({runs} runs per measurement, medians; "
            "files from benchmarks/generate.py, 24 columns, ~0.5% CGT claims unless named otherwise; package "
            "byte-compiled as an install leaves it).\n\n" + text + "\n",
        )


HISTORY_HEAD = "# Benchmark results\n\nEvery run of `benchmarks/run.py`, newest first (a run adds its section; none is overwritten).\n"


def record(path: Path, section: str) -> None:
    """Add this run to the history file, newest first, keeping every earlier run."""
    import datetime

    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE), "describe", "--always", "--dirty"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown commit"
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    earlier = path.read_text(encoding="utf-8") if path.exists() else ""
    if earlier.startswith(HISTORY_HEAD):
        earlier = earlier[len(HISTORY_HEAD) :].lstrip("\n")
    elif earlier.startswith("# Benchmark results"):  # the one-run file this history replaced
        notes = earlier.split("\n", 1)[1].lstrip("\n").replace("\n## ", "\n### ")
        earlier = "## Before this file kept a history (runs and notes as they were written)\n\n" + notes
    path.write_text(f"{HISTORY_HEAD}\n## {when}, {commit}\n\n{section}\n{earlier}", encoding="utf-8")


if __name__ == "__main__":
    main()
