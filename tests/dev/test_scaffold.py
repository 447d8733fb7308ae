"""``lunora generate``: golden outputs, byte-exact preservation, refusals, entry re-exports.

Golden cases live in ``fixtures/scaffold/<case>/``: ``command.txt`` (``workflow NAME`` or
``step NAME``), ``before/`` (the project) and ``after/`` (every file once the scaffold ran, with
codegen off). ``LUNORA_UPDATE_GOLDEN=1`` rewrites ``after/`` from the current output.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lunora_codegen.cli import main
from lunora_codegen.diagnostics import UserCodeError
from lunora_codegen.project import load_project
from lunora_codegen.scaffold import (
    InvalidNameError,
    NameTakenError,
    normalize_export_name,
    plan_step,
    plan_workflow,
    scaffold_step,
    scaffold_workflow,
)
from lunora_codegen.scaffold.source import append_block

from .conftest import make_project

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scaffold"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "command.txt").is_file())


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _generate(
    capsys: pytest.CaptureFixture[str], project_dir: Path, kind: str, name: str, *extra: str
) -> tuple[int, str]:
    """Run the real console-script entry point; returns (exit code, stdout + stderr)."""
    capsys.readouterr()
    try:
        main(["generate", kind, "--name", name, "--project", str(project_dir), *extra])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kind, name = (FIXTURES / case / "command.txt").read_text(encoding="utf-8").split()
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / case / "before", project)
    before = _files(project)
    code, output = _generate(capsys, project, kind, name, "--no-codegen")
    assert code == 0, output
    after = _files(project)
    expected_dir = FIXTURES / case / "after"
    if os.environ.get("LUNORA_UPDATE_GOLDEN") == "1":
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(project, expected_dir)
    assert after == _files(expected_dir)
    # Only additions: no line was deleted, and the only replaced lines are an import or an
    # ``__all__`` that grew (every word of the old line is still in the new one).
    for rel, old in before.items():
        old_lines = old.decode().splitlines(keepends=True)
        new_lines = after[rel].decode().splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            assert tag != "delete", f"{rel} lost lines {old_lines[i1:i2]}"
            if tag == "replace":
                grown = "".join(new_lines[j1:j2])
                for line in old_lines[i1:i2]:
                    assert line.startswith(("from ", "import ", "__all__")), f"{rel}: {line!r}"
                    assert all(word in grown for word in re.findall(r"\w+", line)), line


def test_appended_definition_leaves_the_rest_byte_for_byte(tmp_path: Path) -> None:
    case = FIXTURES / "workflow_append" / "before"
    shutil.copytree(case, tmp_path / "p")
    path = tmp_path / "p" / "src" / "lunora" / "workflows.py"
    original = path.read_text(encoding="utf-8")
    scaffold_workflow(load_project(tmp_path / "p"), "order_pipeline")
    updated = path.read_text(encoding="utf-8")
    # The only edit above the appended block is the grown runtime import (exploded, as it no
    # longer fits the line); everything before and after it is byte-for-byte the same.
    old_import = "from lunora_workflow import NonRetryableError  # only this one so far\n"
    new_import = (
        "from lunora_workflow import (\n"
        "    NonRetryableError,\n"
        "    WorkflowContext,\n"
        "    define_workflow,\n"
        ")  # only this one so far\n"
    )
    head, tail = original.split(old_import)
    assert updated.startswith(head + new_import + tail)
    appended = updated[len(head + new_import + tail) :]
    assert appended.startswith("\n\n@define_workflow\nasync def order_pipeline(")


def test_generated_scaffolds_compile_lint_and_typecheck_shape(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    project = load_project(root)
    scaffold_workflow(project, "order_pipeline")
    scaffold_step(project, "charge_order")
    for path in (project.workflows_file, project.steps_file):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    ruff = Path(sys.executable).with_name("ruff")
    if ruff.exists():
        checked = subprocess.run(
            [
                str(ruff),
                "check",
                "--no-cache",
                "--select=E,F,W,B,UP",
                "--line-length=88",
                str(project.workflows_file),
                str(project.steps_file),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("order_pipeline", "order_pipeline"),
        ("orderPipeline", "order_pipeline"),
        ("OrderPipeline", "order_pipeline"),
        ("order-pipeline", "order_pipeline"),
        ("HTTPFetch", "http_fetch"),
        ("  step2  ", "step2"),
    ],
)
def test_names_are_snake_cased(given: str, expected: str) -> None:
    assert normalize_export_name(given, "workflow").name == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "invalid workflow name: name must be a non-empty string"),
        ("   ", "name must be a non-empty string"),
        ("_private", "must be a Python identifier"),
        ("1st", "must be a Python identifier"),
        ("class", "is a Python keyword"),
        ("order pipeline", "must be a Python identifier"),
        ("naïve", "must be a Python identifier"),
    ],
)
def test_invalid_names_are_refused(given: str, message: str) -> None:
    with pytest.raises(InvalidNameError, match=message):
        normalize_export_name(given, "workflow")


def test_an_existing_name_is_refused_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, "first", "order_pipeline")
    project = load_project(root)
    before = _files(root)
    with pytest.raises(NameTakenError) as raised:
        plan_workflow(project, "orderPipeline")
    assert str(raised.value) == (
        f'workflow "order_pipeline" already exists in {project.workflows_file.as_posix()}:10:11 '
        "— pick a different name"
    )
    code, output = _generate(capsys, root, "workflow", "order_pipeline")
    assert code == 2
    assert 'workflow "order_pipeline" already exists in ' in output
    assert _files(root) == before


def test_a_colliding_spelling_and_a_step_args_class_are_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    project = load_project(root)
    project.workflows_file.write_text(
        project.workflows_file.read_text(encoding="utf-8") + "\norderPipeline = 1\n",
        encoding="utf-8",
    )
    with pytest.raises(NameTakenError, match="would generate the same class OrderPipelineWorkflow"):
        plan_workflow(project, "order_pipeline")
    project.steps_file.write_text("class ChargeOrderArgs:\n    pass\n", encoding="utf-8")
    with pytest.raises(NameTakenError, match="needs the name ChargeOrderArgs"):
        plan_step(project, "charge_order")
    project.steps_file.write_text("from .workflows import first\n", encoding="utf-8")
    with pytest.raises(NameTakenError, match=r'step "first" already exists'):
        plan_step(project, "first")


def test_a_syntax_error_in_the_target_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    project = load_project(root)
    project.workflows_file.write_text("def broken(:\n    pass\n", encoding="utf-8")
    before = _files(root)
    with pytest.raises(UserCodeError) as raised:
        scaffold_workflow(project, "second")
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.line, diagnostic.column) == (1, 12)
    assert _files(root) == before


def test_generate_runs_codegen_and_the_entry_imports_the_new_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, "first")
    code, output = _generate(capsys, root, "workflow", "orderPipeline")
    assert code == 0, output
    assert "using the Python export name order_pipeline (from 'orderPipeline')" in output
    assert "appended workflow order_pipeline to " in output
    assert "re-exported OrderPipelineWorkflow from " in output
    generated = (root / "src/lunora/_generated/workflows.py").read_text(encoding="utf-8")
    assert "class OrderPipelineWorkflow(WorkflowEntrypoint):" in generated
    entry = (root / "src/entry.py").read_text(encoding="utf-8")
    assert "from lunora._generated.workflows import OrderPipelineWorkflow\n" in entry
    # The entry really imports the class under CPython (the runtime's stand-in base class).
    probe = subprocess.run(
        [sys.executable, "-c", "import entry; print(entry.OrderPipelineWorkflow.__name__)"],
        cwd=root / "src",
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "OrderPipelineWorkflow"
    # Running it again for the same name is refused and changes nothing.
    before = _files(root)
    code, output = _generate(capsys, root, "workflow", "order_pipeline")
    assert code == 2
    assert _files(root) == before

    code, output = _generate(capsys, root, "step", "charge_order")
    assert code == 0, output
    assert "created " in output
    assert "steps.py with step charge_order" in output


def test_entry_reexport_falls_back_to_an_instruction(tmp_path: Path) -> None:
    root = make_project(tmp_path, "first")
    (root / "src/entry.py").write_text("def broken(:\n", encoding="utf-8")
    plan = plan_workflow(load_project(root), "second")
    assert [e.path.name for e in plan.edits] == ["workflows.py"]
    (note,) = plan.notes
    assert "entry.py:1:12: error: syntax error" in note
    assert "add `from lunora._generated.workflows import SecondWorkflow`" in note

    (root / "src/entry.py").write_text("from lunora._generated.workflows import *\n")
    plan = plan_workflow(load_project(root), "second")
    entry = root / "src" / "entry.py"
    assert plan.notes == (f"{entry.as_posix()} already re-exports SecondWorkflow",)


def test_newlines_and_trailing_blank_lines_are_respected() -> None:
    assert append_block("x = 1\r\n", "y = 2\n", "\r\n") == "x = 1\r\n\r\n\r\ny = 2\r\n"
    assert append_block("x = 1", "y = 2\n") == "x = 1\n\n\ny = 2\n"
    assert append_block("x = 1\n\n\n\n", "y = 2\n") == "x = 1\n\n\n\ny = 2\n"
    assert append_block("x = 1\n\n", "y = 2\n") == "x = 1\n\n\ny = 2\n"
