"""A test double of the SDK's ``_WorkflowStepWrapper`` (workers-runtime-sdk 1.9.5), both modes.

It reproduces what the runtime relies on:

- ``do`` is a decorator factory whose signature depends on the mode: implicit
  ``do(name=None, *, concurrent=False, config=None)`` or legacy
  ``do(name, depends=None, concurrent=False, config=None)``; the decorated function becomes an
  async zero-arg wrapper; implicit mode allows only parameters named ``ctx`` or a previously
  declared step name (else ``TypeError``), legacy mode needs ``len(depends)`` == the number of
  non-``ctx`` parameters; the ``ctx`` parameter gets ``{"step": {"name", "count"}, "attempt",
  "config"}``.
- results cross a JSON boundary (tuples are refused, as ``python_to_rpc`` refuses them).
- a durable memo keyed by ``(name, count)`` shared across runs (replays), storing results and
  final failures; retries up to ``config["retries"]["limit"]`` (no delays); an error whose
  class is named ``NonRetryableError`` is not retried, as the engine decides by name.
- ``sleep``/``sleep_until``/``wait_for_event`` with the SDK's signatures.

It is deliberately small: the full local engine lives in ``lunora_workflow.testing``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Suspend(BaseException):
    """Raised to stop a run the way an engine suspends an instance (not an ``Exception``)."""


class StepFailed(Exception):  # noqa: N818 - named as the test reads it
    """How a step that exhausted its retries surfaces in the body (the SDK maps unknown JS
    errors to plain exceptions carrying the message)."""


class NonRetryableError(Exception):
    """Stand-in for ``workers.workflows.NonRetryableError`` (same name, plain ``Exception``)."""


def _rpc(value: Any) -> Any:
    def check(item: Any) -> None:
        if isinstance(item, (tuple, bytearray)):
            raise TypeError(f"{type(item)} cannot be sent over RPC.")
        if isinstance(item, dict):
            for entry in item.values():
                check(entry)
        elif isinstance(item, list):
            for entry in item:
                check(entry)

    check(value)
    return json.loads(json.dumps(value))


@dataclass
class Memo:
    """The engine's durable state of one instance: step results by ``(name, count)``."""

    results: dict[tuple[str, int], tuple[str, Any]] = field(default_factory=dict)
    #: Every callback execution: ``(name, count, attempt)``.
    executions: list[tuple[str, int, int]] = field(default_factory=list)
    #: Every ``step.do`` issued, per run: ``(name, count, "ran" | "cached")``.
    issued: list[tuple[str, int, str]] = field(default_factory=list)
    sleeps: list[tuple[str, Any]] = field(default_factory=list)
    waits: list[tuple[str, str, Any]] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: fault injection: step name -> message of a RuntimeError raised on every attempt
    faults: dict[str, str] = field(default_factory=dict)

    def ran(self, name: str) -> int:
        """How many times a callback of step ``name`` started (all attempts, all runs)."""
        return sum(1 for entry in self.executions if entry[0] == name)


