"""Shared fixtures: the fnapp fixture project on sys.path, and a real HTTP backend on
127.0.0.1 that plays a Lunora shard's ``/_lunora/scheduler/dispatch`` endpoint."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "fixtures" / "functions" / "app"
TOKEN = "test-admin-token"

if str(APP) not in sys.path:
    sys.path.insert(0, str(APP))


@dataclass
class Reply:
    """What the backend answers: status, JSON body (or raw text), headers.

    ``hold=True`` keeps the answer back until the test ends (or ``Backend.hold_limit``
    seconds pass), so only the client's own timeout can end the exchange: timeout tests wait
    on that, not on a race between two wall-clock delays.
    """

    status: int = 200
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False


@dataclass
class Request:
    """One request the backend received."""

    path: str
    authorization: str | None
    body: dict[str, Any]


class Backend:
    """A Lunora-like backend: ``respond(request) -> Reply`` decides each answer."""

    #: How long a held answer waits at most; far beyond any timeout a test sets, so a client
    #: that ignores its timeout gets the late answer and its test fails instead of hanging.
    hold_limit = 60.0

    def __init__(self) -> None:
        self.requests: list[Request] = []
        #: How many answers the backend has sent or is sending (a held one once released).
        self.answered = 0
        self.release = threading.Event()
        self.respond: Callable[[Request], Reply] = lambda request: Reply(
            body={"result": {"echo": request.body.get("args")}}
        )
        self.url = ""

    @property
    def ids(self) -> list[str | None]:
        """The dedup id of every request, in arrival order."""
        return [r.body.get("id") for r in self.requests]

    async def received(self, count: int, *, within: float = 30.0) -> None:
        """Wait until ``count`` requests have arrived: a client may give up (time out) before
        a busy machine's server thread has even read its request."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.requests) < count:
            if loop.time() > deadline:
                raise AssertionError(
                    f"the backend received {len(self.requests)} request(s), expected {count}"
                )
            await asyncio.sleep(0.01)


def _handler(backend: Backend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            request = Request(self.path, self.headers.get("authorization"), body)
            backend.requests.append(request)
            reply = backend.respond(request)
            if reply.hold:
                backend.release.wait(backend.hold_limit)
            # counted before sending, so a client that has read an answer always sees it counted
            backend.answered += 1
            data = (reply.text if reply.text is not None else json.dumps(reply.body)).encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    return Handler


@pytest.fixture
def backend() -> Iterator[Backend]:
    """A real HTTP server on 127.0.0.1 (an ephemeral port), one thread per request."""
    state = Backend()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        state.release.set()  # let held answers go so their threads end
        server.shutdown()
        server.server_close()


class FakeClock:
    """An epoch-ms clock that only moves when the injected sleep is awaited."""

    def __init__(self, start: float = 1_000_000.0, late_by: float = 0.0) -> None:
        self.now = start
        self.start = start
        self.late_by = late_by
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, ms: float) -> None:
        self.pauses.append(ms)
        self.now += ms + self.late_by

    @property
    def elapsed(self) -> float:
        return self.now - self.start
