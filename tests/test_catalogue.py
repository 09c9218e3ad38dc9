"""The catalogue itself: every rule declared completely, documented, and audited in docs/rules.md."""

from __future__ import annotations

import re
from pathlib import Path

from cgt_claimcheck.rules import CATALOGUE
from cgt_claimcheck.rules_markdown import render_rules_markdown

REPO = Path(__file__).resolve().parent.parent


def test_docs_rules_md_is_fresh(ref):
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == render_rules_markdown(ref), (
        "docs/rules.md is stale: run `python -m cgt_claimcheck.rules_markdown > docs/rules.md`"
    )


def test_every_rule_is_declared_completely(ref):
    for code, r in CATALOGUE.items():
        assert re.fullmatch(r"[A-Z]{2}\d{3}", code)
        assert re.fullmatch(r"[a-z0-9-]+", r.name)
        assert r.payers and set(r.payers) <= set(ref.payers)
        assert "'" in r.policy_text or code.startswith("IN"), f"{code}: quote the policy sentence"
        if isinstance(r.policy, dict):  # one quote per program, each a quote
            assert all("'" in quote for program, quote in r.policy.items() if not code.startswith("IN")), code
        assert r.hint and r.message
        assert "Fails" in r.doc and "Passes" in r.doc, f"{code}: docstring needs a failing and a passing example"
        for denial, kind in ((r.carc, "carc"), (r.rarc, "rarc")):
            if denial:
                assert ref.denial_text(denial, kind), f"{code}: {kind} {denial} is not in the reference code sets"


def test_no_rule_uses_the_deactivated_carc_15():
    assert all(r.carc != "15" for r in CATALOGUE.values())


def test_rules_command_prints_documentation():
    from typer.testing import CliRunner

    from cgt_claimcheck.cli import app

    result = CliRunner().invoke(app, ["rules", "CT001"])
    assert result.exit_code == 0
    assert "38228 must be billed with one of the CAR-T drug" in result.stdout
    assert "Fails" in result.stdout and "Passes" in result.stdout
    listing = CliRunner().invoke(app, ["rules"])
    assert all(code in listing.stdout for code in CATALOGUE)
