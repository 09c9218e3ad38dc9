"""Generate docs/rules.md from the catalogue: `python -m cgt_claimcheck.rules_markdown > docs/rules.md`.

A test keeps the file fresh, so the audit document always matches the rules that run.
"""

from __future__ import annotations

import inspect

from cgt_claimcheck.reference import Reference, load_reference
from cgt_claimcheck.rules import CATALOGUE
from cgt_claimcheck.rules.base import PROGRAM_LABEL

WORKED_RULE = CATALOGUE["CD004"]
CONTRACT = [
    "## How a rule is written",
    "",
    "A rule is declared once, in `cgt_claimcheck/rules/`, by the `@rule(...)` decorator above its check:",
    "its code, name, severity, payers, the policy sentence it enforces (one per program when the payers",
    "follow different policies), the policy sections it cites, the field a finding points at, the message",
    "and fix templates, the CARC/RARC a payer would deny with, and the details the check computes.",
    "",
    "The check is a function `(lines: Lines, ctx: RuleContext) -> Hits`:",
    "",
    "- `lines` (`rules/lines.py`) is the kept claim lines as one Arrow table: every column of the lines",
    "  contract (`ingest/columns.py`: the extract's columns normalised, the text as written, bookkeeping",
    "  and the columns derived from the reference tables). A check reads it through numpy views and",
    "  codes factorized once per run: `lines.isin(column, codes)`, `lines.eq`, `lines.lookup(column,",
    "  mapping)`, `lines.numbers`, `lines.days`, `lines.flags`, `lines.present` (a value given),",
    "  `lines.text_at(column, rows)` (the text of the lines a check words a finding for: a column of ids",
    "  or amounts becomes Python strings only there; `lines.text` gives every line's), `lines.has_token`",
    "  for `;`-joined code lists, `lines.claim_any(mask)` and `lines.first_of_claim(mask)` for",
    "  claim-level facts. Nulls are explicit: membership and equality are False on a null, numbers NaN,",
    "  text `''`.",
    "- It returns `lines.hits(mask, **details)`: the lines it flags and, per flagged line, the values",
    "  its templates name that are not line columns. `field`, `value`, `severity`, `carc` and `rarc`",
    "  override the declaration per finding. A template placeholder that is neither a line column nor a",
    "  declared detail fails at import; an undeclared detail fails when the check runs.",
    "- A check never prints, reads a file or loops over lines in Python; a loop over its hits, to word",
    "  their messages, is fine. Facts several rules read (a diagnosis's ICD-10-CM status, the label",
    "  fit) are worked out once per run and memoised in `ctx.options`. What a check cannot judge (an",
    "  unknown reference value) is said with `ctx.could_not_judge(code, reason)`, never flagged.",
    "- The engine scopes the hits (the rule's payers, no context lines, no clinical-trial claims",
    "  unless the rule says so) and turns them into findings: messages are formatted once per",
    "  distinct combination of the values they name. The same scope is in `ctx.scope` while the",
    "  check runs: a check that words a message per hit may leave the other lines out first.",
    "",
    "A worked rule, CD004, as it is in `cgt_claimcheck/rules/coding.py`:",
    "",
]


def render_rules_markdown(ref: Reference) -> str:
    out = [
        "# Rule catalogue",
        "",
        "Generated from the catalogue by `python -m cgt_claimcheck.rules_markdown`; do not edit by hand.",
        f"Reference tables: release {ref.version}. Denial texts are our paraphrases of the X12 CARC/RARC lists.",
        "",
        *CONTRACT,
        "```python",
        inspect.getsource(WORKED_RULE.check).rstrip(),  # the decorator and the check, as they run
        "```",
        "",
        "## The rules",
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
