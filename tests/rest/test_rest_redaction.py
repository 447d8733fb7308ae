"""The API token never shows: not in repr/str, errors, logs or tracebacks."""

from __future__ import annotations

import copy
import logging
import pickle
import traceback

import httpx
import pytest

from lunora_workflow.rest import (
    ApiToken,
    RetryPolicy,
    WorkflowsRestError,
    create_async_workflows_rest_client,
    create_workflows_rest_client,
)

from .conftest import ACCOUNT, TOKEN
from .rest_fake_cloudflare import FakeCloudflare


def test_token_container_redacts() -> None:
    token = ApiToken(TOKEN)
    assert TOKEN not in repr(token)
    assert TOKEN not in str(token)
    assert TOKEN not in f"{token}"
    assert TOKEN not in f"{token!r:>40}"
    assert token.get_secret_value() == TOKEN
    assert copy.deepcopy(token) == token
    with pytest.raises(TypeError):
        pickle.dumps(token)


async def test_client_and_config_repr_hide_the_token() -> None:
    sync = create_workflows_rest_client(ACCOUNT, TOKEN)
    async_client = create_async_workflows_rest_client(ACCOUNT, TOKEN)
    try:
        for obj in (sync, async_client, sync.config, sync.config.api_token):
            assert TOKEN not in repr(obj)
            assert TOKEN not in str(obj)
        assert "**********" in repr(sync)
        assert TOKEN not in repr(vars(sync))
        assert TOKEN not in repr(sync._http.headers)  # the header is added per request only
        with pytest.raises(TypeError):
            pickle.dumps(sync)
    finally:
        sync.close()
        await async_client.aclose()


def _fail_with(server: str, fake: FakeCloudflare, policy: RetryPolicy) -> WorkflowsRestError:
    fake.echo_token_in_errors = True  # a server that reflects the Authorization header back
    fake.token = "some-other-token"
    with create_workflows_rest_client(
        ACCOUNT, TOKEN, base_url=f"{server}/client/v4", retry=policy
    ) as client:
        try:
            client.get_instance("order-pipeline", "detailed")
        except WorkflowsRestError as error:
            return error
    raise AssertionError("no error")


def test_errors_never_carry_the_token(
    server: str, fake: FakeCloudflare, policy: RetryPolicy
) -> None:
    error = _fail_with(server, fake, policy)
    assert error.status == 403
    assert "received 'Bearer **********'" in error.body  # echoed, then scrubbed
    for text in (str(error), repr(error), error.body, *error.messages, str(error.args)):
        assert TOKEN not in text
    rendered = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    assert "WorkflowsRestError" in rendered
    assert TOKEN not in rendered


def test_tracebacks_with_locals_from_inside_the_client(
    server: str, fake: FakeCloudflare, policy: RetryPolicy
) -> None:
    fake.token = "some-other-token"
    client = create_workflows_rest_client(
        ACCOUNT, TOKEN, base_url=f"{server}/client/v4", retry=policy
    )
    with client, pytest.raises(WorkflowsRestError) as caught:
        client.list_workflows()
    frames = "".join(traceback.format_exception(caught.value))
    with_locals = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert "_run" in with_locals  # the frames inside the client are there, with their locals
    assert TOKEN not in frames
    assert TOKEN not in with_locals


def test_transport_errors_are_scrubbed(policy: RetryPolicy) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(
            f"proxy said no to {request.headers['authorization']}", request=request
        )

    with (
        create_workflows_rest_client(
            ACCOUNT, TOKEN, transport=httpx.MockTransport(handler), retry=policy, max_retries=1
        ) as client,
        pytest.raises(WorkflowsRestError) as caught,
    ):
        client.list_workflows()
    assert "Bearer **********" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_logs_never_carry_the_token(
    server: str, fake: FakeCloudflare, policy: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next(429, headers={"Retry-After": "1"})
    with create_workflows_rest_client(
        ACCOUNT, TOKEN, base_url=f"{server}/client/v4", retry=policy
    ) as client:
        client.list_workflows()
        client.get_instance("order-pipeline", "detailed")
    ours = [r for r in caplog.records if r.name == "lunora_workflow.rest"]
    lines = [r.getMessage() for r in ours]
    assert any("-> 429; retrying in 1.00 s" in line for line in lines)
    assert any(line.startswith("GET http://127.0.0.1:") and "-> 200" in line for line in lines)
    everything = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in everything
