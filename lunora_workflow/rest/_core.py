"""The HTTP-free half of the client: which request each operation sends, how replies parse.

Both the sync and the async client run the same :class:`Call` objects, so the two can never
disagree about a path, a body or a response shape. Two dialects exist:

* ``cloudflare``: the account-scoped REST API (``/accounts/{a}/workflows...``, v4 envelope,
  cursor pagination for instances).
* ``local``: ``wrangler dev``'s local explorer API (``/cdn-cgi/explorer/api/workflows...``):
  same envelope, but page-numbered instance lists, ``{id, params}`` create bodies,
  ``{action}`` status bodies, and no step-output, batch, rollback or restart-from support.

The retry decisions (:class:`Attempts`) and multi-request operations (:class:`CallSeries`:
pagination, the local dialect's one-create-per-instance batch) live here too, so each client
keeps only its own I/O: sending a request and sleeping before a retry.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

from lunora_workflow.naming import event_type_problem, instance_id_problem
from lunora_workflow.rest._retry import RetryPolicy
from lunora_workflow.rest._secret import ApiToken
from lunora_workflow.rest.errors import (
    CloudflareMessage,
    UnsupportedByDialectError,
    WorkflowsRestError,
)
from lunora_workflow.rest.models import (
    CreatedInstance,
    InstanceDetail,
    InstancesPage,
    InstanceSummary,
    StatusChange,
    StepOutput,
    WorkflowsPage,
    WorkflowSummary,
)

__all__ = [
    "CLOUDFLARE_API_BASE",
    "LOCAL_EXPLORER_BASE",
    "PAGE_CURSOR_PREFIX",
    "Attempts",
    "Call",
    "CallSeries",
    "Dialect",
    "NewInstance",
    "Operations",
    "Reply",
    "RestartFrom",
    "Retry",
    "StatusAction",
    "StepType",
    "TransportFailure",
    "as_new_instance",
    "error_from_reply",
]

Dialect = Literal["cloudflare", "local"]
StatusAction = Literal["pause", "resume", "terminate", "restart"]
StepType = Literal["step", "waitForEvent"]

CLOUDFLARE_API_BASE = "https://api.cloudflare.com/client/v4"
LOCAL_EXPLORER_BASE = "http://localhost:8787/cdn-cgi/explorer/api"
#: Cursors this client makes up for page-numbered lists (the local API, or a Cloudflare
#: response that reports pages but no cursor). Real Cloudflare cursors are passed through.
PAGE_CURSOR_PREFIX = "lunora-page:"
BATCH_LIMIT = 100

logger = logging.getLogger("lunora_workflow.rest")

T = TypeVar("T")
PageT = TypeVar("PageT")
R = TypeVar("R")
_NO_BODY: Any = object()


@dataclass(frozen=True)
class Reply:
    """A received HTTP response, reduced to what parsing needs."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    # The raw body could echo the token back; only ``text`` (scrubbed) is ever shown.
    content: bytes = field(repr=False)
    token: ApiToken | None = field(default=None, repr=False)

    @property
    def content_type(self) -> str:
        """The media type, lower-cased, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        """The body as text, with the API token scrubbed out should the server echo it."""
        text = self.content.decode("utf-8", errors="replace")
        return self.token.scrub(text) if self.token is not None else text


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP request and the function that turns its 2xx reply into a typed result."""

    method: str
    path: str
    parse: Callable[[Reply], T]
    params: tuple[tuple[str, str], ...] = ()
    body: Any = _NO_BODY
    #: Safe to resend after a timeout (the request may have reached the server).
    idempotent: bool = False

    @property
    def has_body(self) -> bool:
        """Whether a JSON body is sent."""
        return self.body is not _NO_BODY


