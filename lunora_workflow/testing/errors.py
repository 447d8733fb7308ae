"""Errors of the local test engine.

Two families live here. Errors the *engine* raises into workflow code mimic what the platform
raises there (``WorkflowTimeoutError``, ``WorkflowFatalError``, ``StepError``); errors it raises
into *test* code (``InstanceStatusError``, ``NonDeterminismError``, ...) explain what went wrong
in terms of the instance's history.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "EngineError",
    "EngineStalledError",
    "InstanceAlreadyExistsError",
    "InstanceNotFoundError",
    "InstanceStatusError",
    "NonDeterminismError",
    "NotSerialisableError",
    "StepError",
    "WorkflowFatalError",
    "WorkflowTimeoutError",
]


class EngineError(Exception):
    """The test engine was used in a way it cannot honour (bad registration, re-entrant drive)."""


class WorkflowTimeoutError(Exception):
    """A step attempt or an event wait ran out of time (the platform's ``WorkflowTimeoutError``)."""

    name = "WorkflowTimeoutError"


class WorkflowFatalError(Exception):
    """An invalid step name/config or a non-serialisable value (the platform's fatal error)."""

    name = "WorkflowFatalError"


class StepError(Exception):
    """A step's error as workflow code sees it after the round trip through the engine.

    The platform hands back only a name and a message for exception types other than
    ``TypeError``, ``ValueError`` and ``NonRetryableError`` (the SDK turns them into a
    ``JsException``); the original exception is kept as ``__cause__`` for debugging.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


class NotSerialisableError(WorkflowFatalError):
    """A step result, workflow output, parameter or event payload the platform cannot store."""


class NonDeterminismError(Exception):
    """A replay called steps in a different order than the recorded history.

    ``history`` is the recorded sequence of ``(kind, name)`` calls, ``actual`` the calls of the
    diverging replay up to and including the first difference, at index ``position``.
    """

    name = "NonDeterminismError"

    def __init__(
        self,
        instance_id: str,
        position: int,
        history: Sequence[tuple[str, str]],
        actual: Sequence[tuple[str, str]],
    ) -> None:
        self.instance_id = instance_id
        self.position = position
        self.history = list(history)
        self.actual = list(actual)
        super().__init__(self._render())

    @property
    def expected(self) -> tuple[str, str] | None:
        """The recorded call at the divergence (``None``: the replay made an extra call)."""
        return self.history[self.position] if self.position < len(self.history) else None

    @property
    def got(self) -> tuple[str, str] | None:
        """The replay's call at the divergence (``None``: the replay ended early)."""
        return self.actual[self.position] if self.position < len(self.actual) else None

    def _render(self) -> str:
        def fmt(call: tuple[str, str] | None) -> str:
            return "(nothing)" if call is None else f"{call[0]}({call[1]!r})"

        lines = [
            f"instance {self.instance_id!r}: non-deterministic replay at step call "
            f"#{self.position + 1}: expected {fmt(self.expected)}, got {fmt(self.got)}.",
            "Step names and their order must not depend on random values, the clock or "
            "anything else that changes between replays.",
        ]
        first = max(0, self.position - 3)
        last = min(max(len(self.history), len(self.actual)), self.position + 3)
        rows = [
            (
                index,
                fmt(self.history[index]) if index < len(self.history) else "(nothing)",
                fmt(self.actual[index]) if index < len(self.actual) else "",
            )
            for index in range(first, last)
        ]
        width = max([len("recorded history")] + [len(row[1]) for row in rows])
        lines.append(f"         {'recorded history':<{width}}   this replay")
        for index, recorded, replayed in rows:
            marker = ">" if index == self.position else " "
            lines.append(f"  {marker} {index + 1:>4}  {recorded:<{width}}   {replayed}")
        return "\n".join(lines)


class InstanceAlreadyExistsError(Exception):
    """``create`` with an id the workflow already used (the platform's message)."""

    def __init__(self, instance_id: str) -> None:
        super().__init__("(instance.already_exists) Instance already exists")
        self.instance_id = instance_id


class InstanceNotFoundError(Exception):
    """``get`` of an id the workflow never created (the platform's message)."""

    def __init__(self, instance_id: str) -> None:
        super().__init__("(instance.not_found) Instance not found")
        self.instance_id = instance_id


class InstanceStatusError(AssertionError):
    """``wait_for_status`` could not reach the wanted status; the message says why."""


class EngineStalledError(EngineError):
    """Workflow code awaited something outside the engine for longer than the stall limit."""
