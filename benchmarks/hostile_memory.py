"""Peak memory of `check` on hostile inputs of about 100 MB compressed (issue 22's bound: 1 GB).

    python benchmarks/hostile_memory.py              # generates the files once into benchmarks/data/
    python benchmarks/hostile_memory.py --lines 2000000 --runs 1

Three inputs, each checked as a whole process (peak RSS from the kernel's rusage, as run.py):
  every row rejected, claims of about 4.5 lines (a bad service date on every row), .csv.gz
  every row rejected, every row its own claim (the per-claim bookkeeping at its worst), .csv.gz
  an 837P whose envelope holds ten million empty segments (11 KB of gzip)
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from pathlib import Path

from run import DATA, HERE, PY, measure

GIB = 1024 * 1024  # KB


def rejected_rows(lines: int) -> Path:
    path = DATA / f"bad_dates_{lines}.csv.gz"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        command = [PY, str(HERE / "generate.py"), "--lines", str(lines), "--bad-date", "03/01/25", "--out", str(path)]
        subprocess.run(command, check=True)
    return path


def distinct_claims(source: Path) -> Path:
    """The same rows, each given a claim id of its own."""
    path = source.with_name(source.name.replace("bad_dates", "bad_dates_distinct"))
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        with gzip.open(source, "rt", encoding="utf-8") as rows, gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(next(rows))
            for number, row in enumerate(rows):
                out.write(f"U{number:011d}{row[row.index(',') :]}")
    return path


def segment_storm() -> Path:
    path = DATA / "empty_segments.x12.gz"
    if not path.exists():
        example = (HERE.parent / "examples" / "claims.x12").read_text(encoding="utf-8")
        at = example.index("~BHT*") + 1
        with gzip.open(path, "wt", encoding="ascii") as out:
            out.write(example[:at])
            for _ in range(100):
                out.write("~" * 100_000)
            out.write(example[at:])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5_000_000, help="rows of the rejected files (5M: ~100 MB gz)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    rejected = rejected_rows(args.lines)
    cases = [("every row rejected", rejected), ("...each its own claim", distinct_claims(rejected))]
    cases.append(("ten million empty segments", segment_storm()))
    cli = [PY, "-m", "cgt_claimcheck"]
    print(f"{'input':30} {'compressed':>12} {'median s':>9} {'peak RSS':>10}  under 1 GB")
    for name, path in cases:
        report = DATA / "hostile_report.json"
        seconds, peak = measure([*cli, "check", str(path), "--format", "json", "-o", str(report)], args.runs)
        size = path.stat().st_size / 1e6
        print(f"{name:30} {size:10.1f} MB {seconds:9.2f} {peak / 1024:7.0f} MB  {'yes' if peak < GIB else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