@dataclass(frozen=True)
class RestartFrom:
    """Where ``restart`` resumes: a step ``name`` (with ``count`` for repeated names)."""

    name: str
    count: int | None = None
    type: Literal["do", "sleep", "waitForEvent"] | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``from`` object of the status PATCH body."""
        out: dict[str, Any] = {"name": self.name}
        if self.count is not None:
            out["count"] = self.count
        if self.type is not None:
            out["type"] = self.type
        return out


@dataclass(frozen=True)
class NewInstance:
    """One instance to create in :meth:`create_instances_batch`."""

    params: Any = None
    id: str | None = None
    #: ``{"success_retention": "7 days", "error_retention": "30 days"}``
    retention: Mapping[str, Any] | None = None
    location_hint: str | None = None


def _messages(value: Any) -> list[CloudflareMessage]:
    out: list[CloudflareMessage] = []
    if not isinstance(value, list):
        return out
    for item in value:
        if isinstance(item, dict):
            code = item.get("code")
            out.append(
                CloudflareMessage(
                    code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                    message=str(item.get("message", "")),
                )
            )
        elif isinstance(item, str):
            out.append(CloudflareMessage(code=None, message=item))
    return out


def error_from_reply(
    reply: Reply, *, attempts: int = 1, summary: str | None = None
) -> WorkflowsRestError:
    """A :class:`WorkflowsRestError` describing ``reply`` (status, envelope errors, body)."""
    text = reply.text
    errors: list[CloudflareMessage] = []
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        errors = _messages(data.get("errors"))
    if summary is None:
        if errors:
            summary = errors[0].message or "request failed"
        elif data is None and text:
            summary = "the response is not JSON"
        else:
            summary = "request failed"
    return WorkflowsRestError(
        summary,
        status=reply.status,
        errors=errors,
        body=text,
        method=reply.method,
        url=reply.url,
        attempts=attempts,
    )


@dataclass(frozen=True)
class TransportFailure:
    """A request that got no HTTP reply at all: refused, reset or timed out."""

    error_type: str
    #: What went wrong, already scrubbed of the API token.
    detail: str
    timed_out: bool
    #: The connection was never made, so the server cannot have seen the request.
    never_sent: bool


@dataclass(frozen=True)
class Retry:
    """Send the same call again after ``seconds``."""

    seconds: float


class Attempts(Generic[T]):
    """The retry decisions for one call; the client only sends the request and sleeps."""

    def __init__(self, call: Call[T], policy: RetryPolicy, *, base_url: str) -> None:
        self.call = call
        self.policy = policy
        self.base_url = base_url
        self.retries = 0

    def settle(self, outcome: Reply | TransportFailure) -> T | Retry:
        """The parsed result of a 2xx reply, or when to resend; raises once retrying is over."""
        if isinstance(outcome, TransportFailure):
            return self._after_failure(outcome)
        if 200 <= outcome.status < 300:
            return self.call.parse(outcome)
        return self._after_error(outcome)

    def _after_failure(self, failure: TransportFailure) -> Retry:
        call, policy = self.call, self.policy
        # A refused or timed-out connection never reached the server, so even a POST is safe to
        # resend; after that only idempotent requests are (a create might otherwise run twice).
        if (failure.never_sent or call.idempotent) and self.retries < policy.max_retries:
            wait = policy.backoff(self.retries)
            logger.warning(
                "%s %s failed (%s); retrying in %.2f s (retry %d of %d)",
                call.method,
                call.path,
                failure.error_type,
                wait,
                self.retries + 1,
                policy.max_retries,
            )
            return self._again(wait)
        kind = "timed out" if failure.timed_out else "failed"
        raise WorkflowsRestError(
            f"the request {kind}: {failure.error_type}: {failure.detail}",
            method=call.method,
            url=f"{self.base_url}{call.path}",
            attempts=self.retries + 1,
        ) from None

    def _after_error(self, reply: Reply) -> Retry:
        policy = self.policy
        delay = None
        if policy.retryable_status(reply.status) and self.retries < policy.max_retries:
            delay = policy.delay(self.retries, reply.headers.get("retry-after"))
        if delay is None:
            raise error_from_reply(reply, attempts=self.retries + 1)
        logger.warning(
            "%s %s -> %s; retrying in %.2f s (retry %d of %d)",
            self.call.method,
            reply.url,
            reply.status,
            delay,
            self.retries + 1,
            policy.max_retries,
        )
        return self._again(delay)

    def _again(self, seconds: float) -> Retry:
        self.retries += 1
        return Retry(seconds)


class CallSeries(ABC, Generic[PageT, R]):
    """An operation that takes several requests, each built once the one before it succeeded.

    A client loops: run :meth:`next_call` until it returns ``None``, handing each result to
    :meth:`take`, which returns the rows that result contributes. Nothing is built (or
    validated) before the first :meth:`next_call`, so iterating stays lazy.
    """

    @abstractmethod
    def next_call(self) -> Call[PageT] | None:
        """The next request to run, or ``None`` when the operation is complete."""

    @abstractmethod
    def take(self, result: PageT) -> Sequence[R]:
        """Record the result of the last request; the rows it contributes."""


class _OneCall(CallSeries[list[R], R]):
    def __init__(self, call: Call[list[R]]) -> None:
        self._call: Call[list[R]] | None = call

    def next_call(self) -> Call[list[R]] | None:
        call, self._call = self._call, None
        return call

    def take(self, result: list[R]) -> Sequence[R]:
        return result


class _EachCall(CallSeries[R, R]):
    def __init__(self, calls: Iterator[Call[R]]) -> None:
        self._calls = calls

    def next_call(self) -> Call[R] | None:
        return next(self._calls, None)

    def take(self, result: R) -> Sequence[R]:
        return [result]


class _WorkflowPages(CallSeries[WorkflowsPage, WorkflowSummary]):
    def __init__(self, fetch: Callable[[int | None], Call[WorkflowsPage]]) -> None:
        self._fetch = fetch
        self._page: int | None = None
        self._done = False

    def next_call(self) -> Call[WorkflowsPage] | None:
        return None if self._done else self._fetch(self._page)

    def take(self, result: WorkflowsPage) -> Sequence[WorkflowSummary]:
        self._page = result.next_page
        self._done = self._page is None or not result.workflows
        return result.workflows


class _InstancePages(CallSeries[InstancesPage, InstanceSummary]):
    def __init__(
        self, fetch: Callable[[str | None], Call[InstancesPage]], limit: int | None
    ) -> None:
        self._fetch = fetch
        self._limit = limit
        self._cursor: str | None = None
        self._seen: set[str] = set()
        self._count = 0
        self._done = False

    def next_call(self) -> Call[InstancesPage] | None:
        return None if self._done else self._fetch(self._cursor)

    def take(self, result: InstancesPage) -> Sequence[InstanceSummary]:
        rows = result.instances
        if self._limit is not None:
            rows = rows[: max(0, self._limit - self._count)]
        self._count += len(rows)
        cursor = self._cursor = result.next_cursor
        full = self._limit is not None and self._count >= self._limit
        # A cursor seen before would fetch the same pages forever.
        self._done = cursor is None or cursor in self._seen or full
        if cursor is not None:
            self._seen.add(cursor)
        return rows


def _envelope(reply: Reply) -> tuple[Any, dict[str, Any]]:
    """``(result, result_info)`` of a v4 envelope; raises on ``success: false`` or bad JSON."""
    try:
        data = json.loads(reply.text)
    except ValueError:
        raise error_from_reply(reply, summary="the response is not JSON") from None
    if not isinstance(data, dict) or ("result" not in data and "success" not in data):
        raise error_from_reply(reply, summary="the response is not a Cloudflare v4 envelope")
    if data.get("success") is False:
        raise error_from_reply(reply)
    info = data.get("result_info")
    return data.get("result"), info if isinstance(info, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _next_cursor(info: Mapping[str, Any], returned: int) -> str | None:
    cursor = info.get("cursor")
    if returned == 0:
        return None  # an empty page never leads anywhere; guards against cursor loops
    if isinstance(cursor, str) and cursor:
        return cursor
    page, total_pages = _int(info.get("page")), _int(info.get("total_pages"))
    if page is not None and total_pages is not None and page < total_pages:
        return f"{PAGE_CURSOR_PREFIX}{page + 1}"
    return None


def _iso(value: datetime | str, what: str) -> str:
    """``value`` as the ISO-8601 UTC text the API filters on (``...Z``)."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive datetime is local time to some callers and UTC to others
        # (``datetime.utcnow()``); guessing would shift the range by the UTC offset.
        raise ValueError(
            f"{what} must be timezone-aware (e.g. datetime.now(UTC)), not the naive {value}"
        )
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _segment(value: str, what: str) -> str:
    if not value:
        raise ValueError(f"{what} must not be empty")
    return quote(value, safe="")


