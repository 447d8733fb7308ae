"""Typed results of the Workflows REST client (pydantic models).

Every model keeps fields Cloudflare adds later (``extra="allow"``), so a newer API never
breaks parsing; :meth:`pydantic.BaseModel.model_dump` with ``mode="json"`` gives the JSON shape
``lunora workflows ... --json`` prints.

The step timeline (:class:`TimelineEntry`) is normalized: every entry has every field, whatever
its ``type`` (``step``, ``rollback``, ``sleep``, ``waitForEvent``, ``termination`` or a type
added later), with ``None``/``[]`` for what the API did not send.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "INSTANCE_STATUSES",
    "CreatedInstance",
    "ErrorInfo",
    "InstanceDetail",
    "InstanceStatus",
    "InstanceSummary",
    "InstancesPage",
    "RetryConfig",
    "StatusChange",
    "StepAttempt",
    "StepConfig",
    "StepOutput",
    "TimelineEntry",
    "WorkflowSummary",
    "WorkflowsPage",
]

InstanceStatus = Literal[
    "queued",
    "running",
    "paused",
    "errored",
    "terminated",
    "complete",
    "waitingForPause",
    "waiting",
    "rollingBack",
    "unknown",
]
#: The statuses Cloudflare documents, plus ``unknown`` for anything else.
INSTANCE_STATUSES: tuple[str, ...] = get_args(InstanceStatus)


def _status(value: Any) -> Any:
    # A status added by Cloudflare after this release must not break listing.
    return value if value in INSTANCE_STATUSES else "unknown"


def _timestamp(value: Any) -> datetime | None:
    """ISO-8601 text or epoch milliseconds -> aware datetime; empty or unreadable -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _error(value: Any) -> Any:
    if isinstance(value, str):
        return {"name": "Error", "message": value}
    return value


Timestamp = Annotated[datetime | None, BeforeValidator(_timestamp)]
Status = Annotated[InstanceStatus, BeforeValidator(_status)]


