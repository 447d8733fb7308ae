"""Test modifiers (mock results/errors, forced timeouts) and the ctx.run stub hook."""

from __future__ import annotations

from typing import Any

from lunora_workflow.testing import WorkflowStep, WorkflowTestEnv, find_stub


class Entry:
    def __init__(self, ctx: Any, env: Any) -> None:
        self.env = env


def charging(log: list[int]) -> type:
    class Charge(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            config = {"retries": {"limit": 3, "delay": "1 second", "backoff": "constant"}}

            @step.do("charge", config=config)
            async def charge(ctx: Any) -> dict[str, Any]:
                log.append(ctx["attempt"])
                return {"charged": True}

            return await charge()

    return Charge


async def test_mock_step_result_skips_the_callback(workflow_env: WorkflowTestEnv) -> None:
    log: list[int] = []
    workflow_env.register(charging(log), name="charge")
    workflow_env.modify("m").mock_step_result("charge", {"charged": "mocked"})
    instance = await workflow_env.create("charge", id="m")
    await instance.wait_for_status("complete")
    assert instance.output == {"charged": "mocked"}
    assert log == []
    assert instance.step("charge").attempts[0].mocked


async def test_mock_step_error_n_times_then_succeed(workflow_env: WorkflowTestEnv) -> None:
    log: list[int] = []
    workflow_env.register(charging(log), name="charge")
    instance = await workflow_env.create("charge")
    instance.modify.mock_step_error("charge", ConnectionError("gateway down"), times=2)
    await instance.wait_for_status("complete")
    assert log == [3]
    attempts = instance.step("charge").attempts
    assert [a.error.name if a.error else None for a in attempts] == [
        "ConnectionError",
        "ConnectionError",
        None,
    ]
    assert instance.replays == 2


async def test_mock_step_error_every_time_exhausts_retries(workflow_env: WorkflowTestEnv) -> None:
    log: list[int] = []
    workflow_env.register(charging(log), name="charge")
    workflow_env.modify().mock_step_error("charge", "always")
    instance = await workflow_env.create("charge")
    await instance.wait_for_status("errored")
    assert len(instance.step("charge").attempts) == 4
    assert instance.error is not None
    assert instance.error.message == "always"


async def test_force_step_timeout_n_times(workflow_env: WorkflowTestEnv) -> None:
    log: list[int] = []
    workflow_env.register(charging(log), name="charge")
    instance = await workflow_env.create("charge")
    instance.modify.force_step_timeout("charge", times=1)
    await instance.wait_for_status("complete")
    first = instance.step("charge").attempts[0]
    assert first.error is not None
    assert first.error.name == "WorkflowTimeoutError"
    assert first.end_ms is not None
    assert first.end_ms - first.start_ms == 600_000  # the default 10-minute timeout
    assert log == [2]


async def test_stub_function_reaches_the_step_object(workflow_env: WorkflowTestEnv) -> None:
    seen: list[Any] = []

    class UsesStub(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            stub = find_stub(step, "app.billing:charge")
            seen.append(find_stub(step, "app.other:fn"))
            return stub(5) if stub is not None else None

    workflow_env.register(UsesStub, name="stubbed")
    workflow_env.stub_function("app.billing:charge", lambda amount: {"stubbed": amount})
    instance = await workflow_env.create("stubbed")
    await instance.wait_for_status("complete")
    assert instance.output == {"stubbed": 5}
    assert seen == [None]
    assert find_stub(object(), "anything") is None
