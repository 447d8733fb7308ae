"""ctx.step: do / sleep / sleep_until / wait_for_event against the SDK double, both modes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from lunora_workflow import (
    NonRetryableError,
    Retries,
    StepContext,
    WorkflowContext,
    define_workflow,
)
from lunora_workflow.errors import (
    InvalidConfigError,
    InvalidEventTypeError,
    InvalidStepNameError,
    ReservedStepNameError,
    StepOutputError,
)
from lunora_workflow.events import ReceivedEvent

from .conftest import Runner
from .sdk_step import FakeStep, Memo, StepFailed
from .sdk_step import NonRetryableError as SdkNonRetryableError


@dataclass
class Point:
    x: int
    y: int


async def test_do_sync_async_and_context_forms(run: Runner) -> None:
    seen: list[Any] = []

    async def async_fn() -> int:
        return 2

    def with_ctx(step: StepContext) -> dict[str, Any]:
        seen.append((step.name, step.count, step.attempt))
        return {"attempt": step.attempt}

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> list[Any]:
        a = await ctx.step.do("sync", lambda: 1)
        b = await ctx.step.do("async", async_fn)
        c = await ctx.step.do("with-ctx", with_ctx)
        d = await ctx.step.do("with-ctx", with_ctx)
        return [a, b, c, d]

    assert await run(flow) == [1, 2, {"attempt": 1}, {"attempt": 1}]
    assert seen == [("with-ctx", 1, 1), ("with-ctx", 2, 1)]


async def test_step_named_ctx_is_refused(run: Runner) -> None:
    # In the SDK's implicit mode it would become a dependency of every step's ctx parameter.
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("ctx", lambda: 1)

    with pytest.raises(ReservedStepNameError, match='step name "ctx" cannot be used'):
        await run(flow)


async def test_default_parameter_closure_is_called_without_context(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        value = 41
        return await ctx.step.do("closure", lambda v=value: v + 1)

    assert await run(flow) == 42


async def test_results_are_stored_as_json_and_replayed(run: Runner) -> None:
    calls: list[str] = []

    def load() -> Point:
        calls.append("load")
        return Point(1, 2)

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        first = await ctx.step.do("load", load)
        await ctx.step.do("pair", lambda: (1, 2))
        return first

    memo = Memo()
    assert await run(flow, memo=memo) == {"x": 1, "y": 2}
    assert await run(flow, memo=memo) == {"x": 1, "y": 2}
    assert calls == ["load"]
    assert memo.results[("pair", 1)] == ("ok", [1, 2])


async def test_not_json_serialisable_names_step_and_path(
    run: Runner, sdk_module: type[Exception]
) -> None:
    when = datetime.datetime(2026, 1, 1)

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("load", lambda: {"items": [1, 2, {"when": when}]})

    memo = Memo()
    with pytest.raises(sdk_module) as caught:
        await run(flow, memo=memo)
    assert str(caught.value) == (
        'step "load" returned a value that is not JSON-serialisable at $.items[2].when: datetime'
    )
    # Non-retryable: one attempt only, even with retries configured.
    assert memo.ran("load") == 1


async def test_step_output_error_is_not_retried(run: Runner, sdk_module: type[Exception]) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("bad", lambda: {1: "x"}, retries={"limit": 3, "delay": 0})

    memo = Memo()
    # Inside a Worker the subclass crosses the step boundary as the SDK's own class, which is
    # what the engine recognises (by name) as non-retryable.
    with pytest.raises(sdk_module, match=r"at \$: dict key 1 \(int\) is not a str$"):
        await run(flow, memo=memo)
    assert memo.ran("bad") == 1


async def test_step_output_error_is_raised_in_the_step(implicit: bool) -> None:
    from lunora_workflow.durable import stored_result

    with pytest.raises(StepOutputError):
        stored_result("s", {"a": {1, 2}})


async def test_output_over_one_mebibyte_fails_clearly(
    run: Runner, sdk_module: type[Exception]
) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("big", lambda: "x" * (1024 * 1024))

    with pytest.raises(sdk_module) as caught:
        await run(flow)
    assert str(caught.value).startswith(
        'step "big" returned 1048578 bytes of JSON, over Cloudflare\'s 1048576-byte (1 MiB)'
    )


async def test_exactly_one_mebibyte_is_accepted(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return len(await ctx.step.do("edge", lambda: "x" * (1024 * 1024 - 2)))

    assert await run(flow) == 1024 * 1024 - 2


async def test_retries_config_is_sent_and_honoured(run: Runner) -> None:
    attempts: list[int] = []

    def flaky(step: StepContext) -> str:
        attempts.append(step.attempt)
        if step.attempt < 3:
            raise RuntimeError("boom")
        return "ok"

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do(
            "flaky",
            flaky,
            retries=Retries(limit=2, delay="1 second", backoff="linear"),
            timeout=datetime.timedelta(seconds=30),
        )

    assert await run(flow) == "ok"
    assert attempts == [1, 2, 3]


def _context(step: FakeStep) -> WorkflowContext[Any]:
    """A context built directly on the double (no run_workflow), to inspect SDK calls."""
    from lunora_workflow.events import WorkflowEvent
    from lunora_workflow.handles import Workflows
    from lunora_workflow.log import Logger

    return WorkflowContext(
        export="x",
        params=None,
        event=WorkflowEvent("i", None, None, "x"),
        env={},
        sdk_step=step,
        log=Logger.for_workflow("x", sink=lambda *_: None),
        workflows=Workflows({}, {}),
    )


async def test_config_reaches_the_sdk_in_its_dict_form(implicit: bool) -> None:
    step = FakeStep(implicit=implicit)
    ctx = _context(step)
    await ctx.step.do(
        "a",
        lambda: 1,
        retries={"limit": 3, "delay": "10 seconds", "backoff": "exponential"},
        timeout=30_000,
    )
    await ctx.step.do("b", lambda: 1)
    assert step.configs == [
        (
            "a",
            {
                "retries": {"limit": 3, "delay": "10 seconds", "backoff": "exponential"},
                "timeout": 30_000,
            },
        ),
        ("b", None),
    ]


async def test_non_retryable_inside_step_stops_retries_and_is_converted(
    run: Runner, sdk_module: type[Exception]
) -> None:
    def refuse() -> None:
        raise NonRetryableError("card declined")

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("charge", refuse, retries={"limit": 5})

    memo = Memo()
    with pytest.raises(SdkNonRetryableError, match="card declined"):
        await run(flow, memo=memo)
    assert memo.ran("charge") == 1


async def test_plain_errors_are_retried_then_fail(run: Runner) -> None:
    def fail() -> None:
        raise ValueError("nope")

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("f", fail, retries={"limit": 2, "delay": 0})

    memo = Memo()
    with pytest.raises(StepFailed, match="nope"):
        await run(flow, memo=memo)
    assert memo.ran("f") == 3


@pytest.mark.parametrize("name", ["lunora:rollback:x", "lunora:"])
async def test_reserved_names_are_refused(run: Runner, name: str) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do(name, lambda: 1)

    with pytest.raises(ReservedStepNameError) as caught:
        await run(flow)
    assert str(caught.value) == (
        f'ctx.step.do: step name "{name}" is reserved — the "lunora:" prefix is used by the '
        "framework's own steps"
    )


async def test_a_step_function_needing_two_arguments_is_refused_before_the_step(
    run: Runner,
) -> None:
    def two(ctx: Any, other: Any) -> int:
        return 1

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("two", two)

    memo = Memo()
    with pytest.raises(TypeError) as caught:
        await run(flow, memo=memo)
    assert str(caught.value) == (
        'ctx.step.do("two"): \'test_a_step_function_needing_two_arguments_is_refused_before_the_'
        "step.<locals>.two' takes 2 required positional parameters; a step function takes none "
        "or one (the StepContext)"
    )
    assert memo.issued == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 256, None),
        (
            "x" * 257,
            "ctx.step.do: step name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... is 257 "
            "characters long; Cloudflare allows at most 256",
        ),
        (
            "a\nb",
            "ctx.step.do: step name 'a\\nb' contains the control character '\\n' at index 1; "
            "Cloudflare refuses control characters in step names",
        ),
    ],
)
async def test_step_names_follow_cloudflare_rules(
    run: Runner, name: str, message: str | None
) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do(name, lambda: 1)

    memo = Memo()
    if message is None:
        assert await run(flow, memo=memo) == 1
        return
    with pytest.raises(InvalidStepNameError) as caught:
        await run(flow, memo=memo)
    assert str(caught.value) == message
    assert memo.issued == []  # refused before the platform saw it


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": "2 secs"}, "step \"s\": timeout '2 secs' is not a duration — use"),
        ({"timeout": -1}, 'step "s": timeout -1 is not a non-negative number of milliseconds'),
        ({"retries": {"limit": -1}}, 'step "s": retries limit must be a non-negative int, got -1'),
        ({"retries": {"delay": "1 second"}}, "step \"s\": retries needs a 'limit'"),
        ({"retries": {"limit": 1, "backof": "x"}}, 'step "s": retries has unknown key(s) backof'),
        (
            {"retries": {"limit": 1, "backoff": "fast"}},
            "step \"s\": retries backoff must be one of constant, linear, exponential, got 'fast'",
        ),
        ({"retries": {"limit": 1, "delay": "soon"}}, "step \"s\": retries delay 'soon' is not"),
        ({"retries": 3}, 'step "s": retries must be Retries(limit, delay, backoff) or a dict'),
        ({"timeout": 0}, 'step "s": timeout 0 must be longer than zero'),
        ({"timeout": "0 seconds"}, "step \"s\": timeout '0 seconds' must be longer than zero"),
        (
            {"retries": {"limit": 10_001, "delay": 0}},
            'step "s": retries limit 10001 is over Cloudflare\'s maximum of 10000',
        ),
    ],
)
async def test_bad_config_is_reported_with_step_and_value(
    run: Runner, kwargs: dict[str, Any], message: str
) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.step.do("s", lambda: 1, **kwargs)

    with pytest.raises(InvalidConfigError) as caught:
        await run(flow)
    assert str(caught.value).startswith(message)


async def test_sleep_and_sleep_until(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        await ctx.step.sleep("nap", "1 minute")
        await ctx.step.sleep("td", datetime.timedelta(minutes=2))
        await ctx.step.sleep_until("naive", datetime.datetime(2026, 7, 1))
        await ctx.step.sleep_until(
            "aware",
            datetime.datetime(2026, 7, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        )
        await ctx.step.sleep_until("ms", 1_782_864_000_000)
        return None

    memo = Memo()
    await run(flow, memo=memo)
    assert memo.sleeps == [
        ("nap", "1 minute"),
        ("td", 120_000),
        ("naive", 1_782_864_000_000),
        ("aware", 1_782_864_000_000),
        ("ms", 1_782_864_000_000),
    ]


async def test_sleep_rejects_bad_durations(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        await ctx.step.sleep("nap", "1 fortnight")

    with pytest.raises(
        InvalidConfigError, match=r'^sleep "nap": duration \'1 fortnight\' is not a duration'
    ):
        await run(flow)

    @define_workflow
    async def flow2(ctx: WorkflowContext[Any]) -> Any:
        await ctx.step.sleep_until("at", "tomorrow")  # type: ignore[arg-type]

    with pytest.raises(InvalidConfigError, match="expected a datetime or epoch milliseconds"):
        await run(flow2)


async def test_wait_for_event_returns_typed_event(run: Runner) -> None:
    got: list[ReceivedEvent] = []

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        event = await ctx.step.wait_for_event("await-approval", type="approval", timeout="7 days")
        got.append(event)
        plain = await ctx.step.wait_for_event("again", type="approval")
        return [event.payload, plain.payload]

    memo = Memo(events={"approval": [{"approved": True}, {"approved": False}]})
    assert await run(flow, memo=memo) == [{"approved": True}, {"approved": False}]
    assert got[0].type == "approval"
    assert got[0].timestamp == datetime.datetime(2023, 11, 14, 22, 13, 20)
    assert memo.waits == [
        ("await-approval", "approval", "7 days"),
        ("again", "approval", "24 hours"),
    ]


async def test_wait_for_event_validates_type_and_timeout(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        await ctx.step.wait_for_event("w", type="lunora:x")

    with pytest.raises(
        InvalidEventTypeError, match=r"^wait_for_event \"w\": event type 'lunora:x' must match"
    ):
        await run(flow)

    @define_workflow
    async def flow2(ctx: WorkflowContext[Any]) -> Any:
        await ctx.step.wait_for_event("w", type="ok", timeout="forever")

    with pytest.raises(InvalidConfigError, match=r"^wait_for_event \"w\": timeout 'forever'"):
        await run(flow2)

    @define_workflow
    async def flow3(ctx: WorkflowContext[Any]) -> Any:
        await ctx.step.wait_for_event("w", type="ok", timeout=0)

    with pytest.raises(InvalidConfigError) as caught:
        await run(flow3)
    assert str(caught.value) == (
        'wait_for_event "w": timeout 0 must be longer than zero (the platform would read it as '
        "its 24-hour default)"
    )


async def test_step_fn_must_be_callable(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        await ctx.step.do("s", 5)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match=r'ctx.step.do\("s"\): fn must be callable, got 5'):
        await run(flow)


def test_received_event_reads_js_like_objects() -> None:
    class JsLike:
        def to_py(self) -> dict[str, Any]:
            return {"payload": {"a": 1}, "timestamp": "2026-01-01T00:00:00Z", "type": "t"}

    event = ReceivedEvent.from_sdk(JsLike(), "t")
    assert event == ReceivedEvent("t", {"a": 1}, datetime.datetime(2026, 1, 1))
