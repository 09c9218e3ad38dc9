"""Time the X12 837 reader and `check` on X12 against their yardsticks, in one run.

    python benchmarks/x12.py            # 1M service lines (about 6M segments), 3 runs each
    python benchmarks/x12.py --lines 200000 --runs 1

Targets (issue 15):
  reader CPU from X12 bytes to batches                  >= 250,000 segments/s
  check FILE.x12 / convert FILE.x12 -o csv (wall)       <= 1.5
  peak RSS of check on N lines / on N/10 lines          flat (reported)
The file is written once into benchmarks/data (not committed): 837P claims of one to three
service lines, one in 200 a CGT drug (J3392 with its NDC), the rest office visits.
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


def reader_cpu(path: Path) -> tuple[float, int, int]:
    """(CPU seconds, segments, lines) of the reader alone, in this process."""
    sys.path.insert(0, str(HERE.parent))
    from cgt_claimcheck.ingest.x12 import X12Reader

    reader = X12Reader(str(path))
    start = time.process_time()
    lines = sum(batch.table.num_rows for batch in reader.batches())
    return time.process_time() - start, reader.segments_read, lines


def measure(cmd: list[str], runs: int) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed")
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    big, small = DATA / f"claims_{args.lines}.x12", DATA / f"claims_{args.lines // 10}.x12"
    segments = write_x12(big, args.lines)
    write_x12(small, args.lines // 10)
    cpu, read_segments, lines = reader_cpu(big)
    assert read_segments == segments and lines == args.lines, (read_segments, segments, lines)
    out = DATA / "converted.csv"
    report = str(DATA / "report.json")  # a real file, as a user writes one (never a device)
    check = [PY, "-m", "cgt_claimcheck", "check", str(big), "--format", "json", "-o", report, "--quiet"]
    convert = [PY, "-m", "cgt_claimcheck", "convert", str(big), "-o", str(out)]
    check_small = [PY, "-m", "cgt_claimcheck", "check", str(small), "--format", "json", "-o", report, "--quiet"]
    check_s, check_rss = measure(check, args.runs)
    convert_s, _ = measure(convert, args.runs)
    _, small_rss = measure(check_small, args.runs)
    print(f"file: {big.name}, {big.stat().st_size / 1e6:.0f} MB, {segments:,} segments, {lines:,} service lines")
    print(
        f"reader CPU: {cpu:.2f} s = {segments / cpu:,.0f} segments/s, {lines / cpu:,.0f} lines/s (target >= 250,000 segments/s)"
    )
    print(f"check: {check_s:.2f} s; convert: {convert_s:.2f} s; ratio {check_s / convert_s:.2f} (target <= 1.5)")
    print(
        f"peak RSS check: {check_rss / 1024:.0f} MB on {lines:,} lines, {small_rss / 1024:.0f} MB on {lines // 10:,} (ratio {check_rss / small_rss:.2f})"
    )


if __name__ == "__main__":
    main()
