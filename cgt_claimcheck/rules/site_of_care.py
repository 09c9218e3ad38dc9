"""ST: where a CGT may be given and billed: outpatient only, certified facilities, PCS codes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cgt_claimcheck.rules import vector as V
from cgt_claimcheck.rules.base import ALL_PAYERS, EPSDT_NOTE, MEDI_CAL, WNC, RuleContext, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

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
def hospital_outpatient_only(lines: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """A CGT drug the Medi-Cal manual restricts to hospital outpatient services, billed otherwise.

    On 837I the type of bill must be 013x, or 085x (a critical access hospital's outpatient
    department is a hospital outpatient service; the accepted prefixes are the payer profile's
    outpatient_bill_type_prefixes); on 837P the place of service 19 or 22 (hospital outpatient). Covers the CAR-T, Tecelra, sickle cell, beta thalassemia, hemophilia, DMD and SMA
    codes; Luxturna (J3398) has no such restriction in the manual and is not flagged.

    Fails: Q2041 on an 837I with type of bill 0111 (inpatient).
    Passes: Q2041 on an 837I with type of bill 0131 or 0851.
    """
    import pandas as pd

    program = ctx.ref.programs["medi-cal"]
    restricted = lines["family"].isin(program.hospital_outpatient_only_families) & lines["is_cgt_drug"]
    institutional = lines["claim_type"].eq("837I")
    prefixes = tuple(program.outpatient_bill_type_prefixes or ["013"])
    wrong_tob = institutional & ~lines["bill_type"].str.startswith(prefixes)
    wrong_pos = ~institutional & ~lines["place_of_service"].isin(program.outpatient_places_of_service)
    hit = restricted & (wrong_tob | wrong_pos)
    field = pd.Series("bill_type", index=lines.index, dtype="str").mask(~institutional, "place_of_service")
    value = lines["bill_type"].where(institutional, lines["place_of_service"])
    site = ("the type of bill is " + value.replace("", "missing")).where(
        institutional, "the place of service is " + value.replace("", "missing")
    )
    return pd.DataFrame({"hit": hit, "field": field, "value": value, "site": site})


def _requirements(ctx: RuleContext) -> pd.DataFrame:
    """(program, product_id, certification, start, end, citation) for every certified product."""
    rows: dict[str, list[object]] = {
        k: [] for k in ("program", "product_id", "certification", "req_start", "req_end", "req_superseded", "req_note")
    }
    for program_id, program in ctx.ref.programs.items():
        for cert in program.certification:
            for product_id, product in ctx.ref.products.items():
                if product.family in cert.families or product_id in cert.products:
                    rows["program"].append(program_id)
                    rows["product_id"].append(product_id)
                    rows["certification"].append(cert.certification)
                    rows["req_start"].append(V.timestamp(cert.effective_from))
                    rows["req_end"].append(V.timestamp(cert.effective_to))
                    rows["req_superseded"].append(V.timestamp(cert.superseded_on))
                    rows["req_note"].append(cert.superseded_note)
    return V.frame(rows)


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
def facility_not_certified(lines: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
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
    import pandas as pd

    npi = lines["facility_npi"].mask(lines["facility_npi"].eq(""), lines["billing_npi"])
    drug = lines.loc[lines["is_cgt_drug"], ["program", "product", "service_date"]].assign(npi=npi)
    required = drug.reset_index(names="line").merge(
        _requirements(ctx), left_on=["program", "product"], right_on=["program", "product_id"]
    )
    required = required[V.in_windows(required["service_date"], required["req_start"], required["req_end"])]
    registry = ctx.facilities
    assert registry is not None
    offered = required.merge(registry, on=["npi", "certification"], how="left", indicator=True)
    # A registry row covers the line when it is for this product (or all products) and its
    # dates (blank = open) include the date of service.
    covers = (
        offered["_merge"].eq("both")
        & (offered["reg_product"].fillna("").eq("") | offered["reg_product"].eq(offered["product"]))
        & V.in_windows(offered["service_date"], offered["reg_start"], offered["reg_end"])
    )
    satisfied = covers.groupby([offered["line"], offered["certification"]]).any()
    missing = satisfied[~satisfied.to_numpy()].reset_index()
    # A requirement the profile marks superseded on the date of service is reported as information.
    superseded = offered["req_superseded"].notna() & offered["service_date"].ge(offered["req_superseded"])
    status = satisfied.to_frame("satisfied").join(
        superseded.groupby([offered["line"], offered["certification"]]).all().rename("superseded")
    )
    status = status.join(offered.groupby(["line", "certification"])["req_note"].first())
    missing = status[~status["satisfied"].to_numpy()].reset_index()
    grouped = missing.groupby("line")
    certification = grouped["certification"].agg(lambda s: "/".join(sorted(set(s))))
    only_superseded = grouped["superseded"].all()
    note = ("; " + grouped["req_note"].first()).where(only_superseded, "")
    epsdt = lines["epsdt"].reindex(certification.index).fillna(False).astype(bool)
    severity = (
        pd.Series(pd.NA, index=certification.index, dtype="str").mask(epsdt, "warning").mask(only_superseded, "info")
    )
    fix = pd.Series(CERTIFIED_FIX, index=certification.index, dtype="str")
    fix = fix.mask(epsdt, fix + " " + EPSDT_NOTE + ".")
    fix = fix.mask(only_superseded, LAPSED_FIX)
    return V.hits_at(
        lines,
        certification.index,
        certification=certification,
        npi=npi.replace("", "(none given)"),
        value=npi,
        note=note,
        severity=severity,
        fix=fix,
    )


def _pcs_windows(ref: Reference) -> pd.DataFrame:
    rows = [p for p in ref.pcs if p.product_id]
    return V.frame(
        {
            "pcs": [p.code for p in rows],
            "pcs_product": [p.product_id for p in rows],
            "pcs_start": [V.timestamp(p.effective_from) for p in rows],
            "pcs_end": [V.timestamp(p.effective_to) for p in rows],
        }
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
def inpatient_pcs_missing(lines: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """An inpatient 837I claim (type of bill 011x) for a CGT without the product's ICD-10-PCS code.

    Checked only for products whose PCS codes the sources verified (not Aucatzyl, Hemgenix,
    Roctavian, Elevidys, Zolgensma, Luxturna), using the codes valid on the date of service.

    Fails: 0111 claim with J3392 and no PCS code.
    Passes: the same claim with XW133J8.
    """

    windows = _pcs_windows(ctx.ref)
    drug = lines.loc[lines["is_cgt_drug"] & lines["inpatient"], ["product", "service_date", "claim_id"]]
    expected = drug.reset_index(names="line").merge(windows, left_on="product", right_on="pcs_product")
    expected = expected[V.in_windows(expected["service_date"], expected["pcs_start"], expected["pcs_end"])]
    claim_codes = V.tokens(lines["icd10_pcs_codes"]).rename("pcs").rename_axis("line").reset_index()
    claim_codes["claim_id"] = lines.loc[claim_codes["line"], "claim_id"].to_numpy()
    present = expected.merge(
        claim_codes[["claim_id", "pcs"]].drop_duplicates(), on=["claim_id", "pcs"], how="left", indicator=True
    )
    found = present["_merge"].eq("both").groupby(present["line"]).any()
    missing = found.index[~found.to_numpy()]
    expected_text = expected.groupby("line")["pcs"].agg(lambda s: ", ".join(sorted(set(s))))
    return V.hits_at(lines, missing, expected=expected_text)


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
def pcs_product_mismatch(lines: pd.DataFrame, ctx: RuleContext) -> pd.DataFrame:
    """A product-specific ICD-10-PCS code of another product than the one billed by HCPCS/NDC.

    Generic PCS codes (e.g. XW033C7, 30233C0) name no product and are not compared.

    Fails: J3392 (Casgevy) on a claim with PCS XW133H9 (Lyfgenia).
    Passes: J3392 with XW133J8.
    """

    windows = _pcs_windows(ctx.ref)
    drug = lines.loc[lines["is_cgt_drug"], ["product"]]
    codes = V.tokens(lines.loc[drug.index, "icd10_pcs_codes"]).rename("pcs").rename_axis("line").reset_index()
    codes["product"] = drug.loc[codes["line"], "product"].to_numpy()
    pairs = codes.merge(windows[["pcs", "pcs_product"]].drop_duplicates(), on="pcs")
    fits = pairs["pcs_product"].eq(pairs["product"]).groupby([pairs["line"], pairs["pcs"]]).any()
    foreign = fits[~fits.to_numpy()].reset_index()
    brands = {pid: p.brand for pid, p in ctx.ref.products.items()}
    named = pairs.merge(foreign[["line", "pcs"]], on=["line", "pcs"])
    foreign_codes = foreign.groupby("line")["pcs"].agg(lambda s: ", ".join(sorted(set(s))))
    foreign_brands = named.groupby("line")["pcs_product"].agg(lambda s: "/".join(sorted({brands[p] for p in s})))
    return V.hits_at(lines, foreign_codes.index, value=foreign_codes, pcs_brands=foreign_brands)


# --- the Arrow checks ----------------------------------------------------------------------------
@hospital_outpatient_only.in_arrow
def _hospital_outpatient_only(lines: Lines, ctx: RuleContext) -> Hits:
    import numpy as np

    program = ctx.ref.programs["medi-cal"]
    restricted = lines.isin("family", program.hospital_outpatient_only_families) & lines.flags("is_cgt_drug")
    institutional = lines.eq("claim_type", "837I")
    prefixes = tuple(program.outpatient_bill_type_prefixes or ["013"])
    wrong_tob = institutional & ~lines.per_value("bill_type", lambda v: v.startswith(prefixes), False, bool)
    wrong_pos = ~institutional & ~lines.isin("place_of_service", program.outpatient_places_of_service)
    hit = restricted & (wrong_tob | wrong_pos)
    on_bill = institutional[hit]
    value = np.where(on_bill, lines.text("bill_type")[hit], lines.text("place_of_service")[hit])
    shown = np.where(value == "", "missing", value)
    return lines.hits(
        hit,
        field=np.where(on_bill, "bill_type", "place_of_service"),
        value=value,
        site=np.where(on_bill, "the type of bill is " + shown.astype(object), "the place of service is " + shown),
    )


@facility_not_certified.in_arrow
def _facility_not_certified(lines: Lines, ctx: RuleContext) -> Hits:
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
    for row in registry.itertuples(index=False):
        if row.npi not in npi_of:
            continue
        covers = (npi_index == npi_of[row.npi]) & _within(days, _day(row.reg_start), _day(row.reg_end))
        if row.reg_product:
            covers &= product == row.reg_product
        covered[row.certification] = covered.get(row.certification, np.zeros(n, bool)) | covers
    drug = lines.flags("is_cgt_drug")
    missing: dict[str, np.ndarray] = {}  # certification -> lines lacking it
    superseded: dict[str, np.ndarray] = {}  # certification -> lines where every lack is a lapsed rule
    notes: dict[str, np.ndarray] = {}  # certification -> per line, the first lacking requirement's note
    for program_id, program in ctx.ref.programs.items():
        in_program = drug & lines.eq("program", program_id)
        for cert in program.certification:
            products = [pid for pid, p in ctx.ref.products.items() if p.family in cert.families or pid in cert.products]
            applies = in_program & lines.isin("product", products)
            applies &= _within(days, cert.effective_from, cert.effective_to)
            lacking = applies & ~covered.get(cert.certification, np.zeros(n, bool))
            if not lacking.any():
                continue
            lapsed = cert.superseded_on is not None
            lapsed_here = (days >= np.datetime64(cert.superseded_on, "s")) if lapsed else np.zeros(n, bool)
            known = missing.get(cert.certification, np.zeros(n, bool))
            superseded[cert.certification] = np.where(
                known,
                superseded.get(cert.certification, np.ones(n, bool)) & np.where(lacking, lapsed_here, True),
                lapsed_here,
            )
            missing[cert.certification] = known | lacking
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
    fix = np.where(epsdt, CERTIFIED_FIX + " " + EPSDT_NOTE + ".", CERTIFIED_FIX).astype(object)
    return lines.hits(
        hit,
        certification=certification,
        npi=np.where(npi == "", "(none given)", npi).astype(object),
        value=npi.astype(object),
        note=np.where(only_superseded, first_note, ""),
        severity=np.where(only_superseded, "info", np.where(epsdt, "warning", None)),
        fix=np.where(only_superseded, LAPSED_FIX, fix),
    )


def _day(value: object) -> date | None:
    """A registry date (a pandas Timestamp, or NaT) as a date."""
    return None if value is None or value != value else value.date()  # type: ignore[attr-defined]


def _within(days: np.ndarray, start: date | None, end: date | None) -> np.ndarray:
    import numpy as np

    inside = np.ones(len(days), bool) if start is None else days >= np.datetime64(start, "s")
    return inside if end is None else inside & (days <= np.datetime64(end, "s"))


@inpatient_pcs_missing.in_arrow
def _inpatient_pcs_missing(lines: Lines, ctx: RuleContext) -> Hits:
    import numpy as np

    n = len(lines)
    inpatient = lines.flags("is_cgt_drug") & lines.flags("inpatient")
    days = lines.days("service_date")
    expected, found = np.zeros(n, bool), np.zeros(n, bool)
    codes_of: list[tuple[np.ndarray, str]] = []
    for p in ctx.ref.pcs:
        if not p.product_id:
            continue
        applies = inpatient & lines.eq("product", p.product_id) & _within(days, p.effective_from, p.effective_to)
        if not applies.any():
            continue
        expected |= applies
        found |= applies & lines.claim_any(lines.has_token("icd10_pcs_codes", {p.code}))
        codes_of.append((applies, p.code))
    hit = expected & ~found
    text = [", ".join(sorted({code for applies, code in codes_of if applies[i]})) for i in np.flatnonzero(hit).tolist()]
    return lines.hits(hit, expected=np.array(text, dtype=object))


@pcs_product_mismatch.in_arrow
def _pcs_product_mismatch(lines: Lines, ctx: RuleContext) -> Hits:
    import numpy as np

    products_of: dict[str, set[str]] = {}
    for p in ctx.ref.pcs:
        if p.product_id:
            products_of.setdefault(p.code, set()).add(p.product_id)
    brands = {pid: p.brand for pid, p in ctx.ref.products.items()}
    candidate = lines.flags("is_cgt_drug") & lines.has_token("icd10_pcs_codes", products_of)
    # Per distinct (PCS list, product): the product-specific codes of other products.
    listed, product = lines.coded("icd10_pcs_codes"), lines.coded("product")
    key = listed.codes.astype(np.int64) * (len(product.values) + 1) + product.codes + 1
    verdicts: dict[int, tuple[str, str]] = {}
    for i in np.flatnonzero(candidate).tolist():
        if key[i] in verdicts:
            continue
        billed = product.values[product.codes[i]]
        foreign = sorted(
            {c for c in listed.values[listed.codes[i]].split(";") if c in products_of and billed not in products_of[c]}
        )
        owners = sorted({brands[p] for c in foreign for p in products_of[c]})
        verdicts[int(key[i])] = (", ".join(foreign), "/".join(owners))
    value = np.array([verdicts.get(int(k), ("", ""))[0] for k in key], dtype=object)
    owners = np.array([verdicts.get(int(k), ("", ""))[1] for k in key], dtype=object)
    hit = candidate & (value != "")
    return lines.hits(hit, value=value, pcs_brands=owners)
