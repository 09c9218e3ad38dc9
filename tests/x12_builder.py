"""Write CGT 837P/837I files from canonical claim lines, with the lines as the ground truth.

`build(claims, ...)` returns (bytes of the file, the canonical rows the reader must give back).
Separators, CRLF, indentation and a byte-order mark are parameters, so a property test can write
the same claims every legal way and read them back equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Line:
    procedure_code: str = "J3392"
    modifiers: tuple[str, ...] = ()
    units: str = "1"
    charge: str = "2100000"
    service_date: str = "20250301"
    ndc: str = "51167029001"
    ndc_quantity: str = "1"
    ndc_unit: str = "UN"
    revenue_code: str = "0636"  # 837I only
    prior_auth: str = ""  # 2400 REF*G1
    facility_npi: str = ""  # 2420C


@dataclass
class Claim:
    claim_id: str = "P1001"
    claim_type: str = "837P"
    payer: str = "WNC01"
    member_id: str = "M100"
    member_dob: str = "20000115"
    patient_dob: str = ""  # a 2000C patient loop when given
    place_of_service: str = "22"  # 837P
    bill_type: str = "0131"  # 837I
    frequency: str = "1"
    billing_npi: str = "1609876543"
    facility_npi: str = ""  # 2310C / 2310E
    prior_auth: str = "PA123"
    attachment: str = "EL"  # PWK02, '' for none
    diagnoses: tuple[str, ...] = ("D571",)
    pcs: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    lines: list[Line] = field(default_factory=lambda: [Line()])


@dataclass
class Style:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    terminator: str = "~"
    crlf: bool = False
    indent: bool = False
    bom: bool = False


def _version(claim_type: str) -> str:
    return "005010X222A1" if claim_type == "837P" else "005010X223A2"


def build(
    claims: list[Claim], style: Style | None = None, *, control: str = "0001"
) -> tuple[bytes, list[dict[str, str]]]:
    """One interchange; a group with one transaction per claim type (837P first)."""
    s = style or Style()
    e, c = s.element, s.component
    segments: list[str] = []
    truth: list[dict[str, str]] = []

    def seg(*elements: str) -> None:
        segments.append(e.join(elements).rstrip(e) if elements[0] != "ISA" else e.join(elements))

    isa = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "RECEIVER".ljust(15),
        "251201", "1200", s.repetition, "00501", "000000001", "0", "T", c,
    ]  # fmt: skip
    seg(*isa)
    types = [t for t in ("837P", "837I") if any(cl.claim_type == t for cl in claims)]
    for number, kind in enumerate(types, start=1):  # one functional group per claim type
        seg("GS", "HC", "SENDER", "RECEIVER", "20251201", "1200", str(number), "X", _version(kind))
        st_control = f"{control}{number}"
        start = len(segments)
        seg("ST", "837", st_control, _version(kind))
        seg("BHT", "0019", "00", "1", "20251201", "1200", "CH")
        seg("NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", "S1")
        seg("NM1", "40", "2", "RECEIVER", "", "", "", "", "46", "R1")
        hl = 0
        for claim in (cl for cl in claims if cl.claim_type == kind):
            hl += 1
            billing_hl = hl
            seg("HL", str(hl), "", "20", "1")
            seg("NM1", "85", "2", "BILLING", "", "", "", "", "XX", claim.billing_npi)
            hl += 1
            subscriber_hl = hl
            seg("HL", str(hl), str(billing_hl), "22", "1" if claim.patient_dob else "0")
            seg("SBR", "P", "18" if not claim.patient_dob else "", "", "", "", "", "", "", "MC")
            seg("NM1", "IL", "1", "DOE", "JANE", "", "", "", "MI", claim.member_id)
            if claim.member_dob:
                seg("DMG", "D8", claim.member_dob, "F")
            seg("NM1", "PR", "2", "PAYER", "", "", "", "", "PI", claim.payer)
            if claim.patient_dob:
                hl += 1
                seg("HL", str(hl), str(subscriber_hl), "23", "0")
                seg("PAT", "19")
                seg("NM1", "QC", "1", "DOE", "JIM")
                seg("DMG", "D8", claim.patient_dob, "M")
            total = sum(float(ln.charge or 0) for ln in claim.lines)
            if kind == "837P":
                place = c.join([claim.place_of_service, "B", claim.frequency])
            else:
                place = c.join([claim.bill_type[1:3], "A", claim.frequency])
            seg("CLM", claim.claim_id, f"{total:.2f}", "", "", place, "Y", "A", "Y", "Y")
            if claim.attachment:
                seg("PWK", "OZ", claim.attachment, "", "", "AC", "DOC1")
            if claim.prior_auth:
                seg("REF", "G1", claim.prior_auth)
            codes = (
                [f"ABK{c}{claim.diagnoses[0]}"] + [f"ABF{c}{d}" for d in claim.diagnoses[1:]] if claim.diagnoses else []
            )
            if codes:
                seg("HI", *codes)
            if claim.pcs:
                seg(
                    "HI",
                    f"BBR{c}{claim.pcs[0]}{c}D8{c}20250301",
                    *(f"BBQ{c}{p}{c}D8{c}20250301" for p in claim.pcs[1:]),
                )
            if claim.conditions:
                seg("HI", *(f"BG{c}{code}" for code in claim.conditions))
            if claim.facility_npi:
                seg("NM1", "77", "2", "FACILITY", "", "", "", "", "XX", claim.facility_npi)
            for number_, line in enumerate(claim.lines, start=1):
                seg("LX", str(number_))
                composite = c.join(["HC", line.procedure_code, *line.modifiers])
                if kind == "837P":
                    seg("SV1", composite, line.charge, "UN", line.units, "", "", "1")
                else:
                    seg("SV2", line.revenue_code, composite, line.charge, "UN", line.units)
                seg("DTP", "472", "D8", line.service_date)
                if line.prior_auth:
                    seg("REF", "G1", line.prior_auth)
                if line.ndc:
                    seg("LIN", "", "N4", line.ndc)
                    seg("CTP", "", "", "", line.ndc_quantity, line.ndc_unit)
                if line.facility_npi:
                    seg("NM1", "77", "2", "FACILITY", "", "", "", "", "XX", line.facility_npi)
                truth.append(_row(claim, line, number_, kind))
        seg("SE", str(len(segments) - start + 1), st_control)
        seg("GE", "1", str(number))
    seg("IEA", str(len(types)), "000000001")
    return _serialise(segments, s), truth


def _row(claim: Claim, line: Line, number: int, kind: str) -> dict[str, str]:
    return {
        "claim_id": claim.claim_id,
        "line_number": str(number),
        "claim_type": kind,
        "payer": claim.payer,
        "member_id": claim.member_id,
        "member_dob": claim.patient_dob or claim.member_dob,
        "bill_type": claim.bill_type[1:3] + claim.frequency if kind == "837I" else "",
        "place_of_service": claim.place_of_service if kind == "837P" else "",
        "billing_npi": claim.billing_npi,
        "facility_npi": line.facility_npi or claim.facility_npi or claim.billing_npi,
        "facility_npi_source": "2420C"
        if line.facility_npi
        else ("2310E" if kind == "837I" else "2310C")
        if claim.facility_npi
        else "2010AA",
        "prior_auth": line.prior_auth or claim.prior_auth,
        "invoice_attached": "Y"
        if claim.attachment in ("BM", "EL", "EM", "FT", "FX")
        else "N",  # PWK02 AA (available on request) is not an attachment
        "service_date": line.service_date,
        "procedure_code": line.procedure_code,
        "modifiers": ";".join(line.modifiers),
        "units": line.units,
        "charge": line.charge,
        "ndc": line.ndc,
        "ndc_quantity": line.ndc_quantity if line.ndc else "",
        "ndc_unit": line.ndc_unit if line.ndc else "",
        "revenue_code": line.revenue_code if kind == "837I" else "",
        "diagnosis_codes": ";".join(claim.diagnoses),
        "icd10_pcs_codes": ";".join(claim.pcs),
        "condition_codes": ";".join(claim.conditions),
        "claim_frequency": claim.frequency,
    }


def _serialise(segments: list[str], s: Style) -> bytes:
    parts = []
    for i, segment in enumerate(segments):
        indent = "  " * min(i, 3) if s.indent and i else ""
        parts.append(indent + segment + s.terminator + ("\r\n" if s.crlf else ""))
    data = "".join(parts).encode("latin-1")
    return (b"\xef\xbb\xbf" + data) if s.bom else data


def claims_from_rows(rows: list[dict[str, str]]) -> list[Claim]:
    """Claims from canonical extract rows (claim-level values from each claim's first line)."""

    def date(value: str) -> str:
        return value.replace("-", "")

    claims: dict[str, Claim] = {}
    for row in rows:
        claim = claims.get(row["claim_id"])
        if claim is None:
            claim = claims[row["claim_id"]] = Claim(
                claim_id=row["claim_id"],
                claim_type=row["claim_type"],
                payer=row["payer"],
                member_id=row["member_id"],
                member_dob=date(row.get("member_dob", "")),
                place_of_service=row.get("place_of_service", ""),
                bill_type=row.get("bill_type", "") or "0131",
                frequency=row.get("claim_frequency", "") or "1",
                billing_npi=row.get("billing_npi", ""),
                facility_npi=row.get("facility_npi", ""),
                prior_auth=row.get("prior_auth", ""),
                attachment="EL" if row.get("invoice_attached", "").upper() == "Y" else "",
                diagnoses=tuple(c.replace(".", "") for c in row.get("diagnosis_codes", "").split(";") if c),
                pcs=tuple(c for c in row.get("icd10_pcs_codes", "").split(";") if c),
                conditions=tuple(c for c in row.get("condition_codes", "").split(";") if c),
                lines=[],
            )
        claim.lines.append(
            Line(
                procedure_code=row["procedure_code"],
                modifiers=tuple(m for m in row.get("modifiers", "").split(";") if m),
                units=row["units"],
                charge=row.get("charge", ""),
                service_date=date(row["service_date"]),
                ndc=row.get("ndc", "").replace("-", ""),
                ndc_quantity=row.get("ndc_quantity", ""),
                ndc_unit=row.get("ndc_unit", ""),
                revenue_code=row.get("revenue_code", ""),
            )
        )
    return sorted(claims.values(), key=lambda c: c.claim_type != "837P")
