"""No rule flags a claim both policies allow (issue 12): every legitimate variant we know, at once.

tests/legitimate/claims.csv holds, each on its own claim:
- modifiers JZ, JW;KX, RT/LT, 25 on a same-day E/M with CAR-T administration, Q1 on a trial;
- kit and carton NDCs (Zolgensma kit, Luxturna kit, Casgevy carton and vial) in 5-4-2, 5-3-2,
  5-4-1 and N4-prefixed layouts;
- an 837I claim with a revenue-code-only pharmacy line; type of bill 0851 (critical access
  hospital outpatient);
- members under 21 within their label's ages (Zolgensma at 0, Casgevy at 14 and 17, Luxturna at 6);
- a split CAR-T dose on two claims (Aucatzyl day 1 and day 10), Luxturna one eye a week apart;
- dates of birth and of service in several layouts on one claim; a PA number that starts like a
  placeholder (NA12345);
- the Medi-Cal carve-out both ways: Casgevy for sickle cell billed fee-for-service (member in a
  plan), for beta thalassemia billed to the plan; a transfusion after the CAR-T infusion day;
- an external-cause code beside the indication (Y92.230), which the validity table does not hold;
  Imlygic, whose indication codes are unknown to the tables; Zevaskyn for a 5-year-old (the label
  has no minimum age; 6+ was a Texas criterion); a split Aucatzyl dose whose first infusion another
  payer paid (history whoever paid: one treatment, not a repeat).
The only finding allowed is CV005's information that claim C9 is a clinical trial; what could not
be judged (the external-cause code, Imlygic's codes) is said in not_checked, never flagged.
"""

from __future__ import annotations

from pathlib import Path

from cgt_claimcheck.engine import CheckOptions, run_check

HERE = Path(__file__).parent / "legitimate"


def test_legitimate_variants_raise_nothing(ref):
    report = run_check([str(HERE / "claims.csv")], ref, CheckOptions(facilities=str(HERE / "facilities.csv")))
    found = [(f.rule, f.claim_id, f.severity.value) for f in report.findings]
    assert found == [("CV005", "C9", "info")]
    assert sorted((n.rule, n.reason.split(":")[0]) for n in report.not_checked) == [
        ("CD006", "not judged"),
        ("CV006", "not judged on 1 CGT drug line of IMLYGIC"),
    ]
    assert report.summary.rows_rejected == 0
