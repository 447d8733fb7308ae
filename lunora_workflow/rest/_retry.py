"""When and how long to wait before retrying a Workflows REST request."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "parse_retry_after"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or ``None``.

    A date in the past means "now" (``0.0``); anything unreadable is ``None``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Retries on 429 and 5xx (and on connection failures), never on other 4xx.

    The wait before retry ``n`` (0-based) is the server's ``Retry-After`` when it sent one,
    else ``min(backoff_max, backoff_base * 2**n)`` scaled by a random factor in [0.5, 1.0)
    ("equal jitter", so many clients throttled together do not retry in lockstep). A
    ``Retry-After`` longer than ``max_retry_after`` is not waited out: the error is raised.

    ``sleep``, ``async_sleep``, ``now`` and ``rand`` are injectable so tests never wait.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    now: Callable[[], datetime] = field(default=_utcnow, repr=False)
    rand: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must be >= 0")

    @staticmethod
    def retryable_status(status: int) -> bool:
        """429 (rate limited) and 5xx are worth another try; every other status is final."""
        return status == 429 or 500 <= status <= 599

    def backoff(self, retry: int) -> float:
        """The jittered exponential wait before retry number ``retry`` (0-based)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2.0**retry))
        return ceiling * (0.5 + self.rand() / 2)

    def delay(self, retry: int, retry_after_header: str | None) -> float | None:
        """Seconds to wait before retry ``retry``, or ``None`` when the server asks for too long."""
        retry_after = parse_retry_after(retry_after_header, self.now())
        if retry_after is None:
            return self.backoff(retry)
        if retry_after > self.max_retry_after:
            return None
        return retry_after
