"""``lunora check`` end to end: formats, exit codes, codegen's diagnostics, the example app,
and the gate that stops ``lunora codegen`` from writing on a lint error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli, main
from lunora_codegen.diagnostics import UserCodeError
from lunora_codegen.pipeline import run
from lunora_codegen.project import load_project
from tests.lints.conftest import EXAMPLE, FIXTURES

WORKFLOW = """\
from typing import Any

from lunora_workflow import WorkflowContext, define_workflow


@define_workflow
async def welcome(ctx: WorkflowContext[Any]) -> None:
{body}
"""


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["check", *args])


def test_text_output_lists_each_finding_with_its_hint_and_exits_1_on_errors() -> None:
    root = FIXTURES / "unawaited_step" / "positive"
    result = _invoke("--project", str(root))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    findings = [line for line in lines if ": error unawaited_step: " in line]
    assert len(findings) == 5
    assert findings[0].endswith(
        'lunora/workflows.py:12:5: error unawaited_step: `ctx.step.do(...)` in workflow "order"'
        " is never awaited: it returns a coroutine, and a coroutine that is not awaited never runs"
    )
    hints = [line for line in lines if line.startswith("  hint: ")]
    assert len(hints) == 5
    assert "lunora check: 5 errors, 0 warnings, 0 infos." in result.stderr


def test_warnings_and_infos_do_not_fail_the_run() -> None:
    result = _invoke("--project", str(FIXTURES / "step_name_not_literal" / "positive"))
    assert result.exit_code == 0
    assert "warning step_name_not_literal" in result.stdout


def test_json_output() -> None:
    result = _invoke(
        "--project", str(FIXTURES / "duplicate_step_name" / "positive"), "--format", "json"
    )
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["summary"] == {"error": 0, "warning": 0, "info": 2}
    first = report["diagnostics"][0]
    assert first["code"] == "duplicate_step_name"
    assert first["severity"] == "info"
    assert (first["line"], first["column"]) == (17, 11)
    assert first["help_uri"].endswith("docs/lints.md#duplicate_step_name")
    assert first["hint"]


def test_the_console_script_exits_with_the_check_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as failed:
        main(["check", "--project", str(FIXTURES / "step_in_step" / "positive")])
    assert failed.value.code == 1
    main(["check", "--project", str(FIXTURES / "step_in_step" / "negative")])  # returns: exit 0
    assert "0 errors" in capsys.readouterr().err


def test_the_example_app_is_clean() -> None:
    """No findings at all: the entry's routes start every workflow that is not a branch."""
    result = _invoke("--project", str(EXAMPLE), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["diagnostics"] == []


def test_codegen_diagnostics_and_unparsable_modules_are_source_errors(make_project: Any) -> None:
    root = make_project(
        {
            "lunora/__init__.py": "",
            "lunora/workflows.py": WORKFLOW.replace("async def welcome", "def welcome").format(
                body="    pass"
            ),
            "lunora/api.py": "def broken(:\n    pass\n",
        }
    )
    result = _invoke("--project", str(root))
    assert result.exit_code == 1
    assert "lunora/api.py:1:12: error source_error: syntax error: " in result.stdout
    assert (
        "lunora/workflows.py:7:5: error source_error: workflow handler 'welcome' must be an "
        "`async def`" in result.stdout
    )


def test_a_syntax_error_in_workflows_py_is_reported_once(make_project: Any) -> None:
    root = make_project({"lunora/__init__.py": "", "lunora/workflows.py": "x = (\n"})
    result = _invoke("--project", str(root), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(d["code"], d["path"].endswith("workflows.py")) for d in report["diagnostics"]] == [
        ("source_error", True)
    ]


def _copy(case: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(case, target)
    return target


def test_codegen_refuses_to_write_on_a_gating_lint_error(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "unawaited_step" / "positive", tmp_path)
    project = load_project(root)
    with pytest.raises(UserCodeError) as failed:
        run(project)
    assert {d.code for d in failed.value.diagnostics} == {"unawaited_step"}
    assert not project.generated_dir.exists()
    result = CliRunner().invoke(cli, ["codegen", "--project", str(root)])
    assert result.exit_code == 1
    assert "error unawaited_step" in result.stderr
    assert not project.generated_dir.exists()


def test_codegen_writes_despite_warnings_and_infos(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "step_name_not_literal" / "positive", tmp_path)
    project = load_project(root)
    run(project)
    assert project.workflows_file.is_file()
    assert (project.generated_dir / "workflows.py").is_file()


def test_codegen_does_not_gate_on_workflow_not_exported(tmp_path: Path) -> None:
    """Codegen creates the class the entry must import: it writes, and check reports."""
    root = _copy(FIXTURES / "workflow_not_exported" / "positive", tmp_path)
    project = load_project(root)
    run(project)
    assert (project.generated_dir / "workflows.py").is_file()
    assert _invoke("--project", str(root)).exit_code == 1


def test_run_without_lint_skips_the_gate(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "step_in_step" / "positive", tmp_path)
    project = load_project(root)
    run(project, lint=False)
    assert (project.generated_dir / "workflows.py").is_file()


def test_an_entry_that_does_not_parse_is_one_source_error(tmp_path: Path) -> None:
    root = _copy(FIXTURES / "workflow_not_exported" / "negative", tmp_path)
    (root / "src" / "entry.py").write_text("from lunora._generated.workflows import (\n")
    result = _invoke("--project", str(root), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(d["code"], d["path"].endswith("src/entry.py")) for d in report["diagnostics"]] == [
        ("source_error", True)
    ]
