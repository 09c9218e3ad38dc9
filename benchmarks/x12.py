"""Time the X12 837 reader and `check` on X12 against their yardsticks, in one run (issue 25).

    python benchmarks/x12.py                       # 1M service lines (about 7M segments), 3 runs each
    python benchmarks/x12.py --lines 200000 --runs 1
    python benchmarks/x12.py --source /tmp/before  # the same, with the package of another checkout

Targets:
  reader CPU, X12 bytes to batches                               >= 250,000 service lines/s
  check FILE.x12 / check of the same lines converted to CSV (wall, alternating runs, medians) <= 1.5
  peak RSS of check on N lines / on N/10 lines                   <= 1.2
`check` of the X12 runs as a user runs it: by default a large X12 file is read in parts by the
machine's cores (docs/scale.md); `check --jobs 1` of it, one process, is timed too.
The file is written once into benchmarks/data (not committed): 837P claims of one to three
service lines, one in 200 a CGT drug (J3392 with its NDC), the rest office visits, 5,000 claims
to a transaction.
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
PY = sys.executable


def write_x12(path: Path, lines: int) -> int:
    """An 837P interchange with `lines` service lines; returns the number of segments."""
    out = []
    segments = 0

    def seg(text: str) -> None:
        nonlocal segments
        out.append(text + "~\n")
        segments += 1

    isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *251201*1200*^*00501*000000001*0*P*:"
    seg(isa)
    seg("GS*HC*SENDER*RECEIVER*20251201*1200*1*X*005010X222A1")
    with open(path, "w", encoding="ascii") as fh:
        fh.writelines(out)
        out.clear()
        written, claim, tx = 0, 0, 0
        while written < lines:
            tx += 1
            start = segments
            seg(f"ST*837*{tx:04}*005010X222A1")
            seg("BHT*0019*00*1*20251201*1200*CH")
            seg("NM1*41*2*SUBMITTER*****46*S1")
            seg("NM1*40*2*RECEIVER*****46*R1")
            seg("HL*1**20*1")
            seg("NM1*85*2*BILLING*****XX*1609876543")
            hl = 1
            for _ in range(5000):  # claims per transaction
                if written >= lines:
                    break
                claim += 1
                hl += 1
                seg(f"HL*{hl}*1*22*0")
                seg("SBR*P*18*******MC")
                seg(f"NM1*IL*1*DOE*JANE****MI*M{claim:08}")
                seg("DMG*D8*19800101*F")
                seg("NM1*PR*2*PAYER*****PI*wnc")
                cgt = claim % 200 == 0
                count = min(1 + claim % 3, lines - written)
                seg(f"CLM*C{claim:08}*{count * 100}***22:B:1*Y*A*Y*Y")
                seg("REF*G1*PA1")
                seg("HI*ABK:D571" if cgt else "HI*ABK:I10")
                for number in range(1, count + 1):
                    seg(f"LX*{number}")
                    code = "J3392" if cgt and number == 1 else "99213"
                    seg(f"SV1*HC:{code}*100*UN*1*22**1")
                    seg("DTP*472*D8*20250301")
                    if code == "J3392":
                        seg("LIN**N4*51167029001")
                        seg("CTP****1*UN")
                    written += 1
            seg(f"SE*{segments - start + 1}*{tx:04}")
            fh.writelines(out)
            out.clear()
        seg("GE*" + str(tx) + "*1")
        seg("IEA*1*000000001")
        fh.writelines(out)
    return segments


def reader_cpu(path: Path, source: Path) -> tuple[float, int, int]:
    """(CPU seconds, segments, lines) of the reader alone, in this process, which keeps pandas out
    as `check` does (pyarrow would import it on its first array from a list: 0.1-0.3 s)."""
    sys.path.insert(0, str(source))
    from cgt_claimcheck.ingest.x12 import X12Reader

    try:
        from cgt_claimcheck.pandas_free import keep_pandas_out
    except ImportError:  # a checkout from before pandas was kept out of `check`
        pass
    else:
        keep_pandas_out()

    reader = X12Reader(str(path))
    start = time.process_time()
    lines = sum(batch.table.num_rows for batch in reader.batches())
    return time.process_time() - start, reader.segments_read, lines


def once(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS KB) of one run of a command."""
    start = time.perf_counter()
    # Run from the timed checkout: `python -m` puts the working folder first on the path.
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=env["PYTHONPATH"])
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def alternating(commands: list[list[str]], runs: int, env: dict[str, str]) -> list[tuple[float, float, int]]:
    """Median wall and CPU, and the largest peak RSS, of each command, run in turn `runs` times."""
    seen: list[list[tuple[float, float, int]]] = [[] for _ in commands]
    for _ in range(runs):
        for index, cmd in enumerate(commands):
            seen[index].append(once(cmd, env))
    return [
        (statistics.median(r[0] for r in runs_), statistics.median(r[1] for r in runs_), max(r[2] for r in runs_))
        for runs_ in seen
    ]


