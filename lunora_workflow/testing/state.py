"""The durable state of one instance: what survives a hibernation in the engine's storage."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from lunora_workflow.testing.modifiers import InstanceModifier
from lunora_workflow.testing.timeline import ErrorInfo, StepKind, StepRecord

__all__ = ["TERMINAL", "InstanceState", "Registration", "StepKey"]

#: Statuses an instance never leaves on its own.
TERMINAL = frozenset({"complete", "errored", "terminated"})

StepKey = tuple[StepKind, str, int]


@dataclass(frozen=True)
class Registration:
    """A workflow the engine can run: its entrypoint class and its names."""

    cls: type
    name: str
    binding: str
    export: str | None = None


@dataclass
class InstanceState:
    """Everything the engine keeps about an instance between executions of its body."""

    id: str
    workflow: Registration
    params: Any
    created_ms: float
    modifiers: tuple[InstanceModifier, ...]
    status: str = "queued"
    output: Any = None
    error: ErrorInfo | None = None
    exception: BaseException | None = None
    records: dict[StepKey, StepRecord] = field(default_factory=dict)
    order: list[StepRecord] = field(default_factory=list)
    history: list[tuple[str, str]] = field(default_factory=list)
    events: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    pending_waits: list[StepRecord] = field(default_factory=list)
    ready: bool = True
    wake_ms: float | None = None
    executions: int = 0
    pause_requested: bool = False
    status_before_pause: str = "queued"
    error_observed: bool = False
    sequence: int = 0

    @property
    def replays(self) -> int:
        """Executions after the first: each one replays the body from the top."""
        return max(0, self.executions - 1)

    def reset(self, *, keep_history: bool = False) -> None:
        """Forget the history (``restart``): the next execution starts from scratch."""
        self.status = "queued"
        self.output = None
        self.error = None
        self.exception = None
        if not keep_history:
            self.records.clear()
            self.order.clear()
            self.history.clear()
        self.events = {}
        self.pending_waits.clear()
        self.ready = True
        self.wake_ms = None
        self.executions = 0
        self.pause_requested = False

    def rewind(self, kind: StepKind, name: str, count: int) -> bool:
        """Forget the ``count``-th call ``(kind, name)`` and every call after it (``restart``
        with ``from``); earlier steps keep their stored results. False if there is no such call.
        """
        seen: dict[tuple[str, str], int] = {}
        keep: set[StepKey] = set()
        for index, (call_kind, call_name) in enumerate(self.history):
            number = seen.get((call_kind, call_name), 0) + 1
            seen[(call_kind, call_name)] = number
            if (call_kind, call_name, number) == (kind, name, count):
                del self.history[index:]
                for key in list(self.records):
                    if key not in keep:
                        del self.records[key]
                self.order[:] = [r for r in self.order if (r.kind, r.name, r.count) in keep]
                events = self.events
                self.reset(keep_history=True)
                self.events = events
                return True
            keep.add((call_kind, call_name, number))  # type: ignore[arg-type]
        return False

    # Modifier lookups: the instance's own modifier wins over the engine-wide one.

    def mocked_result(self, name: str, count: int) -> tuple[bool, Any]:
        """``(True, value)`` when a result is mocked for this step occurrence."""
        for modifier in self.modifiers:
            if modifier.has_result(name, count):
                return True, modifier.result(name, count)
        return False, None

    def mocked_error(self, name: str, count: int, attempt: int) -> BaseException | None:
        """A mocked error for this attempt."""
        for modifier in self.modifiers:
            error = modifier.error_for(name, count, attempt)
            if error is not None:
                return error
        return None

    def forced_timeout(self, name: str, count: int, attempt: int) -> bool:
        """Whether this attempt must time out."""
        return any(m.times_out(name, count, attempt) for m in self.modifiers)

    def forced_event_timeout(self, name: str, count: int) -> bool:
        """Whether this event wait must time out."""
        return any(m.event_times_out(name, count) for m in self.modifiers)

    def sleep_disabled(self, name: str, count: int) -> bool:
        """Whether this sleep ends at once."""
        return any(m.sleep_disabled(name, count) for m in self.modifiers)
