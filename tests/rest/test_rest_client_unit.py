"""Client behaviour where a real server adds nothing: httpx.MockTransport and pure functions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from lunora_workflow.rest import (
    RetryPolicy,
    WorkflowsRestClient,
    WorkflowsRestError,
    create_async_workflows_rest_client,
    create_workflows_rest_client,
    parse_retry_after,
)
from lunora_workflow.rest.errors import BODY_PREVIEW_LIMIT

from .conftest import ACCOUNT, TOKEN, Sleeps

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def envelope(result: object, **extra: object) -> dict[str, object]:
    return {"success": True, "errors": [], "messages": [], "result": result, **extra}


@pytest.fixture
def make(policy: RetryPolicy) -> Iterator[Callable[[Handler], WorkflowsRestClient]]:
    clients: list[WorkflowsRestClient] = []

    def build(handler: Handler) -> WorkflowsRestClient:
        client = create_workflows_rest_client(
            ACCOUNT, TOKEN, transport=httpx.MockTransport(handler), retry=policy
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def test_default_base_url_and_headers(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=envelope([]))

    make(handler).list_instances("order pipeline", status="running")
    url = str(seen[0].url)
    assert url == (
        "https://api.cloudflare.com/client/v4/accounts/acc-123/workflows/"
        "order%20pipeline/instances?status=running"
    )
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["accept"] == "application/json"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("12", 12.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("Wed, 25 Nov 2026 12:00:30 GMT", 30.0),
        ("Wed, 25 Nov 2026 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_retry_after_http_date_is_honoured(sleeps: Sleeps) -> None:
    policy = RetryPolicy(sleep=sleeps, now=lambda: NOW, rand=lambda: 1.0)
    replies = iter(
        [
            httpx.Response(429, headers={"Retry-After": "Wed, 25 Nov 2026 12:00:04 GMT"}, json={}),
            httpx.Response(200, json=envelope([])),
        ]
    )
    with create_workflows_rest_client(
        ACCOUNT, TOKEN, transport=httpx.MockTransport(lambda r: next(replies)), retry=policy
    ) as client:
        client.list_workflows()
    assert sleeps == [4.0]


def test_a_retry_after_beyond_the_cap_is_not_waited_out(sleeps: Sleeps) -> None:
    policy = RetryPolicy(sleep=sleeps, max_retry_after=60)
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            429,
            headers={"Retry-After": "3600"},
            json={"success": False, "errors": [{"code": 10429, "message": "rate limited"}]},
        )

    with (
        create_workflows_rest_client(
            ACCOUNT, TOKEN, transport=httpx.MockTransport(handler), retry=policy
        ) as client,
        pytest.raises(WorkflowsRestError) as caught,
    ):
        client.list_workflows()
    assert caught.value.status == 429
    assert caught.value.codes == [10429]
    assert calls == [1]
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_4xx_is_never_retried(
    make: Callable[[Handler], WorkflowsRestClient], sleeps: Sleeps, status: int
) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            status, headers={"Retry-After": "1"}, json={"success": False, "errors": []}
        )

    with pytest.raises(WorkflowsRestError) as caught:
        make(handler).get_instance("w", "i")
    assert caught.value.status == status
    assert calls == [1]
    assert sleeps == []


def test_max_retries_zero_disables_retries(sleeps: Sleeps) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500, text="boom")

    policy = RetryPolicy(sleep=sleeps)
    with (
        create_workflows_rest_client(
            ACCOUNT, TOKEN, transport=httpx.MockTransport(handler), retry=policy, max_retries=0
        ) as client,
        pytest.raises(WorkflowsRestError),
    ):
        client.list_workflows()
    assert calls == [1]
    assert sleeps == []


def test_backoff_is_exponential_capped_and_jittered() -> None:
    low = RetryPolicy(rand=lambda: 0.0, backoff_base=1.0, backoff_max=5.0)
    high = RetryPolicy(rand=lambda: 0.999999, backoff_base=1.0, backoff_max=5.0)
    assert [low.backoff(n) for n in range(4)] == [0.5, 1.0, 2.0, 2.5]
    assert [round(high.backoff(n), 3) for n in range(4)] == [1.0, 2.0, 4.0, 5.0]
    real = RetryPolicy(backoff_base=1.0, backoff_max=5.0)
    assert all(0.5 <= real.backoff(0) < 1.0 for _ in range(50))


def test_read_timeout_is_retried_for_get_but_not_for_post(
    make: Callable[[Handler], WorkflowsRestClient], sleeps: Sleeps
) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise httpx.ReadTimeout("timed out", request=request)

    client = make(handler)
    with pytest.raises(WorkflowsRestError) as caught:
        client.get_instance("w", "i")
    assert caught.value.status is None
    assert "timed out" in str(caught.value)
    assert calls == ["GET"] * 4
    assert len(sleeps) == 3
    calls.clear()
    with pytest.raises(WorkflowsRestError):
        client.create_instance("w", params={})
    assert calls == ["POST"]  # the create may have reached Cloudflare: never sent twice


def test_connect_errors_are_retried_even_for_post(
    make: Callable[[Handler], WorkflowsRestClient],
) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json=envelope({"id": "x", "status": "queued"}))

    assert make(handler).create_instance("w").id == "x"
    assert calls == ["POST"] * 3


def test_success_false_with_200_is_an_error(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    body = {
        "success": False,
        "errors": [{"code": 10001, "message": "bad"}, {"code": 10002, "message": "worse"}],
        "messages": [],
        "result": None,
    }
    with pytest.raises(WorkflowsRestError) as caught:
        make(lambda r: httpx.Response(200, json=body)).list_workflows()
    assert caught.value.status == 200
    assert caught.value.codes == [10001, 10002]
    assert caught.value.messages == ["bad", "worse"]


def test_non_json_502_body_is_capped_in_the_message(
    make: Callable[[Handler], WorkflowsRestClient],
) -> None:
    html = "<html>" + "x" * 1000 + "</html>"
    with pytest.raises(WorkflowsRestError) as caught:
        make(lambda r: httpx.Response(502, text=html)).list_workflows()
    error = caught.value
    assert error.status == 502
    assert error.body == html
    assert "the response is not JSON" in str(error)
    assert html[:BODY_PREVIEW_LIMIT] + "… (truncated)" in str(error)
    assert html not in str(error)


def test_non_json_200_is_an_error(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    with pytest.raises(WorkflowsRestError, match="not JSON"):
        make(lambda r: httpx.Response(200, text="ok")).list_workflows()


def test_unknown_status_becomes_unknown(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    page = make(
        lambda r: httpx.Response(200, json=envelope([{"id": "a", "status": "hibernating"}]))
    ).list_instances("w")
    assert page.instances[0].status == "unknown"
    assert page.next_cursor is None


def test_empty_cursor_and_empty_page_end_iteration(
    make: Callable[[Handler], WorkflowsRestClient],
) -> None:
    replies = iter(
        [
            envelope([{"id": "a", "status": "running"}], result_info={"cursor": "c1"}),
            envelope([], result_info={"cursor": "c2"}),
        ]
    )
    client = make(lambda r: httpx.Response(200, json=next(replies)))
    assert [i.id for i in client.iter_instances("w")] == ["a"]
    ended = make(
        lambda r: httpx.Response(200, json=envelope([{"id": "z"}], result_info={"cursor": ""}))
    )
    assert ended.list_instances("w").next_cursor is None


def test_page_numbered_replies_get_a_page_cursor(
    make: Callable[[Handler], WorkflowsRestClient],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(
            200, json=envelope([{"id": f"p{page}"}], result_info={"page": page, "total_pages": 2})
        )

    assert [i.id for i in make(handler).iter_instances("w")] == ["p1", "p2"]
    assert seen[1].url.params["page"] == "2"
    assert "cursor" not in seen[1].url.params


def test_step_output_stream_and_flat_shapes(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    raw = make(
        lambda r: httpx.Response(
            200, content=b"\x00bytes", headers={"Content-Type": "application/octet-stream"}
        )
    )
    out = raw.get_step_output("w", "i", "s-1")
    assert out.output == b"\x00bytes"
    assert out.content_type == "application/octet-stream"
    flat = make(
        lambda r: httpx.Response(
            200, json={"status": "errored", "error": {"name": "E", "message": "m"}, "output": None}
        )
    )
    out = flat.get_step_output("w", "i", "s-1")
    assert out.status == "errored"
    assert out.error is not None
    assert out.error.message == "m"


def test_attempts_reported_as_a_number(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    result = {"status": "running", "steps": [{"type": "step", "name": None, "attempts": 3}]}
    detail = make(lambda r: httpx.Response(200, json=envelope(result))).get_instance("w", "i")
    entry = detail.steps[0]
    assert entry.attempt_count == 3
    assert entry.attempts == []
    assert entry.name == ""
    missing = make(lambda r: httpx.Response(200, json=envelope({"status": "queued"}))).get_instance(
        "w", "i"
    )
    assert missing.steps == []


def test_input_is_validated_before_sending(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=envelope(None))

    client = make(handler)
    with pytest.raises(ValueError, match="event type"):
        client.send_event("w", "i", "has:colon")
    with pytest.raises(ValueError, match="instance id"):
        client.create_instance("w", instance_id="-bad")
    with pytest.raises(ValueError, match="per_page"):
        client.list_instances("w", per_page=500)
    with pytest.raises(ValueError, match="rollback"):
        client.set_instance_status("w", "i", "pause", rollback=True)
    with pytest.raises(ValueError, match="from_step"):
        client.set_instance_status("w", "i", "terminate", from_step="x")
    with pytest.raises(ValueError, match="action"):
        client.set_instance_status("w", "i", "explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1 to 100"):
        client.create_instances_batch("w", [])
    with pytest.raises(ValueError, match="unknown key"):
        client.create_instances_batch("w", [{"parms": {}}])
    with pytest.raises(ValueError, match="must not be empty"):
        client.get_instance("w", "")
    with pytest.raises(ValueError, match="date_start must be timezone-aware"):
        client.list_instances("w", date_start=datetime(2026, 11, 20, 10, 0))
    assert sent == []


def test_date_filters_are_sent_in_utc(make: Callable[[Handler], WorkflowsRestClient]) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=envelope([]))

    berlin = timezone(timedelta(hours=1))
    make(handler).list_instances(
        "w", date_start=datetime(2026, 11, 20, 11, 0, tzinfo=berlin), date_end=NOW
    )
    params = seen[0].url.params
    assert params["date_start"] == "2026-11-20T10:00:00Z"
    assert params["date_end"] == "2026-11-25T12:00:00Z"


def test_missing_credentials_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="account_id and api_token"):
        create_workflows_rest_client()
    with pytest.raises(ValueError, match="api_token"):
        create_workflows_rest_client(ACCOUNT, "")
    with pytest.raises(ValueError, match="dialect"):
        create_workflows_rest_client(ACCOUNT, TOKEN, dialect="graphql")  # type: ignore[arg-type]


async def test_async_retries_use_the_async_sleep(sleeps: Sleeps) -> None:
    replies = iter(
        [
            httpx.Response(503, text="x"),
            httpx.Response(
                200, json=envelope({"status": "paused", "timestamp": "2026-11-25T12:00:00Z"})
            ),
        ]
    )
    policy = RetryPolicy(
        sleep=lambda s: pytest.fail("sync sleep in async client"),
        async_sleep=sleeps.async_sleep,
        rand=lambda: 1.0,
    )

    async def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"status": "pause"}
        return next(replies)

    async with create_async_workflows_rest_client(
        ACCOUNT, TOKEN, transport=httpx.MockTransport(handler), retry=policy
    ) as client:
        change = await client.set_instance_status("w", "i", "pause")
    assert change.status == "paused"
    assert sleeps == [0.5]
