"""ND: the NDC every CGT drug line must carry, and whether it fits the billed product."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgt_claimcheck.rules.base import ALL_PAYERS, RuleContext, cgt_drug_triggers, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    from cgt_claimcheck.rules.lines import Hits, Lines

NDC_POLICY = {
    "wnc": (
        "WNC.CP.299 Coding Implications NOTE: 'Provider(s) shall include the prior authorization (PA) number "
        "and NDC on the claim.'"
    ),
    "medi-cal": (
        "Social Security Act section 1927(a)(7) (Deficit Reduction Act of 2005; 42 CFR 447.520): CMS letter "
        "SMDL 06-016 (2006-07-11) tells states that utilization data for physician-administered drugs must "
        "'be submitted using National Drug Code numbers'. The Medi-Cal CGT manual does not restate it."
    ),
}


@rule(
    code="ND001",
    name="ndc-missing",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy=NDC_POLICY,
    cites=("WNC Coding Implications NOTE", "Federal NDC requirement"),
    field="ndc",
    message="{what} has no NDC{consequence}",
    details=("what", "consequence"),
    hint="Add the 11-digit NDC of the package administered (LIN03), with quantity and unit (CTP04/CTP05).",
    carc="16",
    rarc="M119",
    triggers=cgt_drug_triggers,
)
def ndc_missing(lines: Lines, ctx: RuleContext) -> Hits:
    """A CGT drug line, or a not-otherwise-classified drug line (J3590), without an NDC.

    J3590 is the WNC policy's own code for a CGT that has no product-specific code yet: without
    the NDC nobody can tell which product was given, so the line cannot be priced or paid.

    Fails: J3392 with an empty ndc; J3590 with an empty ndc.
    Passes: J3392 with ndc 51167-0290-01; J3590 with ndc 51167-0290-01.
    """
    import numpy as np

    specific = ~lines.is_null("product_hcpcs")
    hit = (specific | lines.flags("is_j3590")) & lines.eq("ndc_status", "missing")
    code, brand = lines.text_at("procedure_code", hit), lines.text_at("brand", hit)
    what = np.where(specific[hit], code + " (" + brand + ")", code + " (not otherwise classified)")
    consequence = lines.where(
        lines.flags("is_j3590"), ": the product cannot be identified, so the line cannot be priced or paid"
    )
    return lines.hits(hit, what=what, consequence=consequence)


@rule(
    code="ND002",
    name="ndc-invalid",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy=NDC_POLICY,
    cites=("WNC Coding Implications NOTE", "Federal NDC requirement"),
    field="ndc",
    message="NDC {ndc!r} cannot be read as an 11-digit 5-4-2 code{ambiguity}",
    details=("ambiguity",),
    hint="Write the NDC as 11 digits (5-4-2), padding the short segment of a 10-digit label with a zero.",
    carc="16",
    rarc="M119",
)
def ndc_invalid(lines: Lines, ctx: RuleContext) -> Hits:
    """The NDC on a CGT or J3590 line is not a 5-4-2 code in any common layout.

    Accepted: 11 digits, or hyphenated 5-4-2, 4-4-2, 5-3-2, 5-4-1 (padded to 5-4-2). Ten digits
    without hyphens are ambiguous (three possible paddings) and are flagged.

    Fails: J3392 with ndc 5116702901 (ambiguous) or 51167-29-01.
    Passes: J3392 with ndc 51167-290-01 (5-3-2, read as 51167-0290-01).
    """
    relevant = ~lines.is_null("product_hcpcs") | lines.flags("is_j3590")
    hit = relevant & lines.isin("ndc_status", ("invalid", "ambiguous"))
    ambiguity = lines.where(lines.eq("ndc_status", "ambiguous"), " (10 digits without hyphens fit three 5-4-2 codes)")
    return lines.hits(hit, ambiguity=ambiguity)


@rule(
    code="ND003",
    name="ndc-product-mismatch",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy=NDC_POLICY,
    cites=("WNC Coding Implications NOTE", "WNC I.B.3", "Federal NDC requirement"),
    field="ndc",
    message="NDC {ndc} is {ndc_brand}, but {procedure_code} is {brand}",
    details=("ndc_brand",),
    hint="Bill the HCPCS of the product administered, or correct the NDC.",
    carc="16",
    rarc="M119",
)
def ndc_product_mismatch(lines: Lines, ctx: RuleContext) -> Hits:
    """The NDC belongs to another CGT product than the HCPCS.

    Fails: J3394 (Lyfgenia) with NDC 51167-0290-01 (Casgevy).
    Passes: J3394 with NDC 73554-1111-01.
    """
    by_code, by_ndc = lines.text("product_hcpcs"), lines.text("product_ndc")
    hit = (by_code != "") & (by_ndc != "") & (by_ndc != by_code)
    brands = {pid: p.brand for pid, p in ctx.ref.products.items()}
    return lines.hits(hit, ndc_brand=lines.lookup("product_ndc", brands))


@rule(
    code="ND004",
    name="ndc-not-listed",
    severity=Severity.WARNING,
    payers=ALL_PAYERS,
    policy=NDC_POLICY,
    cites=("WNC Coding Implications NOTE", "Federal NDC requirement"),
    field="ndc",
    message="NDC {ndc11_text} {ndc_note}",
    details=("ndc_note", "ndc11_text"),
    hint="Check the NDC against the package; if it is a real package of this product, add it to the NDC table.",
    carc="16",
    rarc="M119",
)
def ndc_not_listed(lines: Lines, ctx: RuleContext) -> Hits:
    """A well-formed NDC on a CGT or J3590 line that the tables do not list as a package.

    - The package is new but its labeler+product code (the first 9 digits) is a tabled product's:
      the line is that product, every product rule applies, and this warning names the package.
    - On a product-specific code, the NDC's product code is unknown: the message says when the
      labeler is the product's own manufacturer (likely a package missing from the tables).
    - On J3590, the NDC's labeler makes cell and gene therapies but its product code is unknown:
      the warning names the labeler, because the CGT rules could not be applied to the line.

    Fails (warning): J3399 with NDC 00002-1433-80 (not a Zolgensma package); J3392 with NDC
    51167-0290-05 (a new carton of Casgevy's product code 51167-0290, checked as Casgevy).
    Passes: J3399 with NDC 71894-0120-02, or any weight-band kit such as 71894-0121-03.
    """
    import numpy as np

    valid = lines.eq("ndc_status", "valid")
    by_code, by_ndc = lines.text("product_hcpcs"), lines.text("product_ndc")
    on_code = (by_code != "") & valid & ~lines.eq("ndc_match", "package") & ((by_ndc == "") | (by_ndc == by_code))
    on_j3590 = lines.flags("is_j3590") & valid & lines.isin("ndc_match", ("product", "labeler"))
    hit = on_code | on_j3590
    ndc11, brand, match = lines.text_at("ndc11", hit), lines.text_at("brand", hit), lines.text_at("ndc_match", hit)
    labeler_of = {pid: p.labeler_code for pid, p in ctx.ref.products.items() if p.labeler_code}
    own_labeler = lines.lookup("product_hcpcs", labeler_of)[hit]
    notes = []
    for number, name, how, own, j3590 in zip(ndc11, brand, match, own_labeler, on_j3590[hit], strict=True):
        labeler, product_code = number[:5], f"{number[:5]}-{number[5:9]}"
        if j3590 and how == "labeler":
            notes.append(
                f"is from labeler {labeler} ({ctx.ref.cgt_labelers.get(labeler, '')}), a maker of cell and gene "
                "therapies, but its product code is not in the tables: the CGT rules were not applied to this line"
            )
        elif how == "product":
            notes.append(
                f"is not a listed package, but its product code {product_code} is {name}: the line is checked as "
                f"{name} (a new package?)"
            )
        elif own is not None and labeler == own:
            notes.append(
                f"is not listed for {name} (its labeler is the product's manufacturer: likely a package missing "
                "from the tables)"
            )
        else:
            notes.append(f"is not listed for {name}")
    shown = np.array([f"{n[:5]}-{n[5:9]}-{n[9:]}" if n else "" for n in ndc11], dtype=object)
    return lines.hits(hit, ndc_note=np.array(notes, dtype=object), ndc11_text=shown)
