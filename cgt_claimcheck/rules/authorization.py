"""AU: prior authorization numbers and the manufacturer invoice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cgt_claimcheck.rules.base import ALL_PAYERS, WNC, RuleContext, Triggers, cgt_drug_triggers, rule
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    from cgt_claimcheck.reference import Reference
    from cgt_claimcheck.rules.lines import Hits, Lines


def _auth_triggers(ref: Reference) -> Triggers:
    return cgt_drug_triggers(ref) | Triggers(procedure_codes=ref.codes("car_t_admin"), pcs_codes=ref.product_pcs_codes)


@rule(
    code="AU001",
    name="prior-auth-missing",
    severity=Severity.ERROR,
    payers=ALL_PAYERS,
    policy={
        "wnc": "WNC.CP.299 Background II.A: 'WellCare of North Carolina shall require prior approval for Cell & "
        "Gene Therapies.' II.C: 'All therapies that meet the description of Cell and Gene Therapies are subject "
        "to prior authorization.' Coding Implications NOTE: 'Provider(s) shall include the prior authorization "
        "(PA) number and NDC on the claim.' EPSDT and Prior Approval: being under 21 'does NOT eliminate the "
        "requirement for prior approval.'",
        "medi-cal": "Medi-Cal CGT manual, Overview: 'All CGTs require an approved Treatment Authorization Request "
        "(TAR) or Service Authorization Request (SAR) establishing medical necessity for coverage and "
        "reimbursement under Medi-Cal.'",
    },
    cites=(
        "WNC Background II.A",
        "WNC Background II.C",
        "WNC Coding Implications NOTE",
        "WNC EPSDT and Prior Approval",
        "Medi-Cal Overview",
    ),
    field="prior_auth",
    message="{what} {problem} ({auth_kind})",
    details=("auth_kind", "what", "problem"),
    hint="Enter the approved {auth_kind} number (REF*G1) on the claim.",
    carc="197",
    rarc="M62",
    triggers=_auth_triggers,
)
def prior_auth_missing(lines: Lines, ctx: RuleContext) -> Hits:
    """A CGT drug line, a CAR-T administration (38228) line or an inpatient CGT claim without a PA.

    A placeholder is not a number: `N/A`, `NA`, `NONE`, `NULL`, `PENDING`, `TBD`, `UNKNOWN`, `-`
    (the payer profile's placeholder_prior_auth list, which a payer can extend), and values of only
    zeros or only X, compared trimmed and case-insensitively, count as absent; the message says the
    value looks like a placeholder. An inpatient claim (type of bill 011x) with a CGT ICD-10-PCS
    code but no CGT drug line is flagged once, on its lowest-numbered line. EPSDT does not lift the
    prior-approval requirement.

    Fails: J3392 with an empty prior_auth, or with `N/A`, `pending` or `000000`.
    Passes: J3392 with prior_auth PA12345 (or `NA12345`, `X1`: a number that merely starts like a placeholder).
    """
    import re

    import numpy as np

    # Decided per distinct value as written, stripped once (a null reads as ''), spread to the lines.
    coded = lines.coded("prior_auth")
    value = [v.strip().upper() for v in coded.values]
    pattern = re.compile(PLACEHOLDER_PATTERN)
    placeholder = coded.spread((pattern.fullmatch(v) is not None for v in value), False, bool)
    for program_id, program in ctx.ref.programs.items():
        words = {w.strip().upper() for w in program.placeholder_prior_auth}
        placeholder |= lines.eq("program", program_id) & coded.spread((v in words for v in value), "" in words, bool)
    no_auth = coded.spread((v == "" for v in value), True, bool) | placeholder
    drug, car_t = lines.flags("is_cgt_drug"), lines.flags("is_car_t_admin")
    pcs_claim = lines.claim_any(lines.has_token("icd10_pcs_codes", ctx.ref.product_pcs_codes))
    inpatient_only_pcs = lines.flags("inpatient") & pcs_claim & ~lines.claim_any(drug)
    hit = no_auth & (drug | car_t | lines.is_first_of_claim(inpatient_only_pcs))
    code, brand, claim = (lines.text_at(name, hit) for name in ("procedure_code", "brand", "claim_id"))
    what = np.where(
        drug[hit],
        code + " (" + brand + ")",
        np.where(car_t[hit], "CAR-T administration " + code, "inpatient CGT claim " + claim),
    )
    written = lines.text_at("prior_auth", hit)
    problem = [
        f"has prior_auth {v!r}, which looks like a placeholder, not an authorization number"
        if is_placeholder
        else "has no prior authorization number"
        for v, is_placeholder in zip(written, placeholder[hit], strict=True)
    ]
    auth_kind = lines.lookup("program", {"wnc": "PA", "medi-cal": "TAR or SAR"}, missing="PA")
    return lines.hits(hit, what=what, auth_kind=auth_kind, problem=np.array(problem, dtype=object))


@rule(
    code="AU002",
    name="invoice-missing",
    severity=Severity.ERROR,
    payers=WNC,
    policy="WNC.CP.299 Coding Implications NOTE: 'Provider(s) shall attach invoice from manufacturer of Cell & Gene Therapy.'",
    cites=("WNC Coding Implications NOTE",),
    field="invoice_attached",
    message="claim {claim_id} bills {brand} but no line says the manufacturer invoice is attached",
    hint="Attach the manufacturer's invoice and set invoice_attached to Y (in an X12 837: a PWK with PWK02 BM, EL, "
    "EM, FT or FX; PWK02 AA, available on request, is not an attachment).",
    carc="252",
    rarc="M127",
    requires_columns=("invoice_attached",),
)
def invoice_missing(lines: Lines, ctx: RuleContext) -> Hits:
    """A CGT drug claim without the manufacturer invoice attached on any of its lines.

    Flagged on each CGT drug line of the claim. A blank or unreadable invoice_attached counts
    as not attached; in an X12 file, PWK02 AA (available on request) is read as not attached.

    Fails: claim with J3392 and invoice_attached N.
    Passes: the same claim with invoice_attached Y on any line.
    """
    has_invoice = lines.claim_any(lines.flags("invoice_attached"))
    return lines.hits(lines.flags("is_cgt_drug") & ~has_invoice)


PLACEHOLDER_PATTERN = r"0+|X+"
