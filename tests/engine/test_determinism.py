"""The non-determinism check: replays must call the same steps in the same order."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from lunora_workflow.testing import (
    InstanceStatusError,
    NonDeterminismError,
    WorkflowStep,
    WorkflowTestEnv,
)


class Entry:
    def __init__(self, ctx: Any, env: Any) -> None:
        self.env = env


async def replay_error(
    env: WorkflowTestEnv, workflow: type[Entry], name: str, within: str | None = None
) -> NonDeterminismError:
    """Run ``workflow`` until it errors; the non-determinism error that ended it."""
    env.register(workflow, name=name)
    instance = await env.create(name)
    await instance.wait_for_status("errored", within=within)
    error = instance.exception
    assert isinstance(error, NonDeterminismError)
    return error


async def test_a_step_name_that_changes_between_replays_fails_with_a_diff(
    workflow_env: WorkflowTestEnv,
) -> None:
    ticket = itertools.count(1)

    class Random(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("load")
            async def load() -> int:
                return 1

            number = next(ticket)  # state outside the workflow: differs on every replay
            await load()
            await step.sleep("wait", "1 minute")

            @step.do(f"send-{number}")
            async def send() -> None:
                return None

            await send()
            await step.sleep("after", "1 minute")
            return "ok"

    workflow_env.register(Random, name="random")
    instance = await workflow_env.create("random")
    with pytest.raises(InstanceStatusError) as raised:
        await instance.wait_for_status("complete")
    error = instance.exception
    assert isinstance(error, NonDeterminismError)
    assert error.position == 2
    assert error.expected == ("do", "send-2")
    assert error.got == ("do", "send-3")
    text = str(error)
    assert "non-deterministic replay at step call #3" in text
    assert "expected do('send-2'), got do('send-3')" in text
    lines = text.splitlines()
    assert any(
        line.startswith("  >    3  do('send-2')") and "do('send-3')" in line for line in lines
    )
    assert any("1  do('load')" in line for line in lines)
    assert "NonDeterminismError" in str(raised.value)


async def test_a_reordered_branch_is_detected(workflow_env: WorkflowTestEnv) -> None:
    flips = iter([True, False])

    class Branchy(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            order = ["a", "b"] if next(flips, False) else ["b", "a"]
            for name in order:

                @step.do(name)
                async def work() -> str:
                    return name  # noqa: B023 - awaited in the same iteration

                await work()
            await step.sleep("wait", "1 second")
            return None

    error = await replay_error(workflow_env, Branchy, "branchy")
    assert (error.position, error.expected, error.got) == (0, ("do", "a"), ("do", "b"))


async def test_a_replay_that_skips_recorded_steps_is_detected(
    workflow_env: WorkflowTestEnv,
) -> None:
    first = iter([True])

    class Shrinks(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep("wait", "1 second")
            if next(first, False):
                await step.sleep("only-the-first-time", "1 second")
            return None

    error = await replay_error(workflow_env, Shrinks, "shrinks")
    assert error.got is None
    assert error.expected == ("sleep", "only-the-first-time")


async def test_deterministic_concurrent_steps_pass(workflow_env: WorkflowTestEnv) -> None:
    class Fan(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            async def branch(tag: str) -> str:
                @step.do(f"{tag}-1")
                async def one() -> str:
                    return tag

                await one()
                await step.sleep(f"{tag}-nap", "1 minute" if tag == "a" else "2 minutes")

                @step.do(f"{tag}-2")
                async def two() -> str:
                    return tag * 2

                return str(await two())

            return list(await asyncio.gather(branch("a"), branch("b")))

    workflow_env.register(Fan, name="fan")
    instance = await workflow_env.create("fan")
    await instance.wait_for_status("complete")
    assert instance.output == ["aa", "bb"]


async def test_the_engine_failure_cannot_be_swallowed(workflow_env: WorkflowTestEnv) -> None:
    names = iter(["first", "second"])

    class Swallow(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep("wait", "1 second")
            try:
                await step.sleep(next(names), "1 second")
            except Exception:
                return "swallowed"
            return "done"

    await replay_error(workflow_env, Swallow, "swallow")


async def test_catching_the_hibernation_is_reported(workflow_env: WorkflowTestEnv) -> None:
    class Greedy(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            try:
                await step.sleep("wait", "1 hour")
            except BaseException:
                return "caught the cancellation"
            return "done"

    workflow_env.register(Greedy, name="greedy")
    instance = await workflow_env.create("greedy")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert "must not catch asyncio.CancelledError" in instance.error.message


async def test_a_random_name_in_a_concurrent_branch_is_detected(
    workflow_env: WorkflowTestEnv,
) -> None:
    ticket = itertools.count(1)

    class Fan(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            async def branch(tag: str) -> None:
                @step.do(f"{tag}-1")
                async def one() -> str:
                    return tag

                await one()
                await step.sleep(f"{tag}-nap", "1 minute")

            await asyncio.gather(branch("a"), branch(f"b{next(ticket)}"))

    error = await replay_error(workflow_env, Fan, "fan", within="1 day")
    assert error.expected == ("do", "b1-1")


async def test_a_branch_replaying_many_stored_steps_is_not_evicted_early(
    workflow_env: WorkflowTestEnv,
) -> None:
    class Uneven(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            async def short() -> None:
                await step.sleep("short-nap", "1 minute")
                await step.sleep("short-nap-2", "1 minute")

            async def long() -> int:
                total = 0
                for index in range(20):

                    @step.do(f"long-{index}")
                    async def one() -> int:
                        return index  # noqa: B023 - awaited in the same iteration

                    total += await one()
                await step.sleep("long-nap", "10 minutes")
                return total

            _, total = await asyncio.gather(short(), long())
            return total

    workflow_env.register(Uneven, name="uneven")
    instance = await workflow_env.create("uneven")
    await instance.wait_for_status("complete")
    assert instance.output == sum(range(20))
    assert instance.replays == 3
