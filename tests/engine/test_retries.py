"""Retries (limit, delay, backoff) in virtual time, timeouts and NonRetryableError."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from lunora_workflow.errors import NonRetryableError
from lunora_workflow.testing import StepError, WorkflowStep, WorkflowTestEnv, WorkflowTimeoutError


class Entry:
    def __init__(self, ctx: Any, env: Any) -> None:
        self.env = env


def flaky(failures: int, config: dict[str, Any] | None, log: list[int]) -> type:
    class Flaky(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("flaky", config=config)
            async def attempt(ctx: Any) -> int:
                log.append(ctx["attempt"])
                if ctx["attempt"] <= failures:
                    raise RuntimeError(f"boom {ctx['attempt']}")
                number: int = ctx["attempt"]  # the step context is an untyped dict
                return number

            return await attempt()

    return Flaky


@pytest.mark.parametrize(
    ("backoff", "gaps"),
    [
        ("constant", [2000, 2000, 2000]),
        ("linear", [2000, 4000, 6000]),
        ("exponential", [2000, 4000, 8000]),
    ],
)
async def test_retry_delays_follow_the_backoff_in_virtual_time(
    workflow_env: WorkflowTestEnv, backoff: str, gaps: list[int]
) -> None:
    log: list[int] = []
    config = {"retries": {"limit": 5, "delay": "2 seconds", "backoff": backoff}}
    workflow_env.register(flaky(3, config, log), name="flaky")
    instance = await workflow_env.create("flaky")
    await instance.wait_for_status("complete")
    assert instance.output == 4
    assert log == [1, 2, 3, 4]
    attempts = instance.step("flaky").attempts
    starts = [a.start_ms for a in attempts]
    assert [b - a for a, b in itertools.pairwise(starts)] == gaps
    assert [a.success for a in attempts] == [False, False, False, True]
    assert attempts[0].error is not None
    assert attempts[0].error.message == "boom 1"
    # Every retry delay hibernates the instance: one replay per failed attempt.
    assert instance.replays == 3


async def test_defaults_are_five_retries_ten_seconds_exponential(
    workflow_env: WorkflowTestEnv,
) -> None:
    log: list[int] = []
    workflow_env.register(flaky(99, None, log), name="flaky")
    instance = await workflow_env.create("flaky")
    start = workflow_env.clock.now_ms
    await instance.wait_for_status("errored")
    assert log == [1, 2, 3, 4, 5, 6]  # limit counts retries: 1 + 5 attempts
    waited = workflow_env.clock.now_ms - start
    assert waited == 10_000 * (1 + 2 + 4 + 8 + 16)
    assert instance.error is not None
    assert (instance.error.name, instance.error.message) == ("RuntimeError", "boom 6")
    assert instance.step("flaky").config == {
        "retries": {"limit": 5, "delay": 10_000, "backoff": "exponential"},
        "timeout": "10 minutes",
    }


async def test_an_exhausted_step_is_remembered_on_replay(workflow_env: WorkflowTestEnv) -> None:
    attempts: list[int] = []
    caught: list[str] = []

    class Catches(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("fails", config={"retries": {"limit": 1, "delay": 1000}})
            async def fails(ctx: Any) -> None:
                attempts.append(ctx["attempt"])
                raise KeyError("nope")

            try:
                await fails()
            except Exception as error:
                caught.append(f"{type(error).__name__}:{getattr(error, 'name', '')}")
            await step.sleep("after", "1 hour")
            return "survived"

    workflow_env.register(Catches, name="catches")
    instance = await workflow_env.create("catches")
    await instance.wait_for_status("complete")
    assert attempts == [1, 2]  # not re-run on the replay after the sleep
    # A user-defined exception type comes back as the platform's generic error.
    assert caught == ["StepError:KeyError", "StepError:KeyError"]
    assert instance.step("fails").status == "errored"


async def test_type_and_value_errors_keep_their_type(workflow_env: WorkflowTestEnv) -> None:
    seen: list[type] = []

    class Typed(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            for kind in (TypeError, ValueError, LookupError):

                @step.do(kind.__name__, config={"retries": {"limit": 0, "delay": 0}})
                async def raise_it() -> None:
                    raise kind("x")  # noqa: B023 - awaited now

                try:
                    await raise_it()
                except Exception as error:
                    seen.append(type(error))
            return None

    workflow_env.register(Typed, name="typed")
    instance = await workflow_env.create("typed")
    await instance.wait_for_status("complete")
    assert seen == [TypeError, ValueError, StepError]


@pytest.mark.parametrize("where", ["step", "body"])
async def test_non_retryable_error_ends_the_instance_at_once(
    workflow_env: WorkflowTestEnv, where: str
) -> None:
    attempts: list[int] = []

    class Fatal(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("charge")
            async def charge(ctx: Any) -> None:
                attempts.append(ctx["attempt"])
                if where == "step":
                    raise NonRetryableError("card declined")

            await charge()
            raise NonRetryableError("card declined")

    workflow_env.register(Fatal, name="fatal")
    instance = await workflow_env.create("fatal")
    await instance.wait_for_status("errored")
    assert attempts == [1]
    assert instance.replays == 0
    assert instance.error is not None
    assert (instance.error.name, instance.error.message) == ("NonRetryableError", "card declined")


async def test_any_class_named_non_retryable_error_counts(workflow_env: WorkflowTestEnv) -> None:
    class NonRetryableError(Exception):  # e.g. workers.workflows.NonRetryableError
        pass

    attempts: list[int] = []

    class Fatal(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("x")
            async def x(ctx: Any) -> None:
                attempts.append(ctx["attempt"])
                raise NonRetryableError("stop")

            return await x()

    workflow_env.register(Fatal, name="fatal")
    instance = await workflow_env.create("fatal")
    await instance.wait_for_status("errored")
    assert attempts == [1]


async def test_a_slow_attempt_times_out_and_is_retried(workflow_env: WorkflowTestEnv) -> None:
    attempts: list[int] = []

    class Slow(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            config = {"timeout": 30, "retries": {"limit": 1, "delay": "1 minute"}}

            @step.do("slow", config=config)
            async def slow(ctx: Any) -> str:
                attempts.append(ctx["attempt"])
                if ctx["attempt"] == 1:
                    await asyncio.Event().wait()  # hangs: only the timeout ends it
                return "fast enough"

            return await slow()

    workflow_env.register(Slow, name="slow")
    instance = await workflow_env.create("slow")
    await instance.wait_for_status("complete")
    assert instance.output == "fast enough"
    first, second = instance.step("slow").attempts
    assert first.error is not None
    assert first.error.name == "WorkflowTimeoutError"
    assert first.error.message == "Execution timed out after 30ms"
    assert first.end_ms is not None
    assert first.end_ms - first.start_ms == 30
    assert second.start_ms - first.end_ms == 60_000


async def test_a_timeout_error_reaches_the_body(workflow_env: WorkflowTestEnv) -> None:
    caught: list[BaseException] = []

    class Forced(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("x", config={"retries": {"limit": 0, "delay": 0}, "timeout": "5 seconds"})
            async def x() -> int:
                return 1

            try:
                await x()
            except WorkflowTimeoutError as error:
                caught.append(error)
            return None

    workflow_env.register(Forced, name="forced")
    workflow_env.modify().force_step_timeout("x")
    instance = await workflow_env.create("forced")
    await instance.wait_for_status("complete")
    assert [str(e) for e in caught] == ["Execution timed out after 5000ms"]


@pytest.mark.parametrize(
    "config",
    [
        {"retries": {"limit": 1}},
        {"retries": {"limit": -1, "delay": 0}},
        {"retries": {"limit": 1, "delay": 0, "backoff": "random"}},
        {"timeout": 0},
        {"timeout": "soon"},
        {"retry": {}},
    ],
)
async def test_invalid_step_config_is_fatal(
    workflow_env: WorkflowTestEnv, config: dict[str, Any]
) -> None:
    class Bad(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("bad", config=config)
            async def bad() -> int:
                return 1

            return await bad()

    workflow_env.register(Bad, name="bad")
    instance = await workflow_env.create("bad")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert instance.error.name == "WorkflowFatalError"
    assert 'Step config for "bad" is in a invalid format' in instance.error.message


async def test_a_final_timeout_takes_its_virtual_time(workflow_env: WorkflowTestEnv) -> None:
    class TimesOut(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            config = {"retries": {"limit": 1, "delay": "1 minute"}, "timeout": "5 minutes"}

            @step.do("slow", config=config)
            async def slow() -> int:
                return 1

            return await slow()

    workflow_env.register(TimesOut, name="times-out")
    workflow_env.modify().force_step_timeout("slow")
    instance = await workflow_env.create("times-out")
    start = workflow_env.clock.now_ms
    await instance.wait_for_status("errored")
    # 5 min (attempt 1) + 1 min delay + 5 min (attempt 2), then the error.
    assert workflow_env.clock.now_ms - start == 11 * 60_000
    record = instance.step("slow")
    assert record.end_ms == start + 11 * 60_000
    assert instance.error is not None
    assert instance.error.name == "WorkflowTimeoutError"
