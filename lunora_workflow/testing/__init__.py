"""Test Lunora workflows locally: an in-memory engine with Cloudflare's semantics.

Typical use (with the ``workflow_env`` pytest fixture from the bundled plugin)::

    async def test_welcome(workflow_env):
        workflow_env.register_generated(my_app._generated.workflows)
        instance = await workflow_env.create("channel_welcome", {"channel_id": "c1", ...})
        await instance.wait_for_status("complete")
        assert instance.replays == 1

See ``docs/testing.md``. Attributes are imported on first use, so importing this package (as
the pytest plugin does) costs next to nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lunora_workflow.testing.clock import VirtualClock
    from lunora_workflow.testing.engine import STATUSES, Instance, WorkflowTestEnv
    from lunora_workflow.testing.errors import (
        EngineError,
        EngineStalledError,
        InstanceAlreadyExistsError,
        InstanceNotFoundError,
        InstanceStatusError,
        NonDeterminismError,
        NotSerialisableError,
        StepError,
        WorkflowFatalError,
        WorkflowTimeoutError,
    )
    from lunora_workflow.testing.hooks import find_stub
    from lunora_workflow.testing.modifiers import InstanceModifier
    from lunora_workflow.testing.step import WorkflowStep
    from lunora_workflow.testing.timeline import Attempt, ErrorInfo, StepRecord
    from lunora_workflow.testing.wire import JsDict

__all__ = [
    "STATUSES",
    "Attempt",
    "EngineError",
    "EngineStalledError",
    "ErrorInfo",
    "Instance",
    "InstanceAlreadyExistsError",
    "InstanceModifier",
    "InstanceNotFoundError",
    "InstanceStatusError",
    "JsDict",
    "NonDeterminismError",
    "NotSerialisableError",
    "StepError",
    "StepRecord",
    "VirtualClock",
    "WorkflowFatalError",
    "WorkflowStep",
    "WorkflowTestEnv",
    "WorkflowTimeoutError",
    "find_stub",
]

_HOME = {
    "STATUSES": "engine",
    "Instance": "engine",
    "WorkflowTestEnv": "engine",
    "VirtualClock": "clock",
    "find_stub": "hooks",
    "InstanceModifier": "modifiers",
    "WorkflowStep": "step",
    "Attempt": "timeline",
    "ErrorInfo": "timeline",
    "StepRecord": "timeline",
    "JsDict": "wire",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOME.get(name, 'errors')}")
    return getattr(module, name)
