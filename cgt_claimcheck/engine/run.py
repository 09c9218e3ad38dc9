"""Stage: run. Select the rules, check what each needs, scope it, run it, collect its findings.

The pipeline: intake (read, screen, keep relevant claims, count rows) -> lines (derived columns)
-> each selected rule's vectorised check -> findings (one columnar table) -> the Report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pyarrow as pa

from cgt_claimcheck import __version__
from cgt_claimcheck.distinct import distinct
from cgt_claimcheck.engine.claims import claim_headers
from cgt_claimcheck.engine.findings import assemble, rejection_findings, rule_findings
from cgt_claimcheck.engine.intake import Relevance, kept_lines, take_in
from cgt_claimcheck.engine.lines import derive
from cgt_claimcheck.engine.options import CheckOptions
from cgt_claimcheck.engine.pending import FileState
from cgt_claimcheck.engine.rejections import with_file
from cgt_claimcheck.engine.repeats import limit_repeats
from cgt_claimcheck.freed_heap import WORTH_IT_LINES, give_heap_back
from cgt_claimcheck.ingest.arrow_source import ArrowSource
from cgt_claimcheck.ingest.facilities import load_facilities
from cgt_claimcheck.ingest.source import display_name
from cgt_claimcheck.reference import Reference
from cgt_claimcheck.report import CLAIM_HASH, FindingCounts, NotChecked, ReferenceInfo, Report, Summary, ToolInfo
from cgt_claimcheck.rules import select_rules
from cgt_claimcheck.rules.base import Rule, RuleContext
from cgt_claimcheck.rules.lines import Lines


def run_check(paths: Sequence[str | ArrowSource], ref: Reference, options: CheckOptions) -> Report:
    selected, deselected = select_rules(options.select, options.ignore)
    registry = load_facilities(options.facilities, ref) if options.facilities else None
    facilities = registry.rows if registry is not None else None
    window = options.repeat_window_days or ref.programs["wnc"].repeat_treatment_window_days or 30
    intake = take_in(paths, ref, options, Relevance(ref, selected))
    files = intake.files

    not_checked = [NotChecked(rule=r.code, reason="not selected (--select/--ignore)") for r in deselected]
    parts: list[pa.Table | None] = []
    problems = intake.problems
    if registry is not None and registry.problems:  # the registry's unusable rows are context rows
        problems.context_rows.append(with_file(registry.problem_table(), len(problems.context_files)))
        problems.context_files.append(display_name(options.facilities or ""))
    ctx = RuleContext(ref=ref, facilities=facilities, repeat_window_days=window)
    for r in selected:
        if r.reads == "problems":
            found = r.check(problems, ctx)
            parts.append(rejection_findings(found.tables, r, found.files, options))

    table = kept_lines(intake, options.date_format)
    intake.release_rows()  # the raw text of the kept rows is normalised now: memory for the rules
    lines = Lines(derive(table, ref)) if table is not None else None
    cgt_claims = 0
    if lines is not None:
        input_rows = ~lines.flags("_history")
        cgt_lines = input_rows & (lines.flags("is_cgt_drug") | lines.flags("is_car_t_admin"))
        cgt_claims = len(distinct(lines.groups("claim_id")[cgt_lines]))
        trial = lines.eq("program", "medi-cal") & ~lines.eq("trial_markers", "")
    for r in selected:
        if r.reads != "lines":
            continue
        reason = cannot_run(r, files, facilities, ref)
        if reason:
            not_checked.append(NotChecked(rule=r.code, reason=reason))
            continue
        if lines is None:
            continue
        partial = partial_columns(r, files)
        if partial:
            not_checked.append(NotChecked(rule=r.code, reason=partial))
        scope = lines.isin("payer", r.payers) & input_rows
        if not r.runs_on_clinical_trials:
            scope &= ~trial
        if not scope.any():
            continue
        parts.append(rule_findings(r, lines, r.check(lines, replace(ctx, scope=scope)), scope, options))

    large = lines is not None and len(lines) >= WORTH_IT_LINES
    if lines is not None:
        lines.forget()  # the rules' views: the findings and claim headers read the table only
    if large:
        give_heap_back()  # numpy's freed views stay resident in glibc's heap otherwise (freed_heap.py)
    for code, reasons in ctx.not_judged.items():
        not_checked.extend(NotChecked(rule=code, reason=reason) for reason in reasons)
    findings = assemble(parts, intake.x12_locators)
    headers = claim_headers(lines.table if lines is not None else None, findings, options.redact)
    lines = table = None  # the kept lines end here: the report is findings and claim headers
    if large:
        give_heap_back()
    report = Report(
        tool=ToolInfo(name="cgt-claimcheck", version=__version__),
        reference=ReferenceInfo(version=ref.version, path=str(ref.directory)),
        inputs=[f.summary for f in files],
        summary=Summary(
            rows_read=sum(f.summary.rows_read for f in files),
            rows_checked=sum(f.summary.rows_checked for f in files),
            rows_rejected=sum(f.summary.rows_rejected for f in files),
            rows_out_of_scope=sum(f.summary.rows_out_of_scope for f in files),
            out_of_scope=_merged(f.summary.out_of_scope for f in files),
            claims=intake.claims,
            cgt_claims=cgt_claims,
            findings=FindingCounts(),
        ),
        findings=findings,
        not_checked=not_checked,
        errors=intake.errors,
        claims=headers,
        rejected_billed=_rejected_billed(files),
    )
    report.recount()  # on every finding; then a cause repeated past max_repeats is closed by one record
    report.findings = limit_repeats(report.findings, options.max_repeats)
    report.summary.findings_not_listed = report.findings.not_listed()
    return report


def _rejected_billed(files: list[FileState]) -> pa.Table | None:
    """(file, claim_hash, billed): the usable charges of each claim's rejected rows, for the denied
    charges of a claim whose rows were rejected (its lines are never kept, so it has no header)."""
    parts = [
        table.append_column("file", pa.DictionaryArray.from_arrays(np.zeros(table.num_rows, np.int32), [f.path]))
        for f in files
        for table in f.rejected_claims  # summed by claim at the end of the intake
    ]
    return pa.concat_tables(parts).unify_dictionaries().select(["file", CLAIM_HASH, "billed"]) if parts else None


def cannot_run(r: Rule, files: list[FileState], facilities: object | None, ref: Reference) -> str | None:
    if "facilities" in r.requires and facilities is None:
        return "no facility registry given (--facilities FILE)"
    if "icd10cm_validity" in r.requires and "icd10cm_validity" not in ref.manifest.tables:
        return "the reference tables have no ICD-10-CM validity table (icd10cm_validity)"
    absent = [c for c in r.requires_columns if files and all(c not in f.present for f in files)]
    if absent:
        return f"column {', '.join(absent)} absent from the input"
    return None


def partial_columns(r: Rule, files: list[FileState]) -> str | None:
    lacking = [(c, f.path) for c in r.requires_columns for f in files if c not in f.present]
    if not lacking:
        return None
    return "not checked on the rows of " + "; ".join(f"{p} (no {c} column)" for c, p in lacking)


def _merged(tallies: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for tally in tallies:
        for value, count in tally.items():
            total[value] = total.get(value, 0) + count
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))
