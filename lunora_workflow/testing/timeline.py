"""An instance's step timeline, for assertions: one record per step call, in first-call order."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal

from lunora_workflow.testing.clock import to_datetime

__all__ = ["Attempt", "ErrorInfo", "StepKind", "StepRecord"]

#: The kinds of step calls, named as in ``restart(from={"type": ...})``.
StepKind = Literal["do", "sleep", "waitForEvent"]


@dataclass(frozen=True)
class ErrorInfo:
    """An error as the platform reports it: a name and a message."""

    name: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """``{"name", "message"}``, the shape of ``status()["error"]``."""
        return {"name": self.name, "message": self.message}


@dataclass
class Attempt:
    """One attempt of a ``step.do``; times are virtual epoch milliseconds."""

    number: int
    start_ms: float
    end_ms: float | None = None
    error: ErrorInfo | None = None
    mocked: bool = False

    @property
    def success(self) -> bool | None:
        """``True``/``False`` once finished, ``None`` while running."""
        return None if self.end_ms is None else self.error is None

    @property
    def start(self) -> datetime.datetime:
        """Start in virtual time (aware UTC)."""
        return to_datetime(self.start_ms, aware=True)

    @property
    def end(self) -> datetime.datetime | None:
        """End in virtual time (aware UTC), ``None`` while running."""
        return None if self.end_ms is None else to_datetime(self.end_ms, aware=True)


@dataclass
class StepRecord:
    """What happened to one step call ``(kind, name, count)`` across every replay.

    ``status`` is ``"pending"`` (started or waiting), ``"complete"`` or ``"errored"``.
    ``output`` holds the stored result of a ``do`` or the event a ``waitForEvent`` received.
    For a sleep, ``wake_ms`` is when it ends; for an event wait, ``wake_ms`` is its deadline.
    """

    kind: StepKind
    name: str
    count: int
    start_ms: float
    status: Literal["pending", "complete", "errored"] = "pending"
    end_ms: float | None = None
    output: Any = None
    error: ErrorInfo | None = None
    attempts: list[Attempt] = field(default_factory=list)
    config: dict[str, Any] | None = None
    event_type: str | None = None
    wake_ms: float | None = None
    retry_at_ms: float | None = None
    raised: Exception | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """``name`` with the platform's counter suffix, e.g. ``"charge-1"``."""
        return f"{self.name}-{self.count}"

    @property
    def start(self) -> datetime.datetime:
        """When the step was first called, in virtual time (aware UTC)."""
        return to_datetime(self.start_ms, aware=True)

    @property
    def end(self) -> datetime.datetime | None:
        """When it finished, in virtual time (aware UTC)."""
        return None if self.end_ms is None else to_datetime(self.end_ms, aware=True)

    @property
    def duration_ms(self) -> float | None:
        """Virtual milliseconds from first call to finish."""
        return None if self.end_ms is None else self.end_ms - self.start_ms
