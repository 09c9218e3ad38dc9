"""One large extract read in parts (`check --jobs N`, ingest/byte_ranges.py, engine/file_parts.py)
gives the report of reading it whole: the same findings, rows, claims and problems, whatever the
cuts, also when a claim, a relevant line, a rejected row or a folded cause sits on a cut."""

from __future__ import annotations

import csv
import io
import itertools
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgt_claimcheck import workers
from cgt_claimcheck.engine import CheckOptions, parallel_reads, run_check
from cgt_claimcheck.engine.file_parts import merged
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest import reader
from cgt_claimcheck.ingest.byte_ranges import rows_before, split
from tests.conftest import REPO

EXAMPLES = REPO / "examples"


def _extract(copies: int = 40, line_end: str = "\n") -> str:
    """The two examples' claims many times over (distinct ids), with what a nightly file holds:
    ragged rows, blank lines, bad dates, payers out of scope, quoted commas, a value over two
    lines, and a claim whose lines lie far apart."""
    header, rows = None, []
    for name in ("claims.csv", "claims_with_errors.csv"):
        with (EXAMPLES / name).open(encoding="utf-8", newline="") as fh:
            header, *body = list(csv.reader(fh))
        rows += body
    assert header is not None
    claim, date, payer, code = (header.index(c) for c in ("claim_id", "service_date", "payer", "procedure_code"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(header)
    for n in range(copies):
        for row in rows:
            row = list(row)
            row[claim] = f"{row[claim]}-{n}"
            if n % 5 == 1 and row[code] == "96365":
                row[date] = "2025-13-45"  # a bad date: a rejected row in a relevant claim
            if n % 7 == 3:
                row[payer] = "acme health"  # out of scope, relevant lines kept as history
            writer.writerow(row)
        out.write(",".join(["ragged", "row"]) + line_end)
        if n % 4 == 0:
            out.write(line_end + "," * (len(header) - 1) + line_end)
        if n == copies // 2:
            out.write(f'"{rows[0][claim]}-q","two{line_end}lines"' + line_end)
            quoted = list(rows[1])
            quoted[claim] = f"{quoted[claim]}-quoted,comma"
            writer.writerow(quoted)
    late = list(rows[1])  # a line of the first claim, far from the others (an unsorted file)
    late[claim] = f"{late[claim]}-0"
    writer.writerow(late)
    return out.getvalue()


def _reads_in_parts(count: int, chunk_bytes: int):
    """A `read_files` reading each file in `count` parts in this process (no workers)."""

    def read_files(paths, options, screening, read_one):
        for index, path in enumerate(paths):
            ranges = split(path, count, options.encoding, chunk_bytes)
            if index:  # the first file is the one to cut
                yield read_one(path, index, options, screening)
                continue
            assert ranges is not None and len(ranges) > 1
            reads = [read_one(path, index, options, screening, part) for part in ranges]
            yield merged(reads, partial(read_one, path, index, options, screening), options.max_repeats)

    return read_files


def _outcome(report):
    return report.findings_table(), report.summary, report.inputs, report.errors, report.claims


OPTIONS = {"history": [str(EXAMPLES / "history.csv")], "max_repeats": 3}


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    path = tmp_path_factory.mktemp("parts") / "night.csv"
    path.write_text(_extract(), encoding="utf-8", newline="")
    return path


@pytest.fixture(scope="module")
def whole(night, ref):
    report = run_check([str(night)], ref, CheckOptions(jobs=1, **OPTIONS))
    assert report.summary.findings_not_listed > 0 and report.inputs[0].rows_rejected > 0  # folds, rejections
    return _outcome(report)


@pytest.mark.parametrize(("count", "chunk_bytes"), [(2, 4096), (3, 777), (5, 1500), (9, 311)])
def test_parts_give_the_whole_files_report(night, whole, ref, count, chunk_bytes):
    options = CheckOptions(jobs=1, read_files=_reads_in_parts(count, chunk_bytes), **OPTIONS)
    assert _outcome(run_check([str(night)], ref, options)) == whole


def test_workers_read_the_parts(night, whole, ref, monkeypatch):
    """With --jobs, in worker processes (the chunk size travels with each part)."""
    monkeypatch.setattr(reader, "CHUNK_BYTES", 2048)
    merges = []
    monkeypatch.setattr(
        parallel_reads, "merged", lambda reads, again, repeats: merges.append(reads) or merged(reads, again, repeats)
    )
    assert _outcome(run_check([str(night)], ref, CheckOptions(jobs=3, **OPTIONS))) == whole
    assert [len(reads) for reads in merges] == [3]


def test_not_cut_without_jobs_nor_into_small_parts(night, ref, monkeypatch):
    """Without --jobs, a CSV file is never cut (on two cores a part gains nothing); with it, a
    part is at least PART_CHUNKS chunks (a worker takes about a second to start)."""
    cuts = []
    real_cut = parallel_reads.cut
    monkeypatch.setattr(parallel_reads, "cut", lambda *a, **k: cuts.append(real_cut(*a, **k)))
    monkeypatch.setattr(reader, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(workers, "AUTO_MIN_BYTES", 0)  # large enough for a worker, without --jobs
    run_check([str(night)], ref, CheckOptions(jobs=None, **OPTIONS))  # None: as the command line's default
    assert cuts == [None]
    cuts.clear()
    size = night.stat().st_size
    monkeypatch.setattr(reader, "CHUNK_BYTES", size // (2 * parallel_reads.PART_CHUNKS))
    run_check([str(night)], ref, CheckOptions(jobs=8, **OPTIONS))
    assert [len(c) for c in cuts] == [2]  # room for two parts of PART_CHUNKS chunks, not eight


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])
def test_line_ends_other_than_lf(tmp_path, ref, line_end):
    """CRLF parts read as LF ones; a CR-only file (lines a part cannot count) is read whole."""
    path = tmp_path / "night.csv"
    path.write_text(_extract(12, line_end), encoding="utf-8", newline="")
    alone = _outcome(run_check([str(path)], ref, CheckOptions(jobs=1)))
    if line_end == "\r":
        assert split(str(path), 2, "utf-8", 1024) is None  # seen at the start: never cut
        text = _extract(40, "\n")  # CR-only line ends late in the file (a part meets them)
        path.write_text(text[:-4000] + text[-4000:].replace("\n", "\r"), encoding="utf-8", newline="")
        assert split(str(path), 3, "utf-8", 1024) is not None
        alone = _outcome(run_check([str(path)], ref, CheckOptions(jobs=1)))
    options = CheckOptions(jobs=1, read_files=_reads_in_parts(3, 1024))
    assert _outcome(run_check([str(path)], ref, options)) == alone


def test_a_part_that_fails_stops_the_file_where_reading_it_whole_would(night, ref, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK_BYTES", 1000)
    parse = reader.ExtractReader._records

    def failing(self, chunk, *args):
        if b"NC250301002-27," in chunk.to_pybytes():
            raise UsageError("cannot be split into one row per line", file=self.display, line=1)
        return parse(self, chunk, *args)

    monkeypatch.setattr(reader.ExtractReader, "_records", failing)
    paths = [str(night), str(EXAMPLES / "claims.csv")]  # another file, so the run goes on
    alone = _outcome(run_check(paths, ref, CheckOptions(jobs=1)))
    assert alone[3] and "after" in alone[3][0].message and alone[2][0].rows_read > 0
    options = CheckOptions(jobs=1, read_files=_reads_in_parts(4, 1000))
    assert _outcome(run_check(paths, ref, options)) == alone


def test_files_not_cut(tmp_path):
    small = tmp_path / "small.csv"
    small.write_text("claim_id\n" + "C1\n" * 10, encoding="utf-8")
    assert split(str(small), 2, "utf-8", 1 << 20) is None  # under two chunks
    packed = tmp_path / "night.csv.gz"
    import gzip

    packed.write_bytes(gzip.compress(_extract(60).encode()))
    assert split(str(packed), 2, "utf-8", 1024) is None
    latin = tmp_path / "latin.csv"
    latin.write_text(_extract(12), encoding="latin-1")
    assert split(str(latin), 2, "latin-1", 1024) is None  # transcoded bytes are not the file's
    assert split(str(EXAMPLES / "claims.x12"), 2, "utf-8", 256) is None
    assert split("-", 2, "utf-8", 1024) is None


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(st.text(alphabet='ab,\r"', max_size=30), min_size=1, max_size=60),
    count=st.integers(2, 6),
    chunk=st.integers(16, 200),
)
def test_cuts_fall_where_the_readers_chunks_end(tmp_path_factory, lines, count, chunk):
    """Each cut is the last line break before a multiple of the chunk size (where the whole-file
    reader ends a chunk), parts cover the file in order, and rows_before counts the rows before."""
    path = tmp_path_factory.mktemp("cut") / "x.csv"
    data = ("h\n" + "\n".join(lines) + "\n").replace("\r", "")
    path.write_bytes(data.encode())
    ranges = split(str(path), count, "utf-8", chunk)
    if ranges is None:
        return
    assert ranges[0].start == 0 and ranges[-1].end == len(data.encode())
    raw = data.encode()
    for before, after in itertools.pairwise(ranges):
        assert before.end == after.start and raw[after.start - 1 : after.start] == b"\n"
        multiple = -(-after.start // chunk) * chunk  # the chunk end the cut belongs to
        assert b"\n" not in raw[after.start : multiple] and after.start > raw.index(b"\n")
        assert rows_before(str(path), after.start) == raw[: after.start].count(b"\n") - 1


def test_a_claim_sliced_off_a_batch_crosses_processes_without_the_batch():
    """A part's first and last claims are slices of a batch; Arrow pickles a slice with its
    parent's buffers, so a Pending is pickled with only its own rows (and gives them back)."""
    import pickle

    import numpy as np
    import pyarrow as pa

    from cgt_claimcheck.engine.pending import Pending

    n = 100_000
    ids = [f"C{i // 2:08}" for i in range(n)]
    table = pa.table({"claim_id": ids, "procedure_code": pa.array(["J3392"] * n).dictionary_encode()})
    batch = Pending(table, np.arange(1, n + 1), np.zeros(n, dtype=bool), 0, "claims.csv")
    head, rest = batch.split_first_claim()
    copy = pickle.loads(pickle.dumps(head))
    assert copy.table.equals(table.slice(0, 2)) and copy.rows.tolist() == [1, 2]
    assert len(pickle.dumps(head)) < 5_000  # the whole batch: some 1.5 MB
    assert pickle.loads(pickle.dumps(rest)).table.equals(table.slice(2))
