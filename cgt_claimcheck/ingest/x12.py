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

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from cgt_claimcheck.errors import UsageError
from cgt_claimcheck.ingest.columns import COLUMNS
from cgt_claimcheck.ingest.reader import InvalidRow, RawBatch
from cgt_claimcheck.ingest.source import ByteSource

BLOCK_BYTES = 8 << 20
BOM = b"\xef\xbb\xbf"
SUPPORTED = {"005010X222A1": "837P", "005010X223A2": "837I"}  # the versions HIPAA adopted
READABLE = {  # the base guides and their later errata read the same way, with a warning
    "005010X222": "837P",
    "005010X222A2": "837P",
    "005010X223": "837I",
    "005010X223A1": "837I",
    "005010X223A3": "837I",
}
KNOWN_SEGMENTS = frozenset(
    "ISA IEA GS GE ST SE TA1 BHT NM1 N2 N3 N4 REF PER PRV HL SBR PAT DMG CLM DTP CL1 PWK CN1 AMT K3 NTE CR1 CR2 "
    "CR3 CR4 CR5 CR6 CR7 CR8 CRC HI HCP QTY MEA LX SV1 SV2 SV3 SV4 SV5 SV6 SV7 TOO LIN CTP SVD CAS MOA MIA OI PS1 "
    "HSD FRM LQ CUR".split()
)
SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
ATTACHED_BY = frozenset({"BM", "EL", "EM", "FT", "FX"})  # PWK02: sent by mail, electronically, e-mail, FTP, fax
X12_COLUMNS = tuple(c for c in COLUMNS if c != "mcp_enrolled")  # eligibility is not on an 837

# Problem codes: the XE rules (rules/x12.py) report them. SEPARATOR: a composite the payer's
# translator cannot split (error); FORMAT: what a translator reads with a warning.
ENVELOPE, CONTROL, VERSION, SEPARATOR, FORMAT, STRUCTURE = "XE001", "XE002", "XE003", "XE004", "XE005", "XE006"


@dataclass
class X12Problem:
    code: str
    row: int  # the service line it concerns, 0 when none
    field: str  # the segment or element at fault (SE01, CLM05, HL)
    value: str  # that element only, never a whole name or address segment
    reason: str  # ends with the provenance: (ISA 000000905, GS 1, ST 0001, segment 23)
    claim_id: str = ""
    line_number: str = ""


@dataclass
class Separators:
    element: str
    component: str
    repetition: str | None
    terminator: str


def is_x12(path: str) -> bool:
    """Sniff the content (never the name): a .csv that holds X12 reads as X12, and the reverse."""
    try:
        source = ByteSource(path, text=False)
        with source.raw() as fh:
            head = fh.read(4096)
    except (UsageError, OSError, EOFError):
        return False  # the CSV reader says what is wrong with it
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and looks_like_x12(head[2:].replace(b"\x00", b"")):
        raise UsageError("an X12 file in UTF-16: X12 is ASCII text; convert it (iconv -f UTF-16 -t ASCII)", file=path)
    return looks_like_x12(head)


def looks_like_x12(head: bytes) -> bool:
    """After an optional byte-order mark and whitespace: 'ISA' and a non-alphanumeric character."""
    text = head[len(BOM) :] if head.startswith(BOM) else head
    text = text.lstrip(b" \t\r\n")
    return len(text) >= 4 and text[:3] == b"ISA" and not chr(text[3]).isalnum()


