"""Saga compensation: run the rollbacks of completed ``run_step`` steps when the body fails.

Cloudflare's Python SDK exposes no native rollback, so the runtime keeps a ledger of the
``run_step`` calls of this run (replayed ones included: a memoized step "completes" again on
every replay) and, when the workflow body raises an ``Exception``, runs each registered
rollback as its own durable step ``lunora:rollback:<step name>``, newest first. The durable
memo is what makes compensation replay-safe: after a crash, the replayed body fails the same
way, the same rollback steps are issued in the same order, and the finished ones return their
stored result instead of running again. Exact semantics: docs/runtime.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lunora_workflow import naming
from lunora_workflow.durable import check_platform_step_name, run_durable
from lunora_workflow.step_context import RollbackContext, StepInfo

if TYPE_CHECKING:
    from lunora_workflow.context import WorkflowContext
    from lunora_workflow.define_step import StepDefinition

__all__ = [
    "ROLLBACK_STEP_PREFIX",
    "CompletedStep",
    "Saga",
    "check_rollback_name",
    "rollback_step_name",
]

ROLLBACK_STEP_PREFIX = naming.RESERVED_STEP_PREFIX + "rollback:"


def rollback_step_name(step_name: str) -> str:
    """The durable step that runs the rollback of ``step_name``."""
    return ROLLBACK_STEP_PREFIX + step_name


def check_rollback_name(step_name: str, *, api: str) -> None:
    """Refuse a step label whose rollback step name Cloudflare would reject.

    Checked up front (at definition and at ``run_step``) because compensation is the wrong
    moment to find out: a refused rollback step is logged and skipped like a failing one.
    """
    check_platform_step_name(
        rollback_step_name(step_name), api=api, what=f'the rollback step name of "{step_name}"'
    )


@dataclass(frozen=True)
class CompletedStep:
    """A finished ``run_step`` call that has a rollback. ``ordinal`` is its start order."""

    ordinal: int
    name: str
    step: StepDefinition[Any, Any]
    args: Any
    output: Any


class Saga:
    """The rollback ledger of one run of the workflow body."""

    def __init__(self) -> None:
        self._started = 0
        self._completed: list[CompletedStep] = []

    def start(self) -> int:
        """Reserve the start ordinal of a ``run_step`` call (taken before its first await, so
        concurrent calls are ordered by the body's deterministic call order, not by timing)."""
        ordinal = self._started
        self._started += 1
        return ordinal

    def completed(
        self, ordinal: int, name: str, step: StepDefinition[Any, Any], args: Any, output: Any
    ) -> None:
        """Record a finished step; only steps with a rollback are worth recording."""
        if step.rollback_handler is not None:
            self._completed.append(CompletedStep(ordinal, name, step, args, output))

    @property
    def pending(self) -> list[CompletedStep]:
        """The recorded steps in compensation order: the last started first."""
        return sorted(self._completed, key=lambda entry: entry.ordinal, reverse=True)

    async def compensate(self, context: WorkflowContext[Any], error: Exception) -> None:
        """Run every pending rollback as a durable step, newest first.

        A rollback that still fails after its retries is logged and skipped; the others run.
        Only ``Exception`` is caught: a suspension (``BaseException``) inside a rollback stops
        compensation here and the replay resumes it.
        """
        pending = self.pending
        if not pending:
            return
        context.log.warn(
            "workflow failed; rolling back completed steps",
            error=f"{type(error).__name__}: {error}",
            steps=[entry.name for entry in pending],
        )
        for entry in pending:
            await self._run_one(context, entry, error)

    async def _run_one(
        self, context: WorkflowContext[Any], entry: CompletedStep, error: Exception
    ) -> None:
        handler = entry.step.rollback_handler
        assert handler is not None
        name = rollback_step_name(entry.name)
        config = entry.step.rollback_config
        from lunora_workflow.calls import active_runner, scoped

        async def body(raw: Any) -> None:
            info = StepInfo.from_sdk(raw, name, config)
            rollback_ctx: RollbackContext[Any, Any] = RollbackContext(
                args=entry.args,
                output=entry.output,
                error=error,
                env=context.env,
                log=context.log.bind(rollback=entry.name, attempt=info.attempt),
                attempt=info.attempt,
                name=info.name,
                config=info.config,
                run=active_runner(),  # ctx.run pinned to "#step<ordinal>rollback.<n>"
            )
            result = handler(rollback_ctx)
            if hasattr(result, "__await__"):
                await result

        scope = f"step{entry.ordinal}rollback"
        try:
            await run_durable(context._sdk_step, name, config, scoped(context, scope, config, body))
        except Exception as failure:
            context.log.error(
                "rollback failed; continuing with the remaining rollbacks",
                step=entry.name,
                error=f"{type(failure).__name__}: {failure}",
            )
