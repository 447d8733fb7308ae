"""Application functions: ``query`` / ``mutation`` / ``action`` and typed references to them.

A function lives in a module of the user's package (``lunora/messages.py``) and is declared
with a builder from the generated ``lunora/_generated/server.py``::

    @mutation
    async def send(ctx: MutationCtx, args: SendArgs) -> SendResult: ...

The decorator returns a :class:`FunctionDefinition`, which is itself a
:class:`FunctionReference` (path ``"messages:send"``). Codegen also writes
``lunora/_generated/api.py``, where ``api.messages.send`` is a typed ``FunctionReference``
that does not import the module; ``ctx.run`` imports it lazily when the call happens in-process
(see :mod:`lunora_workflow.calls`).

The contexts: :class:`QueryCtx` (``env``, ``log``), :class:`MutationCtx` and
:class:`ActionCtx` (also ``workflows``: the project's typed handle, one ``get`` overload per
exported workflow, bound by the generated ``server.py``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Literal, TypeVar

from lunora_workflow.errors import LunoraWorkflowError
from lunora_workflow.log import Logger, Sink
from lunora_workflow.schema import args_and_return_types

__all__ = [
    "ActionCtx",
    "FunctionBuilder",
    "FunctionDefinition",
    "FunctionDefinitionError",
    "FunctionKind",
    "FunctionReference",
    "MutationCtx",
    "QueryCtx",
    "function_path",
]

A = TypeVar("A")
R = TypeVar("R")
C = TypeVar("C")
W = TypeVar("W")

FunctionKind = Literal["query", "mutation", "action"]
_KINDS = ("query", "mutation", "action")
_PATH = re.compile(r"^[A-Za-z_]\w*(?:/[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
_CO_COROUTINE = 0x80


class FunctionDefinitionError(LunoraWorkflowError, TypeError):
    """A ``query``/``mutation``/``action`` declaration or reference cannot work."""


def function_path(module: str, name: str, package: str | None) -> str:
    """``"messages:send"`` for function ``send`` of module ``<package>.messages``; modules
    outside ``package`` keep their full dotted path, written with ``/``."""
    relative = module
    if package and module.startswith(package + "."):
        relative = module[len(package) + 1 :]
    return f"{relative.replace('.', '/')}:{name}"


class FunctionReference(Generic[A, R]):
    """A typed pointer to a function: ``path`` (``"messages:send"``) and ``kind``.

    ``A`` and ``R`` are the function's args and result types; ``ctx.run(ref, args)`` is
    checked against them by a type checker. ``module`` is the Python module that defines the
    function in this Worker (``None`` when it lives only on a Lunora backend, reached over
    HTTP). A reference to a remote function can be written by hand::

        charge = FunctionReference[ChargeArgs, Receipt]("payments:charge", kind="action")

    The subscripted form also tells ``ctx.run`` which types to validate against.
    """

    def __init__(
        self,
        path: str,
        *,
        kind: FunctionKind = "action",
        package: str | None = None,
        module: str | None = None,
    ) -> None:
        if not isinstance(path, str) or not _PATH.match(path):
            raise FunctionDefinitionError(
                f"function path {path!r} is not of the form '<module>:<function>' "
                "(e.g. 'messages:send', 'admin/users:create')"
            )
        if kind not in _KINDS:
            raise FunctionDefinitionError(
                f"function {path}: kind {kind!r} is not one of query, mutation, action"
            )
        self.path = path
        self.kind: FunctionKind = kind
        module_part, _, self.name = path.partition(":")
        if module is None and package is not None:
            module = f"{package}.{module_part.replace('/', '.')}"
        self.module = module

    def __repr__(self) -> str:
        return f"<{self.kind} {self.path}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FunctionReference):
            return NotImplemented
        return (self.path, self.kind, self.module) == (other.path, other.kind, other.module)

    def __hash__(self) -> int:
        return hash((self.path, self.kind, self.module))

    def declared_types(self) -> tuple[Any, Any]:
        """``(args type, result type)`` from a subscripted construction
        (``FunctionReference[X, Y](...)``), else ``(Any, Any)``."""
        alias = self.__dict__.get("__orig_class__")
        arguments = getattr(alias, "__args__", None)
        if isinstance(arguments, tuple) and len(arguments) == 2:
            return arguments[0], arguments[1]
        return Any, Any

    def resolve_local(self) -> FunctionDefinition[A, R] | None:
        """The definition in this Worker (importing its module), or ``None`` when the module
        or the function does not exist here. Errors raised *by* the module propagate."""
        if self.module is None:
            return None
        try:
            module = importlib.import_module(self.module)
        except ModuleNotFoundError as error:
            missing = error.name or ""
            if self.module == missing or self.module.startswith(missing + "."):
                return None
            raise
        found = getattr(module, self.name, None)
        return found if isinstance(found, FunctionDefinition) else None


def _positional_count(fn: Callable[..., Any]) -> int | None:
    code = getattr(fn, "__code__", None)
    return None if code is None else int(code.co_argcount)


class FunctionDefinition(FunctionReference[A, R]):
    """A declared function: the handler plus its kind, path and lazily read types.

    Call it with ``await definition.invoke(env, args)`` (what ``ctx.run`` does in-process) or
    ``await definition.handler(ctx, args)`` in a unit test.
    """

    def __init__(
        self,
        handler: Callable[[Any, A], Awaitable[R]],
        *,
        kind: FunctionKind,
        package: str | None,
        make_context: Callable[[Any, Logger, FunctionDefinition[Any, Any]], Any],
    ) -> None:
        module = str(getattr(handler, "__module__", "") or "")
        name = str(getattr(handler, "__name__", ""))
        super().__init__(function_path(module, name, package), kind=kind, module=module)
        self.handler = handler
        self.package = package
        self._make_context = make_context
        self.__doc__ = getattr(handler, "__doc__", None)
        self.__wrapped__ = handler

    def __repr__(self) -> str:
        return f"<{self.kind} {self.path} defined in {self.module}>"

    def _hints(self) -> tuple[Any, Any]:
        return args_and_return_types(
            self.handler, lambda reason: FunctionDefinitionError(f"function {self.path}: {reason}")
        )

    def declared_types(self) -> tuple[Any, Any]:
        """``(args type, result type)`` from the handler's annotations."""
        return self._hints()

    @property
    def args_type(self) -> Any:
        """The annotation of the handler's ``args`` parameter (``Any`` when unannotated)."""
        return self._hints()[0]

    @property
    def returns_type(self) -> Any:
        """The handler's return annotation (``Any`` when unannotated)."""
        return self._hints()[1]

    def context(
        self,
        env: Any,
        *,
        sink: Sink | None = None,
        dedup_id: str | None = None,
        shard_key: str | None = None,
    ) -> Any:
        """The context a call of this function receives (``QueryCtx``/``MutationCtx``/...)."""
        log = Logger(f"[{self.kind}:{self.path}]", sink=sink)
        ctx = self._make_context(env, log, self)
        ctx.dedup_id = dedup_id
        ctx.shard_key = shard_key
        return ctx

    async def invoke(
        self,
        env: Any,
        args: A,
        *,
        sink: Sink | None = None,
        dedup_id: str | None = None,
        shard_key: str | None = None,
    ) -> R:
        """Run the handler in-process with a fresh context; ``args`` is passed as given."""
        ctx = self.context(env, sink=sink, dedup_id=dedup_id, shard_key=shard_key)
        return await self.handler(ctx, args)