def read_isa(text: str, display: str) -> tuple[Separators, int, list[str]]:
    """(separators, offset after the ISA's terminator, warnings) from the start of the file.

    The element separator is the byte after 'ISA'; ISA16 (the component separator) follows the
    16th element separator, and the segment terminator follows ISA16. So an ISA that is not
    fixed-width still reads (it is reported).
    """
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if text[start : start + 3] != "ISA":
        raise UsageError("not an X12 interchange: no ISA segment at the start", file=display, line=1)
    element = text[start + 3]
    position, found = start + 3, 0
    while found < 16:
        position = text.find(element, position + 1) if found else position
        if position < 0:
            raise UsageError(f"the ISA has {found} of its 16 elements: not a readable interchange", file=display)
        found += 1
    if position + 2 >= len(text):
        raise UsageError("the ISA ends before its component separator and segment terminator", file=display)
    component, terminator = text[position + 1], text[position + 2]
    fields = text[start:position].split(element)
    version = fields[12] if len(fields) > 12 else ""
    warnings = []
    repetition = fields[11] if len(fields) > 11 else ""
    chosen = {element, component, terminator}
    if len(chosen) < 3 or any(c.isalnum() for c in chosen):
        raise UsageError(
            f"the ISA's separators are not distinct non-alphanumeric characters "
            f"(element {element!r}, component {component!r}, terminator {terminator!r})",
            file=display,
        )
    if version == "00501" and len(repetition) == 1 and not repetition.isalnum() and repetition not in chosen:
        rep: str | None = repetition
    else:
        rep = None
        if version == "00501":
            warnings.append(
                f"ISA11 {repetition!r} is not a repetition separator distinct from the others: read as none"
            )
        elif len(repetition) == 1 and not repetition.isalnum():
            warnings.append(f"ISA11 {repetition!r} is a repetition separator, which version {version} does not allow")
    if position + 3 - start != 106:
        warnings.append(f"the ISA is {position + 3 - start} characters, not the fixed 106: read by its separators")
    return Separators(element, component, rep, terminator), position + 3, warnings


@dataclass
class _Line:
    ordinal: int
    values: dict[str, str]
    attached: bool = False


@dataclass
class _Claim:
    values: dict[str, str]
    lines: list[_Line] = field(default_factory=list)
    attached: bool = False
    available_on_request: bool = False
    segment: int = 0


@dataclass
class _Transaction:
    control: str
    claim_type: str
    position: str  # ISA/GS/ST control numbers, for provenance
    segments: int = 1
    skipped: bool = False
    lines: list[_Line] = field(default_factory=list)


