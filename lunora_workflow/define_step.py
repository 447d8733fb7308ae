"""``define_step``: a reusable, validated durable step with an optional rollback.

A step handler is ``(ctx: StepContext, args: A) -> R`` (sync or async). ``A`` and ``R`` are
read lazily from the annotations (so ``from __future__ import annotations`` works) and used to
validate the arguments before the durable step starts and the result after it ran.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar, overload

from lunora_workflow.config import RetriesLike, StepConfigLike, build_config, config_from
from lunora_workflow.durable import check_step_name
from lunora_workflow.durations import Duration
from lunora_workflow.errors import WorkflowDefinitionError
from lunora_workflow.saga import check_rollback_name
from lunora_workflow.schema import args_and_return_types
from lunora_workflow.step_context import RollbackContext, StepContext

__all__ = ["RollbackHandler", "StepDecorator", "StepDefinition", "StepHandler", "define_step"]

A = TypeVar("A")
R = TypeVar("R")

#: ``(ctx, args) -> R`` or an awaitable of it.
StepHandler = Callable[[StepContext, A], Any]
#: ``(ctx) -> None`` or an awaitable of it.
RollbackHandler = Callable[[RollbackContext[A, R]], Any]

_CO_VARARGS = 0x04


def _positional_names(fn: Callable[..., Any]) -> list[str] | None:
    code = getattr(fn, "__code__", None)
    if code is None or code.co_flags & _CO_VARARGS:
        return None
    return list(code.co_varnames[: code.co_argcount])


def _check_rollback_handler(fn: Callable[..., Any], where: str) -> None:
    """Refuse a rollback that cannot be called with the one ``RollbackContext`` argument now,
    rather than when compensation calls it (a failing rollback is only logged and skipped)."""
    if not callable(fn):
        raise WorkflowDefinitionError(f"{where}: the rollback must be a function")
    code = getattr(fn, "__code__", None)
    if code is None or hasattr(fn, "__self__") or code.co_flags & _CO_VARARGS:
        return  # other callables, bound methods and *args: cannot be read cheaply; trust them
    total = code.co_argcount
    required = total - len(getattr(fn, "__defaults__", None) or ())
    if not required <= 1 <= total:
        raise WorkflowDefinitionError(
            f"{where}: the rollback {getattr(fn, '__qualname__', fn)!r} must take one argument "
            f"(ctx: RollbackContext[Args, Output]), it takes {total} positional parameter(s)"
        )


def _config(retries: object, timeout: object, config: object, where: str) -> dict[str, Any] | None:
    if config is not None and (retries is not None or timeout is not None):
        raise WorkflowDefinitionError(
            f"{where}: pass either config= or retries=/timeout=, not both"
        )
    if config is not None:
        return config_from(config, where=where)
    return build_config(retries=retries, timeout=timeout, where=where)


class StepDefinition(Generic[A, R]):
    """A step made by :func:`define_step`; run it with ``await ctx.run_step(step, args)``."""

    def __init__(
        self,
        handler: StepHandler[A],
        *,
        name: str,
        config: Mapping[str, Any] | None,
        rollback: RollbackHandler[A, R] | None = None,
        rollback_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.handler = handler
        self.name = name
        #: The SDK ``config=`` dict (validated), or ``None`` for the platform defaults.
        self.config = config
        self.rollback_handler = rollback
        self.rollback_config = rollback_config
        self.__doc__ = getattr(handler, "__doc__", None)
        self.__wrapped__ = handler

    def __repr__(self) -> str:
        return f"<StepDefinition {self.name!r}>"

    def _hints(self) -> tuple[Any, Any]:
        return args_and_return_types(
            self.handler, lambda reason: WorkflowDefinitionError(f'step "{self.name}": {reason}')
        )

    @property
    def args_type(self) -> Any:
        """The declared type of the handler's second parameter (``Any`` when unannotated)."""
        return self._hints()[0]

    @property
    def returns_type(self) -> Any:
        """The handler's declared return type (``Any`` when unannotated)."""
        return self._hints()[1]

    @overload
    def rollback(self, fn: RollbackHandler[A, R], /) -> RollbackHandler[A, R]: ...

    @overload
    def rollback(
        self,
        /,
        *,
        retries: RetriesLike | None = None,
        timeout: Duration | None = None,
        config: StepConfigLike | None = None,
    ) -> Callable[[RollbackHandler[A, R]], RollbackHandler[A, R]]: ...

    def rollback(
        self,
        fn: Any = None,
        /,
        *,
        retries: RetriesLike | None = None,
        timeout: Duration | None = None,
        config: StepConfigLike | None = None,
    ) -> Any:
        """Register the compensation run when a later part of the workflow fails.

        ``@step.rollback`` or ``@step.rollback(retries=..., timeout=...)``; returns the
        function unchanged. See docs/runtime.md for when rollbacks run.
        """
        where = f'step "{self.name}" rollback'

        def register(handler: RollbackHandler[A, R]) -> RollbackHandler[A, R]:
            _check_rollback_handler(handler, where)
            if self.rollback_handler is not None and self.rollback_handler is not handler:
                raise WorkflowDefinitionError(f"{where}: a rollback is already registered")
            _check_rollback_name(self.name)
            self.rollback_handler = handler
            settings = _config(retries, timeout, config, where)
            if settings is not None:
                self.rollback_config = settings
            return handler

        return register if fn is None else register(fn)


