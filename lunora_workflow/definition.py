"""``define_workflow``: mark an ``async def body(ctx: WorkflowContext[P]) -> O`` as a workflow.

The Params type ``P`` and output type ``O`` are read lazily from the handler's annotations
(``typing.get_type_hints``, so postponed annotations work), the first time an instance runs or
a handle validates params: defining a workflow costs nothing at import.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar, overload

from lunora_workflow import naming
from lunora_workflow.context import WorkflowContext
from lunora_workflow.errors import WorkflowDefinitionError
from lunora_workflow.schema import resolve_hints

__all__ = ["WorkflowDefinition", "WorkflowHandler", "define_workflow", "is_workflow_definition"]

P = TypeVar("P")
O = TypeVar("O")  # noqa: E741 - mirrors the design's WorkflowDefinition[P, O]

WorkflowHandler = Callable[[WorkflowContext[P]], Awaitable[O]]

_CO_COROUTINE = 0x80


class WorkflowDefinition(Generic[P, O]):
    """A workflow made by :func:`define_workflow`.

    ``handler`` is the body; ``name`` the deployed-name override (``None``: derived from the
    export name by :func:`lunora_workflow.naming.deployed_name`).
    """

    def __init__(self, handler: WorkflowHandler[P, O], name: str | None = None) -> None:
        self.handler = handler
        self.name = name
        self.__doc__ = getattr(handler, "__doc__", None)
        self.__wrapped__ = handler

    def __repr__(self) -> str:
        label = getattr(self.handler, "__qualname__", repr(self.handler))
        return f"<WorkflowDefinition {label}{f' name={self.name!r}' if self.name else ''}>"

    def deployed_name(self, export: str) -> str:
        """The deployed workflow name for ``export`` (the override wins)."""
        return naming.deployed_name(export, self.name)

    def _hints(self) -> tuple[Any, Any]:
        try:
            hints = resolve_hints(self.handler)
        except Exception as error:
            raise WorkflowDefinitionError(
                f"define_workflow: cannot resolve the annotations of "
                f"{getattr(self.handler, '__qualname__', self.handler)!r}: {error}"
            ) from error
        code = getattr(self.handler, "__code__", None)
        first = code.co_varnames[0] if code is not None and code.co_argcount else None
        ctx_hint = hints.get(first, Any) if first else Any
        params: Any = Any
        if typing.get_origin(ctx_hint) is WorkflowContext:
            (params,) = typing.get_args(ctx_hint)
        return params, hints.get("return", Any)

    @property
    def params_type(self) -> Any:
        """``P`` from the handler's ``ctx: WorkflowContext[P]`` annotation (else ``Any``)."""
        return self._hints()[0]

    @property
    def output_type(self) -> Any:
        """The handler's return annotation (``Any`` when missing)."""
        return self._hints()[1]


def is_workflow_definition(value: object) -> bool:
    """True for values made by :func:`define_workflow`."""
    return isinstance(value, WorkflowDefinition)


def _build(handler: object, name: object) -> WorkflowDefinition[Any, Any]:
    code = getattr(handler, "__code__", None)
    if not callable(handler) or code is None or not code.co_flags & _CO_COROUTINE:
        raise WorkflowDefinitionError(
            "define_workflow: `handler` must be an async function (the workflow body), "
            f"got {handler!r}"
        )
    if code.co_argcount != 1:
        raise WorkflowDefinitionError(
            f"define_workflow: handler {handler.__qualname__!r} must take exactly one "  # type: ignore[attr-defined]
            f"argument (ctx: WorkflowContext[Params]), it takes {code.co_argcount}"
        )
    if name is not None:
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(
                "define_workflow: `name` must be a non-empty string when provided"
            )
        problem = naming.deployed_name_problem(name)
        if problem is not None:
            raise WorkflowDefinitionError(f"define_workflow: {problem}")
    return WorkflowDefinition(handler, name)


@overload
def define_workflow(handler: WorkflowHandler[P, O], /) -> WorkflowDefinition[P, O]: ...


@overload
def define_workflow(
    *, handler: WorkflowHandler[P, O], name: str | None = None
) -> WorkflowDefinition[P, O]: ...


@overload
def define_workflow(
    *, name: str | None = None
) -> Callable[[WorkflowHandler[P, O]], WorkflowDefinition[P, O]]: ...


def define_workflow(handler: Any = None, *, name: str | None = None) -> Any:
    """Declare a workflow: ``@define_workflow``, ``@define_workflow(name="...")`` or
    ``define_workflow(handler=fn, name="...")``.

    ``name`` overrides only the deployed name; the class and binding always derive from the
    export name (see :mod:`lunora_workflow.naming`).
    """
    if handler is None:

        def decorate(fn: WorkflowHandler[Any, Any]) -> WorkflowDefinition[Any, Any]:
            return _build(fn, name)

        return decorate
    return _build(handler, name)
