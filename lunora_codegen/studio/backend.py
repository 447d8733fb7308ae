"""What the Studio shows and does, independent of where the instances run.

The web app talks only to a :class:`Backend`. :class:`~lunora_codegen.studio.local.LocalBackend`
runs instances on the in-memory test engine; :class:`~lunora_codegen.studio.remote.RemoteBackend`
reads and drives deployed workflows through Cloudflare's REST API. Both return the plain records
below, which the pages render and the JSON API serialises with :func:`to_json`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "ACTIONS",
    "STATUSES",
    "TERMINAL_STATUSES",
    "Action",
    "Backend",
    "BackendError",
    "InstanceDetail",
    "InstanceNotFoundError",
    "InstanceSummary",
    "InvalidRequestError",
    "ParamField",
    "StepAttempt",
    "StepRecord",
    "UnknownWorkflowError",
    "WorkflowInfo",
    "to_json",
]

#: Every instance status Cloudflare reports, in the order the Studio's filter lists them.
STATUSES = (
    "queued",
    "running",
    "paused",
    "waiting",
    "waitingForPause",
    "complete",
    "errored",
    "terminated",
    "rollingBack",
    "unknown",
)
#: Statuses an instance never leaves on its own (only ``restart`` brings it back).
TERMINAL_STATUSES = frozenset({"complete", "errored", "terminated"})

Action = Literal["pause", "resume", "terminate"]
ACTIONS: tuple[Action, ...] = ("pause", "resume", "terminate")


class BackendError(Exception):
    """A request the backend could not carry out; ``status`` is the HTTP status to answer with."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownWorkflowError(BackendError):
    """The export name is not one of the project's workflows."""

    status = 404


class InstanceNotFoundError(BackendError):
    """No instance with that id exists for that workflow."""

    status = 404


class InvalidRequestError(BackendError):
    """The request is well-formed but cannot apply (duplicate id, bad event type, wrong state)."""

    status = 400


@dataclasses.dataclass(frozen=True)
class ParamField:
    """One input of a Start form, derived from a field of the workflow's params type.

    ``kind`` picks the widget: ``text``, ``integer``, ``number``, ``boolean``, ``select`` (with
    ``choices``) or ``json`` (a small JSON editor for nested and container types).
    """

    name: str
    kind: Literal["text", "integer", "number", "boolean", "select", "json"]
    type_label: str
    required: bool
    default: str | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False
    description: str | None = None


@dataclasses.dataclass(frozen=True)
class WorkflowInfo:
    """A declared workflow, as the Workflows page lists it.

    ``fields`` is ``None`` when the params type is not a dataclass, TypedDict or pydantic model
    (or could not be imported); the Start page then offers only the JSON editor.
    """

    export: str
    class_name: str
    binding: str
    name: str
    params_type: str | None
    output_type: str | None
    source_file: str | None
    source_line: int | None
    doc: str | None = None
    fields: tuple[ParamField, ...] | None = None
    params_kind: str | None = None


@dataclasses.dataclass(frozen=True)
class StepAttempt:
    """One try of a step: 1-based ``number``, ISO times, outcome and error text."""

    number: int
    start: str | None
    end: str | None
    success: bool | None
    error: str | None = None
    duration_ms: float | None = None


@dataclasses.dataclass(frozen=True)
class StepRecord:
    """One entry of an instance's step timeline (``type``: step, sleep, waitForEvent, ...)."""

    name: str
    type: str
    start: str | None
    end: str | None
    success: bool | None
    attempts: tuple[StepAttempt, ...] = ()
    output: Any = None
    error: str | None = None
    duration_ms: float | None = None
    note: str | None = None
    """What a pending step is waiting for (``until 2026-01-01 00:01:00``), for people."""


@dataclasses.dataclass(frozen=True)
class InstanceSummary:
    """A row of the Instances table. ``output``/``error`` are filled when cheaply known."""

    workflow: str
    id: str
    status: str
    created: str | None = None
    started: str | None = None
    ended: str | None = None
    output: Any = None
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class InstanceDetail:
    """An instance with its params, result and step timeline."""

    summary: InstanceSummary
    params: Any = None
    output: Any = None
    error: str | None = None
    steps: tuple[StepRecord, ...] = ()
    waiting_for: tuple[str, ...] = ()


@runtime_checkable
class Backend(Protocol):
    """Where the Studio's instances live: the local engine or Cloudflare.

    Every method raises a :class:`BackendError` subclass for a request it cannot carry out.
    ``params`` are already validated, JSON-compatible values.
    """

    mode: str
    """``"local"`` or ``"remote"``: shown in the page header."""

    poll_interval: float
    """Seconds between two looks for changes by a live stream (each look may cost API calls)."""

    async def workflows(self) -> list[WorkflowInfo]:
        """The project's declared workflows, sorted by export name."""
        ...

    def notices(self) -> list[str]:
        """Warnings to show on the Workflows page (stale generated code, ...)."""
        ...

    def params_type(self, export: str) -> Any:
        """The imported params type of ``export`` (``None`` when unknown): Start forms use it."""
        ...

    async def start(self, export: str, params: Any, instance_id: str | None) -> InstanceSummary:
        """Create an instance of ``export`` (with a generated id when ``instance_id`` is None)."""
        ...

    async def instances(
        self, export: str | None = None, status: str | None = None
    ) -> list[InstanceSummary]:
        """Instances, newest first, optionally of one workflow and/or in one status."""
        ...

    async def instance(self, export: str, instance_id: str) -> InstanceDetail:
        """One instance with its step timeline."""
        ...

    async def send_event(
        self, export: str, instance_id: str, event_type: str, payload: Any
    ) -> None:
        """Deliver an event to an instance (a waiting ``wait_for_event`` or a later one)."""
        ...

    async def set_status(self, export: str, instance_id: str, action: Action) -> InstanceSummary:
        """Pause, resume or terminate an instance; returns its status afterwards."""
        ...

    async def open(self) -> None:
        """Start background work (the local engine's clock) on the server's event loop."""
        ...

    async def aclose(self) -> None:
        """Stop background work and release connections."""
        ...


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return _plain(model_dump(mode="json"))
    return repr(value)


def to_json(value: Any) -> Any:
    """The JSON-compatible form of a record (or of a step output of any type)."""
    return _plain(value)
