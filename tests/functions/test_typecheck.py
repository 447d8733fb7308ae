"""``mypy --strict`` keeps the generated references honest: a correct project checks clean,
and the misuses in ``fixtures/functions/app/misuse.py`` (wrong args type, a result used as
the wrong type, an unknown workflow name) are exactly the errors reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "functions"
MYPY = Path(sys.executable).parent / "mypy"


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def mypy(cwd: Path, cache: Path, *targets: str) -> list[str]:
    cache.mkdir(parents=True, exist_ok=True)
    config = cache / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    result = subprocess.run(
        [
            str(MYPY),
            "--strict",
            "--config-file",
            str(config),
            "--cache-dir",
            str(cache),
            "--show-column-numbers",
            "--no-error-summary",
            "--no-pretty",
            *targets,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    return [line for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.slow
def test_correct_projects_check_clean(mypy_cache: Path) -> None:
    assert mypy(FIXTURES / "app", mypy_cache, "fnapp") == []
    assert mypy(FIXTURES / "edge", mypy_cache / "edge", "lunora") == []


@pytest.mark.slow
def test_misuses_are_exactly_the_errors(mypy_cache: Path) -> None:
    assert mypy(FIXTURES / "app", mypy_cache, "misuse.py") == [
        'misuse.py:15:11: error: Cannot infer value of type parameter "A" of "run" of '
        '"WorkflowContext"  [misc]',
        'misuse.py:17:32: error: Argument 1 to "run" of "WorkflowContext" has incompatible '
        'type "FunctionReference[CountArgs, int]"; expected '
        "\"FunctionReference[TypedDict({'text': str}), str]\"  [arg-type]",
        'misuse.py:24:29: error: Argument 1 to "get" of "Workflows" has incompatible type '
        "\"Literal['no_such_workflow']\"; expected \"Literal['order']\"  [arg-type]",
    ]
