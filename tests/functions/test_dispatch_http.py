"""HTTP dispatch against a real server on 127.0.0.1: wire body, envelopes, timeouts, the
409 decline wait-out (injected clock) and replay-stable dedup ids through the test engine."""

from __future__ import annotations

import datetime
import sys
from typing import Any, TypedDict

import pytest

from lunora_workflow import StepContext, WorkflowContext, define_step, define_workflow
from lunora_workflow.calls import FunctionNotFoundError
from lunora_workflow.dispatch import (
    DECLINE_HEADER,
    DeterministicDispatchError,
    DispatchConfigError,
    DispatchDeclinedError,
    DispatchError,
    DispatchTimeoutError,
    FunctionCallError,
    dispatch_http,
    dispatch_overrides,
    step_deadline,
    wait_out_declines,
)
from lunora_workflow.errors import is_non_retryable
from lunora_workflow.functions import FunctionReference
from lunora_workflow.testing import WorkflowTestEnv

from .conftest import TOKEN, Backend, FakeClock, Reply, Request

ECHO = FunctionReference[dict[str, int], dict[str, Any]]("remote:echo", kind="action")


def envelope(code: str, message: str, data: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "data": data}}


DECLINE = Reply(
    status=409,
    body=envelope("DISPATCH_IN_PROGRESS", "still running"),
    headers={DECLINE_HEADER: "1"},
)


async def call(backend: Backend, **overrides: Any) -> Any:
    options: dict[str, Any] = {
        "origin": backend.url,
        "token": TOKEN,
        "function_path": "messages:send",
        "args": {"channel_id": "c1", "text": "hi"},
        "dedup_id": "welcome/i1#body.1",
        "shard_key": "c1",
    }
    options.update(overrides)
    return await dispatch_http(**options)


# -- one dispatch ----------------------------------------------------------------------------


async def test_success_posts_the_wire_body_with_the_bearer_token(backend: Backend) -> None:
    backend.respond = lambda request: Reply(body={"result": {"message_id": "m1"}})

    result = await call(backend)

    assert result == {"message_id": "m1"}
    [request] = backend.requests
    assert request.path == "/_lunora/scheduler/dispatch"
    assert request.authorization == f"Bearer {TOKEN}"
    assert request.body == {
        "args": {"channel_id": "c1", "text": "hi"},
        "functionPath": "messages:send",
        "id": "welcome/i1#body.1",
        "shardKey": "c1",
    }


async def test_an_origin_with_a_trailing_slash_and_no_id_or_shard(backend: Backend) -> None:
    await call(backend, origin=backend.url + "/", dedup_id=None, shard_key=None)
    [request] = backend.requests
    assert request.path == "/_lunora/scheduler/dispatch"
    assert request.body == {
        "args": {"channel_id": "c1", "text": "hi"},
        "functionPath": "messages:send",
    }


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_deterministic_statuses_are_non_retryable(backend: Backend, status: int) -> None:
    backend.respond = lambda request: Reply(
        status=status, body=envelope("VALIDATION_ERROR", "bad args", {"field": "text"})
    )
    with pytest.raises(DeterministicDispatchError) as caught:
        await call(backend)
    error = caught.value
    assert str(error) == "bad args"
    assert (error.code, error.status, error.data) == ("VALIDATION_ERROR", status, {"field": "text"})
    assert error.function_path == "messages:send"
    assert is_non_retryable(error)


@pytest.mark.parametrize(
    ("status", "code", "headers"),
    [
        (500, "INTERNAL", {}),
        (429, "RATE_LIMITED", {}),
        (408, "TIMEOUT", {}),
        (503, "UNAVAILABLE", {}),
        (401, "UNAUTHENTICATED", {}),
        (403, "DISPATCH_UNAUTHENTICATED", {}),  # infrastructure, not the function's answer
        (409, "DISPATCH_IN_PROGRESS", {}),  # no decline header: an ordinary failure
    ],
)
async def test_other_error_envelopes_stay_retryable(
    backend: Backend, status: int, code: str, headers: dict[str, str]
) -> None:
    backend.respond = lambda request: Reply(
        status=status, body=envelope(code, "nope"), headers=headers
    )
    with pytest.raises(DispatchError) as caught:
        await call(backend)
    assert type(caught.value) is DispatchError
    assert (caught.value.code, caught.value.status) == (code, status)
    assert not is_non_retryable(caught.value)


