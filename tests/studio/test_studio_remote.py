"""``--remote``: the Studio on Cloudflare's Workflows REST API, credentials kept server-side.

Cloudflare is played by an ``httpx.MockTransport`` that answers in the v4 envelope with the
shapes of shared/reference/cloudflare.md §5; the Studio, the backend and the REST client all run
for real.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from lunora_codegen.cli import main
from lunora_codegen.studio.app import create_app
from lunora_codegen.studio.catalog import Catalog
from lunora_codegen.studio.remote import (
    MissingCredentialsError,
    RemoteBackend,
    credentials_from_env,
)
from lunora_codegen.studio.security import TOKEN_HEADER

from .conftest import BASE_URL

ACCOUNT = "acc-0123"
API_TOKEN = "cf-SECRET-token-9f8e7d"
STEPS = [
    {
        "type": "step",
        "name": "notify-approver-1",
        "start": "2026-11-20T10:00:00.000Z",
        "end": "2026-11-20T10:00:03.500Z",
        "success": True,
        "output": {"notified": "r1"},
        "attempts": [
            {
                "start": "2026-11-20T10:00:00.000Z",
                "end": "2026-11-20T10:00:01.000Z",
                "success": False,
                "error": {"name": "Error", "message": "mail server down"},
            },
            {
                "start": "2026-11-20T10:00:03.000Z",
                "end": "2026-11-20T10:00:03.500Z",
                "success": True,
                "error": None,
            },
        ],
    },
    {
        "type": "waitForEvent",
        "name": "await-approval-1",
        "start": "2026-11-20T10:00:04.000Z",
        "end": "",
        "finished": False,
        "event_type": "approval",
    },
]


def envelope(result: Any, status: int = 200, **info: Any) -> httpx.Response:
    body: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if info:
        body["result_info"] = info
    return httpx.Response(status, json=body)


def failure(status: int, code: int, message: str) -> httpx.Response:
    body = {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }
    return httpx.Response(status, json=body)


@dataclass
class FakeCloudflare:
    """Just enough of the Workflows API for the Studio, recording every request."""

    instances: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    events: list[tuple[str, str, str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {API_TOKEN}":
            return failure(403, 10000, "Authentication error")
        path = request.url.path
        match = re.fullmatch(
            rf"/client/v4/accounts/{ACCOUNT}/workflows/([^/]+)/instances"
            r"(?:/([^/]+))?(/status|/events/[^/]+)?",
            path,
        )
        if match is None:
            return failure(404, 7003, f"no route for {path}")
        workflow, instance_id, tail = match.groups()
        if instance_id is None and request.method == "GET":
            wanted = request.url.params.get("status")
            rows = [
                {
                    "id": i["id"],
                    "status": i["status"],
                    "created_on": i["created"],
                    "started_on": i["created"],
                    "ended_on": "",
                    "modified_on": i["created"],
                }
                for (w, _), i in self.instances.items()
                if w == workflow and wanted in (None, i["status"])
            ]
            return envelope(rows, per_page=50, count=len(rows), total_count=len(rows))
        if instance_id is None and request.method == "POST":
            body = json.loads(request.content)
            new_id = body.get("instance_id") or f"gen-{len(self.instances) + 1}"
            self.instances[(workflow, new_id)] = {
                "id": new_id,
                "status": "queued",
                "params": body.get("params"),
                "created": "2026-11-20T10:00:00.000Z",
            }
            return envelope(
                {"id": new_id, "status": "queued", "version_id": "v1", "workflow_id": "w1"},
                status=201,
            )
        instance = self.instances.get((workflow, instance_id or ""))
        if instance is None:
            return failure(404, 10404, "instance.not_found")
        if tail is None:
            return envelope(
                {
                    "status": instance["status"],
                    "params": instance["params"],
                    "queued": instance["created"],
                    "start": instance["created"],
                    "end": "",
                    "success": None,
                    "output": None,
                    "error": None,
                    "steps": STEPS,
                }
            )
        if tail == "/status":
            action = json.loads(request.content)["status"]
            instance["status"] = {"pause": "paused", "resume": "running"}.get(action, "terminated")
            return envelope({"status": instance["status"], "timestamp": "2026-11-20T10:01:00Z"})
        event_type = tail.rsplit("/", 1)[1]
        self.events.append((workflow, instance_id or "", event_type, json.loads(request.content)))
        return envelope(None)


@dataclass
class RemoteStudio:
    client: httpx.AsyncClient
    cloudflare: FakeCloudflare
    token: str

    async def post(self, url: str, body: object) -> httpx.Response:
        headers = {TOKEN_HEADER: self.token, "origin": BASE_URL}
        return await self.client.post(url, json=body, headers=headers)


@pytest.fixture
async def remote(catalog: Catalog) -> AsyncIterator[RemoteStudio]:
    cloudflare = FakeCloudflare()
    backend = RemoteBackend(
        catalog,
        account_id=ACCOUNT,
        api_token=API_TOKEN,
        transport=httpx.MockTransport(cloudflare.handle),
    )
    app = create_app(backend)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield RemoteStudio(client, cloudflare, app.state.studio.token)


async def test_start_list_and_timeline_through_the_rest_api(remote: RemoteStudio) -> None:
    started = await remote.post(
        "/api/workflows/expense_approval/instances",
        {"fields": {"request_id": "r1", "amount_cents": "250"}, "id": "exp-1"},
    )
    assert started.status_code == 201, started.text
    create = remote.cloudflare.requests[-1]
    assert create.url.path.endswith("/workflows/expense-approval/instances")  # deployed name
    assert json.loads(create.content) == {
        "instance_id": "exp-1",
        "params": {"request_id": "r1", "amount_cents": 250},
    }
    rows = (await remote.client.get("/api/instances")).json()["instances"]
    assert [(r["workflow"], r["id"], r["status"]) for r in rows] == [
        ("expense_approval", "exp-1", "queued")
    ]
    detail = (await remote.client.get("/api/instances/expense_approval/exp-1")).json()
    notify, wait = detail["steps"]
    assert (notify["type"], notify["success"], len(notify["attempts"])) == ("step", True, 2)
    assert notify["attempts"][0]["error"] == "Error: mail server down"
    assert notify["attempts"][0]["duration_ms"] == 1000
    assert notify["duration_ms"] == 3500
    assert wait["type"] == "waitForEvent"
    page = (await remote.client.get("/instances/expense_approval/exp-1")).text
    assert "mail server down" in page
    assert "Cloudflare (remote)" in page


async def test_events_and_status_changes_go_to_cloudflare(remote: RemoteStudio) -> None:
    await remote.post(
        "/api/workflows/expense_approval/instances",
        {"params": {"request_id": "r2", "amount_cents": 1}, "id": "exp-2"},
    )
    sent = await remote.post(
        "/api/instances/expense_approval/exp-2/events",
        {"type": "approval", "payload_json": '{"approved": true}'},
    )
    assert sent.status_code == 202
    assert remote.cloudflare.events == [
        ("expense-approval", "exp-2", "approval", {"approved": True})
    ]
    paused = await remote.post("/api/instances/expense_approval/exp-2/status", {"action": "pause"})
    assert paused.json()["instance"]["status"] == "paused"
    missing = await remote.client.get("/api/instances/expense_approval/nope")
    assert missing.status_code == 404


async def test_the_api_token_never_reaches_the_browser(remote: RemoteStudio) -> None:
    await remote.post(
        "/api/workflows/channel_welcome/instances",
        {"fields": {"channel_id": "c", "user_name": "u"}, "id": "w-1"},
    )
    urls = [
        "/workflows",
        "/workflows/channel_welcome/start",
        "/instances",
        "/api/workflows",
        "/api/instances",
        "/instances/channel_welcome/w-1",
        "/api/instances/channel_welcome/w-1",
        "/stream/instances?limit=1",
        "/stream/instances/channel_welcome/w-1?limit=1",
        "/api/instances/channel_welcome/missing",
        "/static/studio.js",
    ]
    for url in urls:
        response = await remote.client.get(url)
        assert API_TOKEN not in response.text, url
        assert API_TOKEN not in str(response.headers), url
    # ... while every call to Cloudflare carried it.
    assert remote.cloudflare.requests
    assert all(
        r.headers["authorization"] == f"Bearer {API_TOKEN}" for r in remote.cloudflare.requests
    )


def test_credentials_come_from_the_environment(catalog: Catalog) -> None:
    assert credentials_from_env({"CLOUDFLARE_ACCOUNT_ID": "a", "CLOUDFLARE_API_TOKEN": "t"}) == (
        "a",
        "t",
    )
    with pytest.raises(MissingCredentialsError, match="CLOUDFLARE_API_TOKEN"):
        credentials_from_env({"CLOUDFLARE_ACCOUNT_ID": "a"})
    backend = RemoteBackend(catalog, account_id="a", api_token=API_TOKEN)
    assert API_TOKEN not in repr(backend)


def test_cli_remote_without_credentials_fails_clearly(
    chat_app: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "")
    with pytest.raises(SystemExit) as exited:
        main(["studio", "--remote", "--project", str(chat_app)])
    assert exited.value.code == 2
    assert "needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN" in capsys.readouterr().err
