"""The Studio's guards: loopback only, same-origin only, and a per-run token for every change.

The Studio can start, stop and signal workflows (and in ``--remote`` mode holds a Cloudflare API
token), so a web page the developer happens to have open must not be able to drive it:

* the server binds only to a loopback address (:func:`check_bind_host`);
* every request must carry a loopback ``Host`` header, which defeats DNS rebinding (an attacker's
  name resolving to 127.0.0.1 still sends its own name as ``Host``);
* every state-changing request must carry the per-run token, which is embedded only in the
  Studio's own pages (cross-origin pages cannot read them), and, when the browser sends an
  ``Origin``, it must be the Studio's own origin;
* the token is compared in constant time (:func:`token_matches`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "SAFE_METHODS",
    "TOKEN_HEADER",
    "GuardMiddleware",
    "NonLoopbackHostError",
    "check_bind_host",
    "host_is_loopback",
    "new_token",
    "origin_matches",
    "token_matches",
]

TOKEN_HEADER = "x-lunora-studio-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class NonLoopbackHostError(ValueError):
    """The Studio was asked to listen on an address other machines could reach."""


def new_token() -> str:
    """A fresh per-run token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_matches(expected: str, provided: str | None) -> bool:
    """Whether ``provided`` is the run's token, compared in constant time."""
    if not provided:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), provided.encode("utf-8"))


def host_is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, no port) is this machine only."""
    name = host.strip().lower().strip("[]")
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind_host(host: str) -> None:
    """Refuse to listen anywhere but loopback; raises :class:`NonLoopbackHostError`."""
    if not host_is_loopback(host):
        raise NonLoopbackHostError(
            f"lunora studio only listens on loopback (127.0.0.1, ::1 or localhost), not {host!r}: "
            "it can start and stop workflows and must not be reachable from other machines"
        )


def _split_host_header(value: str) -> str | None:
    """The host part of a ``Host`` header value, or ``None`` when malformed."""
    try:
        parts = urlsplit("//" + value)
        return parts.hostname
    except ValueError:
        return None


def origin_matches(origin: str, host_header: str) -> bool:
    """Whether an ``Origin`` header is exactly ``http://<Host>`` with a loopback host."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme != "http" or parts.hostname is None or not host_is_loopback(parts.hostname):
        return False
    return parts.netloc.lower() == host_header.lower()


class GuardMiddleware:
    """ASGI middleware enforcing the Host, Origin and token rules, and adding security headers."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def _refuse(self, send: Send, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message, "code": code}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host_header = headers.get("host", "")
        hostname = _split_host_header(host_header)
        if hostname is None or not host_is_loopback(hostname):
            await self._refuse(
                send,
                421,
                "BAD_HOST",
                f"the Studio answers only to loopback hosts, not {host_header!r}",
            )
            return
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and not origin_matches(origin, host_header):
                await self._refuse(
                    send, 403, "BAD_ORIGIN", f"cross-origin request from {origin!r} refused"
                )
                return
            if headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
                await self._refuse(send, 403, "BAD_ORIGIN", "cross-site request refused")
                return
            if not token_matches(self.token, headers.get(TOKEN_HEADER)):
                await self._refuse(
                    send,
                    403,
                    "BAD_TOKEN",
                    "missing or wrong Studio token: reload the page (the token changes every run)",
                )
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", _CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
