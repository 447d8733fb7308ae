"""The engine running the real runtime: a definition registered through run_workflow."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from lunora_workflow import (
    NonRetryableError,
    RollbackContext,
    StepContext,
    WorkflowContext,
    define_step,
    define_workflow,
)
from lunora_workflow.errors import RollbackNotSupportedError
from lunora_workflow.handles import WorkflowSpec, resolve_handle
from lunora_workflow.testing import WorkflowTestEnv


class Params(TypedDict):
    name: str


attempts: list[int] = []


@define_workflow
async def greeter(ctx: WorkflowContext[Params]) -> dict[str, Any]:
    """Greet, nap, greet again (the second step fails once)."""
    first = await ctx.step.do("hello", lambda: {"text": f"hello {ctx.params['name']}"})
    await ctx.step.sleep("nap", "2 hours")

    def again() -> dict[str, str]:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise RuntimeError("flaky")
        return {"text": "again"}

    second = await ctx.step.do("again", again, retries={"limit": 2, "delay": "1 minute"})
    return {"first": first["text"], "second": second["text"]}


async def test_a_definition_runs_through_run_workflow(workflow_env: WorkflowTestEnv) -> None:
    attempts.clear()
    workflow_env.register_definition(greeter, export="greeter")
    binding = workflow_env.env.WORKFLOW_GREETER
    handle = await binding.create(id="g1", params={"name": "Ada"})
    instance = workflow_env.instance("g1")

    await instance.wait_for_status("complete")

    assert (await handle.status()).output == {"first": "hello Ada", "second": "again"}
    assert [r.label for r in instance.steps] == ["hello-1", "nap-1", "again-1"]
    assert len(instance.step("again").attempts) == 2
    assert instance.replays == 2  # the nap and the retry delay
    assert attempts == [1, 2]


async def test_bad_params_fail_the_instance(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register_definition(greeter, export="greeter")
    instance = await workflow_env.create("greeter", {"nom": "x"})
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert instance.error.name == "NonRetryableError"
    assert instance.steps == []


undone: list[str] = []


@define_step(name="hold-seat")
def hold_seat(ctx: StepContext, args: Params) -> str:
    return f"seat for {args['name']}"


@hold_seat.rollback
def release_seat(ctx: RollbackContext[Params, str]) -> None:
    undone.append(ctx.output)


@define_workflow
async def booking(ctx: WorkflowContext[Params]) -> str:
    """Holds a seat (with a rollback), then waits for a confirmation."""
    seat: str = await ctx.run_step(hold_seat, ctx.params)
    await ctx.step.wait_for_event("confirm", type="confirm", timeout="1 day")
    return seat


async def test_terminate_with_rollback_is_refused_and_the_instance_keeps_running(
    workflow_env: WorkflowTestEnv,
) -> None:
    undone.clear()
    workflow_env.register_definition(booking, export="booking")
    spec = WorkflowSpec.for_export("booking", booking)
    handle = resolve_handle(workflow_env.env, "booking", {"booking": spec})
    await handle.create(params={"name": "Ada"}, id="b1")
    instance = workflow_env.instance("b1")
    await instance.wait_for_status("waiting")

    with pytest.raises(RollbackNotSupportedError, match="cannot run lunora rollbacks"):
        await handle.get("b1").terminate(rollback=True)
    assert instance.status() == "waiting"  # nothing reached the binding

    await handle.get("b1").terminate()
    assert instance.status() == "terminated"
    await workflow_env.run_until_idle()
    assert undone == []  # terminate never compensates; a failing body does


@define_workflow
async def cancellable(ctx: WorkflowContext[Params]) -> str:
    """The documented way to cancel with compensation: wait for a decision, raise on cancel."""
    seat: str = await ctx.run_step(hold_seat, ctx.params)
    decision = await ctx.step.wait_for_event("decision", type="decision", timeout="7 days")
    if decision.payload.get("cancel"):
        raise NonRetryableError("cancelled by the customer")
    return seat


async def test_cancelling_through_an_event_runs_the_rollbacks(
    workflow_env: WorkflowTestEnv,
) -> None:
    undone.clear()
    workflow_env.register_definition(cancellable, export="cancellable")
    spec = WorkflowSpec.for_export("cancellable", cancellable)
    handle = resolve_handle(workflow_env.env, "cancellable", {"cancellable": spec})
    await handle.create(params={"name": "Ada"}, id="c1")
    instance = workflow_env.instance("c1")
    await instance.wait_for_status("waiting")

    await handle.get("c1").send_event("decision", {"cancel": True})
    await instance.wait_for_status("errored")

    assert undone == ["seat for Ada"]
    status = await handle.get("c1").status()
    assert status.error is not None
    assert (status.error.name, status.error.message) == (
        "NonRetryableError",
        "cancelled by the customer",
    )


@define_workflow
async def napper(ctx: WorkflowContext[Params]) -> str:
    """A step, a nap, a step: restartable from the nap."""
    await ctx.step.do("before", lambda: "before")
    await ctx.step.sleep("nap", "1 hour")
    return str(await ctx.step.do("after", lambda: f"after {ctx.params['name']}"))


async def test_a_typed_handle_restarts_from_a_sleep(workflow_env: WorkflowTestEnv) -> None:
    workflow_env.register_definition(napper, export="napper")
    spec = WorkflowSpec.for_export("napper", napper)
    handle = resolve_handle(workflow_env.env, "napper", {"napper": spec})
    await handle.create(params={"name": "Ada"}, id="n1")
    instance = workflow_env.instance("n1")
    await instance.wait_for_status("complete")
    first_nap = instance.step("nap", kind="sleep").start_ms

    await handle.get("n1").restart(from_step="nap", kind="sleep")
    await instance.wait_for_status("complete")

    # "before" kept its result; the nap and what follows ran again, an hour later
    assert [(s.kind, s.name) for s in instance.steps] == [
        ("do", "before"),
        ("sleep", "nap"),
        ("do", "after"),
    ]
    assert instance.step("nap", kind="sleep").start_ms == first_nap + 3_600_000
    assert instance.output == "after Ada"


@define_workflow
async def nightly(ctx: WorkflowContext[None]) -> str:
    """A workflow that takes no params."""
    return f"params={ctx.params!r}"


async def test_a_workflow_without_params_starts_without_params(
    workflow_env: WorkflowTestEnv,
) -> None:
    workflow_env.register_definition(nightly, export="nightly")
    binding = workflow_env.env.WORKFLOW_NIGHTLY
    # No params reach the instance as {}, as with wrangler's `workflows trigger`.
    await binding.create(id="n1")
    await binding.create(id="n2", params={})
    for instance_id in ("n1", "n2"):
        instance = workflow_env.instance(instance_id)
        await instance.wait_for_status("complete")
        assert instance.output == "params=None"
    # Params that are there still have to fit None.
    await binding.create(id="n3", params={"day": "monday"})
    failed = workflow_env.instance("n3")
    await failed.wait_for_status("errored")
    assert "the instance params do not fit None" in str(failed.error)
