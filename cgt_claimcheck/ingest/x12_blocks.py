"""The X12 walk: a segment at a time through the per-segment mapping, or blocks of whole segments
whose envelope is walked one segment at a time and whose bodies are mapped as columns.

A mixin of the reader (ingest/x12.py). A block is cut after its last envelope segment, so every
transaction body in it is whole; what follows waits for the next block. Each body is mapped as
columns (ingest/x12_columns.py), or fed one segment at a time to the per-segment mapping where it
holds a rare construct, its transaction is skipped, or it lies outside any transaction.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.reader import InvalidRow, RawBatch
from cgt_claimcheck.ingest.x12_claims import LineState, TransactionState
from cgt_claimcheck.ingest.x12_columns import IS_ENVELOPE, RARE, BlockLines, BodyMapping
from cgt_claimcheck.ingest.x12_segments import SegmentBlock
from cgt_claimcheck.ingest.x12_stream import WholeSegments
from cgt_claimcheck.ingest.x12_syntax import ENVELOPE, FORMAT, X12_COLUMNS, LinePlaces, Separators


class BlockWalk:
    """The block walk of X12Reader. The reader owns the state below and sets it up."""

    seps: Separators
    display: str
    payer: str | None
    tx: TransactionState | None
    tx_labels: list[str]
    places: LinePlaces
    segment_offset: int
    segment_line: int
    ordinal: int
    outside: int
    segments_read: int
    batch_rows: int
    billing: dict[str, str]
    sub_values: dict[str, str]
    patient_dob: str
    out: list[LineState | MappedLines]
    out_rows: int
    invalid: list[InvalidRow]
    mapped_by_segment: Counter[str]
    _carry: list[WholeSegments]
    _state_from: tuple[BodyMapping, int] | None
    _open_claim: tuple[str, str] | None

    def _one(self, text: str, flag: int) -> bool:
        """One segment through the per-segment mapping; False: the file ends inside it."""
        self.segments_read += 1
        if self.segments_read == 2 and not text.strip(" \t\r\n").startswith("GS" + self.seps.element):
            raise UsageError(
                f"the segment after the ISA is {text.strip()[:3]!r}, not GS: not a readable interchange",
                file=self.display,
            )
        if flag < 0:
            closing = text.strip().split(self.seps.element)[0] in ("IEA", "GE")
            if not closing:
                self._problem(
                    ENVELOPE, 0, "(file)", text.strip()[:3], "the file ends inside a segment (no segment terminator)"
                )
                return False
            self._problem(FORMAT, 0, text.strip()[:3], "", "the last segment has no segment terminator")
        self._segment(text)
        return True

    def _segment(self, text: str) -> None:
        raise NotImplementedError  # X12Reader maps one segment

    def _problem(self, code: str, row: int, field_: str, value: str, reason: str) -> None:
        raise NotImplementedError  # X12Reader reports problems

    def _take(self, whole: WholeSegments) -> Iterator[RawBatch]:
        """A block: mapped up to its last envelope segment; the open transaction waits for the next."""
        if self._carry:
            self._carry.append(whole)
            whole = WholeSegments(
                b"".join(c.data for c in self._carry),
                np.concatenate([c.offsets for c in self._carry]),
                np.concatenate([c.lines for c in self._carry]),
            )
        data = whole.data
        cut = after_last_envelope(data, self.seps)
        block = SegmentBlock(data[:cut] if cut < len(data) else data, self.seps) if cut else None
        held = block.count if block is not None else 0  # the segments before the cut: one a terminator
        self._carry = [WholeSegments(data[cut:], whole.offsets[held:], whole.lines[held:])] if cut < len(data) else []
        if block is not None:
            yield from self._walk(block, block.count, whole.offsets[:held], whole.lines[:held])

    def _flush(self) -> Iterator[RawBatch]:
        if self._carry:
            block = SegmentBlock(b"".join(c.data for c in self._carry), self.seps)
            offsets = np.concatenate([c.offsets for c in self._carry])
            lines = np.concatenate([c.lines for c in self._carry])
            self._carry = []
            yield from self._walk(block, block.count, offsets, lines)

    def _walk(
        self, block: SegmentBlock, stop: int, offsets: np.ndarray, lines_in_file: np.ndarray
    ) -> Iterator[RawBatch]:
        """Envelope segments one at a time; each transaction body mapped as columns, or one segment
        at a time where it is rare (or its transaction is skipped or absent)."""
        if not stop:
            return
        envelope = np.flatnonzero(IS_ENVELOPE[block.ids[:stop] + 1])
        edges = np.concatenate(([-1], envelope, [stop]))
        first, end = edges[:-1] + 1, edges[1:]
        first, end = first[first < end], end[first < end]
        mapping = BodyMapping(block, first, end) if len(first) else None
        lines = mapping.lines(self.payer) if mapping is not None else None
        starts = dict(zip(first.tolist(), range(len(first)), strict=True))
        position = 0
        while position < stop:
            body = starts.get(position)
            if body is None:
                self.segment_offset, self.segment_line = int(offsets[position]), int(lines_in_file[position])
                self._one(block.text(position), 1)
                position += 1
            else:
                tx, position = self.tx, int(end[body])
                assert mapping is not None and lines is not None
                if tx is not None and not tx.skipped and tx.segments == 1 and mapping.rare[body] < 0:
                    self._mapped(mapping, lines, body, offsets, lines_in_file)
                    continue
                if tx is None:
                    self.mapped_by_segment["segments outside any transaction"] += 1
                elif tx.skipped:
                    self.mapped_by_segment["a transaction that is skipped"] += 1
                elif mapping.rare[body] >= 0:
                    self.mapped_by_segment[RARE[mapping.rare[body]]] += 1
                self._sync_state()
                for segment in range(int(first[body]), position):
                    self.segment_offset, self.segment_line = int(offsets[segment]), int(lines_in_file[segment])
                    self._one(block.text(segment), 1)
            if self.out_rows >= self.batch_rows:
                yield self._batch()

    def _mapped(
        self, mapping: BodyMapping, lines: BlockLines, body: int, offsets: np.ndarray, lines_in_file: np.ndarray
    ) -> None:
        tx = self.tx
        assert tx is not None
        size = int(mapping.stop[body] - mapping.first[body])
        self.segments_read += size
        tx.segments += size
        self.outside = 0
        start, stop = int(lines.body_lines[body]), int(lines.body_lines[body + 1])
        if stop > start:
            tx.lines.append(MappedLines(lines, start, stop, self.ordinal + 1, tx.claim_type == "837I"))
            lx = lines.line_lx[start:stop]
            self.places.extend(len(self.tx_labels) - 1, lines.line_segment[start:stop], lines_in_file[lx], offsets[lx])
            self.ordinal += stop - start
        self._state_from = (mapping, body)
        self._open_claim = lines.open_claim(body)
        last = mapping.stop[body] - 1  # the body's last segment was read last
        self.segment_offset, self.segment_line = int(offsets[last]), int(lines_in_file[last])

    def _sync_state(self) -> None:
        """Before a segment the per-segment mapping reads: the hierarchy values the last mapped
        body left (billing, subscriber and patient values outlive an ST)."""
        if self._state_from is None:
            return
        mapping, body = self._state_from
        self._state_from = None
        for key, value in mapping.end_state(body).items():
            if key == "billing_npi":
                self.billing[key] = value
            elif key == "patient_dob":
                self.patient_dob = value
            else:
                self.sub_values[key] = value

    def _batch(self) -> RawBatch:
        items, self.out, self.out_rows = self.out, [], 0
        invalid, self.invalid = self.invalid, []
        tables: list[pa.Table] = []
        ordinals: list[np.ndarray] = []
        # Runs of lines mapped one segment at a time, and of pieces of one block's columns.
        for _, run in itertools.groupby(items, key=lambda item: id(item.lines) if isinstance(item, MappedLines) else 0):
            group = list(run)
            pieces = [item for item in group if isinstance(item, MappedLines)]
            if pieces:
                table, rows = lines_table(pieces)
            else:
                states = [item for item in group if isinstance(item, LineState)]
                columns = {c: pa.array([ln.values.get(c, "") for ln in states], pa.string()) for c in X12_COLUMNS}
                table, rows = pa.table(columns), np.array([ln.ordinal for ln in states], dtype=np.int64)
            tables.append(table)
            ordinals.append(rows)
        if not tables:
            empty = pa.table({name: pa.array([], pa.string()) for name in X12_COLUMNS})
            return RawBatch(empty, np.zeros(0, dtype=np.int64), invalid)
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        return RawBatch(table, np.concatenate(ordinals).astype(np.int64), invalid)


@dataclass
class MappedLines:
    """One mapped body's lines, waiting for their transaction's SE: rows start..stop of `lines`."""

    lines: BlockLines
    start: int
    stop: int
    ordinal: int  # the first line's ordinal in the file
    is_837i: bool

    def __len__(self) -> int:
        return self.stop - self.start

    def texts(self) -> list[str]:
        """'claim C line N' of each line, as a rejected line is named."""
        rows = pa.array(np.arange(self.start, self.stop))
        claims = self.lines.columns["claim_id"].take(rows).to_pylist()
        numbers = self.lines.columns["line_number"].take(rows).to_pylist()
        return [f"claim {c} line {n}" if c else f"line {n}" for c, n in zip(claims, numbers, strict=True)]


def lines_table(pieces: list[MappedLines]) -> tuple[pa.Table, np.ndarray]:
    """The table and ordinals of consecutive pieces of the same block (a slice where they follow
    one another, as the bodies of a block do)."""
    ordinals = np.concatenate([np.arange(p.ordinal, p.ordinal + len(p)) for p in pieces])
    tables, run = [], [pieces[0]]
    for piece in pieces[1:]:
        if piece.start == run[-1].stop:
            run.append(piece)
            continue
        tables.append(_run_table(run))
        run = [piece]
    tables.append(_run_table(run))
    return (tables[0] if len(tables) == 1 else pa.concat_tables(tables)), ordinals


def _run_table(run: list[MappedLines]) -> pa.Table:
    flags = np.concatenate([np.full(len(p), p.is_837i) for p in run])
    return run[0].lines.table(run[0].start, run[-1].stop, flags)


def after_last_envelope(data: bytes, seps: Separators) -> int:
    """The end of the last envelope segment (ISA, GS, ST, SE, GE, IEA) of the block, 0 if none:
    a terminator, the id and the element separator. The last SE by a search from the end; the
    others, where there are any, follow it: each terminator after it is looked at once for all
    five (five searches of the open transaction's bytes took 2-3 ms a 2 MB block)."""
    term, element = seps.terminator.encode(), seps.element.encode()
    last = data.rfind(term + b"SE" + element)
    after = max(last, 0)
    rest = np.frombuffer(data, dtype=np.uint8)[after:]
    ends = np.flatnonzero(rest == term[0])
    found = np.zeros(len(ends), dtype=bool)
    for name in (b"ISA", b"GS", b"ST", b"GE", b"IEA"):
        fits = ends + 1 + len(name) < len(rest)  # the id and the separator inside the block
        this = fits & (rest[np.where(fits, ends + 1 + len(name), 0)] == element[0])
        for offset, byte in enumerate(name, start=1):
            this &= rest[np.where(fits, ends + offset, 0)] == byte
        found |= this
    if found.any():
        last = max(last, after + int(ends[found][-1]))
    if last < 0:
        return 0
    end = data.find(term, last + 1)
    return end + 1 if end >= 0 else 0
