"""Durations in Cloudflare's forms: ``"<number> <unit>[s]"``, a ``timedelta`` or milliseconds.

Cloudflare's grammar (workerd ``WorkflowDurationLabel``) is a number, one space and a unit out
of second, minute, hour, day, week, month, year, optionally plural. Strings are checked here and
passed on unchanged (the platform parses them); a ``timedelta`` becomes integer milliseconds,
which is what a bare number means to the platform.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Union

from lunora_workflow.errors import InvalidConfigError

__all__ = [
    "UNIT_MS",
    "Duration",
    "duration_ms",
    "duration_problem",
    "normalize_duration",
]

#: A duration as accepted from users.
Duration = Union[str, datetime.timedelta, int, float]  # noqa: UP007 - a runtime alias

#: Milliseconds per unit; month and year follow the ``ms`` convention (30 and 365 days).
UNIT_MS: dict[str, int] = {
    "second": 1_000,
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
    "week": 604_800_000,
    "month": 2_592_000_000,
    "year": 31_536_000_000,
}

_LABEL = re.compile(r"^(\d+(?:\.\d+)?) (second|minute|hour|day|week|month|year)s?$")
_HINT = (
    'use "<number> <unit>" with a unit of second, minute, hour, day, week, month or year '
    '(optionally plural, e.g. "30 seconds"), a timedelta, or milliseconds as an int'
)


def duration_problem(value: object) -> str | None:
    """Why ``value`` is not a duration, or ``None`` when it is one."""
    if isinstance(value, bool):
        return f"{value!r} is not a duration — {_HINT}"
    if isinstance(value, str):
        return None if _LABEL.match(value) else f"{value!r} is not a duration — {_HINT}"
    if isinstance(value, datetime.timedelta):
        return None if value >= datetime.timedelta(0) else f"{value!r} is negative"
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            return f"{value!r} is not a non-negative number of milliseconds"
        return None
    return f"{value!r} ({type(value).__name__}) is not a duration — {_HINT}"


def normalize_duration(value: object, *, what: str) -> str | int:
    """``value`` in the form the platform takes: the label string itself, or integer ms.

    ``what`` names the setting in the error, e.g. ``'step "charge": timeout'``.
    """
    problem = duration_problem(value)
    if problem is not None:
        raise InvalidConfigError(f"{what} {problem}")
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.timedelta):
        return round(value.total_seconds() * 1000)
    assert isinstance(value, (int, float))
    return round(value)


def duration_ms(value: object, *, what: str = "duration") -> int:
    """The length of a duration in milliseconds (for engines and deadline arithmetic)."""
    normalized = normalize_duration(value, what=what)
    if isinstance(normalized, int):
        return normalized
    match = _LABEL.match(normalized)
    assert match is not None
    return round(float(match.group(1)) * UNIT_MS[match.group(2)])
