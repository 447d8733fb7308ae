"""Typed views of what the platform hands over: the instance's event and received events."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lunora_workflow import platform

__all__ = ["ReceivedEvent", "WorkflowEvent"]


def _field(source: Any, *names: str) -> Any:
    for name in names:
        if isinstance(source, Mapping) and name in source:
            return source[name]
        value = getattr(source, name, None)
        if value is not None:
            return value
    return None


def _timestamp(value: Any) -> datetime.datetime | None:
    value = platform.from_js(value)
    if value is None or isinstance(value, datetime.datetime):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value / 1000, datetime.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.astimezone(datetime.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    return None


@dataclass(frozen=True)
class WorkflowEvent:
    """The event that started this instance (``ctx.event``).

    ``timestamp`` is a naive UTC ``datetime`` (as the SDK converts JS dates), or ``None`` when
    the platform sent none.
    """

    instance_id: str
    payload: Any
    timestamp: datetime.datetime | None
    workflow_name: str

    @classmethod
    def from_sdk(cls, event: Any) -> WorkflowEvent:
        """Read the SDK's event (a ``JsDict``, a plain dict, or a raw ``JsProxy``)."""
        event = platform.from_js(event)
        if event is None:
            event = {}
        return cls(
            instance_id=str(_field(event, "instanceId", "instance_id") or ""),
            payload=platform.from_js(_field(event, "payload")),
            timestamp=_timestamp(_field(event, "timestamp")),
            workflow_name=str(_field(event, "workflowName", "workflow_name") or ""),
        )


@dataclass(frozen=True)
class ReceivedEvent:
    """What ``ctx.step.wait_for_event`` returns: the event's ``type``, ``payload`` and
    ``timestamp`` (naive UTC)."""

    type: str
    payload: Any
    timestamp: datetime.datetime | None

    @classmethod
    def from_sdk(cls, value: Any, event_type: str) -> ReceivedEvent:
        """Read ``{payload, timestamp, type}`` from either SDK (the built-in one passes a raw
        ``JsProxy``)."""
        value = platform.from_js(value)
        if value is None:
            value = {}
        return cls(
            type=str(_field(value, "type") or event_type),
            payload=platform.from_js(_field(value, "payload")),
            timestamp=_timestamp(_field(value, "timestamp")),
        )
