"""Hooks the runtime consults when it runs on the test engine.

``ctx.run(path, ...)`` (the runtime's function-call step) asks :func:`find_stub` whether the
test replaced the function at ``path`` via ``WorkflowTestEnv.stub_function(path, fn)``; the
stubs travel on the engine's ``step`` object as ``step.lunora_stubs``, so the lookup needs no
global state and costs nothing on the platform (where the attribute does not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["find_stub"]


def find_stub(step: Any, path: str) -> Callable[..., Any] | None:
    """The stand-in registered for ``path`` on the engine that created ``step``, if any."""
    stubs = getattr(step, "lunora_stubs", None)
    if not stubs:
        return None
    stub = stubs.get(path)
    return stub if callable(stub) else None
