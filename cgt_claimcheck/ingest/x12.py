"""Read X12 837P/837I (5010) files as the claim-line batches the CSV reader emits.

Standard library only, streaming: the file is read in large blocks cut on the segment terminator;
only the open interchange, group, transaction, hierarchy, claim and line are held (plus the lines
of the open transaction, released at its SE: if the file ends inside a transaction its lines are
rejected, since a claim rule could miss their later lines). One row per 2400 loop; `row` is the
service line's ordinal in the file.

What is wrong with the file itself becomes an `X12Problem` (the XE rules report them); a file that
cannot be read at all raises UsageError (exit 2 when no other file could be read).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.byte_ranges import ByteRange
from cgt_claimcheck.ingest.reader import InvalidRow, RawBatch
from cgt_claimcheck.ingest.source import ByteSource
from cgt_claimcheck.ingest.x12_blocks import BlockWalk, MappedLines
from cgt_claimcheck.ingest.x12_claims import ClaimMapping, ClaimState, LineState, TransactionState, line_text
from cgt_claimcheck.ingest.x12_parts import PartReading
from cgt_claimcheck.ingest.x12_stream import FLUSH, SegmentStream, WholeSegments
from cgt_claimcheck.ingest.x12_syntax import (
    CONTROL,
    ENVELOPE,
    ENVELOPE_SEGMENTS,
    FORMAT,
    KNOWN_SEGMENTS,
    READABLE,
    REPETITION_CHECKED,
    SEGMENT_ID,
    SUPPORTED,
    VERSION,
    X12_COLUMNS,
    LineLocator,
    LinePlaces,
    X12Problem,
    adopted,
    get,
    in_file,
    is_x12,
)

X12_BATCH_ROWS = 20_000

__all__ = ["X12_COLUMNS", "X12Problem", "X12Reader", "is_x12"]


class X12Reader(PartReading, SegmentStream, BlockWalk, ClaimMapping):
    """One X12 file: `batches()` yields RawBatch (canonical string columns); `problems` afterwards."""

    def __init__(
        self,
        path: str,
        *,
        payer: str | None = None,
        batch_rows: int = 250_000,
        max_repeats: int = 1_000,
        per_segment: bool = False,
        part: ByteRange | None = None,
    ) -> None:
        self.path = path
        self.part, self.layout_moved, self.envelopes_opened = part, False, 0  # ingest/x12_parts.py
        self.in_prologue = part is not None and not part.first and part.prologue > 0
        # Transaction bodies are mapped as columns (ingest/x12_columns.py); per_segment maps every
        # segment one at a time, as bodies with a rare construct are: the reference in tests.
        self.per_segment = per_segment
        self.mapped_by_segment: Counter[str] = Counter()  # bodies left to the per-segment mapping, by reason
        self._carry = []  # whole segments of a transaction not yet closed in its block
        self._state_from = None  # the last mapped body, for the hierarchy values it leaves
        self.out_rows = 0
        self._open_claim = None  # (claim, line) a mapped body ends inside
        self.source = ByteSource(path, text=False)
        self.display = self.source.display
        # A line is held as a dict until its batch is built (about 2 KB): smaller batches than the
        # CSV reader's keep the memory of a large file near that of a small one.
        self.batch_rows = min(batch_rows, X12_BATCH_ROWS)
        self.payer = payer
        self.columns = {c: c for c in X12_COLUMNS}
        self.problems: list[X12Problem] = []
        # A cause (code, field, reason) is kept max_repeats times; its later problems fold into the
        # next one (`represents`), so ten million empty segments hold 1,001 problems, not 10 million.
        self.max_repeats = max_repeats
        self._repeats: dict[tuple[str, str, str], int] = {}
        self._folded: dict[tuple[str, str, str], X12Problem] = {}
        self.segments_read = 0
        # Where each service line is (x12_syntax.LinePlaces); tx_labels name the transactions.
        self.tx_labels: list[str] = []
        self.places = LinePlaces()
        self.segment_offset, self.segment_line = -1, 0  # where the segment being read is in the file
        self.transactions_read = 0
        # The open state: interchange, group, transaction, hierarchy, claim and line.
        self.isa_control = ""
        self.interchange_open = True
        self.supported_seen = False
        self.groups = 0
        self.group_control = ""
        self.tx: TransactionState | None = None
        self.claim: ClaimState | None = None
        self.line: LineState | None = None
        self.out: list[LineState | MappedLines] = []  # lines of closed transactions, not yet in a batch
        self.invalid: list[InvalidRow] = []
        self.ordinal = 0  # service lines so far: a line's row
        self.outside = 0  # segments seen since the last transaction closed, outside any
        self._reset_group()

    # --- problems ------------------------------------------------------------------------------
    def _where(self) -> str:
        parts = [f"ISA {self.isa_control}" if self.isa_control else ""]
        if self.group_control:
            parts.append(f"GS {self.group_control}")
        if self.tx is not None:
            parts.append(f"ST {self.tx.control}, segment {self.tx.segments}")
        elif self.segments_read > 1:
            parts.append(f"segment {self.segments_read} of the file")
        return ", ".join(p for p in parts if p) or "the start of the file"

    def _problem(self, code: str, row: int, field_: str, value: str, reason: str) -> None:
        if self.in_prologue:
            return
        key = (code, field_, reason)
        seen = self._repeats[key] = self._repeats.get(key, 0) + 1
        inside = code not in (ENVELOPE, CONTROL)  # trailers and envelopes belong to no claim
        claim = self.claim.values.get("claim_id", "") if inside and self.claim is not None else ""
        line = self.line.values.get("line_number", "") if inside and self.line is not None else ""
        if inside and self.tx is not None and self._open_claim is not None:
            claim, line = self._open_claim  # the claim a mapped body left open (its transaction has no SE yet)
        if self.max_repeats and seen > self.max_repeats + 1:
            folded = self._folded[key]
            folded.represents += 1
            if claim:
                folded.unlisted_claims.add(claim)
            return
        where, at = self._where(), in_file(self.segment_line, self.segment_offset)
        if where.endswith(" of the file"):  # 'segment 178 of the file, byte 4137': said once
            at = at.removesuffix(" of the file")
        where += at
        problem = X12Problem(code, row, field_, value[:80], reason, claim, line, where)
        problem.line_in_file, problem.offset = self.segment_line, self.segment_offset
        self.problems.append(problem)
        if seen == self.max_repeats + 1:
            self._folded[key] = problem

    @property
    def locator(self) -> LineLocator:
        """Where each line is (complete once the file is read)."""
        return LineLocator(self.places, self.tx_labels, self.isa_control)

    def locate(self, row: int) -> str:
        return self.locator(row)

    def batches(self) -> Iterator[RawBatch]:
        """The service lines in batches (once per reader: the state is the reader's)."""
        for item, flag in self._segments():
            if isinstance(item, WholeSegments):
                yield from self._take(item)
                continue
            place = (
                self.segment_offset,
                self.segment_line,
            )  # the stream's, for this segment: the flush walks others first
            yield from self._flush()
            self.segment_offset, self.segment_line = place
            if flag == FLUSH:
                continue
            self._sync_state()
            if not self._one(item, flag):
                break
            if self.out_rows >= self.batch_rows:
                yield self._batch()
        yield from self._flush()
        self._end_of_part()
        if self.out or self.invalid:
            yield self._batch()
        if not self.supported_seen and self.part is not None:
            self.layout_moved = True  # read whole, it says why
        elif not self.supported_seen:
            raise UsageError(
                "no 837 5010 transaction (005010X222 / 005010X223) in the interchange: nothing could be read",
                file=self.display,
            )

    def _reset_group(self) -> None:
        self._state_from = None  # a GS clears what a mapped body left
        self.group_version = ""
        self.group_transactions = 0
        self.hl_levels: dict[str, str] = {}
        self.level = ""
        self.sub_values: dict[str, str] = {}
        self.billing: dict[str, str] = {}
        self.in_other_payer = False
        self.loop_entity = ""
        self.patient_dob = ""

    # --- one segment ---------------------------------------------------------------------------
    def _segment(self, text: str) -> None:
        text = text.strip(" \t\r\n")
        if not text:
            self._problem(FORMAT, self._row(), "(segment)", "", "an empty segment (two terminators in a row)")
            return
        e = text.split(self.seps.element)
        sid = e[0]
        if self.seps.repetition and self.seps.repetition in text and sid in REPETITION_CHECKED:
            self._problem(
                FORMAT,
                self._row(),
                sid,
                self.seps.repetition,
                f"{sid} repeats an element with the ISA11 separator {self.seps.repetition!r}, where the 837 allows "
                "no repetition (a 999 answers IK403 12, too many repetitions)",
            )
        if self.tx is not None:
            self.tx.segments += 1
            self.outside = 0
        elif sid not in ENVELOPE_SEGMENTS:
            self._outside_transaction(sid, e)
            return
        handler = _HANDLERS.get(sid)
        if handler is not None:
            handler(self, e)
            return
        if not SEGMENT_ID.match(sid):
            upper = sid.upper()
            if SEGMENT_ID.match(upper) and upper in KNOWN_SEGMENTS:
                self._problem(FORMAT, self._row(), sid[:3], sid[:3], f"segment ID {sid[:3]!r} is lowercase: ignored")
            else:
                self._problem(FORMAT, self._row(), "(segment)", sid[:3], f"{sid[:3]!r} is not a segment ID: ignored")
        elif sid not in KNOWN_SEGMENTS:
            self._problem(FORMAT, self._row(), sid, sid, f"unknown segment {sid}: ignored")

    def _row(self) -> int:
        return self.line.ordinal if self.line is not None else 0

    # --- envelope ------------------------------------------------------------------------------
    def _close(self, *, group: bool) -> None:
        """Close what a segment implies has ended: the open transaction (and group), reported."""
        if self.tx is not None:
            self._problem(ENVELOPE, 0, "SE", "", f"transaction {self.tx.control} has no SE trailer")
            self._end_transaction(closed=False)
        if group and self.group_control:
            self._problem(ENVELOPE, 0, "GE", "", f"group {self.group_control} has no GE trailer")
            self.group_control = ""

    def _isa(self, e: list[str]) -> None:
        if self.tx is not None or self.group_control:
            self._finish()
        self.isa_control = e[13] if len(e) > 13 else ""
        self.interchange_open = True
        self.groups = 0
        self._envelope(opens=True)

    def _gs(self, e: list[str]) -> None:
        self._close(group=True)
        self._reset_group()
        self.group_control = get(e, 6)
        self.group_version = get(e, 8)
        self.groups += 1
        if get(e, 1) != "HC":
            self._problem(
                VERSION, 0, "GS01", get(e, 1), f"functional group {get(e, 1)!r} is not HC (health care claims)"
            )
        self._envelope(opens=True)
        if self.in_prologue:
            self._prologue_read()

    def _st(self, e: list[str]) -> None:
        self._close(group=False)
        if not self.group_control:
            self._problem(ENVELOPE, 0, "GS", "", "a transaction outside a functional group (no GS before ST)")
        version = get(e, 3) or self.group_version
        self.tx = TransactionState(get(e, 2), "")
        self.tx_labels.append(
            ", ".join(
                p
                for p in (f"ISA {self.isa_control}", f"GS {self.group_control}", f"ST {get(e, 2)}")
                if p.split(" ", 1)[1]
            )
        )
        self.group_transactions += 1
        self.transactions_read += 1
        self.hl_levels = {}
        self.level = ""
        self.claim = None
        self.line = None
        if get(e, 1) != "837":
            self.tx.skipped = True
            self._problem(VERSION, 0, "ST01", get(e, 1), f"transaction set {get(e, 1)!r} is not an 837: skipped")
            return
        kind = SUPPORTED.get(version) or READABLE.get(version)
        group_kind = SUPPORTED.get(self.group_version) or READABLE.get(self.group_version)
        if kind is None:
            self.tx.skipped = True
            self._problem(
                VERSION, 0, "ST03", version, f"version {version!r} is not 837 5010 (X222/X223): transaction skipped"
            )
            return
        self.supported_seen = True
        self.tx.claim_type = kind
        if version not in SUPPORTED:
            self._problem(
                VERSION, 0, "ST03", version, f"version {version} read as {kind} ({adopted(kind)} is the adopted one)"
            )
        if self.group_version and get(e, 3) and self.group_version != get(e, 3):
            detail = f"GS08 {self.group_version} but ST03 {get(e, 3)}"
            if group_kind != kind:
                detail += f": read as {kind}, as ST03 says"
            self._problem(VERSION, 0, "GS08", self.group_version, detail)

    def _se(self, e: list[str]) -> None:
        if self.tx is None:
            self._problem(ENVELOPE, 0, "SE", "", "an SE trailer without its ST")
            return
        count, control = get(e, 1), get(e, 2)
        if count != str(self.tx.segments):
            self._problem(
                CONTROL, 0, "SE01", count, f"SE01 says {count} segments; the transaction has {self.tx.segments}"
            )
        if control != self.tx.control:
            self._problem(CONTROL, 0, "SE02", control, f"SE02 {control!r} does not match ST02 {self.tx.control!r}")
        self._end_transaction(closed=True)

    def _ge(self, e: list[str]) -> None:
        self._envelope(opens=False)
        self._close(group=False)
        if not self.group_control:
            self._problem(ENVELOPE, 0, "GE", "", "a GE trailer without its GS")
            return
        if get(e, 1) != str(self.group_transactions):
            self._problem(
                CONTROL,
                0,
                "GE01",
                get(e, 1),
                f"GE01 says {get(e, 1)} transactions; the group has {self.group_transactions}",
            )
        if get(e, 2) != self.group_control:
            self._problem(
                CONTROL, 0, "GE02", get(e, 2), f"GE02 {get(e, 2)!r} does not match GS06 {self.group_control!r}"
            )
        self.group_control = ""

    def _iea(self, e: list[str]) -> None:
        self._envelope(opens=False)
        self._close(group=True)
        if get(e, 1) != str(self.groups):
            self._problem(
                CONTROL, 0, "IEA01", get(e, 1), f"IEA01 says {get(e, 1)} groups; the interchange has {self.groups}"
            )
        if get(e, 2) != self.isa_control:
            self._problem(
                CONTROL, 0, "IEA02", get(e, 2), f"IEA02 {get(e, 2)!r} does not match ISA13 {self.isa_control!r}"
            )
        self.interchange_open = False

    def _finish(self) -> None:
        """The end of the file: whatever is still open is unterminated."""
        if self.tx is not None:
            self._problem(ENVELOPE, 0, "SE", "", f"the file ends inside transaction {self.tx.control} (no SE)")
            self._end_transaction(closed=False, truncated=True)
        if self.group_control:
            self._problem(ENVELOPE, 0, "GE", "", f"group {self.group_control} has no GE trailer")
            self.group_control = ""
        if self.interchange_open:
            self._problem(ENVELOPE, 0, "IEA", "", "the interchange has no IEA trailer")
            self.interchange_open = False

    def _end_transaction(self, *, closed: bool, truncated: bool = False) -> None:
        tx = self.tx
        assert tx is not None
        self._end_claim()
        if truncated or tx.skipped:
            reason = (
                "the file ends inside this line's transaction: its later lines may be missing"
                if truncated
                else "its transaction is not an 837 5010 transaction and was skipped"
            )
            for ln in tx.lines:
                if isinstance(ln, MappedLines):
                    texts = ln.texts()
                    self.invalid.extend(InvalidRow(ln.ordinal + i, reason, t) for i, t in enumerate(texts))
                else:
                    self.invalid.append(InvalidRow(ln.ordinal, reason, line_text(ln)))
        else:
            self.out.extend(tx.lines)
            self.out_rows += sum(len(ln) if isinstance(ln, MappedLines) else 1 for ln in tx.lines)
        self.tx = None
        self.claim = None
        self.line = None
        self._open_claim = None


_HANDLERS = {
    "ISA": X12Reader._isa,
    "GS": X12Reader._gs,
    "ST": X12Reader._st,
    "SE": X12Reader._se,
    "GE": X12Reader._ge,
    "IEA": X12Reader._iea,
    "HL": X12Reader._hl,
    "NM1": X12Reader._nm1,
    "DMG": X12Reader._dmg,
    "SBR": X12Reader._sbr,
    "CLM": X12Reader._clm,
    "REF": X12Reader._ref,
    "PWK": X12Reader._pwk,
    "DTP": X12Reader._dtp,
    "HI": X12Reader._hi,
    "LX": X12Reader._lx,
    "SV1": X12Reader._sv1,
    "SV2": X12Reader._sv2,
    "SVD": X12Reader._svd,
    "LIN": X12Reader._lin,
    "CTP": X12Reader._ctp,
}
