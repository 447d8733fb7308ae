"""Instance statuses, pause/resume/terminate/restart, bindings and fan-out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lunora_workflow.testing import (
    InstanceAlreadyExistsError,
    InstanceNotFoundError,
    JsDict,
    WorkflowStep,
    WorkflowTestEnv,
)


class Entry:
    def __init__(self, ctx: Any, env: Any) -> None:
        self.env = env


class TwoNaps(Entry):
    async def run(self, event: Any, step: WorkflowStep) -> Any:
        @step.do("count")
        async def count() -> int:
            return int(event.payload.get("n", 0)) + 1

        value = await count()
        await step.sleep("nap-1", "1 hour")
        await step.sleep("nap-2", "1 hour")
        return {"n": value}


async def test_status_lifecycle(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(TwoNaps, name="naps")
    instance = await workflow_env.create("naps", {"n": 1})
    assert instance.status() == "queued"
    await workflow_env.run_pending()
    assert instance.status() == "waiting"
    await instance.pause()
    assert instance.status() == "paused"
    await workflow_env.advance("1 day")
    assert instance.status() == "paused"  # timers do not fire while paused
    await instance.resume()
    await instance.wait_for_status("complete")
    assert instance.output == {"n": 2}
    await instance.terminate()  # no effect on a finished instance
    assert instance.status() == "complete"


async def test_terminated_while_running_the_body_stops_at_once(
    workflow_env: WorkflowTestEnv,
) -> None:
    body: list[str] = []

    class StopsItself(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("terminate-me")
            async def terminate_me() -> str:
                handle = await self.env.STOPS.get(event["instanceId"])
                await handle.terminate()
                return "asked"

            await terminate_me()
            body.append("went on")  # the platform aborts the run: never reached

            @step.do("after")
            async def after() -> str:
                body.append("after ran")
                return "late"

            return await after()

    workflow_env.register(StopsItself, name="stops", binding="STOPS")
    instance = await workflow_env.create("stops")
    await workflow_env.run_until_idle()
    assert instance.status() == "terminated"
    assert [(s.name, s.status) for s in instance.steps] == [("terminate-me", "complete")]
    assert body == []
    assert instance.error is None
    assert workflow_env.unobserved_failures() == []


async def test_terminate_and_restart(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(TwoNaps, name="naps")
    instance = await workflow_env.create("naps")
    await workflow_env.run_pending()
    await instance.terminate()
    assert instance.status() == "terminated"
    await workflow_env.run_until_idle()
    assert instance.status() == "terminated"
    await instance.restart()
    assert instance.status() == "queued"
    assert instance.steps == []
    await instance.wait_for_status("complete")
    assert instance.replays == 2


async def test_a_paused_queued_instance_does_not_start(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(TwoNaps, name="naps")
    instance = await workflow_env.create("naps")
    await instance.pause()
    await workflow_env.run_until_idle()
    assert instance.executions == 0
    await instance.resume()
    assert instance.status() == "queued"


async def test_duplicate_ids_are_refused(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(TwoNaps, name="naps")
    await workflow_env.create("naps", id="order-1")
    with pytest.raises(InstanceAlreadyExistsError, match=r"\(instance.already_exists\)"):
        await workflow_env.create("naps", id="order-1")
    with pytest.raises(ValueError, match="instance id"):
        await workflow_env.create("naps", id="has space")


async def test_bindings_are_shaped_like_the_sdk(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(TwoNaps, name="naps", binding="NAPS")
    binding = workflow_env.env.NAPS
    handle = await binding.create(id="a", params={"n": 41})
    same = await binding.create({"id": "b", "params": {"n": 1}})
    assert (handle.id, same.id) == ("a", "b")
    auto = await binding.create()
    assert len(auto.id) == 36
    batch = await binding.create_batch([{"id": "c"}, {"id": "d", "params": {"n": 5}}])
    assert [h.id for h in batch] == ["c", "d"]
    with pytest.raises(InstanceAlreadyExistsError):
        await binding.create_batch([{"id": "e"}, {"id": "a"}])
    with pytest.raises(InstanceNotFoundError, match=r"\(instance.not_found\)"):
        await binding.get("missing")
    fetched = await binding.get("a")
    status = await fetched.status()
    assert isinstance(status, JsDict)
    assert status == {"status": "queued", "error": None, "output": None}
    await workflow_env.run_until_idle()
    assert (await fetched.status()).output == {"n": 42}
    await fetched.restart()
    await fetched.pause()
    assert (await fetched.status()).status == "paused"
    await fetched.resume()
    await fetched.terminate()
    assert (await fetched.status()).status == "terminated"


async def test_fan_out_children_run_on_the_engine(workflow_env: WorkflowTestEnv) -> None:
    class Child(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep("settle", "1 minute")
            return {"doubled": event.payload["value"] * 2}

    class Parent(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("spawn")
            async def spawn() -> list[str]:
                handles = await self.env.CHILD.create_batch(
                    [{"id": f"child-{v}", "params": {"value": v}} for v in (1, 2, 3)]
                )
                return [h.id for h in handles]

            ids = await spawn()
            results = []
            for child_id in ids:
                while True:
                    # Reading another instance's status is not deterministic: do it in a step.
                    @step.do(f"check-{child_id}")
                    async def check() -> Any:
                        handle = await self.env.CHILD.get(child_id)  # noqa: B023 - awaited now
                        return await handle.status()

                    status = await check()
                    if status.status == "complete":
                        results.append(status.output["doubled"])
                        break
                    await step.sleep(f"poll-{child_id}", "30 seconds")
            return results

    workflow_env.register(Child, name="child", binding="CHILD")
    workflow_env.register(Parent, name="parent", binding="PARENT")
    parent = await workflow_env.create("parent")
    await parent.wait_for_status("complete")
    assert parent.output == [2, 4, 6]
    assert [i.id for i in workflow_env.instances] == [parent.id, "child-1", "child-2", "child-3"]


async def test_the_same_id_may_exist_in_two_workflows(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(TwoNaps, name="one")
    workflow_env.register(TwoNaps, name="two")
    await workflow_env.create("one", id="x")
    await workflow_env.create("two", id="x")
    assert workflow_env.instance("x", "two").workflow_name == "two"


async def test_a_pause_requested_mid_run_lands_at_the_next_step(
    workflow_env: WorkflowTestEnv,
) -> None:
    class PausesItself(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            @step.do("ask-for-pause")
            async def ask() -> str:
                handle = await self.env.SELF.get(event.instanceId)
                await handle.pause()
                status: str = (await handle.status()).status  # env bindings are untyped
                return status

            seen = await ask()

            @step.do("after")
            async def after() -> str:
                return "ran"

            return {"seen": seen, "after": await after()}

    workflow_env.register(PausesItself, name="self-pausing", binding="SELF")
    instance = await workflow_env.create("self-pausing")
    await workflow_env.run_pending()
    assert instance.status() == "paused"
    assert instance.step("ask-for-pause").status == "complete"
    assert [s.name for s in instance.steps] == ["ask-for-pause"]
    await instance.resume()
    await instance.wait_for_status("complete")
    assert instance.output == {"seen": "waitingForPause", "after": "ran"}


async def test_vars_and_stalls(workflow_env: WorkflowTestEnv) -> None:
    env = WorkflowTestEnv(vars={"GREETING": "hi"}, stall_timeout=0.05)

    class Stalls(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            greeting = self.env.GREETING
            await asyncio.Event().wait()  # outside any step: only the stall guard ends it
            return greeting

    env.register(Stalls, name="stalls")
    instance = await env.create("stalls")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert instance.error.name == "EngineStalledError"
    assert "outside the engine" in instance.error.message


async def test_restart_from_a_step_keeps_earlier_results(workflow_env: WorkflowTestEnv) -> None:
    runs: list[str] = []

    class Three(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            out = []
            for name in ("one", "two", "three"):

                @step.do(name)
                async def work() -> str:
                    runs.append(name)  # noqa: B023 - awaited in the same iteration
                    return name  # noqa: B023

                out.append(await work())
            return out

    workflow_env.register(Three, name="three", binding="THREE")
    instance = await workflow_env.create("three", id="t")
    await instance.wait_for_status("complete")
    handle = await workflow_env.env.THREE.get("t")
    await handle.restart({"from": {"name": "two"}})
    assert instance.status() == "queued"
    assert [s.name for s in instance.steps] == ["one"]
    await instance.wait_for_status("complete")
    assert runs == ["one", "two", "three", "two", "three"]
    with pytest.raises(ValueError, match="no do step 'nope'"):
        await instance.restart(from_step="nope")
