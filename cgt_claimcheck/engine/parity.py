"""The parity harness while the rule checks move from pandas to Arrow (issue 24).

Under `rule_engine="parity"` (the test suite's setting) a rule with an Arrow check runs both
checks on the same lines; the two findings tables must be identical, column by column, and so
must what each could not judge. A difference is an error naming the rule and the first finding
that differs. This module goes with the pandas checks.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from cgt_claimcheck.engine.findings import frame_of_hits, rule_findings
from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.rules.base import Rule, RuleContext
from cgt_claimcheck.rules.lines import Lines

COMPARED = ("severity", "claim_id", "line_number", "row", "field", "value", "message", "hint", "policy", "carc", "rarc")


class ParityError(AssertionError):
    """The Arrow check of a rule found something else than its pandas check."""


def both_engines(
    r: Rule, lines: pd.DataFrame, scope: pd.Series, ctx: RuleContext, options: CheckOptions, view: Lines
) -> pa.Table | None:
    """Run both checks; return the Arrow findings when they equal the pandas ones."""
    judged_before = {code: list(reasons) for code, reasons in ctx.not_judged.items()}
    old = rule_findings(r, lines, r.check(lines, ctx), scope, options)
    by_pandas = ctx.not_judged
    ctx.not_judged = judged_before
    new = rule_findings(r, lines, frame_of_hits(r.arrow_check(view, ctx), lines.index), scope, options)
    if by_pandas != ctx.not_judged:
        raise ParityError(f"{r.code}: not judged differs: pandas {by_pandas}, arrow {ctx.not_judged}")
    old_rows, new_rows = _rows(old), _rows(new)
    if old_rows != new_rows:
        raise ParityError(f"{r.code}: {_first_difference(old_rows, new_rows)}")
    return new


def _rows(table: pa.Table | None) -> list[tuple[object, ...]]:
    if table is None:
        return []
    columns = [table.column(name).to_pylist() for name in COMPARED]
    return list(zip(*columns, strict=True))


def _first_difference(old: list[tuple[object, ...]], new: list[tuple[object, ...]]) -> str:
    if len(old) != len(new):
        only_old = sorted(set(old) - set(new))[:3]
        only_new = sorted(set(new) - set(old))[:3]
        return f"{len(old)} findings with pandas, {len(new)} with arrow; pandas only {only_old}; arrow only {only_new}"
    for a, b in zip(old, new, strict=True):
        if a != b:
            diff = {name: (x, y) for name, x, y in zip(COMPARED, a, b, strict=True) if x != y}
            return f"row {a[COMPARED.index('row')]}: (pandas, arrow) {diff}"
    return "same findings in another order"
