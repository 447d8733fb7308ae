"""The injectable side of function dispatch: clock, pause, request timeout, step deadlines.

Kept apart from :mod:`lunora_workflow.dispatch` (HTTP, errors, the wait-out) because every
step attempt reads the clock to fix its wait-out deadline, and that must not import the HTTP
machinery into Workers that never dispatch remotely.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lunora_workflow.durations import duration_ms
from lunora_workflow.errors import InvalidConfigError

__all__ = [
    "DEFAULT_DISPATCH_TIMEOUT_MS",
    "DEFAULT_STEP_TIMEOUT_MS",
    "STEP_TIMEOUT_MARGIN_MS",
    "DispatchSettings",
    "dispatch_overrides",
    "dispatch_settings",
    "step_deadline",
]

#: Every dispatch gives up after this long (a retryable 503).
DEFAULT_DISPATCH_TIMEOUT_MS = 30_000
#: The wait-out ends this long before the step's own timeout would cut the attempt.
STEP_TIMEOUT_MARGIN_MS = 2_000
#: Cloudflare's default step timeout (10 minutes), used when a step sets none.
DEFAULT_STEP_TIMEOUT_MS = 600_000


async def _sleep_ms(ms: float) -> None:
    import asyncio  # lazily, like the rest of the runtime (cold starts pay for imports)

    await asyncio.sleep(ms / 1000)


def _now_ms() -> float:
    return time.time() * 1000


@dataclass(frozen=True)
class DispatchSettings:
    """The clock (epoch ms), the pause (``await sleep(ms)``) and the per-request timeout."""

    clock: Callable[[], float] = _now_ms
    sleep: Callable[[float], Awaitable[None]] = _sleep_ms
    timeout_ms: float = DEFAULT_DISPATCH_TIMEOUT_MS


_DEFAULT_SETTINGS = DispatchSettings()
_SETTINGS: contextvars.ContextVar[DispatchSettings | None] = contextvars.ContextVar(
    "lunora_dispatch_settings", default=None
)


def dispatch_settings() -> DispatchSettings:
    """The settings in effect for the current task."""
    return _SETTINGS.get() or _DEFAULT_SETTINGS


@contextlib.contextmanager
def dispatch_overrides(
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    timeout_ms: float | None = None,
) -> Iterator[DispatchSettings]:
    """Replace the clock, the pause and/or the request timeout inside the ``with`` block (and
    in every task started from it): for tests and local engines."""
    current = dispatch_settings()
    changes: dict[str, Any] = {}
    if clock is not None:
        changes["clock"] = clock
    if sleep is not None:
        changes["sleep"] = sleep
    if timeout_ms is not None:
        changes["timeout_ms"] = timeout_ms
    settings = replace(current, **changes)
    token = _SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _SETTINGS.reset(token)


def step_deadline(config: Mapping[str, Any] | None, started_at: float) -> float | None:
    """The epoch-ms time a wait-out inside a step attempt must end by: its start plus the
    step's timeout (Cloudflare's 10-minute default when unset) minus a 2 s margin. An
    unreadable timeout means no deadline (the claim ceiling still bounds the wait)."""
    timeout = (config or {}).get("timeout")
    if timeout is None:
        timeout_ms: float = DEFAULT_STEP_TIMEOUT_MS
    else:
        try:
            timeout_ms = duration_ms(timeout, what="step timeout")
        except InvalidConfigError:
            return None
        if timeout_ms <= 0:
            return None
    return started_at + timeout_ms - STEP_TIMEOUT_MARGIN_MS
