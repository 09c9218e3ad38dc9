"""One large X12 file read in parts (`check --jobs N`, ingest/x12_parts.py, engine/file_parts.py)
gives the report of reading it whole: findings and their locations (segment, line and byte of
the file), rows, claims, the envelope's counts (SE01, GE01, IEA01), also when the file is damaged
or is one the parts cannot share (then it is read whole)."""

from __future__ import annotations

import re
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cgt_claimcheck import workers
from cgt_claimcheck.engine import CheckOptions, parallel_reads, run_check
from cgt_claimcheck.engine.file_parts import merged
from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.x12_parts import counts_before, split_x12
from tests.test_x12 import cgt_claims
from tests.x12_builder import Claim, Line, build


def _one_group(transactions: int, claims_per_transaction: int = 3) -> list[str]:
    """The segments of one interchange, one group, many transactions of CGT and other claims."""
    claims = [*cgt_claims(), Claim(claim_id="P3", lines=[Line(), Line(procedure_code="96365", ndc="")])]
    data, _ = build([c for c in claims if c.claim_type == "837P"][:claims_per_transaction])
    segments = data.decode().split("~")
    st_at = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    se_at = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    body = segments[st_at : se_at + 1]
    out = segments[:st_at]
    for number in range(transactions):
        control = f"{number + 1:04}"
        copy = [re.sub(r"(?<=\*)P(\d)", rf"T{number}P\1", s) for s in body]  # claim ids of their own
        copy[0] = re.sub(r"^ST\*837\*[^*]*", f"ST*837*{control}", copy[0])
        copy[-1] = re.sub(r"\*[^*]*$", f"*{control}", copy[-1])
        out += copy
    trailer = [re.sub(r"^GE\*\d+", f"GE*{transactions}", s) for s in segments[se_at + 1 :]]
    return out + trailer


def _several(interchanges: int) -> list[str]:
    """Interchanges of one group each, one after the other, each with its own control number."""
    out: list[str] = []
    for number in range(interchanges):
        control = f"{number + 1:09}"
        for segment in _one_group(2 + number % 3)[:-1]:  # the trailing '' after the last terminator
            segment = re.sub(r"(?<=\*)T(\d)P", rf"I{number}T\1P", segment)  # claim ids of their own
            if segment.startswith("ISA*"):
                segment = segment.replace("*000000001*", f"*{control}*")
            elif segment.startswith("IEA*"):
                segment = f"IEA*1*{control}"
            out.append(segment)
    return [*out, ""]


def _damaged_and_styled(draw, segments: list[str]) -> tuple[bytes, bool]:
    damage = draw(st.integers(0, 3))
    for _ in range(damage):
        i = draw(st.integers(2, len(segments) - 2))
        action = draw(st.sampled_from(["delete", "duplicate", "garble", "empty", "count"]))
        if action == "delete":
            del segments[i]
        elif action == "duplicate":
            segments.insert(i, segments[i])
        elif action == "garble":
            at = draw(st.integers(0, len(segments[i])))
            segments[i] = segments[i][:at] + draw(st.sampled_from(["*", ":", "~", "<b>", "\n"])) + segments[i][at:]
        elif action == "empty":
            segments.insert(i, "")
        else:  # a wrong GE01 or IEA01: the counts span the parts
            segments = [re.sub(r"^(GE|IEA)\*\d+", r"\1*7", s) for s in segments]
    terminator = draw(st.sampled_from(["~", "~\n", "~\r\n", "wrapped"]))
    lead = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n  "]))  # a byte-order mark, blanks before the ISA
    if terminator == "wrapped":  # 80 characters a line, segments broken anywhere (old fixed-record systems)
        text = "~".join(segments)
        return lead + "\n".join(text[i : i + 80] for i in range(0, len(text), 80)).encode(), damage > 0
    return lead + terminator.join(segments).encode(), damage > 0


@st.composite
def one_group_files(draw) -> tuple[bytes, bool]:
    """One group of 3-12 transactions, its segments one a line, all on one line or wrapped at 80
    characters, perhaps damaged (and whether it is)."""
    return _damaged_and_styled(draw, _one_group(draw(st.integers(3, 12))))


@st.composite
def several_interchanges(draw) -> tuple[bytes, bool]:
    """3-8 interchanges of one group each (a clearinghouse's batch), styled and damaged alike."""
    return _damaged_and_styled(draw, _several(draw(st.integers(3, 8))))


def _reads_in_parts(count: int, read_whole: list[bool] | None = None):
    """A `read_files` reading each file in `count` parts in this process; `read_whole` gets, per
    file cut, whether a part found it must be read whole."""

    def read_files(paths, options, screening, read_one):
        for index, path in enumerate(paths):
            ranges = split_x12(path, count, 1)
            if ranges is None:
                yield read_one(path, index, options, screening)
                continue
            reads = [read_one(path, index, options, screening, part) for part in ranges]
            if read_whole is not None:
                read_whole.append(any(r.read_whole for r in reads))
            yield merged(reads, partial(read_one, path, index, options, screening), options.max_repeats)

    return read_files