class Operations:
    """Builds the :class:`Call` (or :class:`CallSeries`) for each client operation in one dialect.

    Each client method is one of these, run by the client; their docstrings are the methods'.
    """

    def __init__(self, dialect: Dialect, account_id: str | None) -> None:
        self.dialect = dialect
        self.account_id = account_id

    # -- paths ---------------------------------------------------------------------------

    def _root(self) -> str:
        if self.dialect == "local":
            return "/workflows"
        assert self.account_id is not None
        return f"/accounts/{_segment(self.account_id, 'account id')}/workflows"

    def _workflow(self, workflow_name: str) -> str:
        return f"{self._root()}/{_segment(workflow_name, 'workflow name')}"

    def _instance(self, workflow_name: str, instance_id: str) -> str:
        return f"{self._workflow(workflow_name)}/instances/{_segment(instance_id, 'instance id')}"

    def _unsupported(self, what: str) -> UnsupportedByDialectError:
        return UnsupportedByDialectError(
            f"{what} is not available on wrangler dev's local explorer API; "
            "run it against the Cloudflare REST API (without --local)"
        )

    # -- operations ----------------------------------------------------------------------

    def list_workflows(
        self, *, page: int | None = None, per_page: int | None = None, search: str | None = None
    ) -> Call[WorkflowsPage]:
        """One page of the account's workflows (``per_page`` 1-100): ``GET /workflows``."""
        params: list[tuple[str, str]] = []
        if self.dialect == "cloudflare":
            if page is not None:
                params.append(("page", str(page)))
            if per_page is not None:
                params.append(("per_page", str(per_page)))
            if search:
                params.append(("search", search))

        def parse(reply: Reply) -> WorkflowsPage:
            result, info = _envelope(reply)
            workflows = [WorkflowSummary.model_validate(w) for w in result or []]
            if search and self.dialect == "local":
                workflows = [w for w in workflows if search.lower() in w.name.lower()]
            return WorkflowsPage(
                workflows=workflows,
                page=_int(info.get("page")),
                per_page=_int(info.get("per_page")),
                total_count=_int(info.get("total_count")),
                total_pages=_int(info.get("total_pages")),
            )

        return Call("GET", self._root(), parse, tuple(params), idempotent=True)

    def iter_workflows(
        self, *, per_page: int | None = None, search: str | None = None
    ) -> CallSeries[WorkflowsPage, WorkflowSummary]:
        """Every workflow of the account, fetching page after page."""
        return _WorkflowPages(
            lambda page: self.list_workflows(page=page, per_page=per_page, search=search)
        )

    def list_instances(
        self,
        workflow_name: str,
        *,
        status: str | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        date_start: datetime | str | None = None,
        date_end: datetime | str | None = None,
        direction: Literal["asc", "desc"] | None = None,
    ) -> Call[InstancesPage]:
        """One page of a workflow's instances; pass ``page.next_cursor`` as ``cursor=`` for more.

        ``GET /workflows/{w}/instances``.
        """
        if per_page is not None and not 1 <= per_page <= 100:
            raise ValueError(f"per_page must be between 1 and 100, got {per_page}")
        params: list[tuple[str, str]] = []
        if status is not None:
            params.append(("status", status))
        if per_page is not None:
            params.append(("per_page", str(per_page)))
        if cursor is not None and cursor.startswith(PAGE_CURSOR_PREFIX):
            page = cursor[len(PAGE_CURSOR_PREFIX) :]
            if not page.isdigit():
                raise ValueError(f"malformed page cursor {cursor!r}")
            params.append(("page", page))
        elif cursor is not None:
            if self.dialect == "local":
                raise ValueError(f"{cursor!r} is not a cursor of the local explorer API")
            params.append(("cursor", cursor))
        if self.dialect == "local":
            if date_start is not None or date_end is not None or direction is not None:
                raise self._unsupported("filtering instances by date or direction")
        else:
            if date_start is not None:
                params.append(("date_start", _iso(date_start, "date_start")))
            if date_end is not None:
                params.append(("date_end", _iso(date_end, "date_end")))
            if direction is not None:
                params.append(("direction", direction))

        def parse(reply: Reply) -> InstancesPage:
            result, info = _envelope(reply)
            rows = [InstanceSummary.model_validate(i) for i in result or []]
            return InstancesPage(
                instances=rows,
                next_cursor=_next_cursor(info, len(rows)),
                per_page=_int(info.get("per_page")),
                total_count=_int(info.get("total_count")),
                page=_int(info.get("page")),
                total_pages=_int(info.get("total_pages")),
            )

        return Call(
            "GET",
            f"{self._workflow(workflow_name)}/instances",
            parse,
            tuple(params),
            idempotent=True,
        )

    def iter_instances(
        self,
        workflow_name: str,
        *,
        status: str | None = None,
        per_page: int | None = None,
        date_start: datetime | str | None = None,
        date_end: datetime | str | None = None,
        direction: Literal["asc", "desc"] | None = None,
        limit: int | None = None,
    ) -> CallSeries[InstancesPage, InstanceSummary]:
        """Every instance (at most ``limit``), following cursors across pages."""
        return _InstancePages(
            lambda cursor: self.list_instances(
                workflow_name,
                status=status,
                per_page=per_page,
                cursor=cursor,
                date_start=date_start,
                date_end=date_end,
                direction=direction,
            ),
            limit,
        )

    def get_instance(
        self,
        workflow_name: str,
        instance_id: str,
        *,
        order: Literal["asc", "desc"] | None = None,
        simple: bool | None = None,
    ) -> Call[InstanceDetail]:
        """An instance's status, params, output/error and normalized step timeline.

        ``GET /workflows/{w}/instances/{id}``.
        """
        params: list[tuple[str, str]] = []
        if self.dialect == "cloudflare":
            if order is not None:
                params.append(("order", order))
            if simple is not None:
                params.append(("simple", "true" if simple else "false"))

        def parse(reply: Reply) -> InstanceDetail:
            result, _info = _envelope(reply)
            if not isinstance(result, dict):
                raise error_from_reply(reply, summary="the instance result is not an object")
            data = dict(result)
            data.setdefault("id", instance_id)
            data.setdefault("workflow_name", workflow_name)
            return InstanceDetail.model_validate(data)

        return Call(
            "GET", self._instance(workflow_name, instance_id), parse, tuple(params), idempotent=True
        )

    def get_step_output(
        self,
        workflow_name: str,
        instance_id: str,
        name: str,
        *,
        type: StepType = "step",
        attempt: int | None = None,
    ) -> Call[StepOutput]:
        """The full output of step ``name`` (as named in the timeline, counter suffix included).

        ``GET /workflows/{w}/instances/{id}/step`` (Cloudflare only).
        """
        if self.dialect == "local":
            raise self._unsupported("get_step_output")
        params = [("name", name), ("type", type)]
        if attempt is not None:
            params.append(("attempt", str(attempt)))

        def parse(reply: Reply) -> StepOutput:
            if reply.content_type == "application/octet-stream":
                return StepOutput(
                    status="complete", output=reply.content, content_type=reply.content_type
                )
            try:
                data = json.loads(reply.text)
            except ValueError:
                raise error_from_reply(reply, summary="the response is not JSON") from None
            # Documented as a flat {status, error, output} body; accept the v4 envelope too.
            if isinstance(data, dict) and "result" in data and "success" in data:
                if data.get("success") is False:
                    raise error_from_reply(reply)
                data = data.get("result")
            if not isinstance(data, dict):
                raise error_from_reply(reply, summary="the step output is not an object")
            return StepOutput.model_validate(data)

        return Call(
            "GET",
            f"{self._instance(workflow_name, instance_id)}/step",
            parse,
            tuple(params),
            idempotent=True,
        )

    def set_instance_status(
        self,
        workflow_name: str,
        instance_id: str,
        action: StatusAction,
        *,
        rollback: bool | None = None,
        from_step: RestartFrom | str | None = None,
    ) -> Call[StatusChange]:
        """Pause, resume, terminate (``rollback=``) or restart (``from_step=``) an instance.

        ``PATCH /workflows/{w}/instances/{id}/status``.
        """
        if action not in ("pause", "resume", "terminate", "restart"):
            raise ValueError(f"action must be pause, resume, terminate or restart, not {action!r}")
        if rollback is not None and action != "terminate":
            raise ValueError("rollback= only applies to terminate")
        if from_step is not None and action != "restart":
            raise ValueError("from_step= only applies to restart")
        if self.dialect == "local":
            if rollback is not None:
                raise self._unsupported("terminate with rollback")
            if from_step is not None:
                raise self._unsupported("restart from a step")
            body: dict[str, Any] = {"action": action}
        else:
            body = {"status": action}
            if rollback is not None:
                body["rollback"] = rollback
            if from_step is not None:
                start = RestartFrom(from_step) if isinstance(from_step, str) else from_step
                body["from"] = start.to_json()

        def parse(reply: Reply) -> StatusChange:
            result, _info = _envelope(reply)
            if isinstance(result, dict) and ("status" in result or "timestamp" in result):
                return StatusChange.model_validate(result)
            return StatusChange()

        return Call(
            "PATCH",
            f"{self._instance(workflow_name, instance_id)}/status",
            parse,
            body=body,
            idempotent=True,
        )

    def send_event(
        self, workflow_name: str, instance_id: str, event_type: str, payload: Any = None
    ) -> Call[None]:
        """Deliver an event to an instance waiting in ``wait_for_event(event_type)``.

        ``POST /workflows/{w}/instances/{id}/events/{type}``; the body is the payload.
        """
        problem = event_type_problem(event_type)
        if problem is not None:
            raise ValueError(problem)

        def parse(reply: Reply) -> None:
            _envelope(reply)

        event = _segment(event_type, "event type")
        return Call(
            "POST",
            f"{self._instance(workflow_name, instance_id)}/events/{event}",
            parse,
            body={} if payload is None else payload,
        )

    def _create_body(self, item: NewInstance) -> dict[str, Any]:
        if item.id is not None:
            problem = instance_id_problem(item.id)
            if problem is not None:
                raise ValueError(problem)
        body: dict[str, Any] = {}
        if self.dialect == "local":
            if item.retention is not None or item.location_hint is not None:
                raise self._unsupported("instance retention and location hints")
            if item.id is not None:
                body["id"] = item.id
        else:
            if item.id is not None:
                body["instance_id"] = item.id
            if item.retention is not None:
                body["instance_retention"] = dict(item.retention)
            if item.location_hint is not None:
                body["location_hint"] = item.location_hint
        if item.params is not None:
            body["params"] = item.params
        return body

    def create_instance(
        self,
        workflow_name: str,
        *,
        params: Any = None,
        instance_id: str | None = None,
        retention: Mapping[str, Any] | None = None,
        location_hint: str | None = None,
    ) -> Call[CreatedInstance]:
        """Start an instance (``instance_id`` defaults to one Cloudflare generates).

        ``POST /workflows/{w}/instances``.
        """
        item = NewInstance(
            params=params, id=instance_id, retention=retention, location_hint=location_hint
        )
        return self._create_call(workflow_name, item)

    def _create_call(self, workflow_name: str, item: NewInstance) -> Call[CreatedInstance]:
        body = self._create_body(item)

        def parse(reply: Reply) -> CreatedInstance:
            result, _info = _envelope(reply)
            if not isinstance(result, dict):
                raise error_from_reply(reply, summary="the created instance is not an object")
            return CreatedInstance.model_validate(result)

        return Call("POST", f"{self._workflow(workflow_name)}/instances", parse, body=body)

    def create_instances_batch(
        self, workflow_name: str, instances: Sequence[NewInstance | Mapping[str, Any]]
    ) -> CallSeries[Any, CreatedInstance]:
        """Start 1-100 instances in one request (one request per instance locally).

        ``POST /workflows/{w}/instances/batch``; the local API has no batch endpoint.
        """
        items = [as_new_instance(i) for i in instances]
        if self.dialect == "local":
            return _EachCall(self._create_call(workflow_name, item) for item in items)
        if not 1 <= len(items) <= BATCH_LIMIT:
            raise ValueError(f"a batch holds 1 to {BATCH_LIMIT} instances, got {len(items)}")
        body = [self._create_body(item) for item in items]

        def parse(reply: Reply) -> list[CreatedInstance]:
            result, _info = _envelope(reply)
            if not isinstance(result, list):
                raise error_from_reply(reply, summary="the batch result is not a list")
            return [CreatedInstance.model_validate(r) for r in result]

        return _OneCall(
            Call("POST", f"{self._workflow(workflow_name)}/instances/batch", parse, body=body)
        )


def as_new_instance(item: NewInstance | Mapping[str, Any]) -> NewInstance:
    """Accept ``NewInstance`` or a mapping with the same keys (``instance_id`` also for ``id``)."""
    if isinstance(item, NewInstance):
        return item
    known = {"params", "id", "instance_id", "retention", "location_hint"}
    unknown = set(item) - known
    if unknown:
        raise ValueError(f"unknown key(s) for a new instance: {', '.join(sorted(unknown))}")
    return NewInstance(
        params=item.get("params"),
        id=item.get("id", item.get("instance_id")),
        retention=item.get("retention"),
        location_hint=item.get("location_hint"),
    )
