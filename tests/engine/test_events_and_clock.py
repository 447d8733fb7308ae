"""wait_for_event (buffering, timeouts), sleeps, sleep_until and the virtual clock."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from lunora_workflow.testing import (
    InstanceStatusError,
    WorkflowStep,
    WorkflowTestEnv,
    WorkflowTimeoutError,
)


class Entry:
    def __init__(self, ctx: Any, env: Any) -> None:
        self.env = env


class Approval(Entry):
    async def run(self, event: Any, step: WorkflowStep) -> Any:
        @step.do("notify")
        async def notify() -> str:
            return "sent"

        await notify()
        try:
            decision = await step.wait_for_event("await-approval", "approval", timeout="7 days")
        except WorkflowTimeoutError as error:
            return {"timed_out": str(error)}
        return {"approved": decision["payload"]["ok"], "type": decision.type}


async def test_an_event_sent_after_the_wait_wakes_the_instance(
    workflow_env: WorkflowTestEnv,
) -> None:
    workflow_env.register(Approval, name="approval")
    instance = await workflow_env.create("approval")
    await instance.wait_for_status("waiting")
    record = instance.step("await-approval")
    assert (record.kind, record.status, record.event_type) == (
        "waitForEvent",
        "pending",
        "approval",
    )
    await workflow_env.advance("2 days")
    assert instance.status() == "waiting"
    await instance.send_event("approval", {"ok": True})
    await instance.wait_for_status("complete")
    assert instance.output == {"approved": True, "type": "approval"}
    assert instance.replays == 1
    assert record.output["timestamp"] == datetime.datetime(2026, 1, 3)


async def test_an_event_sent_before_the_wait_is_buffered(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(Approval, name="approval")
    instance = await workflow_env.create("approval")
    await instance.send_event("approval", {"ok": False})  # still queued: nothing waits yet
    await instance.send_event("other", {"ignored": True})
    await instance.wait_for_status("complete")
    assert instance.output == {"approved": False, "type": "approval"}
    assert instance.replays == 0  # the buffered event was there: no hibernation


async def test_buffered_events_are_consumed_in_order(workflow_env: WorkflowTestEnv) -> None:
    class Twice(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            first = await step.wait_for_event("one", "tick")
            second = await step.wait_for_event("two", "tick")
            return [first["payload"], second["payload"]]

    workflow_env.register(Twice, name="twice")
    instance = await workflow_env.create("twice")
    await instance.send_event("tick", 1)
    await instance.send_event("tick", 2)
    await instance.wait_for_status("complete")
    assert instance.output == [1, 2]


async def test_an_event_wait_times_out_in_virtual_time(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register(Approval, name="approval")
    instance = await workflow_env.create("approval")
    start = workflow_env.clock.now_ms
    await instance.wait_for_status("complete")
    assert instance.output == {"timed_out": "Execution timed out after 604800000ms"}
    assert workflow_env.clock.now_ms - start == 7 * 86_400_000
    assert instance.step("await-approval").status == "errored"


async def test_force_event_timeout_and_mock_event_before_create(
    workflow_env: WorkflowTestEnv,
) -> None:
    workflow_env.register(Approval, name="approval")
    workflow_env.modify("timeout-me").force_event_timeout("await-approval")
    workflow_env.modify("approve-me").mock_event("approval", {"ok": True})
    timed = await workflow_env.create("approval", id="timeout-me")
    approved = await workflow_env.create("approval", id="approve-me")
    await workflow_env.run_pending()
    assert timed.status() == "complete"
    assert "timed_out" in timed.output
    assert approved.output == {"approved": True, "type": "approval"}
    assert workflow_env.now == datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


async def test_wait_for_status_reports_what_the_instance_waits_for(
    workflow_env: WorkflowTestEnv,
) -> None:
    workflow_env.register(Approval, name="approval")
    instance = await workflow_env.create("approval")
    with pytest.raises(InstanceStatusError, match=r"is waiting for event\(s\) 'approval'"):
        await instance.wait_for_status("complete", within="1 day")


async def test_advance_runs_what_falls_due(workflow_env: WorkflowTestEnv) -> None:
    class Nap(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep("nap", "1 hour")
            return "awake"

    workflow_env.register(Nap, name="nap")
    instance = await workflow_env.create("nap")
    await workflow_env.run_pending()
    assert instance.status() == "waiting"
    await workflow_env.advance("59 minutes")
    assert instance.status() == "waiting"
    await workflow_env.advance(60_000)
    assert instance.status() == "complete"
    nap = instance.step("nap")
    assert nap.duration_ms == 3_600_000
    assert nap.end == datetime.datetime(2026, 1, 1, 1, tzinfo=datetime.UTC)


async def test_sleep_until(workflow_env: WorkflowTestEnv) -> None:
    target = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)

    class Until(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep_until("aware", target)
            await step.sleep_until("epoch-ms", target.timestamp() * 1000 + 1000)
            await step.sleep_until("naive-is-utc", datetime.datetime(2026, 3, 2))
            return "done"

    workflow_env.register(Until, name="until")
    instance = await workflow_env.create("until")
    await instance.wait_for_status("complete")
    assert workflow_env.now == datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC)
    assert instance.replays == 3


async def test_sleep_until_the_past_fails(workflow_env: WorkflowTestEnv) -> None:
    class Past(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep_until("past", datetime.datetime(2020, 1, 1))

    workflow_env.register(Past, name="past")
    instance = await workflow_env.create("past")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert "time-traveler" in instance.error.message


async def test_disable_sleeps(workflow_env: WorkflowTestEnv) -> None:
    class Nap(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep("short", "1 minute")
            await step.sleep("long", "30 days")
            return "awake"

    workflow_env.register(Nap, name="nap")
    instance = await workflow_env.create("nap")
    instance.modify.disable_sleeps(["long"])
    await instance.wait_for_status("complete")
    assert workflow_env.now == datetime.datetime(2026, 1, 1, 0, 1, tzinfo=datetime.UTC)
    assert instance.replays == 1


async def test_a_timedelta_is_refused_like_the_platform(workflow_env: WorkflowTestEnv) -> None:
    class Delta(Entry):
        async def run(self, event: Any, step: WorkflowStep) -> Any:
            await step.sleep("nap", datetime.timedelta(hours=1))

    workflow_env.register(Delta, name="delta")
    instance = await workflow_env.create("delta")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert "timedelta" in instance.error.message
