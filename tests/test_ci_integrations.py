"""The pre-commit hook and the GitHub Action, exercised: the hook's manifest through pre-commit's own
loader and its entry run as pre-commit runs it; the action's YAML checked and its steps' scripts
run with bash as the runner would run them.

(`pre-commit try-repo . cgt-claimcheck --all-files` in a repository of extracts builds the
hook's own environment with pip: about 20 s, so it is run by hand, not here; see CONTRIBUTING.md.)
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

BIN = str(Path(sys.executable).parent)  # where `pip install` put the cgt-claimcheck command
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _hook() -> dict:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))  # pre-commit's own schema check
    return next(h for h in hooks if h["id"] == "cgt-claimcheck")


def test_the_hook_picks_extracts_and_x12_files_and_leaves_the_rest():
    files = re.compile(_hook()["files"])
    for name in ("claims/day.csv", "claims/day.csv.gz", "batch.837", "lake/part-0.parquet", "in/x.x12", "a.txt"):
        assert files.search(name), name
    for name in ("README.md", "report.json", "claims.csv.bak", "action.yml"):
        assert not files.search(name), name
    assert _hook()["require_serial"] is True  # one run sees every file: claims span files


@pytest.mark.parametrize(("example", "status"), [("claims_with_errors.csv", 1)])
def test_the_hooks_entry_runs_as_pre_commit_runs_it(example, status):
    hook = _hook()
    command = [*shlex.split(hook["entry"]), *hook["args"], f"examples/{example}"]
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == status, result.stderr
    if status:  # concise: one line a finding, file:line: rule [severity] message
        assert re.search(r"^examples/claims_with_errors\.csv:\d+: CV00\d \[error\] ", result.stdout, re.M)
    assert result.stderr == ""


def _action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def test_the_action_is_a_composite_whose_scripts_take_inputs_only_from_the_environment():
    action = _action()
    assert action["runs"]["using"] == "composite" and {"name", "description", "inputs"} <= set(action)
    declared = set(action["inputs"])
    assert {"files", "payer", "fail-on", "baseline"} <= declared
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    for expression in EXPRESSION.findall(text):
        for name in re.findall(r"inputs\.([\w-]+)", expression):
            assert name in declared, name
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step
            assert "${{" not in step["run"], step["name"]  # an input pasted into a script could inject commands
    assert any(
        step.get("uses", "").startswith("github/codeql-action/upload-sarif@") for step in action["runs"]["steps"]
    )


def _step(name: str) -> dict:
    return next(s for s in _action()["runs"]["steps"] if s.get("name") == name)


def _evaluated(value: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        return outputs[expression.removeprefix("steps.check.outputs.")]

    return EXPRESSION.sub(one, value)


def _run_step(name: str, inputs: dict[str, str], outputs: dict[str, str], tmp_path: Path) -> int:
    step = _step(name)
    output_file = tmp_path / "github_output"
    output_file.touch()
    env = {k: _evaluated(str(v), inputs, outputs) for k, v in (step.get("env") or {}).items()}
    env |= {
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "GITHUB_OUTPUT": str(output_file),
        "HOME": str(tmp_path),
    }
    # bash -e, as the runner runs a bash step
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    for line in output_file.read_text().splitlines():
        key, _, value = line.partition("=")
        outputs[key] = value
    return done.returncode


@pytest.mark.parametrize(("files", "fail_on", "status"), [("examples/claims_with*.csv", "error", "1")])
def test_the_actions_check_and_verdict_steps_run(tmp_path, files, fail_on, status):
    inputs = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    inputs |= {"files": files, "fail-on": fail_on, "sarif": str(tmp_path / "out.sarif")}
    outputs: dict[str, str] = {}
    assert _run_step("Check", inputs, outputs, tmp_path) == 0  # the step itself never fails: the upload must run
    assert outputs["exit-code"] == status
    sarif = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert (len(results) > 20) == (files != "examples/claims.csv")
    assert _run_step("Verdict", inputs, outputs, tmp_path) == int(status)
