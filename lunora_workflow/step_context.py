"""The contexts handed to step bodies (``StepContext``) and rollbacks (``RollbackContext``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from lunora_workflow import platform
from lunora_workflow.log import Logger

if TYPE_CHECKING:
    from lunora_workflow.calls import FunctionRunner

__all__ = ["RollbackContext", "StepContext", "StepInfo"]

A = TypeVar("A")
R = TypeVar("R")


@dataclass(frozen=True)
class StepInfo:
    """What the platform tells a step attempt: its name, call count, attempt and config."""

    name: str
    count: int
    attempt: int
    config: Mapping[str, Any]

    @classmethod
    def from_sdk(cls, raw: Any, name: str, config: Mapping[str, Any] | None) -> StepInfo:
        """Read the SDK's step context ``{"step": {"name", "count"}, "attempt", "config"}``.

        The engine may call without a context (``None``); a mock may send the attempt as a
        string. Both fall back to sensible values rather than failing the step.
        """
        raw = platform.from_js(raw)
        if not isinstance(raw, Mapping):
            raw = {}
        step = raw.get("step")
        step = step if isinstance(step, Mapping) else {}
        return cls(
            name=str(step.get("name") or name),
            count=_as_int(step.get("count"), 1),
            attempt=_as_int(raw.get("attempt"), 1),
            config=dict(raw.get("config") or config or {}),
        )


def _unbound_runner() -> FunctionRunner:
    from lunora_workflow.calls import unbound_runner

    return unbound_runner()


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass
class StepContext:
    """The first argument of a step body: ``attempt`` (1-based), ``name``, ``count``,
    ``config`` (the effective retries/timeout), ``env`` and ``log``; ``run`` calls a function
    (``await ctx.run(api.messages.send, args)``) with dedup ids pinned to this step."""

    attempt: int
    name: str
    count: int
    config: Mapping[str, Any]
    env: Any
    log: Logger
    run: FunctionRunner = field(default_factory=_unbound_runner)


@dataclass
class RollbackContext(Generic[A, R]):
    """What a rollback receives: the step's validated ``args``, its ``output``, the ``error``
    that failed the workflow, and ``env``, ``log``, ``attempt`` (of the rollback step), and
    ``run`` (function calls pinned to the rollback's own dedup scope)."""

    args: A
    output: R
    error: BaseException
    env: Any
    log: Logger
    attempt: int = 1
    name: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    run: FunctionRunner = field(default_factory=_unbound_runner)
