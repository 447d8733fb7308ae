"""``lunora run`` on the example app: timeline table, event delivery, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli
from lunora_codegen.commands.run import RunError, parse_event


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
    message = str(result.exception)
    assert message.startswith("no workflow 'no_such_workflow' in ")
    assert "(exports: channel_welcome, expense_approval, " in message
    # the deployed name and the class name work as well as the export
    params = json.dumps({"channel_id": "c1", "user_name": "Ada"})
    for name in ("channel-welcome", "ChannelWelcomeWorkflow"):
        code, output = invoke(name, "--project", str(project), "--params", params)
        assert code == 0, output


def test_parse_event() -> None:
    assert parse_event('approval={"ok": 1}') == ("approval", {"ok": 1})
    assert parse_event("ping") == ("ping", None)
    with pytest.raises(click.BadParameter, match=r"^'bad type!=1': event type 'bad type!' must"):
        parse_event("bad type!=1")
