"""Serving the Studio with uvicorn, on loopback only: blocking (the CLI) or in a thread (tests)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from lunora_codegen.diagnostics import LunoraToolError
from lunora_codegen.studio.security import check_bind_host

__all__ = ["PortInUseError", "StudioServer", "StudioServerError", "check_port", "free_port"]


class PortInUseError(LunoraToolError):
    """Another program already listens on the Studio's port."""

    exit_code = 2


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortInUseError` when ``host:port`` cannot be bound right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as error:
            raise PortInUseError(
                f"cannot listen on {host}:{port} ({error.strerror}): another program uses it; "
                "pass --port N, or --port 0 for a free port"
            ) from None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on ``host`` right now (so the URL can be printed before serving)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class StudioServerError(RuntimeError):
    """The server could not start (port in use, startup failure) or stop in time."""


class StudioServer:
    """One uvicorn server for a Studio app, bound to a loopback ``host`` and ``port``.

    ``port=0`` picks a free port; :attr:`port` holds the real one once started. Constructing a
    server for a non-loopback host raises
    :class:`~lunora_codegen.studio.security.NonLoopbackHostError` before anything listens.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        check_bind_host(host)
        self.host = host
        self.config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            # Live streams never end on their own: give them a moment, then close them.
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(self.config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually listened on (resolves ``port=0`` after start)."""
        for server in getattr(self.server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return int(self.config.port)

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        self.server.run()

    def start_in_thread(self, timeout: float = 15.0) -> str:
        """Start serving in a daemon thread and return the URL once it accepts connections."""
        self._thread = threading.Thread(target=self.server.run, name="lunora-studio", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise StudioServerError(
                    f"the Studio server did not start on {self.host}:{self.config.port} "
                    "(is the port in use?)"
                )
            if time.monotonic() > deadline:
                raise StudioServerError(f"the Studio server did not start within {timeout} s")
            time.sleep(0.02)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the threaded server to exit and wait for it."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise StudioServerError(f"the Studio server did not stop within {timeout} s")
