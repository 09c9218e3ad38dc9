"""Generate docs/rules.md from the catalogue: `python -m cgt_claimcheck.rules_markdown > docs/rules.md`.

A test keeps the file fresh, so the audit document always matches the rules that run.
"""

from __future__ import annotations

from cgt_claimcheck.reference import Reference, load_reference
from cgt_claimcheck.rules import CATALOGUE
from cgt_claimcheck.rules.base import PROGRAM_LABEL


def render_rules_markdown(ref: Reference) -> str:
    out = [
        "# Rule catalogue",
        "",
        "Generated from the catalogue by `python -m cgt_claimcheck.rules_markdown`; do not edit by hand.",
        f"Reference tables: release {ref.version}. Denial texts are our paraphrases of the X12 CARC/RARC lists.",
        "",
        "| code | name | severity | payers | CARC | RARC |",
        "|---|---|---|---|---|---|",
    ]
    for r in CATALOGUE.values():
        out.append(
            f"| [{r.code}](#{r.code.lower()}) | {r.name} | {r.severity.value} | {', '.join(r.payers)} | {r.carc or ''} | {r.rarc or ''} |"
        )
    for r in CATALOGUE.values():
        out += ["", f"## {r.code}", "", f"**{r.name}**: {r.severity.value}; payers {', '.join(r.payers)}.", ""]
        if isinstance(r.policy, str):
            out += [f"Enforces: {r.policy}", ""]
        else:
            out += ["Enforces:", ""] + [f"- {PROGRAM_LABEL[p]}: {quote}" for p, quote in r.policy.items()] + [""]
        if r.cites:
            out += ["Policy sections (docs/policy-map.md): " + ", ".join(r.cites) + ".", ""]
        denial = []
        if r.carc:
            denial.append(f"CARC {r.carc} ({ref.denial_text(r.carc, 'carc')})")
        if r.rarc:
            denial.append(f"RARC {r.rarc} ({ref.denial_text(r.rarc, 'rarc')})")
        if denial:
            out += ["Denial a payer would answer with: " + "; ".join(denial) + ".", ""]
        needs = list(r.requires_columns) + [f"--{x}" for x in r.requires]
        if needs:
            out += ["Needs: " + ", ".join(needs) + ".", ""]
        out += [f"Points at: `{r.field}`. Message: `{r.message}`", "", f"Fix: `{r.hint}`", ""]
        from_line = [f"`{name}`" for name in r.placeholders if name not in r.details]
        computed = [f"`{name}`" for name in r.placeholders if name in r.details]
        if r.placeholders:
            parts = [f"from the claim line {', '.join(from_line)}" if from_line else ""]
            parts.append(f"computed by the check {', '.join(computed)}" if computed else "")
            out += ["Placeholders, filled per finding: " + "; ".join(p for p in parts if p) + ".", ""]
        out += ["```text", r.doc, "```"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render_rules_markdown(load_reference()), end="")
