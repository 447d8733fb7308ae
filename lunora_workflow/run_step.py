"""``ctx.run_step``: run a ``define_step`` step as one durable step.

Order of events for one call: check the label, pick the config (a per-call ``config=``
*replaces* the step's own), validate the arguments (an invalid argument raises
:class:`StepArgsError` in the body and no durable step is started), reserve a start ordinal
for the saga, run the handler inside ``step.do``, validate its result against the declared
return type (a mismatch is non-retryable), store it as JSON, and hand back the stored copy
parsed into the return type, so the first run and every replay see the same value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from lunora_workflow.config import StepConfigLike, config_from
from lunora_workflow.durable import check_step_name, run_durable, stored_result
from lunora_workflow.errors import SchemaError, StepArgsError, StepOutputError
from lunora_workflow.saga import check_rollback_name
from lunora_workflow.schema import describe, parse_value
from lunora_workflow.step_context import StepContext, StepInfo

if TYPE_CHECKING:
    from lunora_workflow.context import WorkflowContext
    from lunora_workflow.define_step import StepDefinition

__all__ = ["KEEP_CONFIG", "Record", "run_step"]

R = TypeVar("R")


class _Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


class _Model(Protocol):
    def model_dump(self, *args: Any, **kwargs: Any) -> dict[str, Any]: ...


#: An args type that :func:`~lunora_workflow.schema.parse_value` also builds from a mapping
#: of its fields: a dataclass or a pydantic model.
Record = _Dataclass | _Model


class _KeepConfig:
    def __repr__(self) -> str:
        return "KEEP_CONFIG"


#: The default of ``config=``: use the step's declared config. (``None`` means "no config",
#: i.e. the platform defaults, which is a legitimate override.)
KEEP_CONFIG: Any = _KeepConfig()


def _parse_output(step: StepDefinition[Any, Any], value: Any, returns: Any) -> Any:
    try:
        return parse_value(returns, value, "output")
    except SchemaError as error:
        raise StepOutputError(
            f'step "{step.name}" returned a value that does not match {describe(returns)}: {error}'
        ) from error


async def run_step(
    context: WorkflowContext[Any],
    step: StepDefinition[Any, R],
    args: Any,
    *,
    config: StepConfigLike | None = KEEP_CONFIG,
    name: str | None = None,
) -> R:
    """See :meth:`lunora_workflow.context.WorkflowContext.run_step`."""
    if not hasattr(step, "handler") or not hasattr(step, "rollback_handler"):
        raise TypeError(f"ctx.run_step expects a define_step step, got {step!r}")
    label = check_step_name(step.name if name is None else name, api="ctx.run_step")
    if step.rollback_handler is not None:
        check_rollback_name(label, api="ctx.run_step")
    where = f'step "{label}"'
    settings = step.config if config is KEEP_CONFIG else config_from(config, where=where)
    args_type, returns = step.args_type, step.returns_type
    try:
        validated = parse_value(args_type, args, f"{where} args")
    except SchemaError as error:
        raise StepArgsError(str(error)) from error
    ordinal = context._saga.start()
    from lunora_workflow.calls import active_runner, scoped

    async def body(raw: Any) -> Any:
        info = StepInfo.from_sdk(raw, label, settings)
        step_ctx = StepContext(
            attempt=info.attempt,
            name=info.name,
            count=info.count,
            config=info.config,
            env=context.env,
            log=context.log.bind(step=label, attempt=info.attempt),
            run=active_runner(),  # ctx.run pinned to "#step<ordinal>.<n>"
        )
        result = step.handler(step_ctx, validated)
        if hasattr(result, "__await__"):
            result = await result
        return stored_result(label, _parse_output(step, result, returns))

    stored = await run_durable(
        context._sdk_step, label, settings, scoped(context, f"step{ordinal}", settings, body)
    )
    output: R = _parse_output(step, stored, returns)
    context._saga.completed(ordinal, label, step, validated, output)
    return output
