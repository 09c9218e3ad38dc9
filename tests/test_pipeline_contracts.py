"""The pipeline's contracts: strict rule templates, the lines contract, the import layering,
the published JSON schema, and writers that stream (memory does not follow the findings)."""

from __future__ import annotations

import ast
import io
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from cgt_claimcheck.engine import CheckOptions, run_check
from cgt_claimcheck.engine.findings import FINDINGS_SCHEMA, assemble
from cgt_claimcheck.engine.lines import derive
from cgt_claimcheck.ingest.columns import DERIVED
from cgt_claimcheck.report import FindingCounts, Findings, ReferenceInfo, Report, Summary, ToolInfo
from cgt_claimcheck.report_schema import Report as ReportSchema
from cgt_claimcheck.reporters import csv_report, json_report
from cgt_claimcheck.rules.base import RuleDeclarationError, rule
from cgt_claimcheck.severity import Severity

PACKAGE = Path(__file__).resolve().parent.parent / "cgt_claimcheck"
EXAMPLES = PACKAGE.parent / "examples"


# --- strict templates ----------------------------------------------------------------------------
def _declare(message: str, details: tuple[str, ...] = ()):
    return rule(
        code="ZZ999",
        name="test-rule",
        severity=Severity.ERROR,
        payers=("wnc",),
        policy="test",
        field="procedure_code",
        message=message,
        hint="fix it",
        details=details,
    )(lambda lines, ctx: lines["is_cgt_drug"])


def test_an_unknown_placeholder_fails_at_declaration_naming_the_rule():
    with pytest.raises(RuleDeclarationError, match=r"ZZ999.*\{procedure_cod\}"):
        _declare("{procedure_cod} is wrong")


def test_placeholders_may_name_line_columns_and_declared_details():
    assert _declare("{procedure_code} {brand} {age} {why!r}", details=("why",)).placeholders == (
        "procedure_code",
        "brand",
        "age",
        "why",
    )


def test_a_format_spec_is_refused():
    with pytest.raises(RuleDeclarationError, match="only plain"):
        _declare("{units:>5}")


def test_a_check_returning_an_undeclared_detail_fails_when_it_runs(ref, monkeypatch):
    import cgt_claimcheck.engine.run as run_module

    bad = rule(
        code="ND001",
        name="ndc-missing",
        severity=Severity.ERROR,
        payers=("wnc", "medi-cal-ffs", "medi-cal-mcp"),
        policy="test",
        field="ndc",
        message="{procedure_code}",
        hint="x",
    )(lambda lines, ctx: lines.hits(lines.flags("is_cgt_drug"), surprise="x"))
    monkeypatch.setattr(run_module, "select_rules", lambda select, ignore: ([bad], []))
    with pytest.raises(RuleDeclarationError, match="ND001.*undeclared details surprise"):
        run_check([str(EXAMPLES / "claims.csv")], ref, CheckOptions())


# --- the lines contract ------------------------------------------------------------------------------
def test_derive_adds_exactly_the_declared_columns(ref):
    from cgt_claimcheck.engine.intake import Relevance, kept_lines, take_in

    intake = take_in([str(EXAMPLES / "claims.csv")], ref, CheckOptions(), Relevance(ref, []))
    lines = kept_lines(intake, None)
    assert set(derive(lines, ref).column_names) - set(lines.column_names) == set(DERIVED)


# --- import layering ---------------------------------------------------------------------------------
def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    target = PACKAGE / folder
    return sorted(target.rglob("*.py")) if target.is_dir() else [PACKAGE / f"{folder}.py"]


# (modules, what they must never import). Written down in docs/architecture.md.
LAYERS = [
    ("rules", ("cgt_claimcheck.engine", "cgt_claimcheck.reporters", "cgt_claimcheck.cli", "rich", "pandas")),
    (
        "ingest",
        ("cgt_claimcheck.rules", "cgt_claimcheck.engine", "cgt_claimcheck.reporters", "cgt_claimcheck.cli", "pandas"),
    ),
    ("reference", ("cgt_claimcheck.rules", "cgt_claimcheck.engine", "cgt_claimcheck.reporters", "cgt_claimcheck.cli")),
    ("engine", ("cgt_claimcheck.reporters", "cgt_claimcheck.cli", "rich", "pydantic", "pandas")),
    ("report", ("cgt_claimcheck.engine", "cgt_claimcheck.rules", "pydantic", "pandas")),
]


