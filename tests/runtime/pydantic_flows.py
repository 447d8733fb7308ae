"""A workflow whose Params is a pydantic model (imported only by the pydantic test)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from lunora_workflow import WorkflowContext, define_workflow


class Model(BaseModel):
    channel_id: str
    size: int = 1


@define_workflow
async def pydantic_flow(ctx: WorkflowContext[Model]) -> dict[str, Any]:
    return {"model": type(ctx.params).__name__, "size": ctx.params.size}
