"""``mypy --strict`` keeps the generated references honest: a correct project checks clean,
and the misuses in ``fixtures/functions/app/misuse.py`` (wrong args type, a result used as
the wrong type, an unknown workflow name, another workflow's params) are exactly the errors
reported, with and without
``lunora_codegen.mypy_plugin`` (which also checks dict literals: ``misuse_dicts.py``)."""

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


def mypy(cwd: Path, cache: Path, *targets: str, plugin: bool = False) -> list[str]:
    cache.mkdir(parents=True, exist_ok=True)
    config = cache / ("plugin.ini" if plugin else "mypy.ini")
    plugins = "plugins = lunora_codegen.mypy_plugin\n" if plugin else ""
    config.write_text(f"[mypy]\n{plugins}", encoding="utf-8")
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


#: ctx.workflows misuses in misuse.py: an unknown export, and another workflow's params type
WORKFLOW_MISUSES = [
    'misuse.py:26:29: error: Argument 1 to "get" of "Workflows" has incompatible type '
    "\"Literal['no_such_workflow']\"; expected \"Literal['order']\"  [arg-type]",
    'misuse.py:28:52: error: Argument "params" to "create" of "WorkflowHandle" has '
    'incompatible type "PayArgs"; expected "OrderParams | Mapping[str, Any] | None"  [arg-type]',
]


@pytest.mark.slow
def test_correct_projects_check_clean(mypy_cache: Path) -> None:
    assert mypy(FIXTURES / "app", mypy_cache, "fnapp") == []
    assert mypy(FIXTURES / "edge", mypy_cache / "edge", "lunora") == []


@pytest.mark.slow
def test_misuses_are_exactly_the_errors(mypy_cache: Path) -> None:
    assert mypy(FIXTURES / "app", mypy_cache, "misuse.py") == [
        'misuse.py:17:11: error: Cannot infer value of type parameter "A" of "run" of '
        '"WorkflowContext"  [misc]',
        'misuse.py:19:32: error: Argument 1 to "run" of "WorkflowContext" has incompatible '
        'type "FunctionReference[CountArgs, int]"; expected '
        "\"FunctionReference[TypedDict({'text': str}), str]\"  [arg-type]",
        *WORKFLOW_MISUSES,
    ]


@pytest.mark.slow
def test_with_the_plugin_dict_literals_are_checked_as_typeddicts(mypy_cache: Path) -> None:
    app = FIXTURES / "app"
    cache = mypy_cache / "plugin"
    assert mypy(app, cache, "fnapp", plugin=True) == []
    assert sorted(mypy(app, cache, "misuse.py", "misuse_dicts.py", plugin=True)) == [
        'misuse.py:17:34: error: Argument 2 to "run" of "WorkflowContext" has incompatible '
        'type "CountArgs"; expected "AddArgs"  [arg-type]',
        "misuse.py:19:18: error: Incompatible types in assignment (expression has type "
        '"int", variable has type "str")  [assignment]',
        *WORKFLOW_MISUSES,
        "misuse_dicts.py:15:65: error: Incompatible types (expression has type "
        '"Literal[\'urgent\']", TypedDict item "priority" has type '
        "\"Literal['low', 'high']\")  [typeddict-item]",
        'misuse_dicts.py:16:34: error: Missing key "priority" for TypedDict "AddArgs"  '
        "[typeddict-item]",
        'misuse_dicts.py:21:42: error: Extra key "txt" for TypedDict "CountArgs"  '
        "[typeddict-unknown-key]",
        'misuse_dicts.py:21:42: error: Missing key "text" for TypedDict "CountArgs"  '
        "[typeddict-item]",
    ]


@pytest.mark.slow
def test_without_the_plugin_a_dict_literal_cannot_be_inferred(mypy_cache: Path) -> None:
    lines = mypy(FIXTURES / "app", mypy_cache, "misuse_dicts.py")
    assert [line.split(": error: ")[0] for line in lines] == [
        f"misuse_dicts.py:{n}:{column}"
        for n, column in ((14, 11), (15, 11), (16, 11), (17, 36), (21, 11), (22, 18))
    ]
    assert all("Cannot infer value of type parameter" in line for line in lines)