@pytest.mark.parametrize(("folder", "forbidden"), LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layering(folder, forbidden):
    offending = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _modules(folder)
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]
    assert not offending, offending


READERS = {"ExtractReader", "X12Reader", "is_x12", "ByteSource"}


def test_ingest_owns_every_reader():
    """Inputs are opened and recognized in one place (ingest/scan.py: open_input, scan); no other
    stage picks a reader or asks which kind it holds."""
    offending = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "ingest":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Attribute):
                names = [node.attr]
            offending += [f"{path.relative_to(PACKAGE)} uses {name}" for name in names if name in READERS]
    assert not offending, offending


def test_reporters_import_only_the_report_model():
    allowed = (
        "cgt_claimcheck.report",
        "cgt_claimcheck.reporters",
        "cgt_claimcheck.severity",
        "cgt_claimcheck.printable",
    )
    offending = [
        f"{path.name} imports {name}"
        for path in _modules("reporters")
        for name in _imports(path)
        if name.startswith("cgt_claimcheck") and not name.startswith(allowed)
    ]
    assert not offending, offending


def test_rich_only_in_cli_views_and_the_rich_reporter():
    allowed = {"cli/app.py", "terminal_views.py", "reporters/rich_report.py", "printable.py"}
    offending = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if str(path.relative_to(PACKAGE)) not in allowed
        and any(n == "rich" or n.startswith("rich.") for n in _imports(path))
    ]
    assert not offending, offending


def test_commands_import_the_cli_app_never_each_other_nor_a_private_name():
    """`cli/` is one module per command over `cli/app.py` (and `cli/options.py`): no circle, and no
    module imports a name another module keeps private (a leading underscore)."""
    shared = {"cgt_claimcheck.cli.app", "cgt_claimcheck.cli.options"}
    offending = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("cgt_claimcheck"):
                continue
            names = [alias.name for alias in node.names]
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            private = [name for name in names if name.startswith("_") and not name.endswith("__")]
            offending += [f"{where} imports private {name}" for name in private]
            if path.parent.name == "cli" and path.name not in ("__init__.py", "app.py"):
                module = node.module or ""
                if module == "cgt_claimcheck.cli" and names != ["options"]:
                    offending.append(f"{where} imports the cli package {names}")
                elif module.startswith("cgt_claimcheck.cli.") and module not in shared:
                    offending.append(f"{where} imports another command ({module})")
    assert not offending, offending


PRINTING_MODULES = ("cli/app.py", "cli/check.py", "cli/convert.py", "terminal_views.py", "reporters/rich_report.py")
SAFE_TEXT = {"shown", "literal", "markup_safe", "printable", "excerpt"}


def _unsafe_text(node: ast.AST) -> bool:
    """Printed text that does not come from a literal or through cgt_claimcheck.printable."""
    if isinstance(node, ast.Constant):
        return False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SAFE_TEXT:
        return False
    if isinstance(node, ast.Tuple) and node.elts:  # (text, style) pairs in Text.assemble
        return _unsafe_text(node.elts[0])
    return True