class QueryCtx:
    """What a query receives: ``env`` (the Worker's bindings) and ``log``.

    ``dedup_id`` / ``shard_key`` are what the caller passed to ``ctx.run`` (``None`` for a
    direct call): a function that has side effects can use the dedup id to make itself
    idempotent.
    """

    def __init__(self, *, env: Any, log: Logger) -> None:
        self.env = env
        self.log = log
        self.dedup_id: str | None = None
        self.shard_key: str | None = None


class MutationCtx(QueryCtx, Generic[W]):
    """What a mutation receives: ``env``, ``log`` and ``workflows``, the project's typed
    workflow handle (``ctx.workflows.get("channel_welcome").create(params=...)``)."""

    def __init__(self, *, env: Any, log: Logger, workflows: W) -> None:
        super().__init__(env=env, log=log)
        self.workflows = workflows


class ActionCtx(QueryCtx, Generic[W]):
    """What an action receives: ``env``, ``log`` and the typed ``workflows`` handle."""

    def __init__(self, *, env: Any, log: Logger, workflows: W) -> None:
        super().__init__(env=env, log=log)
        self.workflows = workflows


class FunctionBuilder(Generic[C]):
    """The ``query`` / ``mutation`` / ``action`` decorators of a generated ``server.py``.

    ``@mutation`` on ``async def send(ctx: MutationCtx, args: SendArgs) -> SendResult``
    returns a ``FunctionDefinition[SendArgs, SendResult]``. The function's path is
    ``<module relative to the package>:<function name>``; there is no name override, so the
    path codegen derives statically is always the one the runtime uses.
    """

    def __init__(
        self,
        kind: FunctionKind,
        *,
        package: str | None,
        context: Callable[..., C],
        workflows: Callable[[Any], Any] | None = None,
    ) -> None:
        if kind not in _KINDS:
            raise FunctionDefinitionError(f"unknown function kind {kind!r}")
        self.kind: FunctionKind = kind
        self.package = package
        self._context = context
        self._workflows = workflows

    def __repr__(self) -> str:
        return f"<{self.kind} builder for {self.package or 'functions'}>"

    def _make_context(self, env: Any, log: Logger, _definition: FunctionDefinition[Any, Any]) -> C:
        if self._workflows is None:
            return self._context(env=env, log=log)
        return self._context(env=env, log=log, workflows=self._workflows(env))

    def __call__(self, handler: Callable[[C, A], Awaitable[R]], /) -> FunctionDefinition[A, R]:
        """Declare ``handler`` (an ``async def (ctx, args)``) as a function of this kind."""
        where = f"@{self.kind}"
        if not callable(handler) or isinstance(handler, FunctionReference):
            raise FunctionDefinitionError(
                f"{where} must decorate an `async def (ctx, args)` function, got {handler!r}"
            )
        code = getattr(handler, "__code__", None)
        label = getattr(handler, "__qualname__", repr(handler))
        if code is None or not code.co_flags & _CO_COROUTINE:
            raise FunctionDefinitionError(f"{where} handler {label!r} must be an `async def`")
        count = _positional_count(handler)
        if count != 2:
            raise FunctionDefinitionError(
                f"{where} handler {label!r} must take two parameters (ctx, args), it takes {count}"
            )
        return FunctionDefinition(
            handler, kind=self.kind, package=self.package, make_context=self._make_context
        )
