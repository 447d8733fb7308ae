"""Every Studio endpoint, through ASGI, on the example app's real workflows and the real engine."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from lunora_codegen.studio.security import TOKEN_HEADER

from .conftest import BASE_URL, Studio

WELCOME = {"channel_id": "general", "user_name": "Ada"}


async def wait_status(studio: Studio, export: str, instance_id: str, *wanted: str) -> Any:
    """Poll the JSON API until the instance reaches one of ``wanted`` (30 s at most: generous,
    a shared CI machine may be slow; a passing run takes milliseconds)."""
    deadline = time.monotonic() + 30
    while True:
        detail = (await studio.client.get(f"/api/instances/{export}/{instance_id}")).json()
        if detail["status"] in wanted:
            return detail
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{export}/{instance_id} stayed {detail['status']}, wanted {wanted}"
            )
        await asyncio.sleep(0.05)


async def start(studio: Studio, export: str, body: dict[str, Any]) -> str:
    response = await studio.post(f"/api/workflows/{export}/instances", body)
    assert response.status_code == 201, response.text
    instance_id = response.json()["instance"]["id"]
    assert isinstance(instance_id, str)
    return instance_id


def sse_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


async def test_root_redirects_to_workflows(studio: Studio) -> None:
    response = await studio.client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/workflows"


async def test_workflows_page_lists_every_declared_workflow(studio: Studio) -> None:
    response = await studio.client.get("/workflows")
    assert response.status_code == 200
    html = response.text
    for text in (
        "channel_welcome",
        "ChannelWelcomeWorkflow",
        "WORKFLOW_CHANNEL_WELCOME",
        "channel-welcome",
        "order_pipeline",
        "OrderPipelineWorkflow",
        "WORKFLOW_ORDER_PIPELINE",
        ">orders<",
        "expense_approval",
        "ExpenseApprovalWorkflow",
        "WelcomeParams",
        "OrderParams",
    ):
        assert text in html, text
    assert re.search(r"src/lunora/workflows\.py:\d+", html)
    # The per-run token is embedded for the page's own requests, and nothing caches the page.
    assert f'content="{studio.token}"' in html
    assert response.headers["cache-control"] == "no-store"


async def test_api_workflows(studio: Studio) -> None:
    workflows = (await studio.client.get("/api/workflows")).json()["workflows"]
    by_export = {w["export"]: w for w in workflows}
    assert sorted(by_export) == [
        "channel_welcome",
        "expense_approval",
        "image_tag",
        "media_pipeline",
        "order_pipeline",
        "thumbnail",
        "transcribe",
    ]
    order = by_export["order_pipeline"]
    assert (order["class_name"], order["binding"], order["name"]) == (
        "OrderPipelineWorkflow",
        "WORKFLOW_ORDER_PIPELINE",
        "orders",
    )
    assert order["params_kind"] == "TypedDict"
    assert [f["name"] for f in order["fields"]] == ["order_id", "sku", "quantity", "amount_cents"]
    assert by_export["channel_welcome"]["source_file"] == "src/lunora/workflows.py"
    assert isinstance(by_export["channel_welcome"]["source_line"], int)


async def test_start_page_has_a_field_per_params_field(studio: Studio) -> None:
    html = (await studio.client.get("/workflows/expense_approval/start")).text
    assert 'id="field-request_id"' in html
    assert 'id="field-amount_cents"' in html
    assert 'inputmode="numeric"' in html
    assert 'id="params-json"' in html  # the JSON editor fallback
    missing = await studio.client.get("/workflows/nope/start")
    assert missing.status_code == 404
    assert "no workflow named" in missing.text


async def test_start_from_form_fields_runs_to_complete(studio: Studio) -> None:
    instance_id = await start(studio, "channel_welcome", {"fields": WELCOME, "id": "welcome-1"})
    assert instance_id == "welcome-1"
    detail = await wait_status(studio, "channel_welcome", instance_id, "complete")
    assert detail["output"] == {"channel_id": "general", "posted": 2}
    assert detail["params"] == WELCOME
    steps = [(s["name"], s["type"], s["success"]) for s in detail["steps"]]
    assert steps == [("greet", "step", True), ("settle", "sleep", True), ("tips", "step", True)]
    greet = detail["steps"][0]
    assert greet["output"]["text"] == "Welcome, Ada!"  # posted through messages.send
    assert len(greet["attempts"]) == 1
    # fast mode skipped the one-minute sleep, and the timeline shows it took one minute.
    assert detail["steps"][1]["duration_ms"] == 60_000


async def test_start_from_json_editor(studio: Studio) -> None:
    order = {"order_id": "o-1", "sku": "tea", "quantity": 2, "amount_cents": 450}
    instance_id = await start(studio, "order_pipeline", {"params_json": json.dumps(order)})
    detail = await wait_status(studio, "order_pipeline", instance_id, "complete")
    assert detail["output"] == {"receipt_id": "rcpt-o-1", "reservation": "res-o-1"}


async def test_start_validation_errors_are_per_field(studio: Studio) -> None:
    url = "/api/workflows/order_pipeline/instances"
    bad = await studio.post(
        url, {"fields": {"order_id": "", "sku": "tea", "quantity": "two", "amount_cents": "1"}}
    )
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert errors["order_id"] == "required"
    assert "whole number" in errors["quantity"]
    bad_json = await studio.post(url, {"params_json": "{"})
    assert bad_json.json()["errors"]["_json"].startswith("Params must be valid JSON")
    wrong_type = await studio.post(url, {"params_json": '{"order_id": 1}'})
    assert {"order_id", "sku", "quantity", "amount_cents"} <= set(wrong_type.json()["errors"])
    bad_id = await studio.post(url, {"params_json": "{}", "id": "has spaces"})
    assert "id" in bad_id.json()["errors"]
    assert studio.backend.engine.instances == []  # nothing was started


async def test_start_refuses_a_duplicate_id_and_unknown_workflows(studio: Studio) -> None:
    await start(studio, "channel_welcome", {"fields": WELCOME, "id": "dup"})
    again = await studio.post(
        "/api/workflows/channel_welcome/instances", {"fields": WELCOME, "id": "dup"}
    )
    assert again.status_code == 400
    assert "already exists" in again.json()["error"]
    unknown = await studio.post("/api/workflows/nope/instances", {"params": {}})
    assert unknown.status_code == 404


async def test_state_changes_without_the_token_are_refused(studio: Studio) -> None:
    url = "/api/workflows/channel_welcome/instances"
    no_token = await studio.client.post(url, json={"fields": WELCOME})
    assert (no_token.status_code, no_token.json()["code"]) == (403, "BAD_TOKEN")
    wrong = await studio.client.post(
        url, json={"fields": WELCOME}, headers={TOKEN_HEADER: "guess", "origin": BASE_URL}
    )
    assert wrong.status_code == 403
    cross = await studio.client.post(
        url,
        json={"fields": WELCOME},
        headers={TOKEN_HEADER: studio.token, "origin": "http://evil.example"},
    )
    assert (cross.status_code, cross.json()["code"]) == (403, "BAD_ORIGIN")
    # A classic CSRF form post (no custom header possible) is refused too.
    form = await studio.client.post(url, data={"fields": "x"})
    assert form.status_code == 403
    assert studio.backend.engine.instances == []


async def test_requests_for_another_host_are_refused(studio: Studio) -> None:
    response = await studio.client.get("/workflows", headers={"host": "rebind.example:8790"})
    assert response.status_code == 421
    assert studio.token not in response.text


async def test_state_changes_need_a_json_body(studio: Studio) -> None:
    response = await studio.client.post(
        "/api/workflows/channel_welcome/instances",
        content=b"fields=1",
        headers={**studio.headers, "content-type": "text/plain"},
    )
    assert response.status_code == 400
    assert "application/json" in response.json()["error"]


async def test_send_event_to_a_waiting_instance(studio: Studio) -> None:
    body = {"fields": {"request_id": "exp-7", "amount_cents": "1200"}, "id": "exp-7"}
    instance_id = await start(studio, "expense_approval", body)
    waiting = await wait_status(studio, "expense_approval", instance_id, "waiting")
    assert waiting["waiting_for"] == ["approval"]
    page = (await studio.client.get(f"/instances/expense_approval/{instance_id}")).text
    assert "Waiting for an event of type" in page
    url = f"/api/instances/expense_approval/{instance_id}/events"
    bad = await studio.post(url, {"type": "approval", "payload_json": "{nope"})
    assert bad.status_code == 422
    assert "payload" in bad.json()["errors"]
    bad_type = await studio.post(url, {"type": "has:colon", "payload": {}})
    assert bad_type.status_code == 400
    sent = await studio.post(url, {"type": "approval", "payload_json": '{"approved": true}'})
    assert sent.status_code == 202
    done = await wait_status(studio, "expense_approval", instance_id, "complete")
    assert done["output"] == {"request_id": "exp-7", "approved": True}
    wait_step = next(s for s in done["steps"] if s["type"] == "waitForEvent")
    assert wait_step["output"]["payload"] == {"approved": True}
    late = await studio.post(url, {"type": "approval", "payload": {}})
    assert late.status_code == 400
    missing = await studio.post(
        "/api/instances/expense_approval/nope/events", {"type": "approval", "payload": {}}
    )
    assert missing.status_code == 404


async def test_pause_resume_terminate(studio: Studio) -> None:
    instance_id = await start(
        studio, "expense_approval", {"params": {"request_id": "r", "amount_cents": 5}}
    )
    await wait_status(studio, "expense_approval", instance_id, "waiting")
    url = f"/api/instances/expense_approval/{instance_id}/status"
    paused = await studio.post(url, {"action": "pause"})
    assert paused.json()["instance"]["status"] == "paused"
    resumed = await studio.post(url, {"action": "resume"})
    assert resumed.json()["instance"]["status"] in ("running", "waiting")
    await wait_status(studio, "expense_approval", instance_id, "waiting")
    again = await studio.post(url, {"action": "resume"})
    assert again.status_code == 400
    ended = await studio.post(url, {"action": "terminate"})
    assert ended.json()["instance"]["status"] == "terminated"
    assert (await studio.post(url, {"action": "pause"})).status_code == 400
    assert (await studio.post(url, {"action": "explode"})).status_code == 400


async def test_instances_page_api_and_filters(studio: Studio) -> None:
    first = await start(studio, "channel_welcome", {"fields": WELCOME})
    second = await start(
        studio, "expense_approval", {"params": {"request_id": "r", "amount_cents": 5}}
    )
    await wait_status(studio, "channel_welcome", first, "complete")
    await wait_status(studio, "expense_approval", second, "waiting")
    rows = (await studio.client.get("/api/instances")).json()["instances"]
    assert [r["id"] for r in rows] == [second, first]  # newest first
    only = (await studio.client.get("/api/instances?status=complete")).json()["instances"]
    assert [r["id"] for r in only] == [first]
    by_workflow = await studio.client.get("/api/instances?workflow=expense_approval")
    assert [r["id"] for r in by_workflow.json()["instances"]] == [second]
    html = (await studio.client.get("/instances")).text
    assert first in html
    assert second in html
    assert 'class="badge status-complete"' in html
    assert (await studio.client.get("/api/instances?status=bogus")).status_code == 400
    assert (await studio.client.get("/instances?workflow=bogus")).status_code == 404


async def test_instance_page_and_detail_api(studio: Studio) -> None:
    instance_id = await start(studio, "channel_welcome", {"fields": WELCOME})
    await wait_status(studio, "channel_welcome", instance_id, "complete")
    html = (await studio.client.get(f"/instances/channel_welcome/{instance_id}")).text
    for text in ('id="timeline"', "greet", "settle", "tips", "Welcome, Ada!", "1.0 min"):
        assert text in html, text
    missing = await studio.client.get("/instances/channel_welcome/nope")
    assert missing.status_code == 404
    api_missing = await studio.client.get("/api/instances/channel_welcome/nope")
    assert api_missing.status_code == 404


async def test_instance_streams(studio: Studio) -> None:
    instance_id = await start(studio, "channel_welcome", {"fields": WELCOME})
    await wait_status(studio, "channel_welcome", instance_id, "complete")
    table = await studio.client.get("/stream/instances?limit=1")
    assert table.headers["content-type"].startswith("text/event-stream")
    [event] = sse_events(table.text)
    assert instance_id in event["html"]
    assert event["count"] == 1
    one = await studio.client.get(f"/stream/instances/channel_welcome/{instance_id}?limit=1")
    [update] = sse_events(one.text)
    assert update["status"] == "complete"
    assert "tips" in update["html"]
    assert instance_id in update["head"]
    assert (await studio.client.get("/stream/instances?limit=0")).status_code == 400
    gone = await studio.client.get("/stream/instances/channel_welcome/nope?limit=1")
    assert gone.status_code == 404


async def test_static_assets(studio: Studio) -> None:
    script = await studio.client.get("/static/studio.js")
    assert script.status_code == 200
    assert "lunora-studio-token" in script.text
    assert (await studio.client.get("/static/studio.css")).status_code == 200
