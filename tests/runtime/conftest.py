"""Fixtures for the runtime tests: the SDK step double in both modes and a replaying runner."""

from __future__ import annotations

import sys
import types
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from lunora_workflow.definition import WorkflowDefinition
from lunora_workflow.entrypoint import WorkflowEntrypoint, run_workflow
from lunora_workflow.log import Logger

from .sdk_step import FakeStep, Memo, NonRetryableError, Suspend

Runner = Callable[..., Awaitable[Any]]


@pytest.fixture(params=["implicit", "legacy"])
def implicit(request: pytest.FixtureRequest) -> bool:
    """Every test using the SDK double runs against both ``step.do`` modes."""
    return bool(request.param == "implicit")


class Captured:
    """Log lines a test's workflows printed, as ``(level, line)``."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, level: str, line: str) -> None:
        self.lines.append((level, line))

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


@pytest.fixture
def logs() -> Captured:
    return Captured()


class Entry(WorkflowEntrypoint):
    """A generated-class look-alike (no SPECS in this module)."""


@pytest.fixture
def run(implicit: bool, logs: Captured) -> Runner:
    """``await run(definition, payload, memo=..., env=..., max_replays=...)``: run an instance
    to its end, replaying the body after every ``Suspend`` like an engine would."""

    async def runner(
        definition: WorkflowDefinition[Any, Any],
        payload: Any = None,
        *,
        memo: Memo | None = None,
        env: Any = None,
        export: str = "test_flow",
        max_replays: int = 10,
        specs: Any = None,
    ) -> Any:
        memo = memo if memo is not None else Memo()
        event = {
            "payload": payload,
            "timestamp": 1_700_000_000_000,
            "instanceId": "inst-1",
            "workflowName": "test-flow",
        }
        for _ in range(max_replays):
            step = FakeStep(memo, implicit=implicit)
            try:
                return await run_workflow(
                    Entry(None, env if env is not None else {}),
                    definition,
                    event,
                    step,
                    export=export,
                    specs=specs,
                    log=Logger.for_workflow(export, sink=logs),
                )
            except Suspend:
                continue
        raise AssertionError("the instance never finished")

    return runner


@pytest.fixture
def sdk_module() -> Iterator[type[Exception]]:
    """Register a ``workers.workflows`` module (as inside a Worker) for the test's duration;
    yields its ``NonRetryableError``."""
    module = types.ModuleType("workers.workflows")
    module.NonRetryableError = NonRetryableError  # type: ignore[attr-defined]
    saved = sys.modules.get("workers.workflows")
    sys.modules["workers.workflows"] = module
    try:
        yield NonRetryableError
    finally:
        if saved is None:
            del sys.modules["workers.workflows"]
        else:
            sys.modules["workers.workflows"] = saved
