"""The ``step`` object the engine hands to ``run(event, step)``: the Python SDK's API.

:class:`WorkflowStep` has the surface of the SDK's ``_WorkflowStepWrapper``: ``step.do`` is a
decorator factory in both modes (implicit: ``do(name=None, *, concurrent=False, config=None)``,
dependencies named by parameter; legacy: ``do(name, depends=None, concurrent=False,
config=None)``), with the same ``TypeError``s for bad signatures; ``sleep``, ``sleep_until`` and
``wait_for_event(name, event_type, /, timeout=...)``. The durable part (caching, retries,
hibernation) lives in :class:`lunora_workflow.testing.execution.Execution`.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from lunora_workflow.testing.execution import Execution

__all__ = ["StepFunction", "WorkflowStep"]

#: What ``@step.do(...)`` turns a function into: an async zero-argument callable.
StepFunction = Callable[[], Coroutine[Any, Any, Any]]


def _parameter_names(func: Callable[..., Any]) -> list[str]:
    """The parameter names ``inspect.signature`` would list, in order.

    Plain functions are read from their code object: a body replayed a hundred times declares
    its step functions a hundred times, and ``inspect.signature`` would dominate the cost.
    """
    code = getattr(func, "__code__", None)
    if (
        type(func) is types.FunctionType
        and code is not None
        and not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
        and not code.co_kwonlyargcount
    ):
        return list(code.co_varnames[: code.co_argcount])
    return list(inspect.signature(func).parameters)


class _CtxSlot:
    """Stands for the ``ctx`` parameter until the engine supplies the step context."""


_CTX = _CtxSlot()


class WorkflowStep:
    """The engine's implementation of the SDK's step wrapper, for one execution of a body.

    ``lunora_stubs`` maps function paths to stand-ins registered with
    ``WorkflowTestEnv.stub_function``; the runtime's ``ctx.run`` consults it (see
    :func:`lunora_workflow.testing.hooks.find_stub`).
    """

    do: Callable[..., Callable[[Callable[..., Any]], StepFunction]]

    def __init__(self, execution: Execution, *, implicit: bool) -> None:
        self._execution = execution
        self._memoized: dict[Any, Any] = {}
        self._in_flight: dict[Any, asyncio.Task[Any]] = {}
        self.step_closures: dict[str, StepFunction] = {}
        self.implicit = implicit
        self.lunora_stubs = execution.stubs
        self.do = self._do_implicit if implicit else self._do_legacy

    # -- step.do ------------------------------------------------------------------------------

    def _do_legacy(
        self,
        name: str | None,
        depends: list[StepFunction] | None = None,
        concurrent: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], StepFunction]:
        return self._decorator(name, depends, concurrent, config, implicit=False)

    def _do_implicit(
        self,
        name: str | None = None,
        *,
        concurrent: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], StepFunction]:
        return self._decorator(name, None, concurrent, config, implicit=True)

    def _decorator(
        self,
        name: str | None,
        depends: list[StepFunction] | None,
        concurrent: bool,
        config: dict[str, Any] | None,
        *,
        implicit: bool,
    ) -> Callable[[Callable[..., Any]], StepFunction]:
        def decorate(func: Callable[..., Any]) -> StepFunction:
            step_name = func.__name__ if name is None else name

            async def wrapper() -> Any:
                sources = self._dependencies(func, depends, implicit=implicit)
                values = await self._resolve_all(sources, concurrent=concurrent) if sources else []
                return await self._call(step_name, wrapper, config, func, values)

            wrapper._step_name = step_name  # type: ignore[attr-defined]
            self.step_closures[step_name] = wrapper
            return wrapper

        return decorate

    def _dependencies(
        self, func: Callable[..., Any], depends: list[StepFunction] | None, *, implicit: bool
    ) -> list[Any]:
        parameters = _parameter_names(func)
        sources: list[Any] = []
        if implicit:
            for parameter in parameters:
                if parameter in self.step_closures:
                    sources.append(self.step_closures[parameter])
                elif parameter == "ctx":
                    sources.append(_CTX)
                else:
                    raise TypeError(f"Received unexpected parameter {parameter}")
            return sources
        plain = [p for p in parameters if p != "ctx"]
        if depends is None and plain:
            raise TypeError(
                f"Step has {len(plain)} non-ctx parameter(s) but no 'depends' list provided"
            )
        if depends is not None and len(depends) != len(plain):
            raise TypeError(
                f"Step declares {len(plain)} non-ctx parameter(s) but 'depends' has "
                f"{len(depends)} item(s)"
            )
        remaining = iter(depends or [])
        for parameter in parameters:
            if parameter == "ctx":
                sources.append(_CTX)
                continue
            dependency = next(remaining)
            if not hasattr(dependency, "_step_name"):
                raise TypeError(
                    f"'depends' entry for parameter {parameter!r} is not a "
                    "function decorated with step.do"
                )
            sources.append(dependency)
        return sources

    async def _resolve_all(self, sources: list[Any], *, concurrent: bool) -> list[Any]:
        if concurrent:
            return list(await asyncio.gather(*(self._resolve(s) for s in sources)))
        return [await self._resolve(source) for source in sources]

    async def _resolve(self, source: Any) -> Any:
        # Within one execution a dependency runs once: later dependants share its result.
        if source is _CTX:
            return _CTX
        if source in self._memoized:
            return self._memoized[source]
        if source in self._in_flight:
            return await self._in_flight[source]
        return await source()

    async def _call(
        self,
        step_name: str,
        key: Any,
        config: dict[str, Any] | None,
        func: Callable[..., Any],
        values: list[Any],
    ) -> Any:
        def invoke(ctx: Any) -> Any:
            return func(*(ctx if value is _CTX else value for value in values))

        record = self._execution.begin_do(step_name, config)
        if record.status != "pending":
            # Replays answer from storage without a task (a long replay stays cheap), but
            # still yield once, as the platform's promise would, so concurrent branches
            # interleave as they did on the first run.
            await asyncio.sleep(0)
            result = self._execution.cached(record)
            self._memoized[key] = result
            return result
        task = asyncio.ensure_future(self._execution.run_do(record, invoke))
        self._in_flight[key] = task
        try:
            result = await task
            self._memoized[key] = result
        finally:
            self._in_flight.pop(key, None)
        return result

    # -- sleeps and events --------------------------------------------------------------------

    def sleep(self, name: str, duration: Any) -> Awaitable[None]:
        """Sleep for ``duration`` (a duration string or milliseconds) in virtual time."""
        return self._execution.sleep(name, duration)

    def sleep_until(self, name: str, timestamp: Any) -> Awaitable[None]:
        """Sleep until ``timestamp`` (a datetime, epoch milliseconds or an ISO string)."""
        return self._execution.sleep_until(name, timestamp)

    async def wait_for_event(
        self,
        name: str,
        event_type: str,
        /,
        timeout: Any = "24 hours",  # noqa: ASYNC109 - the SDK's signature
    ) -> Any:
        """Wait for an event of ``event_type``; returns ``{"payload", "timestamp", "type"}``."""
        return await self._execution.wait_for_event(name, event_type, timeout)