async def test_a_decline_is_recognised_by_code_and_header(backend: Backend) -> None:
    backend.respond = lambda request: DECLINE
    with pytest.raises(DispatchDeclinedError) as caught:
        await call(backend)
    assert (caught.value.code, caught.value.status) == ("DISPATCH_IN_PROGRESS", 409)
    assert not is_non_retryable(caught.value)


async def test_an_unreadable_error_body_is_unbranded_and_retryable(backend: Backend) -> None:
    backend.respond = lambda request: Reply(status=400, text="<html>boom</html>")
    with pytest.raises(FunctionCallError) as caught:
        await call(backend)
    assert type(caught.value) is FunctionCallError
    assert str(caught.value) == (
        "lunora_workflow: function dispatch failed (400): <html>boom</html>"
    )
    assert caught.value.code == "INTERNAL"
    assert not is_non_retryable(caught.value)


async def test_a_success_without_the_result_envelope_is_an_error(backend: Backend) -> None:
    backend.respond = lambda request: Reply(body={"value": 1})
    with pytest.raises(FunctionCallError, match="without a result envelope"):
        await call(backend)


async def test_a_slow_backend_times_out_as_a_retryable_503(backend: Backend) -> None:
    # The backend holds its answer until the test ends: only the 200 ms timeout can end the
    # call (a client ignoring it would get the late result and fail the raises below).
    backend.respond = lambda request: Reply(body={"result": 1}, hold=True)
    with dispatch_overrides(timeout_ms=200), pytest.raises(DispatchTimeoutError) as caught:
        await call(backend)
    await backend.received(1)
    assert backend.answered == 0  # the client gave up before the backend answered
    assert caught.value.status == 503
    assert "timed out after 200ms" in str(caught.value)
    assert not is_non_retryable(caught.value)