def _outcome(path, ref, **options):
    try:
        report = run_check([str(path)], ref, CheckOptions(payer="wnc", **options))
    except UsageError as exc:
        return str(exc)
    return report.findings_table(), report.summary, report.inputs, report.errors, report.claims


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(one_group_files(), several_interchanges()),
    count=st.integers(2, 5),
    max_repeats=st.sampled_from([1000, 1]),
)
def test_parts_give_the_whole_files_report(tmp_path, ref, data, count, max_repeats):
    text, damaged = data
    path = tmp_path / "batch.x12"
    path.write_bytes(text)
    whole = _outcome(path, ref, max_repeats=max_repeats)
    again: list[bool] = []
    assert _outcome(path, ref, max_repeats=max_repeats, read_files=_reads_in_parts(count, again)) == whole
    # An intact group is cut and merged, never read again; a damaged one may be (a part without an
    # 837 transaction, a GS doubled): then the whole file is read, as it was here.
    assert again == [False] or damaged


def test_cuts_fall_before_st_and_the_counts_before_are_the_files(tmp_path):
    data = "~\n".join(_one_group(9)).encode()
    path = tmp_path / "batch.x12"
    path.write_bytes(data)
    ranges = split_x12(str(path), 4, 1)
    assert ranges is not None and len(ranges) == 4 and ranges[-1].end == len(data)
    assert data[: ranges[0].prologue].rstrip().endswith(b"~") and b"GS*" in data[: ranges[0].prologue]
    for part in ranges[1:]:
        assert data[part.start :].startswith(b"ST*")
        before = data[: part.start]
        assert counts_before(str(path), part.start, "~", "*") == (before.count(b"~"), before.count(b"~\nST*"))
    assert split_x12(str(path), 4, len(data) // 2) is None  # parts of at least half the file: one only


def test_a_file_the_parts_cannot_share_is_read_whole(tmp_path, ref):
    """Two groups (an 837P and an 837I transaction): a part meets the second GS, and the file is
    read whole."""
    claims = [*cgt_claims(), Claim(claim_id="P3", lines=[Line(), Line(procedure_code="96365", ndc="")])]
    data, _ = build(claims)
    path = tmp_path / "two_groups.x12"
    path.write_bytes(data)
    ranges = split_x12(str(path), 3, 1)
    assert ranges is not None and len(ranges) > 1
    again: list[bool] = []
    assert _outcome(path, ref, read_files=_reads_in_parts(3, again)) == _outcome(path, ref)
    assert again == [True]


def test_workers_read_the_parts(tmp_path, ref, monkeypatch):
    """With --jobs N, and without it (the machine's cores): X12 parts pay on two cores."""
    path = tmp_path / "batch.x12"
    path.write_bytes("~\n".join(_one_group(30)).encode())
    monkeypatch.setattr(parallel_reads, "X12_PART_BYTES", path.stat().st_size // 4)
    cut = []
    monkeypatch.setattr(
        parallel_reads, "merged", lambda reads, again, repeats: cut.append(len(reads)) or merged(reads, again, repeats)
    )
    alone = _outcome(path, ref, jobs=1)
    assert _outcome(path, ref, jobs=3) == alone and cut == [3]
    monkeypatch.setattr(workers, "AUTO_MIN_BYTES", 0)  # without --jobs too: the cores, here 2 or more
    monkeypatch.setattr(parallel_reads, "default_jobs", lambda: 2)
    assert _outcome(path, ref, jobs=None) == alone and cut == [3, 2]  # None: the command line's default


def _dies_in_a_worker(path, index, options, screening, part=None):
    """A read that ends its worker process abruptly, as the kernel's out-of-memory killer would."""
    import os

    from cgt_claimcheck.engine.file_read import read_one

    if part is not None and not part.first:
        os._exit(9)
    return read_one(path, index, options, screening, part)


def _reads_with_dying_workers(paths, options, screening, read_one):
    return parallel_reads.read_files(paths, options, screening, _dies_in_a_worker)


def test_a_worker_that_dies_leaves_its_file_to_this_process(tmp_path, ref, monkeypatch):
    path = tmp_path / "batch.x12"
    path.write_bytes("~\n".join(_one_group(30)).encode())
    monkeypatch.setattr(parallel_reads, "X12_PART_BYTES", path.stat().st_size // 3)
    alone = _outcome(path, ref, jobs=1)
    assert _outcome(path, ref, jobs=2, read_files=_reads_with_dying_workers) == alone


@pytest.mark.parametrize("segments", [_one_group(9), _several(5)], ids=["one group", "five interchanges"])
@pytest.mark.parametrize("between", ["~\n", "~"], ids=["a segment a line", "one long line"])
def test_the_parts_locator_places_every_line_as_the_whole_read(tmp_path, ref, segments, between):
    """Every service line, the first and last of each part too, is placed where the whole read
    places it (its transaction, segment, line or byte of the file); rows past the ends are ''."""
    path = tmp_path / "batch.x12"
    path.write_bytes(between.join(segments).encode())
    located = {}

    def read_files(paths, options, screening, read_one):
        whole = read_one(paths[0], 0, options, screening)
        ranges = split_x12(paths[0], 4, 1)
        assert ranges is not None and len(ranges) == 4
        reads = [read_one(paths[0], 0, options, screening, part) for part in ranges]
        joined = merged(reads, partial(read_one, paths[0], 0, options, screening), options.max_repeats)
        rows = [0, *range(1, whole.state.summary.rows_read + 2)]
        located["whole"], located["parts"] = [whole.locator(r) for r in rows], [joined.locator(r) for r in rows]
        yield joined

    run_check([str(path)], ref, CheckOptions(payer="wnc", read_files=read_files))
    assert located["parts"] == located["whole"]
    assert located["whole"][0] == located["whole"][-1] == "" and all(located["whole"][1:-1])