class FakeStep:
    """One run's ``step`` object. Build a new one per replay, sharing the ``Memo``."""

    def __init__(self, memo: Memo | None = None, *, implicit: bool = True) -> None:
        self.memo = memo if memo is not None else Memo()
        self.implicit = implicit
        self.step_closures: dict[str, Any] = {}
        self.configs: list[tuple[str, Any]] = []
        self._counts: dict[str, int] = {}
        self.do: Callable[..., Any] = self._do_implicit if implicit else self._do_legacy

    def _do_legacy(
        self,
        name: str,
        depends: list[Any] | None = None,
        concurrent: bool = False,
        config: Any = None,
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, depends, config, implicit=False)

    def _do_implicit(
        self, name: str | None = None, *, concurrent: bool = False, config: Any = None
    ) -> Callable[[Callable[..., Any]], Any]:
        return self._decorator(name, None, config, implicit=True)

    def _decorator(
        self, name: str | None, depends: list[Any] | None, config: Any, *, implicit: bool
    ) -> Callable[[Callable[..., Any]], Any]:
        def decorator(func: Callable[..., Any]) -> Any:
            step_name = func.__name__ if name is None else name

            async def wrapper() -> Any:
                deps = self._dependencies(func, depends, implicit)
                results = [await dep() if dep is not None else None for dep in deps]
                return await self._run(step_name, config, func, deps, results)

            wrapper._step_name = step_name  # type: ignore[attr-defined]
            self.step_closures[step_name] = wrapper
            return wrapper

        return decorator

    def _dependencies(
        self, func: Callable[..., Any], depends: list[Any] | None, implicit: bool
    ) -> list[Any]:
        params = list(inspect.signature(func).parameters.values())
        out: list[Any] = []
        if implicit:
            for p in params:
                if p.name in self.step_closures:
                    out.append(self.step_closures[p.name])
                elif p.name == "ctx":
                    out.append(None)
                else:
                    raise TypeError(f"Received unexpected parameter {p.name}")
            return out
        non_ctx = [p for p in params if p.name != "ctx"]
        if depends is None and non_ctx:
            raise TypeError(
                f"Step has {len(non_ctx)} non-ctx parameter(s) but no 'depends' list provided"
            )
        if depends is not None and len(depends) != len(non_ctx):
            raise TypeError(
                f"Step declares {len(non_ctx)} non-ctx parameter(s) but 'depends' has "
                f"{len(depends)} item(s)"
            )
        index = 0
        for p in params:
            if p.name == "ctx":
                out.append(None)
            else:
                assert depends is not None
                out.append(depends[index])
                index += 1
        return out

    async def _run(
        self,
        name: str,
        config: Any,
        func: Callable[..., Any],
        deps: list[Any],
        results: list[Any],
    ) -> Any:
        count = self._counts.get(name, 0) + 1
        self._counts[name] = count
        self.configs.append((name, config))
        key = (name, count)
        if key in self.memo.results:
            self.memo.issued.append((name, count, "cached"))
            return self._replay(self.memo.results[key])
        self.memo.issued.append((name, count, "ran"))
        limit = 0
        if isinstance(config, dict) and isinstance(config.get("retries"), dict):
            limit = int(config["retries"]["limit"])
        attempt = 0
        while True:
            attempt += 1
            ctx = {
                "step": {"name": name, "count": count},
                "attempt": attempt,
                "config": config or {},
            }
            args = [ctx if dep is None else value for dep, value in zip(deps, results, strict=True)]
            self.memo.executions.append((name, count, attempt))
            try:
                if name in self.memo.faults:
                    raise RuntimeError(self.memo.faults[name])
                value = func(*args)
                if inspect.isawaitable(value):
                    value = await value
                stored = ("ok", _rpc(value))
            except Exception as error:
                final = type(error).__name__ == "NonRetryableError" or attempt > limit
                if not final:
                    continue
                kind = "nonretryable" if type(error).__name__ == "NonRetryableError" else "error"
                stored = (kind, str(error))
            self.memo.results[key] = stored
            return self._replay(stored)

    @staticmethod
    def _replay(stored: tuple[str, Any]) -> Any:
        kind, value = stored
        if kind == "ok":
            return json.loads(json.dumps(value))
        if kind == "nonretryable":
            raise NonRetryableError(value)
        raise StepFailed(value)

    def sleep(self, name: str, duration: Any) -> Any:
        self.memo.sleeps.append((name, duration))
        return asyncio.sleep(0)

    def sleep_until(self, name: str, timestamp: Any) -> Any:
        self.memo.sleeps.append((name, timestamp))
        return asyncio.sleep(0)

    async def wait_for_event(
        self,
        name: str,
        event_type: str,
        /,
        timeout: Any = "24 hours",  # noqa: ASYNC109 - the SDK's signature
    ) -> dict[str, Any]:
        self.memo.waits.append((name, event_type, timeout))
        queue = self.memo.events.get(event_type) or []
        if not queue:
            raise StepFailed(f"Timed out waiting for event {event_type!r}")
        event = queue.pop(0)
        return {"payload": event, "timestamp": 1_700_000_000_000, "type": event_type}
