"""Test modifiers, modelled on Cloudflare's JS ``introspectWorkflowInstance(...).modify(...)``.

A step is selected by its name and ``index``, the 1-based occurrence count of that name (the
platform's ``{name, index}`` selector); mocks apply to that occurrence only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["InstanceModifier"]

_Key = tuple[str, int]


@dataclass
class _Times:
    value: Any
    times: int | None  # None: every attempt

    def applies(self, attempt: int) -> bool:
        return self.times is None or attempt <= self.times


class InstanceModifier:
    """Mocks for one instance (from ``env.modify(instance_id)``) or for all (``env.modify()``).

    Set them before the instance runs (before ``create`` or before driving the engine); they
    are consulted on every attempt, so they also act on replays and retries.
    """

    def __init__(self, deliver: Callable[[str, Any], None] | None = None) -> None:
        self._results: dict[_Key, Any] = {}
        self._errors: dict[_Key, _Times] = {}
        self._timeouts: dict[_Key, _Times] = {}
        self._event_timeouts: set[_Key] = set()
        self._all_sleeps_disabled = False
        self._sleeps_disabled: set[_Key] = set()
        self._pending_events: list[tuple[str, Any]] = []
        self._deliver = deliver

    # -- the modifier API -------------------------------------------------------------------

    def mock_step_result(self, name: str, result: Any, *, index: int = 1) -> None:
        """Make ``step.do(name)`` (occurrence ``index``) return ``result`` without running."""
        self._results[(name, index)] = result

    def mock_step_error(
        self, name: str, error: BaseException | str, *, times: int | None = None, index: int = 1
    ) -> None:
        """Make the first ``times`` attempts of the step fail with ``error`` (all if ``None``).

        The failures go through the step's retry policy like real ones.
        """
        exc = Exception(error) if isinstance(error, str) else error
        self._errors[(name, index)] = _Times(exc, times)

    def force_step_timeout(self, name: str, *, times: int | None = None, index: int = 1) -> None:
        """Make the first ``times`` attempts of the step time out (all if ``None``)."""
        self._timeouts[(name, index)] = _Times(True, times)

    def mock_event(self, type: str, payload: Any = None) -> None:
        """Deliver an event, as ``send_event`` would (buffered until the instance exists)."""
        if self._deliver is not None:
            self._deliver(type, payload)
        else:
            self._pending_events.append((type, payload))

    def force_event_timeout(self, name: str, *, index: int = 1) -> None:
        """Make ``wait_for_event(name, ...)`` (occurrence ``index``) time out at once."""
        self._event_timeouts.add((name, index))

    def disable_sleeps(self, names: Iterable[str | tuple[str, int]] | None = None) -> None:
        """End sleeps at once: all, or the named ones (``name`` or ``(name, index)``)."""
        if names is None:
            self._all_sleeps_disabled = True
            return
        for entry in names:
            self._sleeps_disabled.add((entry, 1) if isinstance(entry, str) else entry)

    # -- engine-side lookups ------------------------------------------------------------------

    def has_result(self, name: str, count: int) -> bool:
        """Whether a result is mocked for this step occurrence."""
        return (name, count) in self._results

    def result(self, name: str, count: int) -> Any:
        """The mocked result (check :meth:`has_result` first)."""
        return self._results[(name, count)]

    def error_for(self, name: str, count: int, attempt: int) -> BaseException | None:
        """The mocked error for this attempt, if any."""
        entry = self._errors.get((name, count))
        return entry.value if entry is not None and entry.applies(attempt) else None

    def times_out(self, name: str, count: int, attempt: int) -> bool:
        """Whether this attempt is forced to time out."""
        entry = self._timeouts.get((name, count))
        return entry is not None and entry.applies(attempt)

    def event_times_out(self, name: str, count: int) -> bool:
        """Whether this event wait is forced to time out."""
        return (name, count) in self._event_timeouts

    def sleep_disabled(self, name: str, count: int) -> bool:
        """Whether this sleep ends at once."""
        return self._all_sleeps_disabled or (name, count) in self._sleeps_disabled

    def bind(self, deliver: Callable[[str, Any], None]) -> None:
        """Attach to a live instance and deliver the events mocked before it existed."""
        self._deliver = deliver
        pending, self._pending_events = self._pending_events, []
        for event_type, payload in pending:
            deliver(event_type, payload)
