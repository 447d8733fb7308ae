"""Step caching by (name, count), replay from the top after every wait, both step.do modes."""

from __future__ import annotations

from typing import Any

import pytest

from lunora_workflow.testing import WorkflowStep, WorkflowTestEnv


class Entry:
    """A minimal stand-in for a generated WorkflowEntrypoint class."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


@pytest.mark.parametrize("sleeps", [0, 1, 3, 7])
async def test_a_body_with_k_sleeps_is_replayed_k_times(
    workflow_env: WorkflowTestEnv, sleeps: int
) -> None:
    calls: list[str] = []

    class Sleepy(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            for index in range(sleeps):

                @step.do(f"work-{index}")
                async def work() -> int:
                    calls.append(f"work-{index}")  # noqa: B023 - awaited now
                    return index  # noqa: B023

                await work()
                await step.sleep(f"nap-{index}", "1 hour")
            return {"done": sleeps}

    workflow_env.register(Sleepy, name="sleepy")
    instance = await workflow_env.create("sleepy")
    await instance.wait_for_status("complete")
    assert instance.replays == sleeps
    assert instance.output == {"done": sleeps}
    # Each step function ran once although the body ran sleeps + 1 times.
    assert calls == [f"work-{i}" for i in range(sleeps)]
    assert workflow_env.now.hour == sleeps


async def test_results_are_cached_by_name_and_occurrence(workflow_env: WorkflowTestEnv) -> None:
    runs: list[int] = []

    class Loop(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            totals = []
            for i in range(3):

                @step.do("same-name")
                async def tick() -> int:
                    runs.append(i)  # noqa: B023 - awaited now
                    return i * 10  # noqa: B023

                totals.append(await tick())
                await step.sleep("pause", "1 second")
            return totals

    workflow_env.register(Loop, name="loop")
    instance = await workflow_env.create("loop")
    await instance.wait_for_status("complete")
    assert instance.output == [0, 10, 20]
    assert runs == [0, 1, 2]
    assert [(r.kind, r.label) for r in instance.steps] == [
        ("do", "same-name-1"),
        ("sleep", "pause-1"),
        ("do", "same-name-2"),
        ("sleep", "pause-2"),
        ("do", "same-name-3"),
        ("sleep", "pause-3"),
    ]


async def test_the_event_is_the_sdk_shape(workflow_env: WorkflowTestEnv) -> None:
    seen: dict[str, Any] = {}

    class Shape(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            seen.update(event)
            seen["attr"] = event.payload.user
            return None

    workflow_env.register(Shape, name="shape")
    instance = await workflow_env.create("shape", {"user": "ada"}, id="inst-1")
    await instance.wait_for_status("complete")
    assert seen["payload"] == {"user": "ada"}
    assert seen["attr"] == "ada"
    assert seen["instanceId"] == "inst-1"
    assert seen["workflowName"] == "shape"
    assert seen["timestamp"] == workflow_env.now.replace(tzinfo=None)


async def test_implicit_mode_resolves_dependencies_by_parameter_name(
    workflow_env: WorkflowTestEnv,
) -> None:
    executed: list[str] = []

    class Dag(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do()
            async def dep_1() -> str:
                executed.append("dep_1")
                return "one"

            @step.do()
            async def dep_2() -> str:
                executed.append("dep_2")
                return "two"

            @step.do(concurrent=True)
            async def final(dep_1: str, ctx: Any, dep_2: str) -> dict[str, Any]:
                return {"deps": [dep_1, dep_2], "step": ctx["step"], "attempt": ctx.attempt}

            @step.do()
            async def again(dep_1: str, final: Any) -> str:
                return dep_1 + "!"

            first = await final()
            return {"final": first, "again": await again()}

    workflow_env.register(Dag, name="dag")
    instance = await workflow_env.create("dag")
    await instance.wait_for_status("complete")
    assert instance.output["final"] == {
        "deps": ["one", "two"],
        "step": {"name": "final", "count": 1},
        "attempt": 1,
    }
    assert instance.output["again"] == "one!"
    # dep_1 was memoised within the execution: one step call, one run.
    assert executed == ["dep_1", "dep_2"]
    assert [r.label for r in instance.steps] == ["dep_1-1", "dep_2-1", "final-1", "again-1"]


async def test_implicit_mode_rejects_unknown_parameters(workflow_env: WorkflowTestEnv) -> None:
    class Bad(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do()
            async def needs(missing: int) -> int:
                return missing

            return await needs()

    workflow_env.register(Bad, name="bad")
    instance = await workflow_env.create("bad")
    with pytest.raises(AssertionError, match="Received unexpected parameter missing"):
        await instance.wait_for_status("complete")
    assert instance.error is not None
    assert instance.error.name == "TypeError"


@pytest.mark.workflow_mode("legacy")
async def test_legacy_mode_uses_depends(workflow_env: WorkflowTestEnv) -> None:
    assert workflow_env.mode == "legacy"

    class Legacy(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("step_1")
            async def step_1() -> int:
                return 1

            @step.do("step_2")
            async def step_2() -> int:
                return 2

            @step.do("step_3", [step_1, step_2], True)
            async def step_3(result1: int, ctx: Any, result2: int) -> int:
                attempt: int = ctx["attempt"]  # the step context is an untyped dict
                return result1 + result2 + attempt

            return await step_3()

    workflow_env.register(Legacy, name="legacy")
    instance = await workflow_env.create("legacy")
    await instance.wait_for_status("complete")
    assert instance.output == 4


@pytest.mark.parametrize(
    ("depends", "message"),
    [
        (None, "Step has 1 non-ctx parameter(s) but no 'depends' list provided"),
        ("two", "Step declares 1 non-ctx parameter(s) but 'depends' has 2 item(s)"),
        ("plain", "'depends' entry for parameter 'x' is not a function decorated with step.do"),
    ],
)
async def test_legacy_mode_signature_errors(depends: str | None, message: str) -> None:
    env = WorkflowTestEnv(mode="legacy")
    caught: list[BaseException] = []

    class Legacy(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("dep")
            async def dep() -> int:
                return 1

            def plain() -> None: ...

            chosen = {None: None, "two": [dep, dep], "plain": [plain]}[depends]

            @step.do("user", chosen)
            async def user(x: int) -> int:
                return x

            try:
                await user()
            except TypeError as error:
                caught.append(error)
            return None

    env.register(Legacy, name="legacy")
    instance = await env.create("legacy")
    await instance.wait_for_status("complete")
    assert [str(e) for e in caught] == [message]


async def test_legacy_mode_requires_a_name() -> None:
    env = WorkflowTestEnv(mode="legacy")

    class NoName(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            step.do()
            return None

    env.register(NoName, name="noname")
    instance = await env.create("noname")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert instance.error.name == "TypeError"


async def test_a_callback_taking_only_ctx_works_in_both_modes() -> None:
    for mode in ("implicit", "legacy"):
        env = WorkflowTestEnv(mode=mode)

        class CtxOnly(Entry):
            async def run(self, event: Any, step: WorkflowStep) -> Any:
                def body(ctx: Any) -> Any:
                    return {"name": ctx["step"]["name"], "limit": ctx["config"]["retries"]["limit"]}

                return await step.do("runtime-style", config={"retries": {"limit": 2, "delay": 0}})(
                    body
                )()

        env.register(CtxOnly, name="ctx-only")
        instance = await env.create("ctx-only")
        await instance.wait_for_status("complete")
        assert instance.output == {"name": "runtime-style", "limit": 2}, mode


async def test_results_round_trip_like_the_platform(workflow_env: WorkflowTestEnv) -> None:
    class Trip(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do()
            async def produce() -> dict[str, Any]:
                return {"items": [1, 2], "nested": {"ok": True}, "none": None}

            value = await produce()
            value["items"].append(3)  # mutating the copy must not touch the stored result
            await step.sleep("nap", "1 minute")
            again = await produce()
            return {"first": value, "again": again, "attr": again.nested.ok}

    workflow_env.register(Trip, name="trip")
    instance = await workflow_env.create("trip")
    await instance.wait_for_status("complete")
    assert instance.output["attr"] is True
    assert instance.output["again"]["items"] == [1, 2]


async def test_a_tuple_result_fails_the_attempt_like_python_to_rpc(
    workflow_env: WorkflowTestEnv,
) -> None:
    class Tuple(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do(config={"retries": {"limit": 1, "delay": "1 second"}})
            async def pair() -> Any:
                return (1, 2)

            return await pair()

    workflow_env.register(Tuple, name="tuple")
    instance = await workflow_env.create("tuple")
    await instance.wait_for_status("errored")
    record = instance.step("pair")
    assert len(record.attempts) == 2
    assert instance.error is not None
    assert instance.error.name == "TypeError"
    assert "cannot be sent over RPC" in instance.error.message


async def test_a_non_serialisable_result_fails_the_instance_at_once(
    workflow_env: WorkflowTestEnv,
) -> None:
    class Obj(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do()
            async def thing() -> Any:
                return {"when": object()}

            try:
                return await thing()
            except Exception:
                return "swallowed"  # the engine's failure cannot be caught

    workflow_env.register(Obj, name="obj")
    instance = await workflow_env.create("obj")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert "not serialisable" in instance.error.message
    assert "$.when" in instance.error.message
    assert len(instance.step("thing").attempts) == 1


async def test_a_sync_run_and_sync_callbacks_work(workflow_env: WorkflowTestEnv) -> None:
    class Sync(Entry):
        def run(self, event: Any, step: WorkflowStep) -> Any:
            return {"sync": True}

    workflow_env.register(Sync, name="sync")
    instance = await workflow_env.create("sync")
    await instance.wait_for_status("complete")
    assert instance.output == {"sync": True}