async def test_a_worker_without_httpx_is_told_to_add_it(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Worker bundles only the packages its pyproject lists: importing httpx fails there.
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(DispatchConfigError) as caught:
        await call(backend)
    assert str(caught.value) == (
        "lunora_workflow: function dispatch of messages:send needs httpx, which this Worker "
        'does not have: add "httpx" to the dependencies in its pyproject.toml'
    )
    assert caught.value.function_path == "messages:send"
    assert isinstance(caught.value.__cause__, ImportError)
    assert backend.requests == []


async def test_a_refused_connection_is_retryable(backend: Backend) -> None:
    with pytest.raises(FunctionCallError) as caught:
        await call(backend, origin="http://127.0.0.1:9")  # discard port: nothing listens
    assert caught.value.code == "INTERNAL"
    assert not is_non_retryable(caught.value)


# -- waiting out declines (fake clock, real server) --------------------------------------------


def declines_then(backend: Backend, clock: FakeClock, declines: int | None) -> list[float]:
    """Decline the first ``declines`` requests (all when None), then serve; returns the
    clock offset of every request."""
    at: list[float] = []

    def respond(request: Request) -> Reply:
        at.append(clock.elapsed)
        if declines is None or len(at) <= declines:
            return DECLINE
        return Reply(body={"result": "charged"})

    backend.respond = respond
    return at


async def wait_out(backend: Backend, clock: FakeClock, deadline: float | None) -> Any:
    async def once(timeout_ms: float | None) -> Any:
        return await call(backend, timeout_ms=timeout_ms)

    with dispatch_overrides(clock=clock, sleep=clock.sleep):
        return await wait_out_declines(once, deadline=deadline)


async def test_three_declines_then_served(backend: Backend) -> None:
    clock = FakeClock()
    at = declines_then(backend, clock, 3)

    assert await wait_out(backend, clock, None) == "charged"

    assert at == [0, 1_000, 3_000, 7_000]
    assert clock.pauses == [1_000, 2_000, 4_000]
    assert set(backend.ids) == {"welcome/i1#body.1"}


@pytest.mark.parametrize(
    ("step_timeout", "dispatches"), [("6 seconds", 3), (6_000, 3), (None, 25), ("1 hour", 34)]
)
async def test_a_step_deadline_bounds_the_wait(
    backend: Backend, step_timeout: object, dispatches: int
) -> None:
    clock = FakeClock()
    at = declines_then(backend, clock, None)
    config = {} if step_timeout is None else {"timeout": step_timeout}

    with pytest.raises(DispatchDeclinedError):
        await wait_out(backend, clock, step_deadline(config, clock()))

    assert len(at) == dispatches
    if dispatches == 3:
        assert at == [0, 1_000, 3_000]
    # the wait never runs into the last 2 s of the step (nor past the 15-minute ceiling)
    limit = {3: 6_000, 25: 600_000, 34: 900_000}[dispatches]
    assert at[-1] < limit - 1_000
    assert clock.elapsed <= limit


async def test_without_a_deadline_the_claim_ceiling_ends_the_wait(backend: Backend) -> None:
    clock = FakeClock()
    at = declines_then(backend, clock, None)
    with pytest.raises(DispatchDeclinedError) as caught:
        await wait_out(backend, clock, None)
    assert (caught.value.code, caught.value.status) == ("DISPATCH_IN_PROGRESS", 409)
    assert len(at) == 34
    assert at[-1] < 15 * 60_000 <= clock.elapsed
    assert max(clock.pauses) == 30_000


async def test_a_late_timer_past_the_ceiling_rethrows_after_one_dispatch(
    backend: Backend,
) -> None:
    clock = FakeClock(late_by=20 * 60_000)
    at = declines_then(backend, clock, None)
    with pytest.raises(DispatchDeclinedError):
        await wait_out(backend, clock, None)
    assert len(at) == 1


async def test_any_other_failure_is_rethrown_at_once(backend: Backend) -> None:
    clock = FakeClock()
    backend.respond = lambda request: Reply(status=500, body=envelope("INTERNAL", "boom"))
    with pytest.raises(DispatchError, match="boom"):
        await wait_out(backend, clock, None)
    assert len(backend.requests) == 1
    assert clock.pauses == []


async def test_a_recheck_gets_no_more_time_than_the_deadline_leaves(backend: Backend) -> None:
    clock = FakeClock()
    seen = 0

    def respond(request: Request) -> Reply:
        nonlocal seen
        seen += 1
        return DECLINE if seen == 1 else Reply(body={"result": "late"}, hold=True)

    backend.respond = respond
    with pytest.raises(DispatchTimeoutError) as caught:
        # 2 s before the deadline: pause 1 s, then re-dispatch with the 1 s left (not the
        # default 30 s); the held answer means only that bound can end the re-dispatch
        await wait_out(backend, clock, clock() + 2_000)
    assert clock.pauses == [1_000]
    await backend.received(2)
    assert backend.answered == 1  # the decline; not the late answer
    assert caught.value.status == 503
    assert "timed out after 1000ms" in str(caught.value)


# -- through ctx.run on the test engine --------------------------------------------------------


def remote_env(backend: Backend) -> WorkflowTestEnv:
    return WorkflowTestEnv(vars={"LUNORA_ORIGIN_URL": backend.url, "LUNORA_ADMIN_TOKEN": TOKEN})


@define_step
async def relay_twice(ctx: StepContext, args: dict[str, int]) -> int:
    first = await ctx.run(ECHO, {"n": args["n"]})
    second = await ctx.run(ECHO, {"n": args["n"] + 1}, dedup_id="caller-chosen")
    third = await ctx.run(ECHO, {"n": args["n"] + 2})
    return int(first["echo"]["n"] + second["echo"]["n"] + third["echo"]["n"])


@define_workflow
async def relay(ctx: WorkflowContext[Any]) -> dict[str, Any]:
    body = await ctx.run(ECHO, {"n": 1}, shard_key="s1")
    first = await ctx.step.do("first", lambda: ctx.run(ECHO, {"n": 2}))
    await ctx.step.sleep("nap", "1 minute")
    flaky = await ctx.step.do(
        "flaky", lambda: ctx.run(ECHO, {"n": 3}), retries={"limit": 2, "delay": 1_000}
    )
    total = await ctx.run_step(relay_twice, {"n": 10})
    return {"body": body, "first": first, "flaky": flaky, "total": total}


async def test_dedup_ids_are_stable_across_replays_and_retries(backend: Backend) -> None:
    failed_once: set[int] = set()

    def respond(request: Request) -> Reply:
        n = request.body["args"]["n"]
        if n == 3 and n not in failed_once:
            failed_once.add(n)
            return Reply(status=503, body=envelope("UNAVAILABLE", "try again"))
        return Reply(body={"result": {"echo": request.body["args"]}})

    backend.respond = respond
    env = remote_env(backend)
    env.register_definition(relay, export="relay")

    instance = await env.create("relay", {}, id="r-1")
    await instance.wait_for_status("complete")

    assert instance.output == {
        "body": {"echo": {"n": 1}},
        "first": {"echo": {"n": 2}},
        "flaky": {"echo": {"n": 3}},
        "total": 33,
    }
    assert [(r.body["args"]["n"], r.body.get("id")) for r in backend.requests] == [
        (1, "relay/r-1#body.1"),  # first run of the body
        (2, "relay/r-1#do0.1"),
        (1, "relay/r-1#body.1"),  # replay after the sleep: the same id again
        (3, "relay/r-1#do1.1"),  # attempt 1 fails (503) ...
        (1, "relay/r-1#body.1"),  # ... the retry delay replays the body ...
        (3, "relay/r-1#do1.1"),  # ... and attempt 2 re-issues the same id
        (10, "relay/r-1#step0.1"),
        (11, "caller-chosen"),  # a caller's dedup_id wins ...
        (12, "relay/r-1#step0.3"),  # ... without shifting the others' positions
    ]
    assert backend.requests[0].body["shardKey"] == "s1"
    assert "shardKey" not in backend.requests[1].body


@define_workflow
async def rejected(ctx: WorkflowContext[Any]) -> Any:
    return await ctx.step.do(
        "send", lambda: ctx.run(ECHO, {"n": 1}), retries={"limit": 5, "delay": 1_000}
    )


async def test_a_deterministic_failure_inside_a_step_is_not_retried(backend: Backend) -> None:
    backend.respond = lambda request: Reply(status=422, body=envelope("VALIDATION", "bad n"))
    env = remote_env(backend)
    env.register_definition(rejected, export="rejected")

    instance = await env.create("rejected", {}, id="x-1")
    await instance.wait_for_status("errored")

    assert len(backend.requests) == 1  # five retries were allowed; none was used
    assert instance.error is not None
    assert instance.error.name == "NonRetryableError"
    assert "bad n" in instance.error.message


@define_workflow
async def busy(ctx: WorkflowContext[Any]) -> Any:
    return await ctx.step.do(
        "send", lambda: ctx.run(ECHO, {"n": 1}), timeout="6 seconds", retries={"limit": 0}
    )


async def test_a_decline_inside_a_step_is_waited_out_until_its_deadline(
    backend: Backend,
) -> None:
    clock = FakeClock()
    at = declines_then(backend, clock, None)
    env = remote_env(backend)
    env.register_definition(busy, export="busy")

    with dispatch_overrides(clock=clock, sleep=clock.sleep):
        instance = await env.create("busy", {}, id="b-1")
        await instance.wait_for_status("errored")

    assert at == [0, 1_000, 3_000]
    assert set(backend.ids) == {"busy/b-1#do0.1"}
    assert instance.error is not None
    assert "still running" in instance.error.message


@define_workflow
async def nowhere(ctx: WorkflowContext[Any]) -> Any:
    return await ctx.run(ECHO, {"n": 1})


async def test_a_remote_function_without_origin_and_token_fails_clearly() -> None:
    env = WorkflowTestEnv()
    env.register_definition(nowhere, export="nowhere")
    instance = await env.create("nowhere", {}, id="n-1")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert instance.error.name == FunctionNotFoundError.__name__
    assert instance.error.message == (
        "function remote:echo is not defined in this Worker, and it cannot be dispatched to a "
        "Lunora backend: set LUNORA_ORIGIN_URL and LUNORA_ADMIN_TOKEN in the Worker's env"
    )


class Due(TypedDict):
    due: datetime.datetime
    amount: int


DUE = FunctionReference[Due, Due]("billing:due", kind="action")


@define_workflow
async def wire_flow(ctx: WorkflowContext[Any]) -> Any:
    due = await ctx.run(
        DUE, Due(due=datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC), amount=2**60)
    )
    assert due["due"] == datetime.datetime(2026, 6, 2, tzinfo=datetime.UTC)
    return {"amount": str(due["amount"])}


async def test_args_and_results_use_the_wire_codec(backend: Backend) -> None:
    backend.respond = lambda request: Reply(
        body={
            "result": {
                "due": ["$lunora.wire$", "date", 1780358400000],
                "amount": ["$lunora.wire$", "bigint", "1152921504606846977"],
            }
        }
    )
    env = remote_env(backend)
    env.register_definition(wire_flow, export="wire_flow")
    instance = await env.create("wire_flow", {}, id="w-1")
    await instance.wait_for_status("complete")

    assert backend.requests[0].body["args"] == {
        "due": ["$lunora.wire$", "date", 1780315200000],
        "amount": ["$lunora.wire$", "bigint", "1152921504606846976"],
    }
    assert instance.output == {"amount": "1152921504606846977"}


async def test_error_data_is_wire_decoded(backend: Backend) -> None:
    backend.respond = lambda request: Reply(
        status=422,
        body=envelope("VALIDATION", "too big", {"max": ["$lunora.wire$", "bigint", "99"]}),
    )
    with pytest.raises(DeterministicDispatchError) as caught:
        await call(backend)
    assert caught.value.data == {"max": 99}
