"""The parent marker a fan-out child carries in its params, and the ids fan-out derives.

``ctx.parallel`` starts each branch as a child instance whose params carry one extra top-level
key, :data:`MARKER_KEY`, telling the child where to report its outcome::

    {"__lunora_branch": {"event_type": "lunora-branch-<child id>", "index": 0,
                         "parent_binding": "WORKFLOW_MEDIA_PIPELINE", "parent_id": "<id>"}}

The generated entrypoint (``run_workflow``) strips the key before the handler sees its params
and, when the marker is well formed, signals the parent when the child finishes. Users may
never send the key themselves (:func:`refuse_marker`): ``create``, ``spawn`` and ``branch``
reject it.

Cloudflare's rules shape the ids: instance ids and event types match
``^[a-zA-Z0-9_][a-zA-Z0-9-_]*$`` and are at most 100 characters, so derived values that would be
longer are folded (:func:`fold`) with a digest of the full value, keeping the readable ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lunora_workflow import naming
from lunora_workflow.errors import InvalidParamsError

__all__ = [
    "BRANCH_EVENT_PREFIX",
    "MARKER_KEY",
    "MAX_BRANCHES",
    "BranchMarker",
    "ReservedParamsKeyError",
    "branch_event_type",
    "child_id",
    "compensation_id",
    "extract_marker",
    "fold",
    "has_marker",
    "refuse_marker",
    "strip_marker",
]

#: The reserved top-level params key carrying a child's parent marker.
MARKER_KEY = "__lunora_branch"
#: Event types of branch outcomes (Cloudflare forbids ``:`` in event types).
BRANCH_EVENT_PREFIX = naming.RESERVED_EVENT_PREFIX + "branch-"
#: The most branches one ``ctx.parallel`` call may start.
MAX_BRANCHES = 100
_PARENT_BINDING_PREFIX = "WORKFLOW_"
_MARKER_FIELDS = frozenset({"event_type", "index", "parent_binding", "parent_id"})
_DIGEST_CHARS = 12


class ReservedParamsKeyError(InvalidParamsError):
    """User params contained the reserved branch-marker key (a bad request)."""


def fold(head: str, suffix: str = "", limit: int = naming.INSTANCE_ID_MAX) -> str:
    """``head + suffix`` if it fits in ``limit`` characters, else a shortened form that keeps
    the start of ``head``, a digest of the whole value and ``suffix`` (so distinct inputs stay
    distinct and the readable ends survive)."""
    value = head + suffix
    if len(value) <= limit:
        return value
    import hashlib  # only long ids pay for it

    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    keep = max(limit - len(suffix) - _DIGEST_CHARS - 1, 1)
    return f"{head[:keep]}-{digest}{suffix}"[:limit]


def child_id(parent_id: str, ordinal: int) -> str:
    """The derived id of the ``ordinal``-th child of ``parent_id``: ``<parent>-c<ordinal>``."""
    return fold(parent_id or "instance", f"-c{ordinal}")


def compensation_id(branch_child_id: str) -> str:
    """The id of the compensation instance for the child ``branch_child_id``."""
    return fold(branch_child_id, "-compensate")


def branch_event_type(branch_child_id: str) -> str:
    """The event type the child ``branch_child_id`` reports its outcome with."""
    return fold(BRANCH_EVENT_PREFIX + branch_child_id, "", naming.EVENT_TYPE_MAX)


@dataclass(frozen=True)
class BranchMarker:
    """Where a child reports: ``send_event(type=event_type)`` to ``parent_id`` through the
    parent's binding ``parent_binding``; ``index`` is the branch's position in its group."""

    event_type: str
    index: int
    parent_binding: str
    parent_id: str

    def to_json(self) -> dict[str, Any]:
        """The marker as it travels in the child's params."""
        return {
            "event_type": self.event_type,
            "index": self.index,
            "parent_binding": self.parent_binding,
            "parent_id": self.parent_id,
        }


def has_marker(payload: object) -> bool:
    """True when ``payload`` is a dict with the marker key at its top level."""
    return isinstance(payload, Mapping) and MARKER_KEY in payload


def extract_marker(payload: object) -> BranchMarker | None:
    """The marker in ``payload``, or ``None`` when absent or not exactly well formed.

    Every field is checked (types, Cloudflare's id rules, the ``WORKFLOW_`` binding prefix, the
    reserved event prefix, no extra fields): a forged or damaged marker is ignored rather than
    obeyed.
    """
    if not isinstance(payload, Mapping):
        return None
    raw = payload.get(MARKER_KEY)
    if not isinstance(raw, Mapping) or set(raw) != _MARKER_FIELDS:
        return None
    event_type, index = raw["event_type"], raw["index"]
    parent_binding, parent_id = raw["parent_binding"], raw["parent_id"]
    if not (
        isinstance(event_type, str)
        and event_type.startswith(BRANCH_EVENT_PREFIX)
        and naming.event_type_problem(event_type) is None
    ):
        return None
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_BRANCHES:
        return None
    if not (
        isinstance(parent_binding, str)
        and parent_binding.startswith(_PARENT_BINDING_PREFIX)
        and parent_binding.isidentifier()
    ):
        return None
    if not isinstance(parent_id, str) or naming.instance_id_problem(parent_id) is not None:
        return None
    return BranchMarker(event_type, index, parent_binding, parent_id)


def strip_marker(payload: Any) -> Any:
    """A shallow copy of ``payload`` without the marker key; anything else unchanged."""
    if not has_marker(payload):
        return payload
    return {key: value for key, value in payload.items() if key != MARKER_KEY}


def refuse_marker(params: object, where: str) -> None:
    """Raise :class:`ReservedParamsKeyError` when user ``params`` carry the marker key."""
    if has_marker(params):
        raise ReservedParamsKeyError(
            f'{where}: params may not contain the reserved branch-marker key "{MARKER_KEY}" '
            "(BAD_REQUEST) — it is set by ctx.parallel for the child instances it starts"
        )
