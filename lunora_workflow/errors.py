"""Errors raised by the runtime.

``NonRetryableError`` is portable: it imports under CPython (so workflow code stays
unit-testable) and is converted to the SDK's ``workers.workflows.NonRetryableError`` at the
step and workflow boundaries inside a Worker.
"""

from __future__ import annotations

__all__ = ["LunoraWorkflowError", "NonRetryableError"]


class LunoraWorkflowError(Exception):
    """Base class of the runtime's own errors."""


class NonRetryableError(LunoraWorkflowError):
    """Fail the step (or the instance) at once, skipping any remaining retries."""

    def __init__(self, message: str = "", name: str = "NonRetryableError") -> None:
        super().__init__(message)
        self.message = message
        self.name = name
