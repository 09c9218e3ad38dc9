"""`lookup`, `rules` and `reference` through Typer's runner, and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cgt_claimcheck.cli import app
from cgt_claimcheck.rules import CATALOGUE

runner = CliRunner()


def test_lookup_json(ref):
    result = runner.invoke(app, ["lookup", "j3392", "--format", "json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["found"] is True
    card = answer["cards"][0]
    assert card["brand"] == "CASGEVY"
    assert {n["ndc_5_4_2"] for n in card["ndc"]} == {"51167-0290-09", "51167-0290-01"}
    assert {p["code"] for p in card["icd10pcs"]} == {"XW133J8", "XW143J8"}
    assert card["hcpcs"][0]["confidence"] == "medium"
    assert set(card["rules"]) == {"wnc", "medi-cal-ffs", "medi-cal-mcp"}


def test_lookup_rich_prints_product():
    result = runner.invoke(app, ["lookup", "73554-1111-1"])
    assert result.exit_code == 0
    assert "LYFGENIA" in result.stdout
    assert "73554-1111-01" in result.stdout


def test_lookup_on_date():
    result = runner.invoke(app, ["lookup", "kymriah", "--on", "2018-06-01", "--format", "json"])
    assert json.loads(result.stdout)["cards"][0]["billable_on"]["codes"] == ["Q2040"]


def test_lookup_unknown_exits_1_with_nearest():
    result = runner.invoke(app, ["lookup", "casgevyy-typo-zzz", "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["found"] is False


def test_lookup_bad_date_exits_2():
    result = runner.invoke(app, ["lookup", "J3392", "--on", "2025-13-45"])
    assert result.exit_code == 2
    assert "--on" in result.stderr


def test_lookup_bad_reference_dir_exits_2(tmp_path):
    result = runner.invoke(app, ["lookup", "J3392", "--reference-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "manifest" in result.stderr
    assert "Traceback" not in result.output


def test_reference_show_and_validate(reference_copy):
    shown = runner.invoke(app, ["reference", "--format", "json"])
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert data["version"] == "2026.12"
    assert data["tables"]["ndc"]["rows"] == 70  # 32 + 16 new products' + 22 Zolgensma weight-band kits
    assert len(data["tables"]["ndc"]["sha256"]) == 64
    assert data["sources"]["ndc"]
    rich = runner.invoke(app, ["reference"])
    assert "2026.12" in rich.stdout and "hcpcs.csv" in rich.stdout
    valid = runner.invoke(app, ["reference", "validate", str(reference_copy)])
    assert valid.exit_code == 0 and "valid reference 2026.12" in valid.stdout
    (reference_copy / "ndc.csv").write_text("broken")
    broken = runner.invoke(app, ["reference", "validate", str(reference_copy)])
    assert broken.exit_code == 2
    assert "ndc.csv" in broken.stderr and "checksum mismatch" in broken.stderr


def test_reference_dir_from_environment(reference_copy):
    (reference_copy / "manifest.json").write_text("[]")
    result = runner.invoke(app, ["lookup", "J3392"], env={"CGT_CLAIMCHECK_REFERENCE_DIR": str(reference_copy)})
    assert result.exit_code == 2


def test_rules_list_and_unknown_rule():
    listed = runner.invoke(app, ["rules", "--format", "json"])
    assert listed.exit_code == 0
    assert [r["code"] for r in json.loads(listed.stdout)] == list(CATALOGUE)
    unknown = runner.invoke(app, ["rules", "ZZ999"])
    assert unknown.exit_code == 2


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("cgt-claimcheck ")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CGT_CLAIMCHECK_REFERENCE_DIR"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_real_process_from_outside_the_checkout(tmp_path):
    """The installed package finds its tables from anywhere, and lookup never loads pandas."""
    probe = (
        "import sys, json\n"
        "sys.argv = ['cgt-claimcheck', 'lookup', 'J3392', '--format', 'json']\n"
        "from cgt_claimcheck.cli import app\n"
        "try:\n    app()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('PANDAS' if 'pandas' in sys.modules else 'NO-PANDAS', 'PYARROW' if 'pyarrow' in sys.modules else 'NO-PYARROW', file=sys.stderr)\n"
    )
    result = _run(["-c", probe], tmp_path)
    assert json.loads(result.stdout)["cards"][0]["product_id"] == "casgevy"
    assert "NO-PANDAS NO-PYARROW" in result.stderr

    module = _run(["-m", "cgt_claimcheck", "lookup", "nope-nothing-like-it"], tmp_path)
    assert module.returncode == 1

    where = _run(
        [
            "-c",
            "import cgt_claimcheck.reference as r, cgt_claimcheck as c; print(r.default_reference_dir()); print(c.__file__)",
        ],
        tmp_path,
    )
    data_dir, package_file = where.stdout.split()
    assert (Path(data_dir) / "manifest.json").is_file()
    repo = Path(__file__).resolve().parent.parent
    if repo not in Path(package_file).resolve().parents:  # a real (non-editable) install
        assert Path(data_dir).resolve().parent == Path(package_file).resolve().parent
