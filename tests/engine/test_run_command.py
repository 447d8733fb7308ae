"""``lunora run`` on the example app: timeline table, event delivery, exit codes."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli
from lunora_codegen.commands.run import RunError, parse_event

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat-app"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A copy of the example app; the user's ``lunora`` package is unloaded afterwards."""
    target = tmp_path / "chat-app"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    saved_path = list(sys.path)
    yield target
    sys.path[:] = saved_path
    for name in [m for m in sys.modules if m == "lunora" or m.startswith("lunora.")]:
        del sys.modules[name]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["run", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_run_prints_the_timeline_and_exits_0(project: Path) -> None:
    params = json.dumps({"channel_id": "c1", "user_name": "Ada"})
    code, output = invoke("channel_welcome", "--project", str(project), "--params", params)
    assert code == 0, output
    for text in ("greet-1", "settle-1", "tips-1", "complete", "1 replay(s)", '"posted": 2'):
        assert text in output


def test_events_are_delivered_when_the_instance_waits(project: Path) -> None:
    params = json.dumps({"request_id": "r1", "amount_cents": 5})
    code, output = invoke(
        "expense_approval",
        "--project",
        str(project),
        "--params",
        params,
        "--event",
        'approval={"approved": true}',
        "--mode",
        "legacy",
    )
    assert code == 0, output
    assert "pay-out-1" in output


def test_a_failing_workflow_exits_1(project: Path) -> None:
    params = json.dumps({"request_id": "r1", "amount_cents": 5})
    code, output = invoke(
        "expense_approval",
        "--project",
        str(project),
        "--params",
        params,
        "--event",
        'approval={"approved": false}',
        "--event",
        "never-waited",
    )
    assert code == 1
    assert "NonRetryableError: expense r1 was rejected" in output
    assert "event 'never-waited' was never waited for" in output


def test_bad_input_is_a_usage_error(project: Path) -> None:
    code, output = invoke("channel_welcome", "--project", str(project), "--params", "{nope")
    assert code == 2
    assert "not JSON" in output
    result = CliRunner().invoke(cli, ["run", "no_such_workflow", "--project", str(project)])
    assert isinstance(result.exception, RunError)
    assert result.exception.exit_code == 2
    assert "no workflow 'no_such_workflow'" in str(result.exception)


def test_parse_event() -> None:
    assert parse_event('approval={"ok": 1}') == ("approval", {"ok": 1})
    assert parse_event("ping") == ("ping", None)
