"""Run the example app's own test suite (examples/chat-app/tests) as its user would.

It runs in a child pytest on a copy of the example outside this repository, so the example's
own pyproject settings are what apply (not this repository's), it finds the ``workflow_env``
fixture through the installed ``lunora_workflow`` plugin, and it imports the Worker's ``lunora``
package from ``src/`` without leaking it into this process.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat-app"


def test_the_chat_app_suite_passes(tmp_path: Path) -> None:
    project = tmp_path / "chat-app"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", ".*cache*"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
