"""The README's quick start, followed literally: its project files, its workflow and its test.

The code blocks are taken from README.md itself, so a sample that stops running (a renamed
import, a changed signature, a stale output in an assert) fails here instead of in a new
user's hands. Codegen and check run in-process through the CLI; the README's test runs in a
child pytest from the project's folder, as the user would run it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _block(lang: str, marker: str) -> str:
    """The one README code block in ``lang`` that contains ``marker``."""
    blocks: list[tuple[str, str]] = BLOCK.findall(README.read_text())
    found = [body for kind, body in blocks if kind == lang and marker in body]
    assert len(found) == 1, f"{len(found)} {lang} blocks with {marker!r} in README.md, not one"
    return found[0]


def _project(root: Path) -> None:
    (root / "src" / "lunora").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "wrangler.jsonc").write_text(_block("jsonc", '"main"'))
    (root / "pyproject.toml").write_text(_block("toml", "[project]"))
    (root / "src" / "entry.py").write_text(_block("python", "class Default(WorkerEntrypoint)"))
    (root / "src" / "lunora" / "__init__.py").write_text("")
    (root / "src" / "lunora" / "workflows.py").write_text(_block("python", "class WelcomeParams"))
    (root / "tests" / "test_welcome.py").write_text(_block("python", "workflow_env"))


@pytest.mark.slow  # a child pytest: a few seconds
def test_the_readme_quick_start_runs_as_written(tmp_path: Path) -> None:
    _project(tmp_path)

    codegen = CliRunner().invoke(cli, ["codegen", "--project", str(tmp_path)])
    assert codegen.exit_code == 0, codegen.output
    assert (tmp_path / "src" / "lunora" / "_generated" / "workflows.py").is_file()
    assert "WORKFLOW_CHANNEL_WELCOME" in (tmp_path / "wrangler.jsonc").read_text()

    check = CliRunner().invoke(cli, ["check", "--project", str(tmp_path)])
    assert check.exit_code == 0, check.output

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout, tests.stdout