class X12Reader:
    """One X12 file: `batches()` yields RawBatch (canonical string columns); `problems` afterwards."""

    def __init__(self, path: str, *, payer: str | None = None, batch_rows: int = 250_000) -> None:
        self.path = path
        self.source = ByteSource(path, text=False)
        self.display = self.source.display
        self.batch_rows = batch_rows
        self.payer = payer
        self.columns = {c: c for c in X12_COLUMNS}
        self.problems: list[X12Problem] = []
        self.segments_read = 0
        self.transactions_read = 0

    # --- the segment stream --------------------------------------------------------------------
    def _segments(self) -> Iterator[tuple[str, int]]:
        """(segment text, byte offset) of each segment after the ISA, stripped of CR/LF and indentation."""
        blocks = self.source.blocks(BLOCK_BYTES)
        head = b""
        for block in blocks:
            head += block
            if len(head) >= 4096 or not block:
                break
        if head.startswith(BOM):
            self._problem(FORMAT, 0, "(file)", "BOM", "the file starts with a byte-order mark before the ISA")
            head = head[len(BOM) :]
        text = head.decode("latin-1")
        self.seps, end, warnings = read_isa(text, self.display)
        isa = text[:end].strip(" \t\r\n").rstrip(self.seps.terminator).split(self.seps.element)
        self.isa_control = isa[13] if len(isa) > 13 else ""
        for warning in warnings:
            self._problem(FORMAT, 0, "ISA", "", warning)
        terminator = self.seps.terminator
        strip_breaks = terminator not in "\r\n"
        yield text[: end - 1].strip(" \t\r\n"), 0
        leftover = ""
        for data in itertools.chain([text[end:]], (block.decode("latin-1") for block in blocks)):
            data = leftover + data
            if strip_breaks:
                data = data.replace("\r", "").replace("\n", "")
            parts = data.split(terminator)
            leftover = parts.pop()
            for part in parts:
                yield part, 1
        if leftover.strip(" \t\r\n\x00\x1a"):
            yield leftover, -1  # the file ends inside this segment

    # --- problems ------------------------------------------------------------------------------
    def _where(self) -> str:
        parts = [f"ISA {self.isa_control}" if getattr(self, "isa_control", "") else ""]
        if self.group_control:
            parts.append(f"GS {self.group_control}")
        if self.tx is not None:
            parts.append(f"ST {self.tx.control}, segment {self.tx.segments}")
        else:
            parts.append(f"segment {self.segments_read} of the file")
        return "(" + ", ".join(p for p in parts if p) + ")"

    def _problem(self, code: str, row: int, field_: str, value: str, reason: str) -> None:
        where = self._where() if hasattr(self, "tx") else "(ISA)"
        claim = self.claim.values.get("claim_id", "") if getattr(self, "claim", None) else ""
        line = self.line.values.get("line_number", "") if getattr(self, "line", None) else ""
        self.problems.append(X12Problem(code, row, field_, value[:80], f"{reason} {where}", claim, line))

    # --- batches -------------------------------------------------------------------------------
    def batches(self) -> Iterator[RawBatch]:
        self.tx: _Transaction | None = None
        self.claim: _Claim | None = None
        self.line: _Line | None = None
        self.group_control = ""
        self.out: list[_Line] = []
        self.invalid: list[InvalidRow] = []
        self.ordinal = 0
        self._reset_group()
        for text, flag in self._segments():
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
                        ENVELOPE,
                        0,
                        "(file)",
                        text.strip()[:3],
                        "the file ends inside a segment (no segment terminator)",
                    )
                    break
                self._problem(FORMAT, 0, text.strip()[:3], "", "the last segment has no segment terminator")
            self._segment(text)
            if len(self.out) >= self.batch_rows:
                yield self._batch()
        self._finish()
        if self.out or self.invalid:
            yield self._batch()
        if not self.supported_seen:
            raise UsageError(
                "no 837 5010 transaction (005010X222 / 005010X223) in the interchange: nothing could be read",
                file=self.display,
            )

    def _batch(self) -> RawBatch:
        lines, self.out = self.out, []
        invalid, self.invalid = self.invalid, []
        columns = {name: pa.array([ln.values.get(name, "") for ln in lines], pa.string()) for name in X12_COLUMNS}
        table = pa.table(columns)
        return RawBatch(table, np.array([ln.ordinal for ln in lines], dtype=np.int64), invalid)

    def _reset_group(self) -> None:
        self.group_version = ""
        self.group_transactions = 0
        self.supported_seen = getattr(self, "supported_seen", False)
        self.groups = getattr(self, "groups", 0)
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
        if self.tx is not None:
            self.tx.segments += 1
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
    def _isa(self, e: list[str]) -> None:
        if self.tx is not None or self.group_control:
            self._finish()
        self.isa_control = e[13] if len(e) > 13 else ""
        self.interchange_open = True
        self.groups = 0

    def _gs(self, e: list[str]) -> None:
        if self.tx is not None:
            self._end_transaction(closed=False)
        if self.group_control:
            self._problem(ENVELOPE, 0, "GE", "", f"group {self.group_control} has no GE trailer")
        self._reset_group()
        self.group_control = _get(e, 6)
        self.group_version = _get(e, 8)
        self.groups += 1

    def _st(self, e: list[str]) -> None:
        if self.tx is not None:
            self._problem(ENVELOPE, 0, "SE", "", f"transaction {self.tx.control} has no SE trailer")
            self._end_transaction(closed=False)
        if not self.group_control:
            self._problem(ENVELOPE, 0, "GS", "", "a transaction outside a functional group (no GS before ST)")
        version = _get(e, 3) or self.group_version
        self.tx = _Transaction(_get(e, 2), "", "")
        self.group_transactions += 1
        self.transactions_read += 1
        self.hl_levels = {}
        self.level = ""
        self.claim = None
        self.line = None
        if _get(e, 1) != "837":
            self.tx.skipped = True
            self._problem(VERSION, 0, "ST01", _get(e, 1), f"transaction set {_get(e, 1)!r} is not an 837: skipped")
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
                VERSION, 0, "ST03", version, f"version {version} read as {kind} ({_adopted(kind)} is the adopted one)"
            )
        if self.group_version and _get(e, 3) and self.group_version != _get(e, 3):
            detail = f"GS08 {self.group_version} but ST03 {_get(e, 3)}"
            if group_kind != kind:
                detail += f": read as {kind}, as ST03 says"
            self._problem(VERSION, 0, "GS08", self.group_version, detail)

    def _se(self, e: list[str]) -> None:
        if self.tx is None:
            self._problem(ENVELOPE, 0, "SE", "", "an SE trailer without its ST")
            return
        count, control = _get(e, 1), _get(e, 2)
        if count != str(self.tx.segments):
            self._problem(
                CONTROL, 0, "SE01", count, f"SE01 says {count} segments; the transaction has {self.tx.segments}"
            )
        if control != self.tx.control:
            self._problem(CONTROL, 0, "SE02", control, f"SE02 {control!r} does not match ST02 {self.tx.control!r}")
        self._end_transaction(closed=True)

    def _ge(self, e: list[str]) -> None:
        if self.tx is not None:
            self._problem(ENVELOPE, 0, "SE", "", f"transaction {self.tx.control} has no SE trailer")
            self._end_transaction(closed=False)
        if not self.group_control:
            self._problem(ENVELOPE, 0, "GE", "", "a GE trailer without its GS")
            return
        if _get(e, 1) != str(self.group_transactions):
            self._problem(
                CONTROL,
                0,
                "GE01",
                _get(e, 1),
                f"GE01 says {_get(e, 1)} transactions; the group has {self.group_transactions}",
            )
        if _get(e, 2) != self.group_control:
            self._problem(
                CONTROL, 0, "GE02", _get(e, 2), f"GE02 {_get(e, 2)!r} does not match GS06 {self.group_control!r}"
            )
        self.group_control = ""

    def _iea(self, e: list[str]) -> None:
        if self.tx is not None:
            self._problem(ENVELOPE, 0, "SE", "", f"transaction {self.tx.control} has no SE trailer")
            self._end_transaction(closed=False)
        if self.group_control:
            self._problem(ENVELOPE, 0, "GE", "", f"group {self.group_control} has no GE trailer")
            self.group_control = ""
        if _get(e, 1) != str(self.groups):
            self._problem(
                CONTROL, 0, "IEA01", _get(e, 1), f"IEA01 says {_get(e, 1)} groups; the interchange has {self.groups}"
            )
        if _get(e, 2) != self.isa_control:
            self._problem(
                CONTROL, 0, "IEA02", _get(e, 2), f"IEA02 {_get(e, 2)!r} does not match ISA13 {self.isa_control!r}"
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
        if getattr(self, "interchange_open", True):
            self._problem(ENVELOPE, 0, "IEA", "", "the interchange has no IEA trailer")
            self.interchange_open = False

    def _end_transaction(self, *, closed: bool, truncated: bool = False) -> None:
        tx = self.tx
        assert tx is not None
        self._end_claim()
        if truncated:
            reason = "the file ends inside this line's transaction: its later lines may be missing"
            self.invalid.extend(InvalidRow(ln.ordinal, reason, _line_text(ln)) for ln in tx.lines)
        elif tx.skipped:
            reason = "its transaction is not an 837 5010 transaction and was skipped"
            self.invalid.extend(InvalidRow(ln.ordinal, reason, _line_text(ln)) for ln in tx.lines)
        else:
            self.out.extend(tx.lines)
        self.tx = None
        self.claim = None
        self.line = None

    # --- hierarchy and names -------------------------------------------------------------------
    def _hl(self, e: list[str]) -> None:
        if self.tx is None:
            return
        self._end_claim()
        number, parent, level = _get(e, 1), _get(e, 2), _get(e, 3)
        expected = str(len(self.hl_levels) + 1)
        if number != expected:
            self._problem(
                STRUCTURE, 0, "HL01", number, f"HL01 is {number!r}, expected {expected} (HL numbers count up from 1)"
            )
        if parent and parent not in self.hl_levels:
            self._problem(
                STRUCTURE, 0, "HL02", parent, f"HL {number} names parent {parent!r}, which is not an earlier HL"
            )
        if level not in ("20", "22", "23"):
            self._problem(STRUCTURE, 0, "HL03", level, f"HL {number} has level code {level!r}, not 20, 22 or 23")
        elif level != "20" and not parent:
            self._problem(STRUCTURE, 0, "HL02", "", f"HL {number} (level {level}) has no parent")
        self.hl_levels[number] = level
        self.level = level
        if level == "20":
            self.billing = {}
        if level in ("20", "22"):
            self.sub_values = {}
        if level == "22":
            self.patient_dob = ""
        self.loop_entity = ""
        self.in_other_payer = False

    def _nm1(self, e: list[str]) -> None:
        entity = _get(e, 1)
        self.loop_entity = entity
        npi = _get(e, 9) if _get(e, 8) == "XX" else ""
        if self.claim is None:
            if entity == "85" and self.level == "20":
                self.billing["billing_npi"] = npi
            elif entity == "IL" and self.level == "22":
                self.sub_values["member_id"] = _get(e, 9)
            elif entity == "PR" and self.level == "22":
                self.sub_values["payer"] = _get(e, 9)
            return
        if self.in_other_payer:
            return  # 2330x: another payer's names (NM1*77 there is not our facility)
        if entity == "77":
            if self.line is not None:
                self.line.values["facility_npi"] = npi
            else:
                self.claim.values["facility_npi"] = npi

    def _dmg(self, e: list[str]) -> None:
        if self.claim is not None or _get(e, 1) != "D8":
            return
        if self.level == "23" and self.loop_entity == "QC":
            self.patient_dob = _get(e, 2)
        elif self.level == "22" and self.loop_entity == "IL":
            self.sub_values["member_dob"] = _get(e, 2)

    def _sbr(self, e: list[str]) -> None:
        if self.claim is not None:
            self.in_other_payer = True  # 2320: other subscriber information, until the first LX

    # --- claim ---------------------------------------------------------------------------------
    def _clm(self, e: list[str]) -> None:
        if self.tx is None or self.tx.skipped:
            return
        self._end_claim()
        tx = self.tx
        self.claim = _Claim({"claim_id": _get(e, 1)}, segment=tx.segments)  # named in CLM05's problems
        place = self._composite(_get(e, 5), "CLM05")
        values = {
            "claim_id": _get(e, 1),
            "claim_type": tx.claim_type,
            "payer": self.payer or self.sub_values.get("payer", ""),
            "member_id": self.sub_values.get("member_id", ""),
            "member_dob": self.patient_dob
            if self.level == "23" and self.patient_dob
            else self.sub_values.get("member_dob", ""),
            "billing_npi": self.billing.get("billing_npi", ""),
            "claim_frequency": _at(place, 2),
        }
        if tx.claim_type == "837I":
            values["bill_type"] = _at(place, 0) + _at(place, 2)
        else:
            values["place_of_service"] = _at(place, 0)
        if self.level not in ("22", "23"):
            self._problem(STRUCTURE, 0, "CLM", _get(e, 1), "a claim outside a subscriber or patient HL")
        self.claim.values = values
        self.claim_dx: list[str] = []
        self.claim_pcs: list[str] = []
        self.claim_conditions: list[str] = []
        self.in_other_payer = False
        self.loop_entity = ""

    def _end_claim(self) -> None:
        claim = self.claim
        if claim is None:
            return
        self.line = None
        self.claim = None
        if not claim.lines:
            self.claim = claim  # for the problem's claim number
            self._problem(STRUCTURE, 0, "CLM", claim.values["claim_id"], "a claim without service lines (no LX)")
            self.claim = None
            return
        attached = "Y" if claim.attached or any(ln.attached for ln in claim.lines) else ""
        if not attached and claim.available_on_request:
            attached = "AA"  # PWK02 AA: available on request, not attached (the hint says so)
        claim.values.setdefault("facility_npi", claim.values.get("billing_npi", ""))
        shared = claim.values | {
            "diagnosis_codes": ";".join(self.claim_dx),
            "icd10_pcs_codes": ";".join(self.claim_pcs),
            "condition_codes": ";".join(self.claim_conditions),
            "invoice_attached": attached or "N",
        }
        assert self.tx is not None
        for ln in claim.lines:
            ln.values = shared | {k: v for k, v in ln.values.items() if v or k not in shared}
            if not ln.values.get("service_date"):
                ln.values["service_date"] = claim.values.get("statement_from", "")
            ln.values.pop("statement_from", None)
            self.tx.lines.append(ln)

    def _ref(self, e: list[str]) -> None:
        if self.claim is None or self.in_other_payer or _get(e, 1) != "G1":
            return
        if self.line is not None:
            self.line.values["prior_auth"] = _get(e, 2)
        elif self.loop_entity == "":
            self.claim.values["prior_auth"] = _get(e, 2)

    def _pwk(self, e: list[str]) -> None:
        if self.claim is None:
            return
        report_type, how = _get(e, 1), _get(e, 2)
        if report_type == "CT":
            return  # certification, not a document
        target = self.line if self.line is not None else self.claim
        if how in ATTACHED_BY:
            target.attached = True
        elif how == "AA":
            self.claim.available_on_request = True

    def _dtp(self, e: list[str]) -> None:
        if self.claim is None or self.in_other_payer:
            return
        qualifier, form, value = _get(e, 1), _get(e, 2), _get(e, 3)
        start = value.split("-", 1)[0] if form == "RD8" else value
        if qualifier == "472" and self.line is not None:
            self.line.values["service_date"] = start
        elif qualifier == "434" and self.line is None:
            self.claim.values["statement_from"] = start

    def _hi(self, e: list[str]) -> None:
        if self.claim is None or self.in_other_payer:
            return
        icd9, loose = [], []
        for number, element in enumerate(e[1:], start=1):
            if not element:
                continue
            parts = self._composite(element, f"HI{number:02}")
            qualifier, code = _at(parts, 0), _at(parts, 1)
            if len(parts) < 2:
                loose.append(f"HI{number:02}")
            elif qualifier in ("ABK", "ABF"):
                self.claim_dx.append(code)
            elif qualifier in ("BBR", "BBQ"):
                self.claim_pcs.append(code)
            elif qualifier == "BG":
                self.claim_conditions.append(code)
            elif qualifier in ("BK", "BF", "BJ", "BN", "BR", "BQ"):
                icd9.append(f"{qualifier} {code}")
        if loose:  # one finding for the segment, however many of its elements
            sep = self.seps.component
            self._problem(
                SEPARATOR, 0, loose[0], e[int(loose[0][2:])], f"{', '.join(loose)} not written as qualifier{sep}code"
            )
        if icd9:
            listed = ", ".join(icd9)
            self._problem(
                VERSION,
                0,
                "HI",
                icd9[0],
                f"ICD-9 codes ({listed[:60]}) are not read: 5010 claims use ICD-10 (ABK, ABF)",
            )

    # --- service lines -------------------------------------------------------------------------
    def _lx(self, e: list[str]) -> None:
        if self.tx is None:
            return
        self.ordinal += 1
        line = _Line(self.ordinal, {"line_number": _get(e, 1)})
        self.in_other_payer = False
        self.loop_entity = ""
        if self.tx.skipped:
            self.tx.lines.append(line)
            return
        if self.claim is None:
            self.line = line
            self._problem(
                STRUCTURE, line.ordinal, "LX", _get(e, 1), "a service line outside a claim (LX before any CLM)"
            )
            self.invalid.append(InvalidRow(line.ordinal, "a service line outside a claim (no CLM)", _line_text(line)))
            self.line = None
            return
        self.claim.lines.append(line)
        self.line = line

    def _sv1(self, e: list[str]) -> None:
        if self.line is None:
            return
        code = self._composite(_get(e, 1), "SV101")
        self.line.values.update(
            procedure_code=_at(code, 1),
            modifiers=";".join(m for m in code[2:6] if m),
            charge=_get(e, 2),
            units=_get(e, 4),
        )
        if _get(e, 5):
            self.line.values["place_of_service"] = _get(e, 5)

    def _sv2(self, e: list[str]) -> None:
        if self.line is None:
            return
        code = self._composite(_get(e, 2), "SV202") if _get(e, 2) else []
        self.line.values.update(
            revenue_code=_get(e, 1),
            procedure_code=_at(code, 1),
            modifiers=";".join(m for m in code[2:6] if m),
            charge=_get(e, 3),
            units=_get(e, 5),
        )

    def _lin(self, e: list[str]) -> None:
        if self.line is not None and _get(e, 2) == "N4":
            self.line.values["ndc"] = _get(e, 3)

    def _ctp(self, e: list[str]) -> None:
        if self.line is not None:
            self.line.values["ndc_quantity"] = _get(e, 4)
            self.line.values["ndc_unit"] = _at(self._composite(_get(e, 5), "CTP05"), 0)

    def _composite(self, element: str, name: str) -> list[str]:
        """A composite's components. One written with another separator is read, and reported."""
        separator = self.seps.component
        if separator in element or not element:
            return element.split(separator)
        for other in ":^>|!\\":
            if other != separator and other in element and other != self.seps.element:
                self._problem(
                    SEPARATOR,
                    self._row(),
                    name,
                    element,
                    f"{name} separates its components with {other!r}, not the declared ISA16 {separator!r}",
                )
                return element.split(other)
        return [element]


def _get(e: list[str], i: int) -> str:
    return e[i].strip() if i < len(e) else ""


def _at(parts: list[str], i: int) -> str:
    return parts[i].strip() if i < len(parts) else ""


def _adopted(kind: str) -> str:
    return next(v for v, k in SUPPORTED.items() if k == kind)


def _line_text(line: _Line) -> str:
    claim = line.values.get("claim_id", "")
    return (
        f"claim {claim} line {line.values.get('line_number', '')}"
        if claim
        else f"line {line.values.get('line_number', '')}"
    )


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
    "LIN": X12Reader._lin,
    "CTP": X12Reader._ctp,
}