def test_every_printed_value_goes_through_one_escaping_function():
    offending = []
    for name in PRINTING_MODULES:
        tree = ast.parse((PACKAGE / name).read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id == "Text":
                offending.append(f"{name}:{node.lineno} Text(...): use printable.shown")
            elif isinstance(func, ast.Attribute) and func.attr == "assemble":
                offending += [f"{name}:{node.lineno} Text.assemble argument" for a in node.args if _unsafe_text(a)]
            elif isinstance(func, ast.Attribute) and func.attr in ("print", "add_task") and node.args:
                if isinstance(node.args[0], (ast.JoinedStr, ast.BinOp)):
                    offending.append(f"{name}:{node.lineno} .{func.attr}(f-string)")
    assert not offending, offending


def test_no_module_grows_past_about_400_lines():
    long = {
        str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 420
    }
    assert not long, long


# --- the published schema ------------------------------------------------------------------------------
def test_the_json_report_matches_the_published_schema(ref):
    report = run_check(
        [str(EXAMPLES / "claims_with_errors.csv")],
        ref,
        CheckOptions(facilities=str(EXAMPLES / "facilities.csv"), history=[str(EXAMPLES / "history.csv")]),
    )
    out = io.StringIO()
    json_report.render(report, out)
    parsed = ReportSchema.model_validate_json(out.getvalue())
    assert len(parsed.findings) == len(report.findings) > 20
    assert [f.rule for f in parsed.findings] == [f.rule for f in report.findings]


# --- streaming writers -----------------------------------------------------------------------------------
def _synthetic_report(n: int) -> Report:
    """n findings built column-wise (what a file with n rejected rows gives), values all distinct."""
    text = pa.dictionary(pa.int32(), pa.string())

    def constant(value: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value]))

    rows = np.arange(1, n + 1, dtype=np.int64)
    ids = pa.array(np.char.add("C", rows.astype(str)).astype(object), pa.string())
    arrays = {
        name: constant(name)
        for name, kind in zip(FINDINGS_SCHEMA.names, FINDINGS_SCHEMA.types, strict=True)
        if kind == text
    }
    arrays |= {"severity": constant("error"), "claim_id": ids, "line_number": ids, "value": ids, "row": pa.array(rows)}
    arrays |= {"location": pa.nulls(n, pa.string()), "represents": pa.array(np.ones(n, np.int64))}
    for hidden in ("unlisted_claims", "claim_hash"):
        arrays[hidden] = pa.nulls(n, FINDINGS_SCHEMA.field(hidden).type)
    arrays |= {"_file_index": pa.array(np.zeros(n, np.int32)), "_rule": pa.array(np.full(n, "IN001", dtype=object))}
    table = pa.table({name: arrays[name] for name in FINDINGS_SCHEMA.names}, schema=FINDINGS_SCHEMA)
    findings = assemble([table])
    return Report(
        tool=ToolInfo("cgt-claimcheck", "test"),
        reference=ReferenceInfo("test", "-"),
        inputs=[],
        summary=Summary(n, 0, n, n, 0, FindingCounts(error=n)),
        findings=findings,
    )


class _CountingSink(io.TextIOBase):
    """Counts what is written and keeps nothing (the report is far larger than what we hold)."""

    def __init__(self) -> None:
        self.chars = 0
        self.lines = 0
        self.tail = ""

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.lines += text.count("\n")
        self.tail = (self.tail + text)[-200:]
        return len(text)


def _peak_while_writing(render, n: int) -> tuple[int, _CountingSink]:
    report = _synthetic_report(n)
    sink = _CountingSink()
    tracemalloc.start()
    render(report, sink)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, sink


@pytest.mark.parametrize("render", [json_report.render, json_report.render_lines, csv_report.render])
def test_writers_stream_a_batch_at_a_time(render):
    small, small_sink = _peak_while_writing(render, 10_000)  # two batches of findings
    large, large_sink = _peak_while_writing(render, 50_000)  # seven
    assert large_sink.lines >= 50_000 and large_sink.chars > 4.5 * small_sink.chars  # everything was written
    # Memory held while writing follows the batch, not the number of findings: five times the
    # findings (9-30 MB of text) hold the same few MB.
    assert large < 1.5 * small + 1_000_000, (small, large)
    assert large < 10_000_000, large


def test_findings_iterate_as_records():
    report = _synthetic_report(3)
    records = list(report.findings)
    assert [r.row for r in records] == [1, 2, 3]
    assert records[0].severity is Severity.ERROR and records[0].claim_id == "C1"
    assert report.findings_by_rule() == {"rule": 3}


def test_empty_findings_write_an_empty_array():
    report = _synthetic_report(0)
    out = io.StringIO()
    json_report.render(report, out)
    assert json.loads(out.getvalue())["findings"] == []
    assert isinstance(report.findings, Findings) and not report.findings


def test_a_json_check_loads_no_pandas_no_pydantic_no_rich(tmp_path, ref):
    """The check path is pyarrow and numpy (issue 24). pydantic validates a config file, tables not
    yet in the cache and the published schema; rich draws at a terminal; pandas is for the frames
    of the Python API and `lookup`. A `--format json -o FILE` run loads none of them (pyarrow
    would load pandas only to ask whether a list is a frame: the CLI refuses it, pandas_free.py).
    (`ref` has filled this session's reference cache, which the process shares.)"""
    import subprocess
    import sys

    argv = ["cgt-claimcheck", "check", str(EXAMPLES / "claims.csv"), "--format", "json", "-o", str(tmp_path / "o.json")]
    program = (
        "import runpy, sys\n"
        f"sys.argv = {argv!r}\n"
        "try:\n    runpy.run_module('cgt_claimcheck', run_name='__main__')\n"
        "except SystemExit as stop:\n    assert stop.code in (0, None), stop.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'pydantic', 'rich', 'numpy', 'pyarrow'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "['numpy', 'pyarrow']"  # what the check does run on