def reader_cpu_apart(path: Path, source: Path) -> tuple[float, int, int]:
    """reader_cpu in a child process: this one must stay small, for Linux hands the high-water RSS
    of the process that starts a child to the child's peak RSS (the checks timed below)."""
    done = subprocess.run(
        [PY, __file__, "--reader-cpu", str(path), "--source", str(source)], check=True, capture_output=True, text=True
    )
    cpu, segments, lines = done.stdout.split()
    return float(cpu), int(segments), int(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=HERE.parent, help="the checkout whose package is timed")
    parser.add_argument("--reader-cpu", type=Path, help=argparse.SUPPRESS)  # the child of reader_cpu_apart
    args = parser.parse_args()
    if args.reader_cpu:
        print(*reader_cpu(args.reader_cpu, args.source.resolve()))
        return
    args.source = args.source.resolve()
    DATA.mkdir(exist_ok=True)
    big, small = DATA / f"claims_{args.lines}.x12", DATA / f"claims_{args.lines // 10}.x12"
    segments = write_x12(big, args.lines)
    write_x12(small, args.lines // 10)
    env = {**os.environ, "PYTHONPATH": str(args.source)}
    cpu, read_segments, lines = reader_cpu_apart(big, args.source)
    assert read_segments == segments and lines == args.lines, (read_segments, segments, lines)
    csv = DATA / f"claims_{args.lines}_from_x12.csv"
    convert = [PY, "-m", "cgt_claimcheck", "convert", str(big), "-o", str(csv)]
    subprocess.run(convert, check=True, env=env, cwd=args.source, stdout=subprocess.DEVNULL)
    report = str(DATA / "report.json")  # a real file, as a user writes one (never a device)

    def check(path: Path) -> list[str]:
        return [PY, "-m", "cgt_claimcheck", "check", str(path), "--format", "json", "-o", report, "--quiet"]

    (x12_wall, x12_cpu, x12_rss), (csv_wall, csv_cpu, _), (_, _, small_rss), (one_wall, one_cpu, _) = alternating(
        [check(big), check(csv), check(small), [*check(big), "--jobs", "1"]], args.runs, env
    )
    print(f"package: {args.source}")
    print(f"file: {big.name}, {big.stat().st_size / 1e6:.0f} MB, {segments:,} segments, {lines:,} service lines")
    print(
        f"reader CPU: {cpu:.2f} s = {lines / cpu:,.0f} service lines/s, {segments / cpu:,.0f} segments/s"
        " (target >= 250,000 lines/s)"
    )
    print(
        f"check X12: {x12_wall:.2f} s wall, {x12_cpu:.2f} s CPU; the same lines as CSV: {csv_wall:.2f} s wall,"
        f" {csv_cpu:.2f} s CPU; ratio {x12_wall / csv_wall:.2f} wall, {x12_cpu / csv_cpu:.2f} CPU (target <= 1.5)"
    )
    print(
        f"check X12 --jobs 1 (one process; by default a large X12 file is read in parts by the cores):"
        f" {one_wall:.2f} s wall, {one_cpu:.2f} s CPU; ratio to the CSV {one_wall / csv_wall:.2f} wall;"
        f" the default's wall {x12_wall / one_wall:.2f} of it (its CPU leaves out the workers')"
    )
    print(
        f"peak RSS check: {x12_rss / 1024:.0f} MB on {lines:,} lines, {small_rss / 1024:.0f} MB on"
        f" {lines // 10:,} (ratio {x12_rss / small_rss:.2f}, target <= 1.2)"
    )


if __name__ == "__main__":
    main()
