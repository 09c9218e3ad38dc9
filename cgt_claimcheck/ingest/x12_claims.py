"""X12 837 claim mapping: the hierarchy, claim and service-line segments to the canonical columns.

A mixin of the reader (ingest/x12.py), which owns the segment stream, the envelope and problems;
here each segment of the 2000-2400 loops updates the open claim or line (one row per 2400 loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cgt_claimcheck.ingest.reader import InvalidRow

if TYPE_CHECKING:
    from cgt_claimcheck.ingest.x12_blocks import MappedLines
from cgt_claimcheck.ingest.x12_syntax import ATTACHED_BY, SEPARATOR, STRUCTURE, VERSION, LinePlaces, Separators, at, get


@dataclass
class LineState:
    ordinal: int
    values: dict[str, str]
    attached: bool = False
    adjudicated: bool = False  # inside its 2430 loop (after SVD): another payer's adjudication, not the line


@dataclass
class ClaimState:
    values: dict[str, str]
    lines: list[LineState] = field(default_factory=list)
    attached: bool = False
    segment: int = 0
    diagnoses: list[str] = field(default_factory=list)  # HI ABK, then ABF
    pcs: list[str] = field(default_factory=list)  # HI BBR, then BBQ
    conditions: list[str] = field(default_factory=list)  # HI BG


@dataclass
class TransactionState:
    control: str  # ST02
    claim_type: str  # 837P or 837I, from ST03 (GS08 when empty)
    segments: int = 1  # so far, ST included: what SE01 must say
    skipped: bool = False  # not an 837 5010 transaction: its lines are rejected
    lines: list[LineState | MappedLines] = field(default_factory=list)  # released at SE (mapped bodies' as a piece)


class ClaimMapping:
    """The claim-level handlers of X12Reader. The reader owns the state below and sets it up."""

    seps: Separators
    payer: str | None  # --payer, overriding 2010BB
    tx: TransactionState | None
    claim: ClaimState | None
    line: LineState | None
    hl_levels: dict[str, str]  # HL01 -> HL03 of the transaction
    level: str  # HL03 of the current HL
    sub_values: dict[str, str]  # 2010BA/2010BB: member, date of birth, payer
    billing: dict[str, str]  # 2010AA
    patient_dob: str  # 2010CA
    in_other_payer: bool  # inside 2320/2330 (another payer's loops)
    loop_entity: str  # NM101 of the current name loop
    ordinal: int
    outside: int
    invalid: list[InvalidRow]
    tx_labels: list[str]
    places: LinePlaces
    segment_offset: int
    segment_line: int
    segments_read: int

    def _problem(self, code: str, row: int, field_: str, value: str, reason: str) -> None:
        raise NotImplementedError  # X12Reader reports problems

    def _row(self) -> int:
        raise NotImplementedError

    # --- hierarchy and names -------------------------------------------------------------------
    def _hl(self, e: list[str]) -> None:
        if self.tx is None:
            return
        self._end_claim()
        number, parent, level = get(e, 1), get(e, 2), get(e, 3)
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
        elif parent in self.hl_levels and (level, self.hl_levels[parent]) not in (("22", "20"), ("23", "22")):
            self._problem(
                STRUCTURE, 0, "HL02", parent, f"HL {number} (level {level}) has a level {self.hl_levels[parent]} parent"
            )
        elif level != "20" and not parent:
            self._problem(STRUCTURE, 0, "HL02", "", f"HL {number} (level {level}) has no parent")
        self.hl_levels[number] = level
        self.level = level
        if level == "20":
            self.billing = {}
        if level in ("20", "22"):
            self.sub_values = {}
        if level in ("22", "23"):  # each patient brings their own date of birth, or none
            self.patient_dob = ""
        self.loop_entity = ""
        self.in_other_payer = False

    def _nm1(self, e: list[str]) -> None:
        entity = get(e, 1)
        self.loop_entity = entity
        npi = get(e, 9) if get(e, 8) == "XX" else ""
        if self.claim is None:
            if entity == "85" and self.level == "20":
                self.billing["billing_npi"] = npi
            elif entity == "IL" and self.level == "22":
                self.sub_values["member_id"] = get(e, 9)
            elif entity == "PR" and self.level == "22":
                self.sub_values["payer"] = get(e, 9)
            return
        if self.in_other_payer:
            return  # 2330x: another payer's names (NM1*77 there is not our facility)
        if entity == "77" and npi:  # a facility without an NPI leaves the one above it in force
            target = self.line if self.line is not None else self.claim
            target.values["facility_npi"] = npi
            loop = (
                "2420C"
                if self.line is not None
                else ("2310E" if self.claim.values["claim_type"] == "837I" else "2310C")
            )
            target.values["facility_npi_source"] = loop

    def _dmg(self, e: list[str]) -> None:
        if self.claim is not None or get(e, 1) != "D8":
            return
        if self.level == "23" and self.loop_entity == "QC":
            self.patient_dob = get(e, 2)
        elif self.level == "22" and self.loop_entity == "IL":
            self.sub_values["member_dob"] = get(e, 2)

    def _sbr(self, e: list[str]) -> None:
        if self.claim is not None:
            self.in_other_payer = True  # 2320: other subscriber information, until the first LX

    # --- claim ---------------------------------------------------------------------------------
    def _clm(self, e: list[str]) -> None:
        if self.tx is None or self.tx.skipped:
            return
        self._end_claim()
        tx = self.tx
        self.claim = ClaimState({"claim_id": get(e, 1)}, segment=tx.segments)  # named in CLM05's problems
        place = self._composite(get(e, 5), "CLM05")
        values = {
            "claim_id": get(e, 1),
            "claim_type": tx.claim_type,
            "payer": self.payer or self.sub_values.get("payer", ""),
            "member_id": self.sub_values.get("member_id", ""),
            # A dependent patient (2000C) has a date of birth of their own, or none: never the subscriber's.
            "member_dob": self.patient_dob if self.level == "23" else self.sub_values.get("member_dob", ""),
            "billing_npi": self.billing.get("billing_npi", ""),
            "claim_frequency": at(place, 2),
        }
        if tx.claim_type == "837I":
            values["bill_type"] = at(place, 0) + at(place, 2)
        else:
            values["place_of_service"] = at(place, 0)
        if self.level not in ("22", "23"):
            self._problem(STRUCTURE, 0, "CLM", get(e, 1), "a claim outside a subscriber or patient HL")
        self.claim.values = values
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
        # PWK02 BM, EL, EM, FT or FX send the document; AA (available on request) does not: it is
        # read as what it means, not attached (AU002's hint names the X12 values).
        attached = "Y" if claim.attached or any(ln.attached for ln in claim.lines) else ""
        if "facility_npi" not in claim.values:
            claim.values["facility_npi"] = claim.values.get("billing_npi", "")
            claim.values["facility_npi_source"] = "2010AA"
        shared = claim.values | {
            "diagnosis_codes": ";".join(claim.diagnoses),
            "icd10_pcs_codes": ";".join(claim.pcs),
            "condition_codes": ";".join(claim.conditions),
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
        if self.claim is None or self.in_other_payer or get(e, 1) != "G1":
            return
        if self.line is not None:
            self.line.values["prior_auth"] = get(e, 2)
        elif self.loop_entity == "":
            self.claim.values["prior_auth"] = get(e, 2)

    def _pwk(self, e: list[str]) -> None:
        if self.claim is None:
            return
        report_type, how = get(e, 1), get(e, 2)
        if report_type == "CT":
            return  # certification, not a document
        target = self.line if self.line is not None else self.claim
        if how in ATTACHED_BY:
            target.attached = True

    def _dtp(self, e: list[str]) -> None:
        if self.claim is None or self.in_other_payer:
            return
        qualifier, form, value = get(e, 1), get(e, 2), get(e, 3)
        start = value.split("-", 1)[0] if form == "RD8" else value
        if qualifier == "472" and self.line is not None:
            self.line.values["service_date"] = start
            if form == "RD8" and "-" in value:
                self.line.values["service_date_to"] = value.split("-", 1)[1]
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
            qualifier, code = at(parts, 0), at(parts, 1)
            if len(parts) < 2:
                loose.append(f"HI{number:02}")
            elif qualifier in ("ABK", "ABF"):
                self.claim.diagnoses.append(code)
            elif qualifier in ("BBR", "BBQ"):
                self.claim.pcs.append(code)
            elif qualifier == "BG":
                self.claim.conditions.append(code)
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
        self.places.add(len(self.tx_labels) - 1, self.tx.segments, self.segment_line, self.segment_offset)
        line = LineState(self.ordinal, {"line_number": get(e, 1)})
        self.in_other_payer = False
        self.loop_entity = ""
        if self.tx.skipped:
            self.tx.lines.append(line)
            return
        if self.claim is None:
            self.line = line
            self._problem(
                STRUCTURE, line.ordinal, "LX", get(e, 1), "a service line outside a claim (LX before any CLM)"
            )
            self.invalid.append(InvalidRow(line.ordinal, "a service line outside a claim (no CLM)", line_text(line)))
            self.line = None
            return
        self.claim.lines.append(line)
        self.line = line

    def _outside_transaction(self, sid: str, e: list[str]) -> None:
        """A segment between transactions (an ST lost): reported once per run of them; an LX there
        is a service line that belongs to no claim, counted and rejected, never dropped."""
        self.outside += 1
        if self.outside == 1:
            self._problem(
                STRUCTURE, 0, sid[:3], sid[:3], f"{sid[:3]} and what follows it lie outside any transaction (no ST)"
            )
        if sid == "LX":
            self.ordinal += 1
            self.places.add(max(len(self.tx_labels) - 1, 0), 0, self.segment_line, self.segment_offset)
            reason = "a service line outside any transaction (no ST before it)"
            self.invalid.append(InvalidRow(self.ordinal, reason, f"line {get(e, 1)}"))

    def _sv1(self, e: list[str]) -> None:
        if self.line is None:
            return
        code = self._composite(get(e, 1), "SV101")
        self.line.values.update(
            procedure_code=at(code, 1),
            modifiers=";".join(m for m in code[2:6] if m),
            charge=get(e, 2),
            units=get(e, 4),
        )
        if get(e, 5):
            self.line.values["place_of_service"] = get(e, 5)

    def _sv2(self, e: list[str]) -> None:
        if self.line is None:
            return
        code = self._composite(get(e, 2), "SV202") if get(e, 2) else []
        self.line.values.update(
            revenue_code=get(e, 1),
            procedure_code=at(code, 1),
            modifiers=";".join(m for m in code[2:6] if m),
            charge=get(e, 3),
            units=get(e, 5),
        )

    def _svd(self, e: list[str]) -> None:
        if self.line is not None:
            self.line.adjudicated = True  # 2430: what another payer paid; its segments are not the line's

    def _lin(self, e: list[str]) -> None:
        if self.line is not None and not self.line.adjudicated and get(e, 2) == "N4":
            self.line.values["ndc"] = get(e, 3)

    def _ctp(self, e: list[str]) -> None:
        if self.line is not None and not self.line.adjudicated:
            self.line.values["ndc_quantity"] = get(e, 4)
            self.line.values["ndc_unit"] = at(self._composite(get(e, 5), "CTP05"), 0)

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


def line_text(line: LineState) -> str:
    claim = line.values.get("claim_id", "")
    return (
        f"claim {claim} line {line.values.get('line_number', '')}"
        if claim
        else f"line {line.values.get('line_number', '')}"
    )
