"""Workflow bindings on the Worker ``env``, shaped like the Python SDK's wrappers.

``env.MY_WORKFLOW`` is a :class:`WorkflowBinding` (the SDK's ``_WorkflowBindingWrapper``:
async ``create``, ``create_batch``, ``get``) and instances are :class:`WorkflowInstanceHandle`
(``id``; async ``status``, ``pause``, ``resume``, ``terminate``, ``restart``, ``send_event``).
As with Pyodide, keyword arguments are folded into one trailing options object, so
``create(id="a", params={...})`` and ``create({"id": "a", "params": {...}})`` are the same.
Results are :class:`~lunora_workflow.testing.wire.JsDict`, as after ``python_from_rpc``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from lunora_workflow.testing.wire import JsDict, from_wire

if TYPE_CHECKING:
    from lunora_workflow.testing.engine import WorkflowTestEnv
    from lunora_workflow.testing.state import Registration

__all__ = ["ExecutionContext", "WorkerEnv", "WorkflowBinding", "WorkflowInstanceHandle"]


def _options(args: tuple[Any, ...], kwargs: Mapping[str, Any], what: str) -> dict[str, Any]:
    if len(args) > 1:
        raise TypeError(f"{what} takes one options object, got {len(args)} positional arguments")
    merged: dict[str, Any] = {}
    if args and args[0] is not None:
        if not isinstance(args[0], Mapping):
            raise TypeError(f"{what} options must be a dict, got {type(args[0]).__name__}")
        merged.update(args[0])
    merged.update(kwargs)
    return merged


class WorkflowInstanceHandle:
    """A handle on one instance, like the SDK's ``_WorkflowInstanceWrapper``."""

    def __init__(self, engine: WorkflowTestEnv, registration: Registration, instance_id: str):
        self._engine = engine
        self._registration = registration
        self.id = instance_id

    def __repr__(self) -> str:
        return f"<WorkflowInstanceHandle {self._registration.name}/{self.id}>"

    async def status(self) -> JsDict:
        """``{"status", "error", "output"}``; ``error`` is ``{"name", "message"}`` or None."""
        state = self._engine._state(self._registration, self.id)
        state.error_observed = True
        return JsDict(
            status=state.status,
            error=JsDict(state.error.as_dict()) if state.error is not None else None,
            output=from_wire(state.output),
        )

    async def pause(self) -> None:
        """Pause the instance (takes effect at the next step boundary if it is running)."""
        self._engine._pause(self._engine._state(self._registration, self.id))

    async def resume(self) -> None:
        """Resume a paused instance; it replays from the top."""
        self._engine._resume(self._engine._state(self._registration, self.id))

    async def terminate(self, *args: Any, **kwargs: Any) -> None:
        """Terminate the instance. ``rollback=True`` is accepted and, as on Cloudflare, runs no
        lunora rollback (they are not native); the typed handle refuses the flag."""
        _options(args, kwargs, "terminate")
        self._engine._terminate(self._engine._state(self._registration, self.id))

    async def restart(self, *args: Any, **kwargs: Any) -> None:
        """Restart with the same id and params: from the beginning, or with
        ``{"from": {"name", "count"?, "type"?}}`` from that step (earlier results are kept)."""
        options = _options(args, kwargs, "restart")
        self._engine._restart(self._engine._state(self._registration, self.id), options.get("from"))

    async def send_event(self, *args: Any, **kwargs: Any) -> None:
        """Deliver ``{"type", "payload"}`` to the instance (buffered until it waits for it)."""
        options = _options(args, kwargs, "send_event")
        if "type" not in options:
            raise TypeError("send_event needs a type")
        self._engine._deliver(
            self._engine._state(self._registration, self.id),
            options["type"],
            options.get("payload"),
        )


class WorkflowBinding:
    """The Worker's binding for one workflow, like the SDK's ``_WorkflowBindingWrapper``."""

    def __init__(self, engine: WorkflowTestEnv, registration: Registration) -> None:
        self._engine = engine
        self._registration = registration

    def __repr__(self) -> str:
        return f"<WorkflowBinding {self._registration.binding} -> {self._registration.name}>"

    async def create(self, *args: Any, **kwargs: Any) -> WorkflowInstanceHandle:
        """Create an instance: options ``id`` (default: a uuid4), ``params``, ``retention``."""
        options = _options(args, kwargs, "create")
        state = self._engine._create(self._registration, options)
        return WorkflowInstanceHandle(self._engine, self._registration, state.id)

    async def create_batch(self, batch: list[Mapping[str, Any]], /) -> list[WorkflowInstanceHandle]:
        """Create up to 100 instances at once; a duplicate id fails the whole batch."""
        if not isinstance(batch, list):
            raise TypeError("create_batch takes a list of option dicts")
        if len(batch) > 100:
            raise ValueError("create_batch accepts at most 100 instances")
        options = [_options((entry,), {}, "create_batch") for entry in batch]
        states = self._engine._create_many(self._registration, options)
        return [WorkflowInstanceHandle(self._engine, self._registration, s.id) for s in states]

    async def get(self, instance_id: str, /) -> WorkflowInstanceHandle:
        """The instance with ``instance_id``; raises ``InstanceNotFoundError`` if none."""
        self._engine._state(self._registration, instance_id)
        return WorkflowInstanceHandle(self._engine, self._registration, instance_id)


class WorkerEnv(Mapping[str, Any]):
    """The Worker ``env``: workflow bindings and vars, by attribute or by key."""

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"env has no binding or var {name!r}; it has {sorted(self._values)}"
            ) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __setattr__(self, name: str, value: Any) -> None:
        self._values[name] = value


class ExecutionContext:
    """The ``ctx`` given to entrypoint constructors; ``wait_until`` work is awaited at once."""

    def __init__(self) -> None:
        self.pending: list[Any] = []

    def wait_until(self, awaitable: Any) -> None:
        """Keep ``awaitable`` alive (the engine awaits it after the current execution)."""
        self.pending.append(awaitable)

    waitUntil = wait_until  # noqa: N815 - the JS spelling, reachable through the SDK
