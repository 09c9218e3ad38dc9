"""The expensive cases of the abuse corpus (tests/abuse_corpus.py: large_cases), run by hand.

    python benchmarks/abuse_large.py

Each case runs as a real process in every report format with --redact and keeps the corpus
invariants (exit code, no traceback, inputs untouched, accounting, no planted identifier,
well-formed output). Prints each case's time and the rows read; exits 1 on the first broken one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from abuse_corpus import FORMATS, Outcome, check_accounting, check_invariants, large_cases  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        for case in large_cases():
            path = Path(folder) / f"{case.name}.csv"
            path.write_bytes(case.data)
            for fmt in FORMATS:
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "cgt_claimcheck", "check", str(path), "--format", fmt, "--redact"],
                    capture_output=True,
                    text=True,
                    errors="replace",
                )
                seconds = time.perf_counter() - started
                outcome = Outcome(done.returncode, done.stdout, done.stderr)
                check_invariants(case, fmt, outcome, {path: case.data})
                read = ""
                if fmt == "json" and done.stdout.strip():
                    report = json.loads(done.stdout)
                    check_accounting(case, report)
                    read = (
                        f"{report['summary']['rows_read']:,} rows read, {report['summary']['rows_rejected']:,} rejected"
                    )
                print(f"{case.name:34} {fmt:6} exit {done.returncode}  {seconds:6.2f} s  {read}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
