"""Run the example app's own test suite (examples/chat-app/tests) as its user would.

It runs in a child pytest, from the example's directory, so it finds the ``workflow_env``
fixture through the installed ``lunora_workflow`` plugin and imports the Worker's ``lunora``
package from ``src/`` without leaking it into this process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat-app"


def test_the_chat_app_suite_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
