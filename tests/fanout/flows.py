"""Workflows for the fan-out tests, wired the way ``lunora codegen`` wires them.

The bottom half of this module is what codegen would write into ``_generated/workflows.py``:
one ``WorkflowEntrypoint`` subclass per export calling ``run_workflow(..., specs=SPECS)``, and
``SPECS``. The engine registers them with ``register_generated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from lunora_workflow import NonRetryableError, WorkflowContext, define_workflow
from lunora_workflow.definition import WorkflowDefinition
from lunora_workflow.entrypoint import WorkflowEntrypoint, run_workflow
from lunora_workflow.fanout import Branch, BranchCompensation, branch
from lunora_workflow.handles import WorkflowSpec

# -- the child ---------------------------------------------------------------------------------


@dataclass
class WorkParams:
    item: str
    delay: str | None = None
    fail: bool = False
    big: int = 0


class WorkResult(TypedDict):
    item: str
    size: int
    blob: str


@define_workflow
async def work(ctx: WorkflowContext[WorkParams]) -> WorkResult:
    """Optionally wait, optionally fail, then measure the item."""
    params = ctx.params
    if params.delay:
        await ctx.step.sleep("delay", params.delay)
    if params.fail:
        raise NonRetryableError(f"cannot process {params.item}")
    size = await ctx.step.do("measure", lambda: len(params.item))
    # Built in the body, not in a step: a step result over 1 MiB fails on its own.
    return WorkResult(item=params.item, size=size, blob="x" * params.big)


# -- the parents -------------------------------------------------------------------------------


@dataclass
class FanParams:
    items: list[WorkParams]
    ids: list[str | None] = field(default_factory=list)
    timeout: str | None = None
    compensate: bool = False
    tuple_form: bool = False


@define_workflow
async def fan(ctx: WorkflowContext[FanParams]) -> dict[str, Any]:
    """Fan ``items`` out to ``work`` children and collect their results."""
    params = ctx.params
    ids = params.ids or [None] * len(params.items)
    branches: list[Branch[WorkResult]] = [
        branch(
            work,
            item,
            id=ids[index],
            timeout=params.timeout,
            compensate_with="undo" if params.compensate else None,
        )
        for index, item in enumerate(params.items)
    ]
    if params.tuple_form:
        results = list(await ctx.parallel(tuple(branches)))
    else:
        results = await ctx.parallel(branches)
    await ctx.step.do("after", lambda: len(results))
    return {"results": results, "kind": type(results).__name__}


@define_workflow
async def undo(ctx: WorkflowContext[BranchCompensation]) -> dict[str, Any]:
    """The compensation of a completed ``work`` branch."""
    comp = ctx.params
    return {"undone": comp.branch, "index": comp.index, "because": comp.error.message}


class SpawnParams(TypedDict):
    item: str
    id: str | None


@define_workflow
async def spawner(ctx: WorkflowContext[SpawnParams]) -> dict[str, Any]:
    """Start a ``work`` child and do not wait for it."""
    handle = await ctx.spawn(work, {"item": ctx.params["item"]}, id=ctx.params["id"])
    await ctx.step.do("after-spawn", lambda: handle.id)
    return {"child": handle.id}


@define_workflow
async def misuse(ctx: WorkflowContext[dict[str, Any]]) -> Any:
    """Calls fan-out the way ``ctx.params["how"]`` says it should not be called."""
    how = ctx.params["how"]
    if how == "unknown":
        return await ctx.parallel([branch("nope", {})])
    if how == "too-many":
        return await ctx.parallel([branch(work, {"item": str(i)}) for i in range(101)])
    if how == "empty":
        return {"empty": await ctx.parallel([]), "tuple": list(await ctx.parallel(()))}
    if how == "spawn-marker":
        return await ctx.spawn("work", {"item": "a", "__lunora_branch": {}})
    if how == "scalar-params":
        return await ctx.parallel([branch("work", "a string")])
    raise ValueError(how)


# -- what codegen would generate ---------------------------------------------------------------


class WorkWorkflow(WorkflowEntrypoint):
    async def run(self, event: Any, step: Any) -> Any:
        return await run_workflow(self, work, event, step, export="work", specs=SPECS)


class FanWorkflow(WorkflowEntrypoint):
    async def run(self, event: Any, step: Any) -> Any:
        return await run_workflow(self, fan, event, step, export="fan", specs=SPECS)


class UndoWorkflow(WorkflowEntrypoint):
    async def run(self, event: Any, step: Any) -> Any:
        return await run_workflow(self, undo, event, step, export="undo", specs=SPECS)


class SpawnerWorkflow(WorkflowEntrypoint):
    async def run(self, event: Any, step: Any) -> Any:
        return await run_workflow(self, spawner, event, step, export="spawner", specs=SPECS)


class MisuseWorkflow(WorkflowEntrypoint):
    async def run(self, event: Any, step: Any) -> Any:
        return await run_workflow(self, misuse, event, step, export="misuse", specs=SPECS)


_DEFINITIONS: dict[str, WorkflowDefinition[Any, Any]] = {
    "fan": fan,
    "misuse": misuse,
    "spawner": spawner,
    "undo": undo,
    "work": work,
}
SPECS: dict[str, WorkflowSpec] = {
    export: WorkflowSpec.for_export(export, definition)
    for export, definition in _DEFINITIONS.items()
}
