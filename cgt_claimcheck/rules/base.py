"""What a rule is: one declaration with its code, severity, payers, policy quote and check.

A check is a vectorised function of the kept claim lines and a RuleContext. The lines are
`rules.lines.Lines`: the lines contract (`ingest.columns.LINE_COLUMNS`) as one Arrow table, read
through numpy views and codes factorized once per run. The check returns `Hits`, made with
`lines.hits(mask, **details)`: the lines it flags and, for those lines, the detail values the
rule declares in `details`. Details the engine understands besides template values: `field` /
`value` (the column at fault and its value, per line), `severity` (per-line override, e.g.
EPSDT), `carc` / `rarc` (per-line override). docs/rules.md shows the contract on a worked rule.

Templates are strict: a placeholder that is neither a line column nor a declared detail fails
when the rule is declared (at import), naming the rule; a check that returns an undeclared
detail fails when it runs.

Rules never print, read files, or loop over lines in Python (a loop over the hits, to word
their messages, is fine). Rule modules import numpy only inside checks, so `lookup` and `rules`
read the catalogue without loading it.
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cgt_claimcheck.ingest.columns import LINE_COLUMNS
from cgt_claimcheck.severity import Severity

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from cgt_claimcheck.reference import Reference

# The payer profiles the rules are written for, named once (the shipped payers.toml defines the
# same profiles; a test holds them together).
WNC_PROFILE, MEDI_CAL_FFS, MEDI_CAL_MCP = "wnc", "medi-cal-ffs", "medi-cal-mcp"
ALL_PAYERS = (WNC_PROFILE, MEDI_CAL_FFS, MEDI_CAL_MCP)
MEDI_CAL = (MEDI_CAL_FFS, MEDI_CAL_MCP)
WNC = (WNC_PROFILE,)
# The policy each payer profile follows (payers.toml `program`): a finding cites its own payer's policy.
PROGRAM_OF_PAYER = {WNC_PROFILE: "wnc", MEDI_CAL_FFS: "medi-cal", MEDI_CAL_MCP: "medi-cal"}
PROGRAM_LABEL = {"wnc": "for wnc", "medi-cal": "for medi-cal-ffs and medi-cal-mcp"}
# WNC.CP.299, EPSDT Special Provision: for members under 21 (lines["epsdt"]), limits on frequency
# and location may be exceeded with documented medical necessity; prior approval still applies.
EPSDT_NOTE = (
    "EPSDT (member under 21): policy limits may be exceeded when documentation shows medical necessity; "
    "prior approval is still required"
)


@dataclass(frozen=True)
class Triggers:
    """Codes that make a claim line CGT-relevant for a rule (the engine's prefilter).

    Codes are normalised: upper case, ICD codes without dots.
    """

    procedure_codes: frozenset[str] = frozenset()
    diagnosis_codes: frozenset[str] = frozenset()
    pcs_codes: frozenset[str] = frozenset()

    def __or__(self, other: Triggers) -> Triggers:
        return Triggers(
            self.procedure_codes | other.procedure_codes,
            self.diagnosis_codes | other.diagnosis_codes,
            self.pcs_codes | other.pcs_codes,
        )


@dataclass
class RuleContext:
    """What a check may read besides the lines: tables, optional registries, options."""

    ref: Reference
    facilities: pa.Table | None = None  # the registry's usable rows (ingest.facilities)
    repeat_window_days: int = 30
    options: dict[Any, Any] = field(default_factory=dict)  # per-run memo shared by rules
    # What a rule could not judge because a reference value is unknown (a product without an
    # indication row, a date past the tables' horizon): never a finding against the claim, but
    # said in the report's not_checked, rule by rule.
    not_judged: dict[str, list[str]] = field(default_factory=dict)
    # The lines whose hits the engine keeps for the rule being run (its payers, input rows, trial
    # claims only if it runs on them), set before each check; a check that words a message per hit
    # may leave the other lines out of its hits. None: every line.
    scope: np.ndarray | None = None

    def could_not_judge(self, code: str, reason: str) -> None:
        if reason not in self.not_judged.setdefault(code, []):
            self.not_judged[code].append(reason)


CheckFn = Callable[[Any, RuleContext], Any]  # (Lines, ctx) -> Hits, or (problems, ctx) -> a ProblemSet
READS = ("lines", "problems")
TriggerFn = Callable[["Reference"], Triggers]
ProductFilter = Callable[["Reference", str, str], bool]


def cgt_drug_triggers(ref: Reference) -> Triggers:
    """Product-specific CGT HCPCS (current and predecessor) and the unclassified codes (J3590)."""
    return Triggers(procedure_codes=frozenset(ref.product_of_hcpcs) | ref.unclassified_codes | {"J3590"})


def no_triggers(ref: Reference) -> Triggers:
    return Triggers()


def any_product(ref: Reference, product_id: str, payer: str) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    payers: tuple[str, ...]
    # The sentence(s) enforced: one text, or one per program ("wnc", "medi-cal") so that a finding
    # quotes the policy of its own payer.
    policy: str | dict[str, str]
    field: str
    message: str
    hint: str
    check: CheckFn
    details: tuple[str, ...] = ()  # columns the check returns besides `hit` (template values and overrides)
    carc: str | None = None
    rarc: str | None = None
    triggers: TriggerFn = cgt_drug_triggers
    requires_columns: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # context resources, e.g. "facilities"
    # For `lookup`: does this rule concern a given product for a given payer? None = the rule
    # is not about products (input checks, NEMT...).
    applies_to: ProductFilter | None = any_product
    # "The Medi-Cal CGT policy does not apply to clinical trials": rules run on Medi-Cal
    # clinical-trial claims only when this is set (input checks, and CV005 which says so).
    runs_on_clinical_trials: bool = False
    # The policy sections the rule enforces, as docs/policy-map.md names them ("WNC III.D",
    # "Medi-Cal Overview"); a test keeps the two in step.
    cites: tuple[str, ...] = ()
    # What the check reads: the kept claim lines (Lines; it returns Hits), or the problems
    # the intake found in the inputs themselves (ingest.problems.InputProblems; it returns the
    # ProblemSet it reports): the input rules, IN001, IN005, IN006 and XE.
    reads: str = "lines"

    def __post_init__(self) -> None:
        if self.reads not in READS:
            raise RuleDeclarationError(f"rule {self.code}: reads {self.reads!r}, expected one of {', '.join(READS)}")
        if isinstance(self.policy, dict):
            programs = {PROGRAM_OF_PAYER[p] for p in self.payers}
            if set(self.policy) != programs:
                raise RuleDeclarationError(
                    f"rule {self.code}: policy quotes for {sorted(self.policy)}, but its payers follow {sorted(programs)}"
                )
        known = LINE_COLUMNS | set(self.details) | {"field", "value"}
        for label, template in (("message", self.message), ("hint", self.hint)):
            for name in template_fields(template):
                if name not in known:
                    raise RuleDeclarationError(
                        f"rule {self.code}: {label} placeholder {{{name}}} is neither a line column nor a declared "
                        f"detail (declared: {', '.join(self.details) or 'none'})"
                    )

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The names the message and hint templates use, in order of first use."""
        return tuple(dict.fromkeys(template_fields(self.message) + template_fields(self.hint)))

    def policy_for(self, program: str | None) -> str:
        """The quote a finding of this program cites; all of them, labeled, when the program is unknown."""
        if isinstance(self.policy, str):
            return self.policy
        if program in self.policy:
            return self.policy[program]
        return self.policy_text

    @property
    def policy_text(self) -> str:
        """Every quote (docs, `rules`, findings without a payer); each names its own policy."""
        if isinstance(self.policy, str):
            return self.policy
        return " | ".join(self.policy.values())  # each quote names its own policy

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    def as_json(self) -> dict[str, Any]:
        """The declaration as `cgt-claimcheck rules --format json` prints it."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "payers": list(self.payers),
            "policy": self.policy_text,
            "policy_by_program": self.policy if isinstance(self.policy, dict) else None,
            "cites": list(self.cites),
            "carc": self.carc,
            "rarc": self.rarc,
            "field": self.field,
            "requires": list(self.requires_columns + self.requires),
            "doc": self.doc,
        }

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name


class RuleDeclarationError(Exception):
    """A rule is declared wrongly (a programming error, found at import)."""


def template_fields(template: str) -> list[str]:
    """The field names of a str.format template: '{ndc!r} on {service_date}' -> [ndc, service_date]."""
    names = []
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec:
            raise RuleDeclarationError(f"template {template!r}: only plain {{name}} or {{name!r}} fields are allowed")
        names.append(name)
    return names


def rule(**declaration: Any) -> Callable[[CheckFn], Rule]:
    """Declare a rule once: `@rule(code=..., name=..., ...)` above its check function."""

    def wrap(check: CheckFn) -> Rule:
        return Rule(check=check, **declaration)

    return wrap
