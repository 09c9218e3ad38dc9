"""The shipped ICD-10-CM validity table against an independent source, for every code of one release.

icd10cm_validity.csv comes from the CMS MS-DRG definitions (drgpy), plus the external causes from
the CDC tabular. Here every code it holds as billable on 2026-04-01 is compared with the CDC
ICD-10-CM tabular of April 2026 as simple-icd-10-cm 1.5.0 ships it: a billable code is one with no
code below it. The two must agree code for code, the external-cause chapter included (issue 23).
"""

from __future__ import annotations

from datetime import date

import pytest

APRIL_2026 = date(2026, 4, 1)


def test_every_billable_code_of_april_2026_agrees_with_the_cdc_tabular(ref):
    tabular = pytest.importorskip("simple_icd_10_cm")
    listed = [c.replace(".", "") for c in tabular.get_all_codes(False) if "-" not in c and len(c) >= 3]
    ordered = sorted(set(listed))
    cdc = {code for code, after in zip(ordered, [*ordered[1:], ""], strict=True) if not after.startswith(code)}
    validity = ref.icd10cm_validity
    shipped = {code for code in validity.windows if validity.valid_on(code, APRIL_2026)}
    assert len(cdc) > 74_000
    assert sorted(shipped - cdc) == [] and sorted(cdc - shipped) == []
    external = {code for code in shipped if code[:1] in "VWXY"}
    assert len(external) == 7_461 and "Y92230" in external


def test_external_causes_are_judged_from_the_tabular_date_and_not_before(ref):
    validity = ref.icd10cm_validity
    assert validity.verdict("Y92230", date(2026, 5, 1)).status.value == "billable"
    assert validity.verdict("Y9223", date(2026, 5, 1)).status.value == "header"  # a category: CD006's finding
    assert validity.verdict("Y92230", date(2025, 3, 1)).status.value == "not judged"  # before the source


def test_a_verdict_is_the_same_on_every_day_of_a_period(ref):
    """CD006 judges a code once per period between the table's epochs (rules/diagnosis_status.py),
    not once per date of service: any two days of one period give the same verdict, every code."""
    import random
    from datetime import timedelta

    from cgt_claimcheck.rules.diagnosis_status import verdict_of

    validity = ref.icd10cm_validity
    edges = validity.epochs
    rng = random.Random(24)
    codes = rng.sample(validity.codes, 300) + ["D57", "D571", "C8339", "C833", "E10", "Z3184", "D711", "C8840"]
    for code in codes:
        i = rng.randrange(len(edges) - 1)
        first, last = edges[i], edges[i + 1] - timedelta(days=1)
        if not validity.covers(first):
            continue
        other = first + timedelta(days=rng.randint(0, (last - first).days))
        assert verdict_of(validity, code, first) == verdict_of(validity, code, other), (code, first, other)
        assert verdict_of(validity, code, first) == verdict_of(validity, code, last), (code, first, last)
