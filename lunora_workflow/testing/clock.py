"""The engine's virtual clock: milliseconds since the epoch that only move when told to."""

from __future__ import annotations

import datetime

__all__ = ["DEFAULT_START", "VirtualClock"]

#: Where a fresh clock starts unless a test says otherwise (a fixed instant keeps runs repeatable).
DEFAULT_START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


class VirtualClock:
    """Virtual time in epoch milliseconds. Time never moves backwards."""

    def __init__(self, start: datetime.datetime | None = None) -> None:
        moment = start if start is not None else DEFAULT_START
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        self._now_ms = moment.timestamp() * 1000

    @property
    def now_ms(self) -> float:
        """The current virtual time in epoch milliseconds."""
        return self._now_ms

    def now(self) -> datetime.datetime:
        """The current virtual time as an aware UTC datetime."""
        return to_datetime(self._now_ms, aware=True)

    def advance_to(self, epoch_ms: float) -> None:
        """Move to ``epoch_ms`` (ignored when it lies in the past)."""
        self._now_ms = max(self._now_ms, epoch_ms)


def to_datetime(epoch_ms: float, *, aware: bool = False) -> datetime.datetime:
    """``epoch_ms`` as a UTC datetime; naive (like a JS Date through the SDK) unless ``aware``."""
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, datetime.UTC)
    return moment if aware else moment.replace(tzinfo=None)
