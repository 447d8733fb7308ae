"""Branch outcomes: what a fan-out child reports to its parent, and the child side of it.

An outcome is JSON, the payload of the event the child sends its parent::

    {"status": "ok", "value": <the child's output>}
    {"status": "error", "error": {"name": "ValueError", "message": "..."}}

Cloudflare caps an event payload at 1 MiB, so an outcome over that is replaced by an error
outcome named ``BranchOutputTooLarge`` telling the user to return a reference instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lunora_workflow.branch_marker import BranchMarker
from lunora_workflow.durable import run_durable
from lunora_workflow.serialize import MAX_STEP_OUTPUT_BYTES, NotJsonError, json_size, to_jsonable

if TYPE_CHECKING:
    from lunora_workflow.handles import WorkflowSpec
    from lunora_workflow.log import Logger

__all__ = [
    "MAX_EVENT_PAYLOAD_BYTES",
    "SIGNAL_STEP_PREFIX",
    "BranchError",
    "bound_outcome",
    "error_outcome",
    "ok_outcome",
    "read_outcome",
    "signal_parent",
]

#: Cloudflare's limit on a ``send_event`` payload (compact UTF-8 JSON).
MAX_EVENT_PAYLOAD_BYTES = MAX_STEP_OUTPUT_BYTES
SIGNAL_STEP_PREFIX = "lunora:signal:"
#: Retries of the child's signal step: short, so a missing parent does not hold a child long.
_SIGNAL_CONFIG: dict[str, Any] = {
    "retries": {"limit": 3, "delay": "2 seconds", "backoff": "exponential"},
    "timeout": "1 minute",
}


@dataclass(frozen=True)
class BranchError:
    """An error as it crosses between instances: its ``name`` and ``message``."""

    name: str
    message: str

    @classmethod
    def of(cls, error: BaseException) -> BranchError:
        """The ``name`` attribute (as Cloudflare reports errors) or class name, and message."""
        name = getattr(error, "name", None)
        message = getattr(error, "message", None)
        return cls(
            name=name if isinstance(name, str) and name else type(error).__name__,
            message=message if isinstance(message, str) else str(error),
        )

    def to_json(self) -> dict[str, str]:
        """``{"name", "message"}``."""
        return {"name": self.name, "message": self.message}


def ok_outcome(value: Any) -> dict[str, Any]:
    """The outcome of a child that returned ``value`` (already JSON data)."""
    return {"status": "ok", "value": value}


def error_outcome(error: BaseException | BranchError) -> dict[str, Any]:
    """The outcome of a child that failed with ``error``."""
    info = error if isinstance(error, BranchError) else BranchError.of(error)
    return {"status": "error", "error": info.to_json()}


def bound_outcome(
    outcome: Mapping[str, Any], *, what: str, limit: int = MAX_EVENT_PAYLOAD_BYTES
) -> dict[str, Any]:
    """``outcome`` if its JSON fits in ``limit`` bytes, else a small ``BranchOutputTooLarge``
    error outcome naming ``what`` (the child) and the size."""
    try:
        data = to_jsonable(outcome)
    except NotJsonError as error:
        return error_outcome(
            BranchError(
                "BranchOutputNotJson",
                f"{what}: its output is not JSON-serialisable at {error.path}: {error.kind}",
            )
        )
    size = json_size(data)
    if size <= limit:
        return dict(data)
    return error_outcome(
        BranchError(
            "BranchOutputTooLarge",
            f"{what}: its outcome serialises to {size} bytes, over Cloudflare's "
            f"{MAX_EVENT_PAYLOAD_BYTES}-byte event payload limit — a branch's output travels "
            "to the parent as an event; store large data elsewhere (R2, KV, D1) and return a "
            "reference to it instead",
        )
    )


def read_outcome(payload: Any) -> tuple[bool, Any]:
    """``(True, value)`` for an ok outcome, ``(False, BranchError)`` otherwise (an error
    outcome, or a payload that is not an outcome at all)."""
    if isinstance(payload, Mapping):
        status = payload.get("status")
        if status == "ok" and "value" in payload:
            return True, payload["value"]
        error = payload.get("error")
        if status == "error" and isinstance(error, Mapping):
            return False, BranchError(
                name=str(error.get("name") or "Error"), message=str(error.get("message") or "")
            )
    return False, BranchError(
        "MalformedBranchOutcome", f"the branch reported {payload!r}, which is not an outcome"
    )


def _parent_spec(binding: str, specs: Mapping[str, WorkflowSpec]) -> WorkflowSpec:
    from lunora_workflow.handles import WorkflowSpec

    for spec in specs.values():
        if spec.binding == binding:
            return spec
    return WorkflowSpec(export=binding, binding=binding, class_name="", name="")


async def signal_parent(
    *,
    sdk_step: Any,
    env: Any,
    specs: Mapping[str, WorkflowSpec],
    marker: BranchMarker,
    outcome: Mapping[str, Any],
    log: Logger,
    child: str,
) -> None:
    """Send ``outcome`` to the parent in ``marker`` as the durable step
    ``lunora:signal:<index>``. Never raises an ``Exception``: a parent that cannot be reached
    is logged, and the parent falls back to its join timeout."""
    from lunora_workflow.handles import InstanceHandle, _lookup

    binding = _lookup(env, marker.parent_binding)
    if binding is None or not hasattr(binding, "get"):
        log.warn(
            "fan-out child cannot signal its parent: no such Workflow binding on env",
            parent_binding=marker.parent_binding,
            parent_id=marker.parent_id,
        )
        return
    payload = bound_outcome(outcome, what=child)
    parent: InstanceHandle[Any] = InstanceHandle(
        binding, _parent_spec(marker.parent_binding, specs), marker.parent_id
    )

    async def body(_raw: Any) -> None:
        await parent.send_event(marker.event_type, payload)

    try:
        await run_durable(sdk_step, f"{SIGNAL_STEP_PREFIX}{marker.index}", _SIGNAL_CONFIG, body)
    except Exception as error:
        log.error(
            f'failed to signal branch parent "{marker.parent_id}" (event "{marker.event_type}")',
            error=f"{type(error).__name__}: {error}",
        )
