"""A fake of Cloudflare's Workflows REST API (and wrangler dev's local explorer API).

Served by a real HTTP server on 127.0.0.1 so the client's whole stack (httpx, sockets, JSON,
headers) runs as it does against Cloudflare. Shapes follow shared/reference/cloudflare.md §5:
the v4 envelope everywhere, cursor pagination for instances (``result_info.cursor`` only while
more pages follow), page numbers for workflows, ``{status, timestamp}`` from status changes.
The local dialect mirrors miniflare's local explorer (page-numbered instances, ``{id, params}``
create bodies, ``{action}`` status bodies, ``{success: true}`` results, no auth).

Error codes are illustrative (10000 is Cloudflare's generic authentication error).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

CF_PREFIX = "/client/v4"
LOCAL_PREFIX = "/cdn-cgi/explorer/api"

T0 = "2026-11-20T10:00:00.000Z"

SAMPLE_STEPS: list[dict[str, Any]] = [
    {
        "type": "step",
        "name": "charge card-1",
        "start": "2026-11-20T10:00:00.000Z",
        "end": "2026-11-20T10:00:03.500Z",
        "success": True,
        "output": {"charged": 42},
        "attempts": [
            {
                "start": "2026-11-20T10:00:00.000Z",
                "end": "2026-11-20T10:00:01.000Z",
                "success": False,
                "error": {"name": "Error", "message": "card declined"},
            },
            {
                "start": "2026-11-20T10:00:03.000Z",
                "end": "2026-11-20T10:00:03.500Z",
                "success": True,
                "error": None,
            },
        ],
        "config": {
            "retries": {"limit": 5, "delay": "10 seconds", "backoff": "exponential"},
            "timeout": "10 minutes",
        },
    },
    {
        "type": "sleep",
        "name": "cool down-1",
        "start": "2026-11-20T10:00:04.000Z",
        "end": "2026-11-20T10:01:04.000Z",
        "finished": True,
    },
    {
        "type": "waitForEvent",
        "name": "approval-1",
        "start": "2026-11-20T10:01:05.000Z",
        "end": "",
        "finished": False,
        "event_type": "approved",
    },
    {
        "type": "step",
        "name": "ship order-1",
        "start": "2026-11-20T10:02:00.000Z",
        "end": "2026-11-20T10:02:01.000Z",
        "success": False,
        "output": None,
        "attempts": [
            {
                "start": "2026-11-20T10:02:00.000Z",
                "end": "2026-11-20T10:02:01.000Z",
                "success": False,
                "error": {"name": "NonRetryableError", "message": "address invalid"},
            }
        ],
        "config": {"retries": {"limit": 0, "delay": 1000}, "timeout": "30 seconds"},
    },
    {"type": "termination", "trigger": {"source": "api"}},
]


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeInstance:
    id: str
    status: str = "running"
    created_on: str = T0
    params: Any = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None
    error: dict[str, str] | None = None
    events: list[tuple[str, Any]] = field(default_factory=list)


def _envelope(result: Any, **extra: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result, **extra}


def _failure(code: int, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }


class FakeCloudflare:
    """In-memory state plus request routing for both dialects."""

    def __init__(
        self,
        *,
        account_id: str = "acc-123",
        token: str = "tok-SECRET-abc123",
        dialect: str = "cloudflare",
    ) -> None:
        self.account_id = account_id
        self.token = token
        self.dialect = dialect
        self.workflows: dict[str, dict[str, Any]] = {}
        self.instances: dict[str, list[FakeInstance]] = {}
        self.requests: list[Recorded] = []
        self.scripted: deque[tuple[int, dict[str, str], bytes]] = deque()
        self.echo_token_in_errors = False
        self._lock = threading.Lock()
        self._counter = 0

    # -- seeding -------------------------------------------------------------------------

    def add_workflow(self, name: str, class_name: str, script_name: str = "chat-app") -> None:
        self.workflows[name] = {
            "id": f"wf-{len(self.workflows) + 1}",
            "name": name,
            "class_name": class_name,
            "script_name": script_name,
            "created_on": T0,
            "modified_on": T0,
            "triggered_on": T0,
        }
        self.instances.setdefault(name, [])

    def add_instance(self, workflow: str, instance: FakeInstance) -> FakeInstance:
        self.instances[workflow].append(instance)
        return instance

    def fail_next(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        payload = json.dumps(
            body if body is not None else _failure(10013, f"status {status}")
        ).encode()
        for _ in range(times):
            self.scripted.append((status, headers or {}, payload))

    # -- routing -------------------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(raw_path)
        query = parse_qsl(split.query, keep_blank_values=True)
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(Recorded(method, split.path, query, dict(headers), parsed))
            if self.scripted:
                return self.scripted.popleft()
            status, payload = self._route(method, split.path, dict(query), headers, parsed)
        if isinstance(payload, bytes):
            return status, {"Content-Type": "application/octet-stream"}, payload
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        if self.dialect == "local":
            if not path.startswith(LOCAL_PREFIX + "/workflows"):
                return 404, _failure(10000, "not found")
            parts = [unquote(p) for p in path[len(LOCAL_PREFIX) + 1 :].split("/")]
        else:
            if not path.startswith(CF_PREFIX + "/accounts/"):
                return 404, _failure(7003, "Could not route to " + path)
            auth = headers.get("authorization", "")
            if auth != f"Bearer {self.token}":
                message = "Authentication error"
                if self.echo_token_in_errors:
                    message += f" (received {auth!r})"
                return 403, _failure(10000, message)
            parts = [unquote(p) for p in path[len(CF_PREFIX) + 1 :].split("/")]
            if parts[1] != self.account_id:
                return 403, _failure(10000, "Authentication error")
            parts = parts[2:]
        # parts: ["workflows", name?, "instances"?, id?, tail...]
        if parts == ["workflows"] and method == "GET":
            return self._list_workflows(query)
        if len(parts) < 2 or parts[1] not in self.workflows:
            return 404, _failure(10200, "workflow.not_found")
        name = parts[1]
        rest = parts[2:]
        if rest == ["instances"] and method == "GET":
            return self._list_instances(name, query)
        if rest == ["instances"] and method == "POST":
            return self._create(name, body)
        if rest == ["instances", "batch"] and method == "POST" and self.dialect == "cloudflare":
            return self._batch(name, body)
        if len(rest) >= 2 and rest[0] == "instances":
            instance = next((i for i in self.instances[name] if i.id == rest[1]), None)
            if instance is None:
                return 404, _failure(10101, "instance.not_found")
            tail = rest[2:]
            if tail == [] and method == "GET":
                return self._detail(instance)
            if tail == ["status"] and method == "PATCH":
                return self._status(instance, body)
            if tail == ["step"] and method == "GET" and self.dialect == "cloudflare":
                return self._step(instance, query)
            if len(tail) == 2 and tail[0] == "events" and method == "POST":
                instance.events.append((tail[1], body))
                return 200, _envelope({"success": True} if self.dialect == "local" else None)
        return 405, _failure(10405, f"method {method} not allowed on {path}")

    def _list_workflows(self, query: dict[str, str]) -> tuple[int, Any]:
        rows = list(self.workflows.values())
        if self.dialect == "local":
            local = [{k: w[k] for k in ("name", "class_name", "script_name")} for w in rows]
            return 200, _envelope(local, result_info={"count": len(local)})
        page = int(query.get("page", "1"))
        per_page = int(query.get("per_page", "10"))
        chunk = rows[(page - 1) * per_page : page * per_page]
        for w in chunk:
            counts: dict[str, int] = {}
            for i in self.instances[w["name"]]:
                counts[i.status] = counts.get(i.status, 0) + 1
            w["instances"] = counts
        total_pages = max(1, -(-len(rows) // per_page))
        info = {
            "page": page,
            "per_page": per_page,
            "count": len(chunk),
            "total_count": len(rows),
            "total_pages": total_pages,
        }
        return 200, _envelope(chunk, result_info=info)

    def _row(self, i: FakeInstance) -> dict[str, Any]:
        if self.dialect == "local":
            return {"id": i.id, "status": i.status, "created_on": i.created_on}
        return {
            "id": i.id,
            "created_on": i.created_on,
            "modified_on": i.created_on,
            "started_on": i.created_on,
            "ended_on": "",
            "status": i.status,
            "version_id": "ver-1",
            "workflow_id": "wf-1",
        }

    def _list_instances(self, name: str, query: dict[str, str]) -> tuple[int, Any]:
        rows = [
            i for i in self.instances[name] if "status" not in query or i.status == query["status"]
        ]
        if query.get("direction") == "asc":
            pass
        else:
            rows = list(reversed(rows))  # newest first, like the dashboard
        per_page = int(query.get("per_page", "25" if self.dialect == "local" else "50"))
        if self.dialect == "local" or "page" in query:
            page = int(query.get("page", "1"))
            chunk = rows[(page - 1) * per_page : page * per_page]
            total_pages = max(1, -(-len(rows) // per_page))
            info: dict[str, Any] = {
                "page": page,
                "per_page": per_page,
                "total_count": len(rows),
                "total_pages": total_pages,
            }
            return 200, _envelope([self._row(i) for i in chunk], result_info=info)
        if "cursor" in query and "page" in query:
            return 400, _failure(10001, "cursor and page are mutually exclusive")
        offset = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if "cursor" in query else 0
        chunk = rows[offset : offset + per_page]
        info = {"count": len(chunk), "per_page": per_page, "total_count": len(rows)}
        if offset + per_page < len(rows):
            info["cursor"] = base64.urlsafe_b64encode(str(offset + per_page).encode()).decode()
        return 200, _envelope([self._row(i) for i in chunk], result_info=info)

    def _detail(self, i: FakeInstance) -> tuple[int, Any]:
        result: dict[str, Any] = {
            "status": i.status,
            "params": i.params,
            "queued": i.created_on,
            "start": i.created_on,
            "end": "",
            "success": None,
            "output": i.output if i.output is not None else "",
            "error": i.error,
            "steps": i.steps,
            "step_count": len(i.steps),
        }
        if self.dialect == "cloudflare":
            result["trigger"] = {"source": "api"}
            result["versionId"] = "ver-1"
        return 200, _envelope(result)

    def _status(self, i: FakeInstance, body: Any) -> tuple[int, Any]:
        key = "action" if self.dialect == "local" else "status"
        action = body.get(key) if isinstance(body, dict) else None
        new = {
            "pause": "paused",
            "resume": "running",
            "terminate": "terminated",
            "restart": "queued",
        }.get(str(action))
        if new is None:
            return 400, _failure(10001, f"invalid {key} {action!r}")
        i.status = new
        if self.dialect == "local":
            return 200, _envelope({"success": True})
        return 200, _envelope({"status": new, "timestamp": "2026-11-20T11:00:00.000Z"})

    def _step(self, i: FakeInstance, query: dict[str, str]) -> tuple[int, Any]:
        entry = next(
            (
                s
                for s in i.steps
                if s.get("name") == query.get("name") and s.get("type") == query.get("type")
            ),
            None,
        )
        if entry is None:
            return 404, _failure(10102, "step.not_found")
        if entry.get("output") == "<<stream>>":
            return 200, b"\x00\x01raw-bytes"
        return 200, _envelope({"status": "complete", "error": None, "output": entry.get("output")})

    def _new_id(self) -> str:
        self._counter += 1
        return f"gen-{self._counter:04d}"

    def _create_one(self, name: str, body: Any) -> tuple[int, Any]:
        body = body if isinstance(body, dict) else {}
        key = "id" if self.dialect == "local" else "instance_id"
        instance_id = body.get(key) or self._new_id()
        if any(i.id == instance_id for i in self.instances[name]):
            return 409, _failure(10103, "instance.already_exists")
        self.instances[name].append(
            FakeInstance(id=instance_id, status="queued", params=body.get("params"))
        )
        if self.dialect == "local":
            return 200, {"id": instance_id}
        return 200, {
            "id": instance_id,
            "status": "queued",
            "version_id": "ver-1",
            "workflow_id": "wf-1",
        }

    def _create(self, name: str, body: Any) -> tuple[int, Any]:
        status, result = self._create_one(name, body)
        return (status, result) if status != 200 else (200, _envelope(result))

    def _batch(self, name: str, body: Any) -> tuple[int, Any]:
        if not isinstance(body, list) or not 1 <= len(body) <= 100:
            return 400, _failure(10001, "body must be an array of 1 to 100 instances")
        out = []
        for item in body:
            status, result = self._create_one(name, item)
            if status != 200:
                return status, result
            out.append(result)
        return 200, _envelope(out)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCloudflare
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, payload = self.fake.handle(self.command, self.path, headers, body)
        self.send_response(status)
        out_headers.setdefault("Content-Type", "application/json")
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815 (http.server names)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@contextmanager
def serve(fake: FakeCloudflare) -> Iterator[str]:
    """Serve ``fake`` on an ephemeral 127.0.0.1 port; yields ``http://127.0.0.1:<port>``."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
