"""docs/policy-map.md and the rules' `cites` agree in both directions (issue 12, item 11)."""

from __future__ import annotations

import re
from pathlib import Path

from cgt_claimcheck.rules import CATALOGUE

MAP = Path(__file__).resolve().parent.parent / "docs" / "policy-map.md"
ROW = re.compile(r"^\|\s*`(?P<section>[^`]+)`\s*\|(?P<requirement>[^|]*)\|(?P<rules>[A-Z0-9, ]*)\|(?P<why>[^|]*)\|$")
NOT_PAYER_RULES = {"IN005", "IN006", "IN007", "XE001", "XE002", "XE003", "XE004", "XE005", "XE006"}


def map_rows() -> list[dict[str, str]]:
    rows = [m.groupdict() for line in MAP.read_text(encoding="utf-8").splitlines() if (m := ROW.match(line))]
    assert len(rows) > 40, "the map's tables could not be read"
    return rows


def rules_by_section() -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    for row in map_rows():
        codes = {c.strip() for c in row["rules"].split(",") if c.strip()}
        sections.setdefault(row["section"], set()).update(codes)
    return sections


def test_the_map_names_only_rules_that_exist():
    named = set().union(*rules_by_section().values())
    assert named - set(CATALOGUE) == set()


def test_every_section_a_rule_cites_is_in_the_map_with_that_rule():
    sections = rules_by_section()
    missing = [(r.code, s) for r in CATALOGUE.values() for s in r.cites if r.code not in sections.get(s, set())]
    assert missing == []


def test_every_rule_the_map_lists_under_a_section_cites_it():
    uncited = [
        (code, section)
        for section, codes in rules_by_section().items()
        for code in codes
        if section not in CATALOGUE[code].cites
    ]
    assert uncited == []


def test_every_payer_rule_cites_a_section():
    for r in CATALOGUE.values():
        if r.code in NOT_PAYER_RULES:
            assert not r.cites
            continue
        assert r.cites, r.code


def test_a_section_without_a_rule_says_why():
    for row in map_rows():
        assert row["rules"].strip() or row["why"].strip(), row["section"]


def test_findings_quote_their_own_payers_policy(ref):
    from cgt_claimcheck.engine import CheckOptions, run_check

    examples = Path(__file__).resolve().parent.parent / "examples"
    report = run_check([str(examples / "claims_with_errors.csv")], ref, CheckOptions())
    for f in report.findings:
        if f.rule == "AU001" and f.payer:
            assert ("WNC.CP.299" in f.policy) == (f.payer == "wnc"), (f.payer, f.policy)
            assert ("Medi-Cal" in f.policy) == f.payer.startswith("medi-cal"), (f.payer, f.policy)
