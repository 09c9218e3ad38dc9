"""`--jobs N` changes nothing but the time: files read in worker processes give the report of one
process, also when causes are folded (`--max-repeats`), with X12, Parquet, stdin-free mixes,
an unreadable file and a history."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cgt_claimcheck import workers
from cgt_claimcheck.cli import app
from cgt_claimcheck.engine import CheckOptions, run_check
from cgt_claimcheck.workers import default_jobs, start_early, worth_a_worker
from tests.conftest import REPO

EXAMPLES = REPO / "examples"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs")
    with (EXAMPLES / "claims.csv").open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    date, claim = header.index("service_date"), header.index("claim_id")
    paths = []
    for n in range(3):  # the example's claims three times (distinct ids), then 40 claims with a bad date
        bad = [
            [f"B{n}-{i}" if c == claim else "03/01/25" if c == date else v for c, v in enumerate(rows[0])]
            for i in range(40)
        ]
        path = folder / f"night_{n}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(
                [header, *([f"F{n}-{r[claim]}" if c == claim else v for c, v in enumerate(r)] for r in rows), *bad]
            )
        paths.append(str(path))
    parquet = folder / "night_3.parquet"
    pq.write_table(pacsv.read_csv(EXAMPLES / "claims.csv"), parquet)
    (folder / "broken.csv").write_text("not,an,extract\n1,2,3\n", encoding="utf-8")
    return [*paths, str(parquet), str(EXAMPLES / "claims_with_errors.x12"), str(folder / "broken.csv")]


def _findings(report):
    return report.findings_table(), report.summary, [i.path for i in report.inputs], report.errors


def test_workers_give_the_report_of_one_process(inputs, ref):
    options = {"history": [str(EXAMPLES / "history.csv")], "max_repeats": 5}
    alone = run_check(inputs, ref, CheckOptions(jobs=1, **options))
    shared = run_check(inputs, ref, CheckOptions(jobs=2, **options))
    table, summary, names, errors = _findings(alone)
    assert len(errors) == 1 and summary.findings_not_listed > 0  # a file failed; causes were folded
    assert _findings(shared) == (table, summary, names, errors)
    assert alone.claims.equals(shared.claims)
    # the X12 file too was read by a worker, and its findings still say where their lines are
    assert worth_a_worker(str(EXAMPLES / "claims_with_errors.x12"), automatic=False)
    x12 = [
        loc
        for f, loc in zip(table.column("file").to_pylist(), table.column("location").to_pylist(), strict=True)
        if f.endswith(".x12")
    ]
    assert x12 and all(x12)
    # and folding, whether the files were read here or in workers, leaves every count as it was
    listed = run_check(inputs, ref, CheckOptions(jobs=1, history=options["history"], max_repeats=0)).summary
    assert (summary.claims_denied, summary.charges_denied, summary.findings) == (
        listed.claims_denied,
        listed.charges_denied,
        listed.findings,
    )


def test_the_command_line_takes_jobs_and_says_so():
    runner = CliRunner()
    settings = runner.invoke(app, ["check", "--show-settings", "--jobs", "3"]).stdout
    assert "jobs = 3  (command line)" in settings
    automatic = f"jobs = 'auto (up to {default_jobs()}, for files of 32 MB or more)'  (default)"
    assert automatic in runner.invoke(app, ["check", "--show-settings"]).stdout


def test_the_fork_server_starts_early_only_where_a_worker_will_read(monkeypatch):
    """`check` starts the read workers' fork server before it imports the engine, only where
    reading will surely want a worker: never for one job, one core, stdin or a CSV alone."""
    started = []
    monkeypatch.setattr(forkserver, "ensure_running", lambda: started.append(True))
    monkeypatch.setattr(workers, "default_jobs", lambda: 2)
    x12, extract = str(EXAMPLES / "claims_with_errors.x12"), str(EXAMPLES / "claims.csv")
    assert not start_early([x12, extract], None) and not started  # small files: read here
    monkeypatch.setattr(workers, "AUTO_MIN_BYTES", 0)
    monkeypatch.setattr(workers, "X12_PART_BYTES", (EXAMPLES / "claims_with_errors.x12").stat().st_size // 2)
    assert start_early([x12], None) and start_early([x12], 4)  # X12 in two parts
    assert start_early([extract, extract], None)  # two inputs, a worker each
    assert not start_early([x12], 1)
    assert not start_early([extract], None)  # a CSV alone is not cut without --jobs
    assert not start_early(["-", x12 + ".missing"], None)
    monkeypatch.setattr(workers, "default_jobs", lambda: 1)
    assert not start_early([x12], None)  # one core
    assert len(started) == 3


def test_read_workers_load_the_engine_without_pandas():
    """The workers' fork server keeps pandas out before it loads the engine (pyarrow would load
    it only to ask about frames: a quarter of a second, and its memory in every worker)."""
    with ProcessPoolExecutor(1, mp_context=workers.worker_context()) as pool:
        assert pool.submit(_loaded, "pandas").result() is False
        assert pool.submit(_loaded, "cgt_claimcheck.engine.file_read").result() is True  # preloaded


def _loaded(module: str) -> bool:
    return module in sys.modules


def _pool_backend() -> str:
    import pyarrow as pa

    return pa.default_memory_pool().backend_name


def _has_jemalloc() -> bool:
    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


@pytest.mark.skipif(not _has_jemalloc(), reason="this pyarrow has no jemalloc")
def test_a_check_and_its_workers_take_arrow_memory_from_jemalloc(monkeypatch, tmp_path):
    """pyarrow's default pool (mimalloc) kept 9-22% more memory at the peak of every check
    measured (arrow_pool.py): a check and its read workers use jemalloc, unless the user chose."""
    from cgt_claimcheck import arrow_pool
    from cgt_claimcheck.engine.parallel_reads import set_up_worker

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    with ProcessPoolExecutor(1, mp_context=workers.worker_context(), initializer=set_up_worker, initargs=(1,)) as pool:
        assert pool.submit(_pool_backend).result() == "jemalloc"
    called = []
    monkeypatch.setattr(arrow_pool, "use_jemalloc", lambda: called.append(True))
    result = CliRunner().invoke(
        app, ["check", str(EXAMPLES / "claims.csv"), "--format", "json", "-o", str(tmp_path / "r.json")]
    )
    assert result.exit_code in (0, 1) and called == [True]


def test_a_pool_the_user_chose_is_kept():
    code = (
        "import pyarrow as pa; from cgt_claimcheck.arrow_pool import use_jemalloc; "
        "use_jemalloc(); print(pa.default_memory_pool().backend_name)"
    )
    chosen = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert chosen.stdout.strip() == "system"
    if _has_jemalloc():
        env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
        plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert plain.stdout.strip() == "jemalloc"


# Run in a fresh interpreter: records JE_ARROW_MALLOC_CONF as it is when pyarrow is first imported
# (when jemalloc reads it), then runs the given code.
_JEMALLOC_SPY = """
import os, sys
seen = []
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow" and not seen:
            seen.append(os.environ.get("JE_ARROW_MALLOC_CONF", "<unset>"))
