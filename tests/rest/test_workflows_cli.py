"""``lunora workflows``: every command through click's CliRunner, against the HTTP fake."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lunora_codegen.cli import cli
from lunora_codegen.commands.workflows import resolve_workflow_name
from lunora_codegen.project import load_project

from .conftest import ACCOUNT, TOKEN
from .rest_fake_cloudflare import FakeCloudflare, FakeInstance

REPO = Path(__file__).resolve().parents[2]
ENV = {"CLOUDFLARE_ACCOUNT_ID": ACCOUNT, "CLOUDFLARE_API_TOKEN": TOKEN, "COLUMNS": "200"}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # An empty cwd: no project above it, so names pass through unchanged.
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def run(runner: CliRunner, server: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(
        cli,
        ["workflows", "--base-url", f"{server}/client/v4", *args],
        env=ENV if env is None else env,
        catch_exceptions=False,
    )


def line_with(output: str, needle: str) -> str:
    lines = [line for line in output.splitlines() if needle in line]
    assert lines, f"{needle!r} not in:\n{output}"
    return lines[0]


def test_list_table(runner: CliRunner, server: str) -> None:
    result = run(runner, server, "list")
    assert result.exit_code == 0, result.output
    assert "3 workflows" in result.output
    row = line_with(result.output, "order-pipeline")
    assert "OrderPipelineWorkflow" in row
    assert "chat-app" in row
    assert "running 4" in row
    assert "complete 3" in row
    assert "errored 1" in row
    assert "CheckoutWorkflow" in line_with(result.output, "orders ")


def test_list_json(runner: CliRunner, server: str) -> None:
    result = run(runner, server, "list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [w["name"] for w in data] == ["order-pipeline", "orders", "channel-welcome"]
    assert data[0]["instances"]["running"] == 4


def test_instances_table_with_limit(runner: CliRunner, server: str) -> None:
    result = run(runner, server, "instances", "order-pipeline", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "order-pipeline: 3 instances" in result.output
    assert "errored" in line_with(result.output, "detailed")
    assert "running" in line_with(result.output, "inst-6")
    assert "2026-11-20 10:05:00" in line_with(result.output, "inst-5")
    assert "inst-4" not in result.output
    assert "more instances exist; raise --limit (now 3)" in result.output


def test_instances_status_filter_and_json(
    runner: CliRunner, server: str, fake: FakeCloudflare
) -> None:
    result = run(runner, server, "instances", "order-pipeline", "--status", "complete", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == ["inst-5", "inst-3", "inst-1"]
    assert {r["status"] for r in rows} == {"complete"}
    assert ("status", "complete") in fake.requests[-1].query
    bad = run(runner, server, "instances", "order-pipeline", "--status", "sleepy")
    assert bad.exit_code == 2


def test_show_renders_the_timeline(runner: CliRunner, server: str) -> None:
    result = run(runner, server, "show", "order-pipeline", "detailed")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "order-pipeline / detailed: errored" in out
    assert 'params: {"order_id": 7}' in out
    assert "error: NonRetryableError: address invalid" in out
    assert "5 timeline entries" in out
    for header in ("Type", "Name", "Attempts", "Duration", "Result / error"):
        assert header in out
    charge = line_with(out, "charge card-1")
    assert " step " in charge
    assert " 2 " in charge
    assert "3.5s" in charge
    assert '{"charged": 42}' in charge
    sleep = line_with(out, "cool down-1")
    assert "sleep" in sleep
    assert "1m 0s" in sleep
    assert "slept" in sleep
    assert "waiting for event approved" in line_with(out, "approval-1")
    ship = line_with(out, "ship order-1")
    assert "error: NonRetryableError: address invalid" in ship
    assert "terminated (api)" in line_with(out, "termination")


def test_show_json(runner: CliRunner, server: str) -> None:
    result = run(runner, server, "show", "order-pipeline", "detailed", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["id"] == "detailed"
    assert data["steps"][0]["attempt_count"] == 2
    assert data["steps"][0]["attempts"][0]["error"]["message"] == "card declined"
    assert data["steps"][1]["type"] == "sleep"


def test_start(runner: CliRunner, server: str, fake: FakeCloudflare, tmp_path: Path) -> None:
    result = run(runner, server, "start", "orders", "--params", '{"cart": [1]}', "--id", "o-1")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "started orders/o-1 (queued)"
    assert fake.requests[-1].body == {"instance_id": "o-1", "params": {"cart": [1]}}
    (tmp_path / "p.json").write_text('{"from": "file"}')
    result = run(runner, server, "start", "orders", "--params", "@p.json", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["status"] == "queued"
    assert fake.requests[-1].body == {"params": {"from": "file"}}


def test_start_with_bad_json_names_line_and_column(
    runner: CliRunner, server: str, fake: FakeCloudflare, tmp_path: Path
) -> None:
    result = run(runner, server, "start", "orders", "--params", '{"a": }')
    assert result.exit_code == 2
    assert "--params:1:7: invalid JSON: Expecting value" in result.output
    (tmp_path / "bad.json").write_text('{\n  "a": 1,\n}\n')
    result = run(runner, server, "start", "orders", "--params", "@bad.json")
    assert result.exit_code == 2
    assert "bad.json:3:1: invalid JSON" in result.output
    assert fake.requests == []


@pytest.mark.parametrize(
    ("args", "body", "printed"),
    [
        (["pause"], {"status": "pause"}, "order-pipeline/inst-0: paused at 2026-11-20 11:00:00"),
        (["resume"], {"status": "resume"}, "order-pipeline/inst-0: running at"),
        (["terminate"], {"status": "terminate"}, "order-pipeline/inst-0: terminated at"),
        (["terminate", "--rollback"], {"status": "terminate", "rollback": True}, "terminated"),
        (["restart"], {"status": "restart"}, "order-pipeline/inst-0: queued at"),
        (
            ["restart", "--from-step", "ship order", "--from-count", "2"],
            {"status": "restart", "from": {"name": "ship order", "count": 2}},
            "queued",
        ),
    ],
)
def test_status_commands(
    runner: CliRunner,
    server: str,
    fake: FakeCloudflare,
    args: list[str],
    body: dict[str, object],
    printed: str,
) -> None:
    command, *options = args
    result = run(runner, server, command, "order-pipeline", "inst-0", *options)
    assert result.exit_code == 0, result.output
    assert printed in result.output
    assert fake.requests[-1].method == "PATCH"
    assert fake.requests[-1].body == body


def test_restart_from_count_needs_from_step(runner: CliRunner, server: str) -> None:
    result = run(runner, server, "restart", "order-pipeline", "inst-0", "--from-count", "2")
    assert result.exit_code == 2
    assert "--from-count needs --from-step" in result.output


def test_send_event(runner: CliRunner, server: str, fake: FakeCloudflare) -> None:
    result = run(
        runner, server, "send-event", "order-pipeline", "inst-0", "approved", '{"by": "ada"}'
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent approved to order-pipeline/inst-0"
    result = run(runner, server, "send-event", "order-pipeline", "inst-0", "nudge")
    assert result.exit_code == 0
    instance = next(i for i in fake.instances["order-pipeline"] if i.id == "inst-0")
    assert instance.events == [("approved", {"by": "ada"}), ("nudge", {})]
    bad = run(runner, server, "send-event", "order-pipeline", "inst-0", "bad:type")
    assert bad.exit_code == 2
    assert "event type 'bad:type' must match" in bad.output


def test_missing_credentials_exit_2(runner: CliRunner, server: str, fake: FakeCloudflare) -> None:
    result = run(
        runner, server, "list", env={"CLOUDFLARE_ACCOUNT_ID": "", "CLOUDFLARE_API_TOKEN": ""}
    )
    assert result.exit_code == 2
    assert "missing Cloudflare credentials" in result.output
    assert "CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN are not set" in result.output
    only_token = run(
        runner, server, "list", env={"CLOUDFLARE_ACCOUNT_ID": ACCOUNT, "CLOUDFLARE_API_TOKEN": ""}
    )
    assert only_token.exit_code == 2
    assert "CLOUDFLARE_API_TOKEN is not set" in only_token.output
    assert fake.requests == []


def test_options_override_the_environment(runner: CliRunner, server: str) -> None:
    result = run(
        runner,
        server,
        "--account-id",
        ACCOUNT,
        "--api-token",
        TOKEN,
        "list",
        "--json",
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output


def test_api_errors_exit_1_without_the_token(
    runner: CliRunner, server: str, fake: FakeCloudflare
) -> None:
    fake.token = "a-different-token"
    fake.echo_token_in_errors = True
    result = run(runner, server, "show", "order-pipeline", "detailed")
    assert result.exit_code == 1
    assert "returned 403" in result.output
    assert "[10000] Authentication error" in result.output
    assert "hint: check CLOUDFLARE_ACCOUNT_ID" in result.output
    assert TOKEN not in result.output
    fake.token = TOKEN
    missing = run(runner, server, "show", "order-pipeline", "nope")
    assert missing.exit_code == 1
    assert "returned 404" in missing.output
    assert "instance.not_found" in missing.output


# -- --local ---------------------------------------------------------------------------------


def run_local(runner: CliRunner, url: str, *args: str) -> Result:
    return runner.invoke(
        cli,
        ["workflows", "--local", "--base-url", f"{url}/cdn-cgi/explorer/api", *args],
        env={"COLUMNS": "200", "CLOUDFLARE_ACCOUNT_ID": "", "CLOUDFLARE_API_TOKEN": ""},
        catch_exceptions=False,
    )


def test_local_mode_needs_no_credentials(
    runner: CliRunner, local_server: str, local_fake: FakeCloudflare
) -> None:
    listed = run_local(runner, local_server, "list")
    assert listed.exit_code == 0, listed.output
    assert "ChannelWelcomeWorkflow" in line_with(listed.output, "channel-welcome")
    instances = run_local(runner, local_server, "instances", "order-pipeline", "--limit", "5")
    assert instances.exit_code == 0, instances.output
    assert "more instances exist" in instances.output
    shown = run_local(runner, local_server, "show", "order-pipeline", "detailed")
    assert shown.exit_code == 0
    assert "3.5s" in line_with(shown.output, "charge card-1")
    started = run_local(runner, local_server, "start", "orders", "--id", "l-1", "--params", "{}")
    assert started.output.strip() == "started orders/l-1"
    assert local_fake.requests[-1].body == {"id": "l-1", "params": {}}
    paused = run_local(runner, local_server, "pause", "orders", "l-1")
    assert paused.output.strip() == "orders/l-1: pause requested"
    assert local_fake.requests[-1].body == {"action": "pause"}
    sent = run_local(runner, local_server, "send-event", "orders", "l-1", "approved", "[1, 2]")
    assert sent.exit_code == 0
    assert local_fake.instances["orders"][0].events == [("approved", [1, 2])]


def test_local_mode_reports_what_wrangler_dev_cannot_do(
    runner: CliRunner, local_server: str, local_fake: FakeCloudflare
) -> None:
    result = run_local(runner, local_server, "terminate", "orders", "x", "--rollback")
    assert result.exit_code == 1
    assert (
        "terminate with rollback is not available on wrangler dev's local explorer API"
        in result.output
    )
    assert local_fake.requests == []


def test_local_mode_default_url_uses_the_port(runner: CliRunner) -> None:
    # Nothing listens on port 9 (discard): the message names the local explorer URL it tried.
    result = runner.invoke(
        cli,
        ["workflows", "--local", "--port", "9", "--max-retries", "0", "list"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1
    assert "http://localhost:9/cdn-cgi/explorer/api/workflows" in result.output
    assert "hint: is `wrangler dev` running there?" in result.output


# -- export names -> deployed names ----------------------------------------------------------


@pytest.fixture
def chat_app(tmp_path: Path) -> Path:
    root = tmp_path / "chat-app"
    source = REPO / "examples" / "chat-app"
    shutil.copytree(
        source, root, ignore=shutil.ignore_patterns("_generated", "__pycache__", "python_modules")
    )
    return root


def test_export_names_map_through_the_codegen_model(chat_app: Path) -> None:
    project = load_project(chat_app)
    assert resolve_workflow_name("order_pipeline", project) == "orders"  # name= override
    assert resolve_workflow_name("channel_welcome", project) == "channel-welcome"
    assert resolve_workflow_name("orders", project) == "orders"
    assert resolve_workflow_name("channel-welcome", project) == "channel-welcome"
    assert resolve_workflow_name("order_pipeline", None) == "order_pipeline"


def test_wrangler_config_and_derivation_when_the_model_is_unavailable(chat_app: Path) -> None:
    (chat_app / "wrangler.jsonc").write_text(
        """{
  "name": "chat-app",
  "main": "src/entry.py",
  // entries as the reconciler writes them; one deployed name that is also an identifier
  "workflows": [
    {"binding": "WORKFLOW_ORDER_PIPELINE", "class_name": "OrderPipelineWorkflow",
     "name": "orders-v2"},
    {"binding": "WORKFLOW_LEGACY", "class_name": "LegacyWorkflow", "name": "legacy_name"},
  ],
}
"""
    )
    project = load_project(chat_app)
    no_model = {"model_names": lambda project: None}
    assert resolve_workflow_name("order_pipeline", project, **no_model) == "orders-v2"
    assert resolve_workflow_name("legacy_name", project, **no_model) == "legacy_name"  # deployed
    assert resolve_workflow_name("expense_approval", project, **no_model) == "expense-approval"
    assert resolve_workflow_name("some-name", project, **no_model) == "some-name"


def test_cli_maps_export_names(
    runner: CliRunner, server: str, fake: FakeCloudflare, chat_app: Path
) -> None:
    fake.add_instance("orders", FakeInstance(id="o-9", status="complete"))
    result = run(
        runner, server, "--project", str(chat_app), "show", "order_pipeline", "o-9", "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["workflow_name"] == "orders"
    assert fake.requests[-1].path.endswith("/workflows/orders/instances/o-9")


def test_api_data_is_never_rich_markup(
    runner: CliRunner, server: str, fake: FakeCloudflare
) -> None:
    steps = [{"type": "step", "name": "[bold]x[/]", "success": True, "output": "[/red] [link=x]"}]
    fake.add_instance("orders", FakeInstance(id="m-1", steps=steps, params={"a": "[/]"}))
    result = run(runner, server, "show", "orders", "m-1")
    assert result.exit_code == 0, result.output
    assert "[bold]x[/]" in result.output
    assert "[/red] [link=x]" in result.output
    assert 'params: {"a": "[/]"}' in result.output
