"""One durable step through the SDK's ``step.do`` decorator, in either SDK mode.

The SDK's ``step.do`` is a decorator factory whose signature depends on a compat flag
(implicit: ``do(name=None, *, concurrent, config)``; legacy: ``do(name, depends=None,
concurrent=False, config=None)``). ``step.do(name, config=...)`` applied to a callback whose
only parameter is named ``ctx`` is valid in both, so nothing is detected at run time.

Also here: the checks every stored result goes through (JSON, 1 MiB) and step-name rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lunora_workflow import naming
from lunora_workflow.errors import (
    InvalidStepNameError,
    ReservedStepNameError,
    StepOutputError,
    from_platform_error,
    to_platform_error,
)
from lunora_workflow.serialize import MAX_STEP_OUTPUT_BYTES, NotJsonError, json_size, to_jsonable

__all__ = ["MAX_STEP_NAME_LENGTH", "check_step_name", "run_durable", "stored_result"]

#: Cloudflare's step-name rules (workers-sdk ``validators.ts``): at most this many characters
#: and no control characters; the engine fails the instance on a violation.
MAX_STEP_NAME_LENGTH = 256
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f]")

#: ``body(raw_sdk_ctx)``: the step's work; may return an awaitable.
StepBody = Callable[[Any], Any]


def check_step_name(name: object, *, api: str) -> str:
    """``name`` if it may label a user step; raises otherwise (``api`` names the caller)."""
    if not isinstance(name, str) or not name:
        raise ReservedStepNameError(f"{api}: step name must be a non-empty string, got {name!r}")
    if name == "ctx":
        # The SDK's implicit mode resolves a callback parameter against declared step names
        # *before* treating it as the step context, so a step named "ctx" would make every
        # later step (itself included) depend on it: infinite recursion inside the SDK.
        raise ReservedStepNameError(
            f'{api}: step name "ctx" cannot be used — the SDK would treat every step\'s ctx '
            "parameter as a dependency on it; pick another name"
        )
    if name.startswith(naming.RESERVED_STEP_PREFIX):
        raise ReservedStepNameError(
            f'{api}: step name "{name}" is reserved — the "{naming.RESERVED_STEP_PREFIX}" '
            "prefix is used by the framework's own steps"
        )
    check_platform_step_name(name, api=api)
    return name


def check_platform_step_name(name: str, *, api: str, what: str = "step name") -> None:
    """Raise :class:`InvalidStepNameError` when Cloudflare would refuse ``name``: before the
    call, with the length or the offending character, instead of the engine's generic fatal
    error mid-run."""
    if len(name) > MAX_STEP_NAME_LENGTH:
        raise InvalidStepNameError(
            f"{api}: {what} {name[:40]!r}... is {len(name)} characters long; Cloudflare allows "
            f"at most {MAX_STEP_NAME_LENGTH}"
        )
    bad = _CONTROL_CHARACTER.search(name)
    if bad is not None:
        raise InvalidStepNameError(
            f"{api}: {what} {name!r} contains the control character {bad.group()!r} at "
            f"index {bad.start()}; Cloudflare refuses control characters in step names"
        )


def stored_result(name: str, value: Any) -> Any:
    """``value`` as JSON-compatible data Cloudflare can persist for step ``name``.

    Raises :class:`StepOutputError` (non-retryable: a retry returns the same thing) naming the
    step and the offending path, or the size when over Cloudflare's 1 MiB limit.
    """
    try:
        data = to_jsonable(value)
    except NotJsonError as error:
        raise StepOutputError(
            f'step "{name}" returned a value that is not JSON-serialisable at '
            f"{error.path}: {error.kind}"
        ) from error
    size = json_size(data)
    if size > MAX_STEP_OUTPUT_BYTES:
        raise StepOutputError(
            f'step "{name}" returned {size} bytes of JSON, over Cloudflare\'s '
            f"{MAX_STEP_OUTPUT_BYTES}-byte (1 MiB) step result limit — store large data "
            "elsewhere (R2, KV, D1) and return a reference to it"
        )
    return data


async def _settle(value: Any) -> Any:
    if hasattr(value, "__await__"):
        return await value
    return value


async def run_durable(
    sdk_step: Any, name: str, config: Mapping[str, Any] | None, body: StepBody
) -> Any:
    """Run ``body`` as the durable step ``name`` and return what the platform stored.

    ``body`` receives the SDK's raw step context. Its result must already be JSON-compatible
    (see :func:`stored_result`). A portable ``NonRetryableError`` escaping ``body`` is turned
    into the SDK's class here, so the engine stops retrying, and turned back into ours when the
    SDK raises it out of ``step.do``, so ``except NonRetryableError`` around a step works the
    same on Workers and under CPython; ``BaseException`` (suspension, cancellation) passes
    through untouched.
    """

    async def callback(ctx: Any = None) -> Any:
        try:
            return await _settle(body(ctx))
        except Exception as error:
            converted = to_platform_error(error)
            if converted is error:
                raise
            # Not `from error`: to_platform_error already carried the original __cause__ over.
            raise converted  # noqa: B904

    decorated = sdk_step.do(name, config=dict(config) if config is not None else None)(callback)
    try:
        return await decorated()
    except Exception as error:
        portable = from_platform_error(error)
        if portable is error:
            raise
        raise portable from error
