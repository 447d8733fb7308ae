"""The Studio's guards: loopback binding, Host and Origin checks, constant-time token checks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lunora_codegen.cli import cli
from lunora_codegen.studio.security import (
    TOKEN_HEADER,
    GuardMiddleware,
    NonLoopbackHostError,
    check_bind_host,
    host_is_loopback,
    new_token,
    origin_matches,
    token_matches,
)
from lunora_codegen.studio.server import StudioServer


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    assert host_is_loopback(host)
    check_bind_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.com", "", "10.0.0.1"])
def test_other_hosts_are_refused_before_anything_listens(host: str) -> None:
    with pytest.raises(NonLoopbackHostError, match="only listens on loopback"):
        check_bind_host(host)
    with pytest.raises(NonLoopbackHostError):
        StudioServer(Starlette(), host=host, port=0)


def test_cli_refuses_a_public_host() -> None:
    result = CliRunner().invoke(cli, ["studio", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "only listens on loopback" in result.output


def test_token_comparison() -> None:
    token = new_token()
    assert len(token) >= 40
    assert token != new_token()
    assert token_matches(token, token)
    assert not token_matches(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not token_matches(token, None)
    assert not token_matches(token, "")


def test_origin_must_be_the_studio_itself() -> None:
    assert origin_matches("http://127.0.0.1:8790", "127.0.0.1:8790")
    assert origin_matches("http://localhost:8790", "localhost:8790")
    assert not origin_matches("http://127.0.0.1:9999", "127.0.0.1:8790")
    assert not origin_matches("https://127.0.0.1:8790", "127.0.0.1:8790")
    assert not origin_matches("http://evil.example:8790", "evil.example:8790")
    assert not origin_matches("null", "127.0.0.1:8790")


@pytest.fixture
async def guarded() -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"method": request.method})

    token = new_token()
    app = GuardMiddleware(Starlette(routes=[Route("/x", echo, methods=["GET", "POST"])]), token)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8790") as client:
        yield client, token


async def test_guard_refuses_foreign_host_headers(guarded: tuple[httpx.AsyncClient, str]) -> None:
    client, _token = guarded
    assert (await client.get("/x")).status_code == 200
    # DNS rebinding: an attacker's name resolving to 127.0.0.1 still sends its own Host.
    response = await client.get("/x", headers={"host": "attacker.example:8790"})
    assert response.status_code == 421
    assert response.json()["code"] == "BAD_HOST"


async def test_guard_requires_token_and_same_origin_for_changes(
    guarded: tuple[httpx.AsyncClient, str],
) -> None:
    client, token = guarded
    assert (await client.post("/x")).json()["code"] == "BAD_TOKEN"
    assert (await client.post("/x", headers={TOKEN_HEADER: "wrong"})).status_code == 403
    ok = await client.post("/x", headers={TOKEN_HEADER: token, "origin": "http://127.0.0.1:8790"})
    assert ok.status_code == 200
    cross = await client.post("/x", headers={TOKEN_HEADER: token, "origin": "http://evil.example"})
    assert (cross.status_code, cross.json()["code"]) == (403, "BAD_ORIGIN")
    site = await client.post("/x", headers={TOKEN_HEADER: token, "sec-fetch-site": "cross-site"})
    assert site.status_code == 403


async def test_guard_adds_security_headers(guarded: tuple[httpx.AsyncClient, str]) -> None:
    client, _token = guarded
    headers = (await client.get("/x")).headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
