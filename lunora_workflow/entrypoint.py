"""The bridge between a generated ``WorkflowEntrypoint`` class and a workflow definition.

``WorkflowEntrypoint`` is the SDK's own class inside a Worker (``sys.platform ==
"emscripten"``: its ``__init_subclass__`` wraps ``run`` and workerd recognises workflow
classes by that base) and a CPython stand-in with the same constructor elsewhere, so the
generated module imports under pytest.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from lunora_workflow.branch_marker import extract_marker, has_marker, strip_marker
from lunora_workflow.branch_outcome import error_outcome, ok_outcome, signal_parent
from lunora_workflow.context import WorkflowContext
from lunora_workflow.definition import WorkflowDefinition
from lunora_workflow.errors import (
    SchemaError,
    WorkflowOutputError,
    WorkflowParamsError,
    to_platform_error,
)
from lunora_workflow.events import WorkflowEvent
from lunora_workflow.handles import Workflows, WorkflowSpec
from lunora_workflow.log import Logger
from lunora_workflow.schema import describe, parse_params
from lunora_workflow.serialize import NotJsonError, to_jsonable

__all__ = ["WorkflowEntrypoint", "run_workflow"]

if sys.platform == "emscripten":  # pragma: no cover - only inside a Worker
    from workers import WorkflowEntrypoint
else:

    class WorkflowEntrypoint:
        """CPython stand-in for ``workers.WorkflowEntrypoint``: same constructor."""

        def __init__(self, ctx: Any, env: Any) -> None:
            self.ctx = ctx
            self.env = env


def _specs_of(entrypoint: object) -> Callable[[], Mapping[str, WorkflowSpec]]:
    """Look up ``SPECS`` in the module that defines the entrypoint class (codegen's module),
    lazily, so that module may still be finishing its import when the class is built."""

    def load() -> Mapping[str, WorkflowSpec]:
        module = sys.modules.get(type(entrypoint).__module__)
        specs = getattr(module, "SPECS", None)
        return specs if isinstance(specs, Mapping) else {}

    return load


def _raise(error: Exception) -> NoReturn:
    converted = to_platform_error(error)
    if converted is error:
        raise error
    raise converted


async def run_workflow(
    entrypoint: Any,
    definition: WorkflowDefinition[Any, Any],
    event: Any,
    step: Any,
    *,
    export: str,
    specs: Mapping[str, WorkflowSpec] | None = None,
    log: Logger | None = None,
) -> Any:
    """Run ``definition`` for one (re)play of an instance and return its JSON output.

    ``event`` and ``step`` are what the SDK passes to ``run`` after its own wrapping.
    Params that do not fit the Params type fail the instance non-retryably. When the body
    raises an ``Exception``, the saga rolls back completed ``run_step`` steps, then the
    original error is re-raised (a portable ``NonRetryableError`` as the SDK's class).
    A ``BaseException`` (suspension, cancellation) passes straight through.

    A fan-out child (its params carry a well-formed parent marker, see
    :mod:`lunora_workflow.branch_marker`) gets its params without the marker and reports its
    outcome, success or failure, to the parent in the durable step ``lunora:signal:<index>``.
    """
    logger = log or Logger.for_workflow(export)
    workflow_event = WorkflowEvent.from_sdk(event)
    if not has_marker(workflow_event.payload):
        return await _run(entrypoint, definition, workflow_event, step, export, specs, logger)
    marker = extract_marker(workflow_event.payload)
    workflow_event = dataclasses.replace(
        workflow_event, payload=strip_marker(workflow_event.payload)
    )
    if marker is None:
        logger.warn("ignoring a malformed fan-out parent marker in the params")
        return await _run(entrypoint, definition, workflow_event, step, export, specs, logger)
    child = f'workflow "{export}" instance "{workflow_event.instance_id}"'
    signal = functools.partial(
        signal_parent,
        sdk_step=step,
        env=getattr(entrypoint, "env", None),
        specs=specs if specs is not None else _specs_of(entrypoint)(),
        marker=marker,
        log=logger,
        child=child,
    )
    try:
        output = await _run(entrypoint, definition, workflow_event, step, export, specs, logger)
    except Exception as error:
        await signal(outcome=error_outcome(error))
        raise
    await signal(outcome=ok_outcome(output))
    return output


async def _run(
    entrypoint: Any,
    definition: WorkflowDefinition[Any, Any],
    workflow_event: WorkflowEvent,
    step: Any,
    export: str,
    specs: Mapping[str, WorkflowSpec] | None,
    logger: Logger,
) -> Any:
    params_type = definition.params_type
    try:
        params = parse_params(params_type, workflow_event.payload)
    except SchemaError as error:
        failure = WorkflowParamsError(
            f'workflow "{export}": the instance params do not fit {describe(params_type)}: {error}'
        )
        failure.__cause__ = error
        _raise(failure)
    env = getattr(entrypoint, "env", None)
    context: WorkflowContext[Any] = WorkflowContext(
        export=export,
        params=params,
        event=workflow_event,
        env=env,
        sdk_step=step,
        log=logger,
        workflows=Workflows(env, specs if specs is not None else _specs_of(entrypoint)),
    )
    try:
        output = await definition.handler(context)
    except Exception as error:
        await context._saga.compensate(context, error)
        _raise(error)
    try:
        return to_jsonable(output)
    except NotJsonError as error:
        bad_output = WorkflowOutputError(
            f'workflow "{export}" returned a value that is not JSON-serialisable at '
            f"{error.path}: {error.kind}"
        )
        bad_output.__cause__ = error
        _raise(bad_output)
