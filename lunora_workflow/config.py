"""Step configuration: ``Retries`` and ``StepConfig``, validated and turned into the SDK's dict.

The SDK forwards ``config=`` to the JS ``step.do(name, config, callback)`` unchanged, and
wrangler's schema for it is strict (``retries: {limit, delay, backoff?}``, ``timeout``), so
unknown keys are rejected here with a message naming the step, not by the engine later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from lunora_workflow.durations import Duration, duration_ms, normalize_duration
from lunora_workflow.errors import InvalidConfigError

__all__ = [
    "BACKOFFS",
    "MAX_RETRY_LIMIT",
    "Backoff",
    "Retries",
    "RetriesLike",
    "StepConfig",
    "StepConfigLike",
    "build_config",
]

Backoff = Literal["constant", "linear", "exponential"]
BACKOFFS: tuple[str, ...] = ("constant", "linear", "exponential")
#: Cloudflare's documented ceiling on ``retries.limit`` (sleeping-and-retrying).
MAX_RETRY_LIMIT = 10_000


@dataclass(frozen=True)
class Retries:
    """A step's retry policy. ``limit`` counts retries after the first attempt.

    ``delay`` defaults to Cloudflare's documented 10 seconds; ``backoff=None`` leaves the
    platform default (exponential).
    """

    limit: int
    delay: Duration = 10_000
    backoff: Backoff | None = None


RetriesLike = Union[Retries, Mapping[str, Any]]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class StepConfig:
    """Durability settings for one step: ``retries`` and ``timeout`` (either may be unset)."""

    retries: RetriesLike | None = None
    timeout: Duration | None = None


StepConfigLike = Union[StepConfig, Mapping[str, Any]]  # noqa: UP007 - a runtime alias


def _retries_dict(retries: object, where: str) -> dict[str, Any]:
    if isinstance(retries, Retries):
        fields: dict[str, Any] = {
            "limit": retries.limit,
            "delay": retries.delay,
            "backoff": retries.backoff,
        }
    elif isinstance(retries, Mapping):
        unknown = sorted(str(key) for key in retries if key not in ("limit", "delay", "backoff"))
        if unknown:
            raise InvalidConfigError(
                f"{where}: retries has unknown key(s) {', '.join(unknown)} "
                "(allowed: limit, delay, backoff)"
            )
        if "limit" not in retries:
            raise InvalidConfigError(f"{where}: retries needs a 'limit' (the number of retries)")
        fields = {
            "limit": retries["limit"],
            "delay": retries.get("delay", 10_000),
            "backoff": retries.get("backoff"),
        }
    else:
        raise InvalidConfigError(
            f"{where}: retries must be Retries(limit, delay, backoff) or a dict, "
            f"not {type(retries).__name__}"
        )
    limit = fields["limit"]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InvalidConfigError(
            f"{where}: retries limit must be a non-negative int, got {limit!r}"
        )
    if limit > MAX_RETRY_LIMIT:
        raise InvalidConfigError(
            f"{where}: retries limit {limit} is over Cloudflare's maximum of {MAX_RETRY_LIMIT}"
        )
    out: dict[str, Any] = {
        "limit": limit,
        "delay": normalize_duration(fields["delay"], what=f"{where}: retries delay"),
    }
    backoff = fields["backoff"]
    if backoff is not None:
        if backoff not in BACKOFFS:
            raise InvalidConfigError(
                f"{where}: retries backoff must be one of constant, linear, exponential, "
                f"got {backoff!r}"
            )
        out["backoff"] = backoff
    return out


def build_config(
    *,
    retries: object = None,
    timeout: object = None,
    where: str,
) -> dict[str, Any] | None:
    """The SDK ``config=`` dict for ``retries``/``timeout``, or ``None`` when both are unset.

    ``where`` names the step in errors, e.g. ``'step "charge"'``.
    """
    out: dict[str, Any] = {}
    if retries is not None:
        out["retries"] = _retries_dict(retries, where)
    if timeout is not None:
        out["timeout"] = normalize_duration(timeout, what=f"{where}: timeout")
        if duration_ms(out["timeout"]) == 0:
            # The engine refuses a timeout of 0 and times out every attempt of "0 seconds".
            raise InvalidConfigError(f"{where}: timeout {timeout!r} must be longer than zero")
    return out or None


def config_from(value: object, *, where: str) -> dict[str, Any] | None:
    """Validate a ``StepConfig`` or ``{"retries": ..., "timeout": ...}`` mapping (or ``None``)."""
    if value is None:
        return None
    if isinstance(value, StepConfig):
        return build_config(retries=value.retries, timeout=value.timeout, where=where)
    if isinstance(value, Mapping):
        unknown = sorted(str(key) for key in value if key not in ("retries", "timeout"))
        if unknown:
            raise InvalidConfigError(
                f"{where}: config has unknown key(s) {', '.join(unknown)} "
                "(allowed: retries, timeout)"
            )
        return build_config(retries=value.get("retries"), timeout=value.get("timeout"), where=where)
    raise InvalidConfigError(
        f"{where}: config must be StepConfig(retries=, timeout=) or a dict, "
        f"not {type(value).__name__}"
    )
