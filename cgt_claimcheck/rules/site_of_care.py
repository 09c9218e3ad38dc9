"""ST: where a CGT may be given and billed: outpatient only, certified facilities, PCS codes."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from cgt_claimcheck.rules.base import ALL_PAYERS, EPSDT_NOTE, MEDI_CAL, WNC, RuleContext, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    import numpy as np

    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Hits, Lines


def _outpatient_only(ref: Reference, product_id: str, payer: str) -> bool:
    program = ref.programs[ref.payer_program(payer)]
    return ref.products[product_id].family in program.hospital_outpatient_only_families


@rule(
    code="ST001",
    name="hospital-outpatient-only",
    severity=Severity.ERROR,
    payers=MEDI_CAL,
    policy=(
        "Medi-Cal CGT manual: 'Billing for CAR-T drugs using their associated procedure codes is restricted to "
        "hospital outpatient services.' The sickle cell, hemophilia, DMD, SMA, beta thalassemia and synovial "
        "sarcoma sections say the same of their codes ('Billing for the following codes is restricted to "
        "hospital outpatient services'); the retinal dystrophy (Luxturna) section does not."
    ),
    cites=(
        "Medi-Cal CAR-T Billing Requirements",
        "Medi-Cal Sickle Cell Disease",
        "Medi-Cal Hemophilia A and B",
        "Medi-Cal Duchenne Muscular Dystrophy",
        "Medi-Cal Spinal Muscular Atrophy",
        "Medi-Cal Beta Thalassemia",
        "Medi-Cal Synovial Sarcoma",
    ),
    field="bill_type",
    message="{procedure_code} ({brand}) is restricted to hospital outpatient services, but {site}",
    details=("site", "field", "value"),
    hint="Bill it on an outpatient claim: type of bill 013x (085x at a critical access hospital) on 837I, place of service 19 or 22 on 837P.",
    carc="5",
    rarc="M77",
    applies_to=_outpatient_only,
)
def hospital_outpatient_only(lines: Lines, ctx: RuleContext) -> Hits:
    """A CGT drug the Medi-Cal manual restricts to hospital outpatient services, billed otherwise.

    On 837I the type of bill must be 013x, or 085x (a critical access hospital's outpatient
    department is a hospital outpatient service; the accepted prefixes are the payer profile's
    outpatient_bill_type_prefixes); on 837P the place of service 19 or 22 (hospital outpatient). Covers the CAR-T, Tecelra, sickle cell, beta thalassemia, hemophilia, DMD and SMA
    codes; Luxturna (J3398) has no such restriction in the manual and is not flagged.

    Fails: Q2041 on an 837I with type of bill 0111 (inpatient).
    Passes: Q2041 on an 837I with type of bill 0131 or 0851.
    """
    import numpy as np

    program = ctx.ref.programs["medi-cal"]
    restricted = lines.isin("family", program.hospital_outpatient_only_families) & lines.flags("is_cgt_drug")
    institutional = lines.eq("claim_type", "837I")
    prefixes = tuple(program.outpatient_bill_type_prefixes or ["013"])
    wrong_tob = institutional & ~lines.per_value("bill_type", lambda v: v.startswith(prefixes), False, bool)
    wrong_pos = ~institutional & ~lines.isin("place_of_service", program.outpatient_places_of_service)
    hit = restricted & (wrong_tob | wrong_pos)
    on_bill = institutional[hit]
    value = np.where(on_bill, lines.text_at("bill_type", hit), lines.text_at("place_of_service", hit))
    shown = np.where(value == "", "missing", value)
    return lines.hits(
        hit,
        field=np.where(on_bill, "bill_type", "place_of_service"),
        value=value,
        site=np.where(on_bill, "the type of bill is " + shown.astype(object), "the place of service is " + shown),
    )


CERTIFIED_FIX = "Administer at a facility with that certification, or update the registry given with --facilities."
LAPSED_FIX = "Nothing to fix for this date of service; this notes a requirement that has lapsed."


@rule(
    code="ST002",
    name="facility-not-certified",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 I.C: covered when 'The administration of the Cell or Gene Therapy occurs at a Qualified "
        "Treatment Center (QTC) that has received approval for administering the Cell or Gene Therapy'; III.C: "
        "not covered when administered 'at a facility that has not been approved as a QTC for that therapy'; "
        "Background IV.A: 'Cell & Gene Therapies are exclusively offered at Qualified Treatment Centers (QTC).'",
        "medi-cal": "Medi-Cal CGT manual: CAR-T drugs 'must be administered in a healthcare facility that is "
        "enrolled in and certified through the specific prescribed and administered drug's Risk Evaluation and "
        "Mitigation Strategies (REMS) program'; sickle cell and beta thalassemia codes are 'restricted to "
        "hospital outpatient services and qualified treatment centers', hemophilia codes to 'hospital "
        "outpatient services and hemophilia treatment centers'.",
    },
    cites=(
        "WNC I.C",
        "WNC III.C",
        "WNC Background IV.A",
        "WNC EPSDT Special Provision",
        "Medi-Cal CAR-T Billing Requirements",
        "Medi-Cal Sickle Cell Disease",
        "Medi-Cal Hemophilia A and B",
        "Medi-Cal Beta Thalassemia",
    ),
    field="facility_npi",
    message="facility {npi} is not certified {certification} for {brand} on {service_date} in the facility registry{note}",
    details=("certification", "npi", "value", "note", "severity", "fix"),
    hint="{fix}",
    carc="B7",
    requires=("facilities",),
)
def facility_not_certified(lines: Lines, ctx: RuleContext) -> Hits:
    """The service facility lacks the certification the policy requires on the date of service.

    Needs `--facilities FILE` (columns npi, certification QTC/REMS/HTC, optional product,
    effective_from, effective_to); without it the rule is listed under not_checked. The facility
    is facility_npi, or billing_npi when facility_npi is blank. Requirements and their dates live
    in the payer profile: wnc requires a QTC for every CGT; Medi-Cal requires REMS enrollment for
    CAR-T, a QTC for J3392/J3393/J3394 and a hemophilia treatment center for J1411/J1412.

    Decisions (issue 12):
    - The FDA eliminated the CAR-T REMS on 2025-06-26, while the July 2025 Medi-Cal manual still
      names it. For dates of service from 2025-06-26 a missing REMS certification is information
      that names the change (the profile's superseded_on), not an error; QTC and HTC are unchanged.
    - WNC EPSDT: for a member under 21 the location limit may be exceeded with documented medical
      necessity, so a wnc finding for such a member is a warning with an EPSDT hint.

    Fails: J3392 billed by NPI 1234567893 that the registry lists only as HTC.
    Passes: the same NPI listed as QTC (for all products or for casgevy) on that date.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    registry = ctx.facilities
    assert registry is not None
    n = len(lines)
    facility = lines.text("facility_npi")
    npi = np.where(facility == "", lines.text("billing_npi"), facility)
    npi_codes = pc.dictionary_encode(pa.array(npi.tolist(), pa.string()))
    npi_of = {v: i for i, v in enumerate(npi_codes.dictionary.to_pylist())}
    npi_index = npi_codes.indices.to_numpy(zero_copy_only=False)
    days, product = lines.days("service_date"), lines.text("product")
    # Per certification, the lines a registry row covers: its facility, its product (or every
    # product), its dates (blank = open).
    covered: dict[str, np.ndarray] = {}
    for row in registry.to_pylist():
        if row["npi"] not in npi_of:
            continue
        dates = lines.within("service_date", _day(row["reg_start"]), _day(row["reg_end"]))
        covers = (npi_index == npi_of[row["npi"]]) & dates
        if row["reg_product"]:
            covers &= product == row["reg_product"]
        certification = row["certification"]
        covered[certification] = covered.get(certification, np.zeros(n, bool)) | covers
    drug = lines.flags("is_cgt_drug")
    missing: dict[str, np.ndarray] = {}  # certification -> lines lacking it
    superseded: dict[str, np.ndarray] = {}  # certification -> lines where every lack is a lapsed rule
    notes: dict[str, np.ndarray] = {}  # certification -> per line, the first lacking requirement's note
    for program_id, program in ctx.ref.programs.items():
        in_program = drug & lines.eq("program", program_id)
        for cert in program.certification:
            products = [pid for pid, p in ctx.ref.products.items() if p.family in cert.families or pid in cert.products]
            applies = in_program & lines.isin("product", products)
            applies &= lines.within("service_date", cert.effective_from, cert.effective_to)
            lacking = applies & ~covered.get(cert.certification, np.zeros(n, bool))
            if not lacking.any():
                continue
            lapsed = cert.superseded_on is not None
            lapsed_here = (days >= np.datetime64(cert.superseded_on, "s")) if lapsed else np.zeros(n, bool)
            # A line lacks the certification only as a lapsed rule while every requirement it
            # lacks has lapsed on its date.
            so_far = superseded.get(cert.certification, np.ones(n, bool))
            superseded[cert.certification] = np.where(lacking, so_far & lapsed_here, so_far)
            missing[cert.certification] = missing.get(cert.certification, np.zeros(n, bool)) | lacking
            note = notes.setdefault(cert.certification, np.full(n, "", dtype=object))
            note[lacking & (note == "")] = cert.superseded_note or ""
    hit = np.zeros(n, bool)
    for lacking in missing.values():
        hit |= lacking
    names = sorted(missing)
    certification = np.array(
        ["/".join(c for c in names if missing[c][i]) for i in np.flatnonzero(hit).tolist()], dtype=object
    )
    only_superseded = np.ones(n, bool)
    for c in names:
        only_superseded &= ~missing[c] | superseded[c]
    only_superseded &= hit
    first_note = np.full(n, "", dtype=object)
    for c in reversed(names):  # the note of the first certification that has one, in name order
        first_note = np.where(missing[c] & (notes[c] != ""), "; " + notes[c].astype(object), first_note)
    epsdt = lines.flags("epsdt")
    fix = lines.where(epsdt, CERTIFIED_FIX + " " + EPSDT_NOTE + ".", CERTIFIED_FIX)  # shared strings
    return lines.hits(
        hit,
        certification=certification,
        npi=np.where(npi == "", "(none given)", npi).astype(object),
        value=npi.astype(object),
        note=np.where(only_superseded, first_note, ""),
        severity=np.where(only_superseded, "info", lines.where(epsdt, "warning", None)),
        fix=np.where(only_superseded, LAPSED_FIX, fix),
    )


@rule(
    code="ST003",
    name="inpatient-pcs-missing",
    severity=Severity.ERROR,
    payers=WNC,
    policy=(
        "WNC.CP.299 Background II.D: 'Providers must use the product-specific CPT/HCPCS codes when requesting "
        "prior authorization (PA) ... The CPT/HCPCS codes included on the PA will be cross walked to ICD-10 PCS "
        "codes on inpatient claims.'"
    ),
    cites=("WNC Background II.D",),
    field="icd10_pcs_codes",
    message="inpatient claim for {brand} has no ICD-10-PCS code of that product (expected one of {expected})",
    details=("expected",),
    hint="Report the product's ICD-10-PCS administration code ({expected}) on the inpatient claim.",
    carc="16",
    rarc="M51",
)
def inpatient_pcs_missing(lines: Lines, ctx: RuleContext) -> Hits:
    """An inpatient 837I claim (type of bill 011x) for a CGT without the product's ICD-10-PCS code.

    Checked only for products whose PCS codes the sources verified (not Aucatzyl, Hemgenix,
    Roctavian, Elevidys, Zolgensma, Luxturna), using the codes valid on the date of service.

    Fails: 0111 claim with J3392 and no PCS code.
    Passes: the same claim with XW133J8.
    """
    import numpy as np

    n = len(lines)
    inpatient = lines.flags("is_cgt_drug") & lines.flags("inpatient")
    expected, found = np.zeros(n, bool), np.zeros(n, bool)
    codes_of: list[tuple[np.ndarray, str]] = []
    for p in ctx.ref.pcs:
        if not p.product_id:
            continue
        in_force = lines.within("service_date", p.effective_from, p.effective_to)
        applies = inpatient & lines.eq("product", p.product_id) & in_force
        if not applies.any():
            continue
        expected |= applies
        found |= applies & lines.claim_any(lines.has_token("icd10_pcs_codes", {p.code}))
        codes_of.append((applies, p.code))
    hit = expected & ~found
    text = [", ".join(sorted({code for applies, code in codes_of if applies[i]})) for i in np.flatnonzero(hit).tolist()]
    return lines.hits(hit, expected=np.array(text, dtype=object))


@rule(
    code="ST004",
    name="pcs-product-mismatch",
    severity=Severity.ERROR,
    payers=WNC,
    policy="WNC.CP.299 Background II.D: the HCPCS codes on the PA 'will be cross walked to ICD-10 PCS codes on inpatient claims'.",
    cites=("WNC Background II.D",),
    field="icd10_pcs_codes",
    message="ICD-10-PCS {value} is the code of {pcs_brands}, but the claim bills {brand}",
    details=("pcs_brands", "value"),
    hint="Report the PCS code of the product billed, or bill the product the PCS code names.",
    carc="16",
    rarc="M51",
)
def pcs_product_mismatch(lines: Lines, ctx: RuleContext) -> Hits:
    """A product-specific ICD-10-PCS code of another product than the one billed by HCPCS/NDC.

    Generic PCS codes (e.g. XW033C7, 30233C0) name no product and are not compared.

    Fails: J3392 (Casgevy) on a claim with PCS XW133H9 (Lyfgenia).
    Passes: J3392 with XW133J8.
    """
    import numpy as np

    products_of: dict[str, set[str]] = {}
    for p in ctx.ref.pcs:
        if p.product_id:
            products_of.setdefault(p.code, set()).add(p.product_id)
    brands = {pid: p.brand for pid, p in ctx.ref.products.items()}
    candidate = lines.flags("is_cgt_drug") & lines.has_token("icd10_pcs_codes", products_of)
    # Per distinct (PCS list, product): the product-specific codes of other products.
    listed, product = lines.coded("icd10_pcs_codes"), lines.coded("product")
    key = listed.codes.astype(np.int64) * (product.count + 1) + product.codes + 1
    rows = np.flatnonzero(candidate)
    distinct, first, which = np.unique(key[rows], return_index=True, return_inverse=True)
    verdicts: list[tuple[str, str]] = [("", "")] * len(distinct)
    for k, i in enumerate(rows[first].tolist()):  # a line of each distinct (PCS list, product)
        billed = product.values[product.codes[i]]
        foreign = sorted(
            {c for c in listed.values[listed.codes[i]].split(";") if c in products_of and billed not in products_of[c]}
        )
        owners = sorted({brands[p] for c in foreign for p in products_of[c]})
        verdicts[k] = (", ".join(foreign), "/".join(owners))
    foreign_codes, foreign_brands = (np.full(len(key), "", dtype=object) for _ in range(2))
    for column, part in ((foreign_codes, 0), (foreign_brands, 1)):
        column[rows] = np.array([v[part] for v in verdicts], dtype=object)[which]
    hit = candidate & (foreign_codes != "")
    return lines.hits(hit, value=foreign_codes, pcs_brands=foreign_brands)


def _day(value: datetime | None) -> date | None:
    """A registry date (read as a timestamp) as a date."""
    return None if value is None else value.date()
