"""The Dask extra against one process, on a Parquet dataset (issue 27; run by hand).

    python benchmarks/cluster.py                       # 10M lines, 20 partitions, 2 workers, 3 runs
    python benchmarks/cluster.py --lines 2000000 --runs 2

Writes benchmarks/data/lake_<lines>/ once (benchmarks/generate.py's extract split into hive
partitions). Then, alternating, medians of wall seconds: `cgt_claimcheck.check(files)` in this
process (Arrow's reader on every core), and `cluster.check_dataset(folder, client)` on a local
cluster of N worker processes (one thread each), the cluster started once beforehand. Both must
give the same findings table; the script says so.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
# This folder holds html.py (the HTML report benchmark), which would shadow the standard library's
# html module for dask: import from the installed packages only.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def lake(lines: int, partitions: int) -> Path:
    import pyarrow.parquet as pq

    folder = DATA / f"lake_{lines}_{partitions}"
    if folder.exists():
        return folder
    extract = DATA / f"lake_{lines}.parquet"
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--lines", str(lines), "--out", str(extract)], check=True
    )
    table = pq.read_table(extract)
    size = -(-table.num_rows // partitions)
    for part in range(partitions):
        target = folder / f"part={part:03d}"
        target.mkdir(parents=True)
        pq.write_table(table.slice(part * size, size), target / "data.parquet")
    extract.unlink()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    from cgt_claimcheck import check
    from cgt_claimcheck.cluster import check_dataset, dataset_files

    folder = lake(args.lines, args.partitions)
    files = dataset_files(folder)
    with (
        LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        times: dict[str, list[float]] = {"one process": [], "cluster": []}
        for _ in range(args.runs):
            start = time.perf_counter()
            alone = check(files)
            times["one process"].append(time.perf_counter() - start)
            start = time.perf_counter()
            spread = check_dataset(folder, client=client)
            times["cluster"].append(time.perf_counter() - start)
        same = alone.findings_table().equals(spread.findings_table())
    one, many = (statistics.median(t) for t in times.values())
    print(f"{args.lines:,} lines in {len(files)} partitions; {args.workers} worker processes; runs {args.runs}")
    print(f"one process {one:.2f} s (runs {', '.join(f'{t:.2f}' for t in times['one process'])})")
    print(f"cluster     {many:.2f} s (runs {', '.join(f'{t:.2f}' for t in times['cluster'])})")
    print(f"cluster / one process = {many / one:.2f}; same findings: {same}")


if __name__ == "__main__":
    main()
