"""``WorkflowContext[P]``: what a workflow body receives.

One context is built per run of the body (every replay builds a new one). Members added by
later features (``run``, ``parallel``, ``spawn``) hang off the same private state:
``_sdk_step`` (the SDK's step wrapper), ``_saga`` (the rollback ledger) and ``definition``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from lunora_workflow.config import StepConfigLike
from lunora_workflow.events import WorkflowEvent
from lunora_workflow.fanout import FanOut
from lunora_workflow.log import Logger
from lunora_workflow.run_step import KEEP_CONFIG, Record, run_step
from lunora_workflow.saga import Saga
from lunora_workflow.steps import Steps

if TYPE_CHECKING:
    from collections.abc import Coroutine, Mapping

    from lunora_workflow.define_step import StepDefinition
    from lunora_workflow.functions import FunctionReference
    from lunora_workflow.handles import Workflows

__all__ = ["WorkflowContext"]

P = TypeVar("P")
A = TypeVar("A")
R = TypeVar("R")
D = TypeVar("D", bound=Record)


class WorkflowContext(FanOut, Generic[P]):
    """The run context of a workflow instance.

    - ``params``: the instance payload parsed into ``P`` (pydantic model, TypedDict,
      dataclass; left as sent when ``P`` is unannotated or ``Any``).
    - ``event``: :class:`WorkflowEvent` (``instance_id``, ``payload``, ``timestamp``,
      ``workflow_name``).
    - ``env``: the Worker's bindings. ``log``: structured logger ``[workflow:<export>]``.
    - ``step``: durable ``do``/``sleep``/``sleep_until``/``wait_for_event``.
    - ``run_step(step, args, config=...)``: run a ``define_step`` step.
    - ``workflows``: handles on the other declared workflows.
    - ``parallel(branches)`` / ``spawn(workflow, params)``: child instances (docs/fanout.md).
    """

    def __init__(
        self,
        *,
        export: str,
        params: P,
        event: WorkflowEvent,
        env: Any,
        sdk_step: Any,
        log: Logger,
        workflows: Workflows,
    ) -> None:
        self.export = export
        self.params = params
        self.event = event
        self.env = env
        self.log = log
        self.workflows = workflows
        self._sdk_step = sdk_step
        self._saga = Saga()
        self._children = 0  # derived child ids handed out in this run (fan-out)
        self.step = Steps(self)

    # Both overloads return the same R, so neither mypy's Any-ambiguity rule nor overlap
    # checks can blur the result. The second mirrors the runtime: a dataclass or pydantic
    # args type also takes a mapping of its fields (validated before the step starts).
    @overload
    async def run_step(
        self,
        step: StepDefinition[A, R],
        args: A,
        *,
        config: StepConfigLike | None = KEEP_CONFIG,
        name: str | None = None,
    ) -> R: ...

    @overload
    async def run_step(
        self,
        step: StepDefinition[D, R],
        args: Mapping[str, Any],
        *,
        config: StepConfigLike | None = KEEP_CONFIG,
        name: str | None = None,
    ) -> R: ...

    async def run_step(
        self,
        step: StepDefinition[Any, R],
        args: Any,
        *,
        config: StepConfigLike | None = KEEP_CONFIG,
        name: str | None = None,
    ) -> R:
        """Run a ``define_step`` step durably and return its validated output.

        ``args`` is validated against the step's args type first: an invalid value raises
        ``StepArgsError`` here and no durable step starts. ``config=`` replaces (does not
        merge with) the step's own retries/timeout for this call; ``name=`` overrides the
        durable label (it must be deterministic). ``args`` is typed as the step's ``A`` (a
        dataclass or pydantic ``A`` also accepts a mapping of its fields); the result is the
        handler's return type, awaited for an async handler.
        """
        return await run_step(self, step, args, config=config, name=name)

    def run(
        self,
        ref: FunctionReference[A, R],
        args: A,
        *,
        shard_key: str | None = None,
        dedup_id: str | None = None,
    ) -> Coroutine[Any, Any, R]:
        """Call a function by reference (``api.messages.send``) and await its result.

        ``args`` is validated against the function's args type; the call runs in-process when
        the function is defined in this Worker, else over HTTP on a Lunora backend
        (``LUNORA_ORIGIN_URL`` / ``LUNORA_ADMIN_TOKEN``). The dedup id is replay-stable:
        ``<export>/<instance>#body.<n>`` in the body, the enclosing step's scope inside a
        ``ctx.step.do`` callback; ``dedup_id=`` overrides it. See docs/functions.md.
        """
        from lunora_workflow.calls import body_runner

        runner = body_runner(self)
        return runner(ref, args, shard_key=shard_key, dedup_id=dedup_id)
