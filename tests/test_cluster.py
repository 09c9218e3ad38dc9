"""The Dask extra (cluster.py): files read as tasks of a local cluster of processes, the rules run
once here; the report equals the single-process one (issue 27)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cgt_claimcheck import check
from cgt_claimcheck.errors import UsageError

distributed = pytest.importorskip("distributed")
REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A Parquet dataset of 6 partitions (hive folders), every-line-CGT claims and an error example."""
    folder = tmp_path_factory.mktemp("lake")
    extract = folder.parent / "claims.parquet"
    generate = [sys.executable, str(REPO / "benchmarks" / "generate.py"), "--lines", "6000", "--seed", "27"]
    subprocess.run([*generate, "--every-line-cgt", "--cgt-share", "1", "--out", str(extract)], check=True, timeout=120)
    table = pq.read_table(extract)
    for part in range(6):
        target = folder / f"month={part + 1:02d}"
        target.mkdir()
        pq.write_table(table.slice(part * 1000, 1000), target / "part-0.parquet")
    return folder


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as connected:
            yield connected


def _same(a, b, at_least: int = 100) -> None:
    left, right = a.findings_table(), b.findings_table()
    assert left.num_rows > at_least
    assert left.equals(right)
    assert a.claims.equals(b.claims)
    assert a.summary == b.summary
    assert [(n.rule, n.reason) for n in a.not_checked] == [(n.rule, n.reason) for n in b.not_checked]


def test_a_dataset_checked_on_a_cluster_gives_the_single_process_report(dataset, client, tmp_path):
    from cgt_claimcheck.cluster import check_dataset, dataset_files, write_findings_dataset

    files = dataset_files(dataset)
    assert len(files) == 6 and files == sorted(files)
    options = dict(facilities=EXAMPLES / "facilities.csv", history=[EXAMPLES / "history.csv"])
    here = check(files, **options)
    there = check_dataset(dataset, client=client, **options)
    _same(here, there)
    # The findings as a Parquet dataset, read back whole.
    written = write_findings_dataset(there, tmp_path / "findings", rows_per_file=2000)
    assert len(written) > 1
    assert pq.read_table(tmp_path / "findings").num_rows == there.findings_table().num_rows
    with pytest.raises(UsageError, match="not empty"):
        write_findings_dataset(there, tmp_path / "findings")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a folder"):
        write_findings_dataset(there, fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_an_unreadable_partition_is_reported_as_in_one_process(dataset, client, tmp_path):
    from cgt_claimcheck.cluster import check_dataset

    broken = tmp_path / "lake"
    broken.mkdir()
    for i, source in enumerate(sorted(dataset.rglob("*.parquet"))[:2]):
        (broken / f"part-{i}.parquet").write_bytes(source.read_bytes())
    (broken / "part-9.parquet").write_bytes(b"PAR1 not really")
    here = check(sorted(str(p) for p in broken.iterdir()))
    there = check_dataset(broken, client=client)
    _same(here, there)
    assert there.errors and "part-9.parquet" in there.errors[0].message


def test_an_x12_file_among_the_inputs_is_read_here(client):
    from cgt_claimcheck.cluster import check_dataset

    files = [str(EXAMPLES / "claims_with_errors.x12"), str(EXAMPLES / "claims_with_errors.csv")]
    _same(check(files), check_dataset(files, client=client), at_least=30)