def _duration(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ErrorInfo(_Model):
    """An error as Cloudflare reports it: ``{name, message}``."""

    name: str = "Error"
    message: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {self.message}" if self.message else self.name


OptionalError = Annotated[ErrorInfo | None, BeforeValidator(_error)]


class WorkflowSummary(_Model):
    """One deployed workflow (``GET /accounts/{a}/workflows``)."""

    id: str | None = None
    name: str
    class_name: str | None = None
    script_name: str | None = None
    created_on: Timestamp = None
    modified_on: Timestamp = None
    triggered_on: Timestamp = None
    #: Instance counts per status, e.g. ``{"running": 2, "complete": 40}``.
    instances: dict[str, int] = Field(default_factory=dict)
    schedules: list[dict[str, Any]] | None = None
    script_deleted: bool | None = None


class WorkflowsPage(_Model):
    """A page of :class:`WorkflowSummary` (page-numbered: the workflows list has no cursor)."""

    workflows: list[WorkflowSummary]
    page: int | None = None
    per_page: int | None = None
    total_count: int | None = None
    total_pages: int | None = None

    @property
    def next_page(self) -> int | None:
        """The next page number, or ``None`` on the last page."""
        if self.page is None or self.total_pages is None or self.page >= self.total_pages:
            return None
        return self.page + 1


class InstanceSummary(_Model):
    """One row of ``GET .../workflows/{w}/instances``."""

    id: str
    status: Status = "unknown"
    created_on: Timestamp = None
    started_on: Timestamp = None
    ended_on: Timestamp = None
    modified_on: Timestamp = None
    version_id: str | None = None
    workflow_id: str | None = None
    trigger_source: str | None = None

    @property
    def duration(self) -> timedelta | None:
        """``ended_on - started_on`` when both are known."""
        return _duration(self.started_on, self.ended_on)


class InstancesPage(_Model):
    """A page of instances. Pass ``next_cursor`` back as ``cursor=`` for the next page."""

    instances: list[InstanceSummary]
    #: Opaque; ``None`` on the last page.
    next_cursor: str | None = None
    per_page: int | None = None
    total_count: int | None = None
    page: int | None = None
    total_pages: int | None = None

    @property
    def has_more(self) -> bool:
        """True when another page follows."""
        return self.next_cursor is not None


class StepAttempt(_Model):
    """One try of a ``step.do``."""

    start: Timestamp = None
    end: Timestamp = None
    success: bool | None = None
    error: OptionalError = None

    @property
    def duration(self) -> timedelta | None:
        """``end - start`` when both are known."""
        return _duration(self.start, self.end)


class RetryConfig(_Model):
    """``config.retries`` of a step: ``delay`` is text (``"10 seconds"``) or milliseconds."""

    limit: float | None = None
    delay: str | float | None = None
    backoff: str | None = None


class StepConfig(_Model):
    """The config a ``step.do`` ran with."""

    retries: RetryConfig | None = None
    timeout: str | float | None = None
    sensitive: str | None = None


class TimelineEntry(_Model):
    """One entry of an instance's step timeline, normalized across entry types.

    ``type`` is ``step`` (a ``step.do``), ``rollback``, ``sleep``, ``waitForEvent`` or
    ``termination``. ``name`` is exactly as Cloudflare reports it (with its counter suffix),
    which is what :meth:`~lunora_workflow.rest.WorkflowsRestClient.get_step_output` expects.
    ``attempt_count`` is the number of tries (``len(attempts)``, or the count when the API
    reports a number instead of a list); ``None`` for entries that have no attempts.
    """

    type: str
    name: str = ""
    start: Timestamp = None
    end: Timestamp = None
    success: bool | None = None
    finished: bool | None = None
    attempts: list[StepAttempt] = Field(default_factory=list)
    attempt_count: int | None = None
    output: Any = None
    error: OptionalError = None
    config: StepConfig | None = None
    event_type: str | None = None
    trigger_source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("name") is None:
            data["name"] = ""
        attempts = data.get("attempts")
        if isinstance(attempts, list):
            data.setdefault("attempt_count", len(attempts))
        elif isinstance(attempts, int) and not isinstance(attempts, bool):
            data["attempt_count"] = attempts
            data["attempts"] = []
        elif attempts is None:
            data.pop("attempts", None)
        trigger = data.get("trigger")
        if isinstance(trigger, dict) and "trigger_source" not in data:
            data["trigger_source"] = trigger.get("source")
        return data

    @property
    def duration(self) -> timedelta | None:
        """``end - start`` when both are known."""
        return _duration(self.start, self.end)

    @property
    def last_error(self) -> ErrorInfo | None:
        """The entry's error, else the error of its last failed attempt."""
        if self.error is not None:
            return self.error
        for attempt in reversed(self.attempts):
            if attempt.error is not None:
                return attempt.error
        return None

    @property
    def state(self) -> str:
        """One word: complete, errored, retrying, running, waiting or terminated."""
        if self.type == "termination":
            return "terminated"
        if self.success is True or (self.finished is True and self.error is None):
            return "complete"
        if self.success is False or self.error is not None:
            return "errored"
        if self.type in ("sleep", "waitForEvent"):
            return "waiting"
        if self.last_error is not None:
            return "retrying"
        return "running"


class InstanceDetail(_Model):
    """An instance with its status and normalized step timeline (``GET .../instances/{id}``).

    ``id`` and ``workflow_name`` are filled in by the client (the API does not echo them).
    """

    id: str = ""
    workflow_name: str = ""
    status: Status = "unknown"
    params: Any = None
    queued: Timestamp = None
    start: Timestamp = None
    end: Timestamp = None
    success: bool | None = None
    output: Any = None
    error: OptionalError = None
    trigger_source: str | None = None
    version_id: str | None = Field(
        default=None, validation_alias=AliasChoices("versionId", "version_id")
    )
    schedule: dict[str, Any] | None = None
    rollback: dict[str, Any] | None = None
    step_count: int | None = None
    steps: list[TimelineEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        trigger = data.get("trigger")
        if isinstance(trigger, dict) and "trigger_source" not in data:
            data["trigger_source"] = trigger.get("source")
        if data.get("steps") is None:
            data["steps"] = []
        return data

    @property
    def duration(self) -> timedelta | None:
        """``end - start`` when both are known."""
        return _duration(self.start, self.end)


class CreatedInstance(_Model):
    """The result of creating an instance. ``status`` is ``None`` when the API omits it."""

    id: str
    status: Status | None = None
    version_id: str | None = None
    workflow_id: str | None = None
    trigger_source: str | None = None


class StatusChange(_Model):
    """The result of pause/resume/terminate/restart: the new status and when it changed."""

    status: str | None = None
    timestamp: Timestamp = None


class StepOutput(_Model):
    """The full, untruncated output of one step (``GET .../instances/{id}/step``).

    ``output`` is ``bytes`` when the step returned a stream (served as octet-stream).
    """

    status: str | None = None
    output: Any = None
    error: OptionalError = None
    content_type: str = "application/json"
