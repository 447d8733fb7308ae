"""Errors raised by the runtime.

``NonRetryableError`` is portable: it imports under CPython (so workflow code stays
unit-testable) and is converted to the SDK's ``workers.workflows.NonRetryableError`` at the
step and workflow boundaries inside a Worker (see :func:`to_platform_error`).

The SDK's JavaScript shim recognises a non-retryable Python error by its *exact* class name
(``PythonError.type == "NonRetryableError"``), so a subclass such as
:class:`StepOutputError` would be retried if it crossed the boundary unconverted; the
conversion is therefore not cosmetic.
"""

from __future__ import annotations

from lunora_workflow import platform

__all__ = [
    "InstanceStateError",
    "InvalidConfigError",
    "InvalidEventTypeError",
    "InvalidInstanceIdError",
    "InvalidParamsError",
    "InvalidStepNameError",
    "LunoraWorkflowError",
    "MissingBindingError",
    "NonRetryableError",
    "ReservedStepNameError",
    "RollbackNotSupportedError",
    "SchemaError",
    "StepArgsError",
    "StepOutputError",
    "UnknownWorkflowError",
    "WorkflowDefinitionError",
    "WorkflowOutputError",
    "WorkflowParamsError",
    "from_platform_error",
    "is_non_retryable",
    "to_platform_error",
]


class LunoraWorkflowError(Exception):
    """Base class of the runtime's own errors."""


class NonRetryableError(LunoraWorkflowError):
    """Fail the step (or the instance) at once, skipping any remaining retries."""

    def __init__(self, message: str = "", name: str = "NonRetryableError") -> None:
        super().__init__(message)
        self.message = message
        self.name = name


class SchemaError(LunoraWorkflowError, ValueError):
    """A value does not fit its declared type; ``path`` locates the offending part."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class WorkflowDefinitionError(LunoraWorkflowError, TypeError):
    """``define_workflow``/``define_step`` was called with something that cannot work."""


class InvalidConfigError(LunoraWorkflowError, ValueError):
    """A retries/timeout/duration value is malformed; the message names the step and value."""


class InvalidStepNameError(LunoraWorkflowError, ValueError):
    """A step name breaks Cloudflare's rules (at most 256 characters, no control characters)
    or lunora's (a non-empty string, not reserved)."""


class ReservedStepNameError(InvalidStepNameError):
    """A user step name starts with the framework's reserved ``lunora:`` prefix."""


class StepArgsError(LunoraWorkflowError, ValueError):
    """``ctx.run_step`` arguments do not fit the step's args type; the step never started.

    Deliberately *not* non-retryable (matching the original): it is raised in the workflow
    body before any durable step exists, so nothing is retried anyway.
    """


class StepOutputError(NonRetryableError):
    """A step returned a value that is not JSON-serialisable, too large or of the wrong type."""


class WorkflowParamsError(NonRetryableError):
    """The instance payload does not fit the workflow's Params type."""


class WorkflowOutputError(NonRetryableError):
    """The workflow returned a value that cannot be stored as its output."""


class UnknownWorkflowError(LunoraWorkflowError, LookupError):
    """``workflows(env).get(name)`` named no declared workflow."""


class MissingBindingError(LunoraWorkflowError, LookupError):
    """The workflow's binding is missing from ``env``; the message shows the wrangler entry."""


class InvalidParamsError(LunoraWorkflowError, ValueError):
    """``create(params=...)`` was given params that do not fit the workflow's Params type."""


class InvalidInstanceIdError(LunoraWorkflowError, ValueError):
    """An instance id breaks Cloudflare's id rules."""


class InvalidEventTypeError(LunoraWorkflowError, ValueError):
    """An event type breaks Cloudflare's event type rules."""


class InstanceStateError(LunoraWorkflowError):
    """An instance status or output read back from the binding could not be understood."""


class RollbackNotSupportedError(LunoraWorkflowError, NotImplementedError):
    """``terminate(rollback=True)`` was asked of a lunora workflow instance.

    Cloudflare runs only *native* rollbacks on terminate, and the Python SDK registers none, so
    lunora's rollbacks (which run inside the workflow body when it fails) would silently not
    run. Refused before anything is sent; see docs/runtime.md, "Saga rollback".
    """


def is_non_retryable(error: BaseException) -> bool:
    """True for the portable error (and subclasses) and for the SDK's own class."""
    if isinstance(error, NonRetryableError):
        return True
    return type(error).__name__ == "NonRetryableError"


def to_platform_error(error: Exception) -> Exception:
    """The exception to hand to the platform in place of ``error``.

    A portable :class:`NonRetryableError` (or subclass) becomes the SDK's class with the same
    message, ``__cause__`` and traceback; every other exception, and everything when no SDK is
    present (plain CPython), is returned unchanged.
    """
    if not isinstance(error, NonRetryableError):
        return error
    native_cls = platform.sdk_non_retryable_error()
    if native_cls is None or isinstance(error, native_cls):
        return error
    native = native_cls(error.message)
    native.__cause__ = error.__cause__
    native.__suppress_context__ = error.__suppress_context__
    native.__context__ = error.__context__
    return native.with_traceback(error.__traceback__)


def from_platform_error(error: Exception) -> Exception:
    """The exception a workflow body should see in place of ``error`` raised by ``step.do``.

    The inverse of :func:`to_platform_error`: on Workers, a step that failed with our
    :class:`NonRetryableError` comes back from the SDK as ``workers.workflows.NonRetryableError``,
    which is not a subclass of ours, so ``except NonRetryableError`` around a step would miss it
    there while it works under CPython. Anything named ``NonRetryableError`` that is not ours is
    turned back into ours (the platform's error kept as ``__cause__``); the rest is unchanged.
    """
    if isinstance(error, NonRetryableError) or type(error).__name__ != "NonRetryableError":
        return error
    portable = NonRetryableError(str(error))
    portable.__cause__ = error
    return portable.with_traceback(error.__traceback__)