sys.meta_path.insert(0, Spy())
try:
    exec(sys.argv[1])
except SystemExit:
    pass
finally:
    print("when pyarrow loaded:", seen[0] if seen else "<never loaded>")
"""


@pytest.mark.parametrize("process", ["check", "convert", "read worker"])
def test_jemalloc_is_told_to_give_freed_pages_back_before_pyarrow_loads(process, tmp_path):
    """jemalloc reads JE_ARROW_MALLOC_CONF when pyarrow loads, not when the pool is made (set
    later, the every-line-CGT 100k check peaked 25-30 MB higher): each process the tool owns sets
    it first thing, and a user's own setting wins."""
    from cgt_claimcheck import arrow_pool

    example = str(EXAMPLES / "claims.csv")
    code = {
        "check": "from cgt_claimcheck.cli import main; sys.argv = ['cgt-claimcheck', 'check', {!r}, "
        "'--format', 'json', '-o', {!r}]; main()".format(example, str(tmp_path / "r.json")),
        "convert": "from cgt_claimcheck.cli import main; sys.argv = ['cgt-claimcheck', 'convert', {!r}, "
        "'-o', {!r}]; main()".format(example, str(tmp_path / "c.csv")),
        # what the fork server of read workers preloads (workers.worker_context)
        "read worker": "import cgt_claimcheck.read_worker",
    }[process]
    plain = {k: v for k, v in os.environ.items() if k != "JE_ARROW_MALLOC_CONF"} | {"CI": "true"}
    for env, expected in (
        (plain, arrow_pool.FREED_PAGES),
        (plain | {"JE_ARROW_MALLOC_CONF": "narenas:2"}, "narenas:2"),
    ):
        run = subprocess.run(
            [sys.executable, "-c", _JEMALLOC_SPY, code], env=env, capture_output=True, text=True, timeout=120
        )
        assert run.stdout.strip().splitlines()[-1] == f"when pyarrow loaded: {expected}", run.stderr


def test_a_jemalloc_that_cannot_allocate_leaves_the_pool_alone(monkeypatch):
    """A jemalloc built for smaller pages than the machine's fails its first allocation (pyarrow
    then raises MemoryError): the check keeps pyarrow's default pool rather than fail later."""
    import pyarrow as pa

    from cgt_claimcheck import arrow_pool

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    chosen = []
    monkeypatch.setattr(pa, "set_memory_pool", chosen.append)

    def fails(size, memory_pool=None):
        raise MemoryError("jemalloc: unsupported system page size")

    monkeypatch.setattr(pa, "allocate_buffer", fails)
    arrow_pool.use_jemalloc()
    assert chosen == []
    monkeypatch.undo()
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    monkeypatch.setattr(pa, "set_memory_pool", chosen.append)
    arrow_pool.use_jemalloc()
    assert [pool.backend_name for pool in chosen] == (["jemalloc"] if _has_jemalloc() else [])
