"""A Workflow binding double shaped like the external SDK's ``_WorkflowBindingWrapper``.

``create``/``get``/``create_batch`` are async and take what the wrapper takes (keyword
arguments become the trailing JS options object); instances expose ``id``, async ``status``,
``pause``, ``resume``, ``terminate``, ``restart`` and ``send_event``. Every call is recorded.
"""

from __future__ import annotations

from typing import Any


class FakeInstance:
    def __init__(self, binding: FakeBinding, instance_id: str) -> None:
        self.id = instance_id
        self._binding = binding

    def _record(self, method: str, *args: Any, **kwargs: Any) -> None:
        self._binding.calls.append((f"instance.{method}", self.id, args, kwargs))

    async def status(self) -> dict[str, Any]:
        self._record("status")
        return self._binding.statuses.get(
            self.id, {"status": "queued", "error": None, "output": None}
        )

    async def pause(self) -> None:
        self._record("pause")

    async def resume(self) -> None:
        self._record("resume")

    async def terminate(self, *args: Any, **kwargs: Any) -> None:
        self._record("terminate", *args, **kwargs)

    async def restart(self, *args: Any, **kwargs: Any) -> None:
        self._record("restart", *args, **kwargs)

    async def send_event(self, *args: Any, **kwargs: Any) -> None:
        self._record("send_event", *args, **kwargs)


class FakeBinding:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, tuple[Any, ...], dict[str, Any]]] = []
        self.statuses: dict[str, dict[str, Any]] = {}
        self._next = 0

    async def create(self, *args: Any, **kwargs: Any) -> FakeInstance:
        self.calls.append(("create", None, args, kwargs))
        self._next += 1
        options = args[0] if args else kwargs
        return FakeInstance(self, options.get("id") or f"auto-{self._next}")

    async def create_batch(self, *args: Any, **kwargs: Any) -> list[FakeInstance]:
        self.calls.append(("create_batch", None, args, kwargs))
        out = []
        for options in args[0]:
            self._next += 1
            out.append(FakeInstance(self, options.get("id") or f"auto-{self._next}"))
        return out

    async def get(self, instance_id: str) -> FakeInstance:
        self.calls.append(("get", instance_id, (), {}))
        return FakeInstance(self, instance_id)
