"""Per-rule case files: tests/cases/<CODE>/<case>.csv (or .x12) with the exact findings in <case>.expected.

<case>.expected holds one line per expected finding of that rule: `CODE claim line severity`
(`-` where the finding has no claim or line). An empty file means the rule must stay silent.
Lines starting with `# option name=value` set check options; `<case>.facilities.csv` and
`<case>.history.csv` beside the case are passed as --facilities / --history.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cgt_claimcheck.engine import CheckOptions, run_check
from cgt_claimcheck.rules import CATALOGUE

CASES = Path(__file__).parent / "cases"
AUXILIARY = (".facilities.csv", ".history.csv", ".shuffled.csv")


def case_files() -> list[Path]:
    return sorted(p for p in [*CASES.glob("*/*.csv"), *CASES.glob("*/*.x12")] if not p.name.endswith(AUXILIARY))


def expected_for(case: Path) -> tuple[list[tuple[str, str, str, str]], dict[str, str]]:
    findings, options = [], {}
    for line in case.with_suffix(".expected").read_text().splitlines():
        line = line.strip()
        if line.startswith("# option "):
            key, _, value = line.removeprefix("# option ").partition("=")
            options[key.strip()] = value.strip()
        elif line and not line.startswith("#"):
            code, claim, number, severity = line.split()
            findings.append((code, claim, number, severity))
    return sorted(findings), options


def run_case(case: Path, ref) -> list[tuple[str, str, str, str]]:
    code = case.parent.name
    _, extra = expected_for(case)
    options = CheckOptions(
        facilities=str(case.with_suffix(".facilities.csv")) if case.with_suffix(".facilities.csv").exists() else None,
        history=[str(case.with_suffix(".history.csv"))] if case.with_suffix(".history.csv").exists() else [],
        **{k: int(v) if v.isdigit() else v for k, v in extra.items()},
    )
    report = run_check([str(case)], ref, options)
    return sorted(
        (f.rule, f.claim_id or "-", f.line_number or "-", f.severity.value) for f in report.findings if f.rule == code
    )


@pytest.mark.parametrize("case", case_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(case, ref):
    expected, _ = expected_for(case)
    assert run_case(case, ref) == expected


@pytest.mark.parametrize(
    "case", [p for p in case_files() if p.suffix == ".csv"], ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_case_with_tiny_batches_and_shuffled_rows(case, ref, tmp_path):
    """Claim-level rules stay exact when claims straddle batches and rows are not sorted, and a
    rule selected alone (`--select CODE`) finds what it finds among all the others."""
    expected, _ = expected_for(case)
    header, *rows = case.read_text(encoding="utf-8").splitlines()
    random.Random(case.name).shuffle(rows)
    target = tmp_path / case.name
    target.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    for aux in AUXILIARY[:2]:
        if case.with_suffix(aux).exists():
            (tmp_path / case.with_suffix(aux).name).write_bytes(case.with_suffix(aux).read_bytes())
    code = case.parent.name
    _, extra = expected_for(case)
    options = CheckOptions(
        batch_rows=1,
        select=[code],
        facilities=str(target.with_suffix(".facilities.csv"))
        if target.with_suffix(".facilities.csv").exists()
        else None,
        history=[str(target.with_suffix(".history.csv"))] if target.with_suffix(".history.csv").exists() else [],
        **{k: int(v) if v.isdigit() else v for k, v in extra.items()},
    )
    report = run_check([str(target)], ref, options)
    got = sorted(
        (f.rule, f.claim_id or "-", f.line_number or "-", f.severity.value) for f in report.findings if f.rule == code
    )
    assert got == expected


def test_every_rule_has_failing_and_passing_cases():
    missing = []
    for code in CATALOGUE:
        cases = (
            [p for p in (CASES / code).glob("*.*") if p.suffix in (".csv", ".x12") and not p.name.endswith(AUXILIARY)]
            if (CASES / code).is_dir()
            else []
        )
        outcomes = {bool(expected_for(p)[0]) for p in cases}
        if outcomes != {True, False}:
            missing.append(code)
    assert not missing, f"rules without both a failing and a passing case: {missing}"


def test_repeat_treatment_says_where_the_earlier_treatment_was(ref):
    """CV001's texts, which the case files do not pin: the earlier treatment's claim, found in the
    history file or billed to another payer (its claim id without the prefix the intake gave it),
    a duplicate's claim, and the EPSDT note for a member under 21."""
    folder = CASES / "CV001"

    def texts(case: str) -> list[tuple[str, str, str]]:
        history = folder / f"{case}.history.csv"
        options = CheckOptions(select=["CV001"], history=[str(history)] if history.exists() else [])
        report = run_check([str(folder / f"{case}.csv")], ref, options)
        return [(f.claim_id, f.message, f.hint) for f in report.findings]

    found = texts("prior_cgt_paid_by_another_payer")
    messages = [message for _, message, _ in found]
    assert (
        "CASGEVY on 2025-03-01 is a repeat CGT: the member received ZYNTEGLO on 2024-05-01 (claim Z1 in the history file)"
        in messages
    )
    assert (
        "CASGEVY on 2025-03-01 is a repeat CGT: the member received ZYNTEGLO on 2024-06-01 (claim O1, billed to bcbs nc)"
        in messages
    )
    assert "the same CASGEVY on 2025-03-01 is already billed on claim C1" in [m for _, m, _ in texts("fail")]
    assert {h for _, _, h in texts("fail") if "already billed" not in h} and all(
        "EPSDT" not in h for _, _, h in texts("fail")
    )
    epsdt = [h for _, _, h in texts("epsdt_under_21")]
    assert any(h.endswith("prior approval is still required.") for h in epsdt)


def test_a_check_given_its_scope_finds_what_it_finds_without_it(ref, monkeypatch):
    """ctx.scope lets a check leave out the lines the engine would drop: the case files of the
    rules that read it (CV001 words its messages for the kept hits only, and its cases hold other
    payers' lines and history) give the same findings, message for message, when checks see none."""
    from cgt_claimcheck.engine import run as run_module

    cases = [case for case in case_files() if case.parent.name == "CV001"]
    scoped = [run_check([str(case)], ref, _options_of(case)).findings.table for case in cases]
    monkeypatch.setattr(run_module, "replace", lambda ctx, scope: ctx)  # every check sees every line
    unscoped = [run_check([str(case)], ref, _options_of(case)).findings.table for case in cases]
    assert len(cases) > 5
    for case, with_scope, without in zip(cases, scoped, unscoped, strict=True):
        assert with_scope.equals(without), case


def _options_of(case: Path) -> CheckOptions:
    history = case.with_suffix(".history.csv")
    return CheckOptions(history=[str(history)] if history.exists() else [])
