"""Generated code passes ruff check, ruff format --check and mypy --strict, and its typed
handle really is typed (assert_type passes; an unknown export name is a type error)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lunora_codegen.pipeline import run
from lunora_codegen.project import load_project
from lunora_codegen.render import detect_line_length

from .conftest import BIN, EXAMPLE, FIXTURES, GOLDEN_CASES, copy_project

#: the repository's own rule selection, applied to generated code in isolation
RUFF_RULES = "E,F,W,I,B,UP,PIE,SIM,RUF,C4,PT,ASYNC,TC,N"


def _tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def _generate(source: Path, destination: Path) -> tuple[Path, Path, int]:
    root = copy_project(source, destination)
    project = load_project(root)
    run(project)
    return root, project.generated_dir, detect_line_length(project.package_dir)


@pytest.mark.slow
def test_generated_code_passes_ruff_and_mypy(tmp_path: Path) -> None:
    cache = tmp_path / "mypy-cache"
    sources = [(case, FIXTURES / case) for case in GOLDEN_CASES] + [("example", EXAMPLE)]
    failures: list[str] = []
    for case, source in sources:
        _root, generated, line_length = _generate(source, tmp_path / case)
        files = sorted(str(p) for p in generated.glob("*.py"))
        checks = [
            (
                str(BIN / "ruff"),
                "check",
                "--isolated",
                "--select",
                RUFF_RULES,
                "--line-length",
                str(line_length),
                "--target-version",
                "py311",
                *files,
            ),
            (
                str(BIN / "ruff"),
                "format",
                "--check",
                "--isolated",
                "--line-length",
                str(line_length),
                *files,
            ),
            (
                str(BIN / "mypy"),
                "--strict",
                "--follow-imports=silent",
                "--no-error-summary",
                "--cache-dir",
                str(cache),
                "--python-version",
                "3.11",
                *files,
            ),
        ]
        for command in checks:
            done = _tool(*command, cwd=generated.parent.parent)
            if done.returncode != 0:
                tool = f"{Path(command[0]).name} {command[1]}"
                failures.append(f"{case}: {tool}\n{done.stdout}{done.stderr}")
    assert not failures, "\n".join(failures)


TYPED_USAGE = """
from typing import Any, assert_type

from lunora._generated.workflows import workflows
from lunora.workflows import ReportOutput, ReportParams, SignupOutput, SignupParams
from lunora_workflow.handles import WorkflowHandle


def check(env: Any) -> None:
    handles = workflows(env)
    assert_type(handles.get("user_signup"), WorkflowHandle[SignupParams, SignupOutput])
    assert_type(handles.get("monthly_report"), WorkflowHandle[ReportParams, ReportOutput])
    assert_type(handles.get("nightlyCleanup"), WorkflowHandle[dict[str, int], None])
"""

UNKNOWN_EXPORT = """
from typing import Any

from lunora._generated.workflows import workflows


def check(env: Any) -> None:
    workflows(env).get("no_such_workflow")
"""


@pytest.mark.slow
def test_typed_handle_types_each_export(tmp_path: Path) -> None:
    root, _generated, _ = _generate(FIXTURES / "decorator_forms", tmp_path / "p")
    (root / "usage_ok.py").write_text(TYPED_USAGE)
    (root / "usage_bad.py").write_text(UNKNOWN_EXPORT)
    mypy = (
        str(BIN / "mypy"),
        "--strict",
        "--follow-imports=silent",
        "--no-error-summary",
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    ok = _tool(*mypy, "usage_ok.py", cwd=root)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = _tool(*mypy, "usage_bad.py", cwd=root)
    assert bad.returncode == 1
    assert 'No overload variant of "get" of "Workflows" matches' in bad.stdout
