"""Importing the user's generated workflows module (``lunora run`` and the Studio share it)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli
from lunora_codegen.commands.run import RunError
from lunora_codegen.project import load_project
from lunora_codegen.user_code import (
    GeneratedImportError,
    import_generated_workflows,
    module_root,
)


def test_imports_the_generated_module_from_the_module_root(project: Path) -> None:
    loaded = load_project(project)
    module = import_generated_workflows(loaded)
    assert module.__file__ == str((project / "src/lunora/_generated/workflows.py").resolve())
    assert "channel_welcome" in module.SPECS
    assert module_root(loaded) == project / "src"
    assert sys.path[0] == str((project / "src").resolve())


def test_imports_afresh_each_time(project: Path, tmp_path: Path) -> None:
    first = import_generated_workflows(load_project(project))
    other = tmp_path / "other"
    shutil.copytree(project, other)
    # The same package name in another project: the one asked for wins over the cached one.
    second = import_generated_workflows(load_project(other), search_root=other / "src")
    assert second is not first
    assert second.__file__ == str((other / "src/lunora/_generated/workflows.py").resolve())


def test_missing_generated_code_says_run_codegen(project: Path) -> None:
    (project / "src/lunora/_generated/workflows.py").unlink()
    with pytest.raises(GeneratedImportError, match=r"workflows\.py does not exist: run `lunora co"):
        import_generated_workflows(load_project(project))
    result = CliRunner().invoke(cli, ["run", "channel_welcome", "--project", str(project)])
    assert isinstance(result.exception, RunError)
    assert result.exception.exit_code == 2
    assert "run `lunora codegen`" in str(result.exception)


def test_an_error_in_user_code_names_the_file_and_line(project: Path) -> None:
    workflows = project / "src/lunora/workflows.py"
    text = workflows.read_text(encoding="utf-8")
    workflows.write_text(text + "\nraise RuntimeError('boom at import')\n", encoding="utf-8")
    line = len((text + "\n").splitlines()) + 1
    with pytest.raises(GeneratedImportError) as caught:
        import_generated_workflows(load_project(project))
    message = str(caught.value)
    assert f"workflows.py:{line}: cannot import lunora._generated.workflows" in message
    assert "RuntimeError: boom at import" in message
    assert isinstance(caught.value.__cause__, RuntimeError)