def _check_rollback_name(label: str) -> None:
    try:
        check_rollback_name(label, api="define_step")
    except ValueError as error:
        raise WorkflowDefinitionError(str(error)) from error


# Typing: ``StepDefinition[A, R]`` carries the handler's *awaited* result, so
# ``await ctx.run_step(step, args)`` is ``R`` for sync and async handlers alike. Each form has
# an async overload (``-> Awaitable[R]``) before a sync one (``-> R``): a type checker that
# follows the typing spec's overload rules picks the first for every coroutine function. mypy
# instead calls the pick ambiguous when the handler's signature mentions ``Any`` (e.g.
# ``-> dict[str, Any]``) and falls back to ``StepDefinition[Any, Any]`` (typed, never "untyped
# decorator"); ``lunora_codegen.mypy_plugin`` restores the precise type there.


class StepDecorator(Protocol):
    """What ``define_step(name=..., retries=...)`` returns: apply it to the handler."""

    @overload
    def __call__(
        self, handler: Callable[[StepContext, A], Awaitable[R]], /
    ) -> StepDefinition[A, R]: ...

    @overload
    def __call__(self, handler: Callable[[StepContext, A], R], /) -> StepDefinition[A, R]: ...


@overload
def define_step(handler: Callable[[StepContext, A], Awaitable[R]], /) -> StepDefinition[A, R]: ...


@overload
def define_step(handler: Callable[[StepContext, A], R], /) -> StepDefinition[A, R]: ...


@overload
def define_step(
    *,
    handler: Callable[[StepContext, A], Awaitable[R]],
    name: str | None = None,
    retries: RetriesLike | None = None,
    timeout: Duration | None = None,
    config: StepConfigLike | None = None,
    rollback: RollbackHandler[A, R] | None = None,
    rollback_config: StepConfigLike | None = None,
) -> StepDefinition[A, R]: ...


@overload
def define_step(
    *,
    handler: Callable[[StepContext, A], R],
    name: str | None = None,
    retries: RetriesLike | None = None,
    timeout: Duration | None = None,
    config: StepConfigLike | None = None,
    rollback: RollbackHandler[A, R] | None = None,
    rollback_config: StepConfigLike | None = None,
) -> StepDefinition[A, R]: ...


@overload
def define_step(
    *,
    name: str | None = None,
    retries: RetriesLike | None = None,
    timeout: Duration | None = None,
    config: StepConfigLike | None = None,
    rollback: RollbackHandler[Any, Any] | None = None,
    rollback_config: StepConfigLike | None = None,
) -> StepDecorator: ...


def define_step(
    handler: StepHandler[Any] | None = None,
    *,
    name: str | None = None,
    retries: RetriesLike | None = None,
    timeout: Duration | None = None,
    config: StepConfigLike | None = None,
    rollback: RollbackHandler[Any, Any] | None = None,
    rollback_config: StepConfigLike | None = None,
) -> Any:
    """Define a reusable durable step.

    Forms: ``@define_step``, ``@define_step(name=..., retries=..., timeout=...)`` and
    ``define_step(handler=fn, name=...)``. ``name`` (default: the function's name) is the
    durable step label. ``config=`` (``StepConfig`` or ``{"retries", "timeout"}``) is an
    alternative to ``retries=``/``timeout=``.
    """

    def build(fn: StepHandler[Any]) -> StepDefinition[Any, Any]:
        if not callable(fn):
            raise WorkflowDefinitionError(
                f"define_step: handler must be a function (the step body), got {fn!r}"
            )
        names = _positional_names(fn)
        if names is not None and len(names) != 2:
            raise WorkflowDefinitionError(
                f"define_step: handler {getattr(fn, '__qualname__', fn)!r} must take "
                f"(ctx, args), it takes {len(names)} positional parameter(s)"
            )
        label = name if name is not None else getattr(fn, "__name__", "")
        if not isinstance(label, str) or not label.strip():
            raise WorkflowDefinitionError(
                "define_step: `name` must be a non-empty string (the durable step label)"
            )
        try:
            check_step_name(label, api="define_step")
        except ValueError as error:
            raise WorkflowDefinitionError(str(error)) from error
        where = f'step "{label}"'
        if rollback is not None and not callable(rollback):
            raise WorkflowDefinitionError(f"{where}: `rollback` must be a function when provided")
        if rollback is not None:
            _check_rollback_handler(rollback, f"{where} rollback")
            _check_rollback_name(label)
        return StepDefinition(
            fn,
            name=label,
            config=_config(retries, timeout, config, where),
            rollback=rollback,
            rollback_config=config_from(rollback_config, where=f"{where} rollback"),
        )

    return build if handler is None else build(handler)
