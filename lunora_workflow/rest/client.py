"""Sync and async clients for Cloudflare's Workflows REST API (and wrangler dev's local copy).

httpx is imported here, and this module is imported only when a client is created, so
``import lunora_workflow`` never pays for it. Inside a Python Worker use the async client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx

from lunora_workflow.rest._core import (
    CLOUDFLARE_API_BASE,
    LOCAL_EXPLORER_BASE,
    Call,
    Dialect,
    NewInstance,
    Operations,
    Reply,
    RestartFrom,
    StatusAction,
    StepType,
    as_new_instance,
    error_from_reply,
)
from lunora_workflow.rest._retry import RetryPolicy
from lunora_workflow.rest._secret import ApiToken
from lunora_workflow.rest.errors import WorkflowsRestError
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
    "AsyncWorkflowsRestClient",
    "WorkflowsRestClient",
    "WorkflowsRestConfig",
    "create_async_workflows_rest_client",
    "create_workflows_rest_client",
]

logger = logging.getLogger("lunora_workflow.rest")

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0
_USER_AGENT = "lunora-workflow-rest"


@dataclass(frozen=True)
class WorkflowsRestConfig:
    """Everything a client was created with. Its ``repr`` shows the token as ``**********``."""

    account_id: str | None
    api_token: ApiToken | None
    base_url: str
    dialect: Dialect
    timeout: float | None
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class _BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer`` per request, so the token is never a client header."""

    def __init__(self, token: ApiToken) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = "Bearer " + self._token.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return f"_BearerAuth({self._token!r})"


def _config(
    account_id: str | None,
    api_token: str | ApiToken | None,
    base_url: str | None,
    dialect: Dialect,
    timeout: float | None,
    max_retries: int | None,
    retry: RetryPolicy | None,
) -> WorkflowsRestConfig:
    if dialect not in ("cloudflare", "local"):
        raise ValueError(f"dialect must be 'cloudflare' or 'local', not {dialect!r}")
    token = ApiToken(api_token) if isinstance(api_token, str) else api_token
    if dialect == "cloudflare":
        missing = [
            name for name, value in (("account_id", account_id), ("api_token", token)) if not value
        ]
        if missing:
            raise ValueError(
                f"the Cloudflare Workflows REST API needs {' and '.join(missing)} "
                "(CLOUDFLARE_ACCOUNT_ID / CLOUDFLARE_API_TOKEN)"
            )
    policy = retry if retry is not None else RetryPolicy()
    if max_retries is not None:
        policy = RetryPolicy(
            max_retries=max_retries,
            backoff_base=policy.backoff_base,
            backoff_max=policy.backoff_max,
            max_retry_after=policy.max_retry_after,
            sleep=policy.sleep,
            async_sleep=policy.async_sleep,
            now=policy.now,
            rand=policy.rand,
        )
    default_base = LOCAL_EXPLORER_BASE if dialect == "local" else CLOUDFLARE_API_BASE
    return WorkflowsRestConfig(
        account_id=account_id,
        api_token=token if token else None,
        base_url=(base_url or default_base).rstrip("/"),
        dialect=dialect,
        timeout=timeout,
        retry=policy,
    )


def _timeout(seconds: float | None) -> httpx.Timeout:
    if seconds is None:
        return httpx.Timeout(None)
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


def _retryable_transport_error(error: httpx.TransportError, call: Call[Any]) -> bool:
    # A refused or timed-out connection never reached the server, so even a POST is safe to
    # resend; after that only idempotent requests are (a create might otherwise run twice).
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return True
    return call.idempotent


class _ClientBase:
    def __init__(self, config: WorkflowsRestConfig) -> None:
        self._config = config
        self._ops = Operations(config.dialect, config.account_id)

    @property
    def config(self) -> WorkflowsRestConfig:
        """How this client was created (the token shows as ``**********``)."""
        return self._config

    @property
    def dialect(self) -> Dialect:
        """``cloudflare`` or ``local``."""
        return self._config.dialect

    def __repr__(self) -> str:
        cfg = self._config
        return (
            f"{type(self).__name__}(account_id={cfg.account_id!r}, base_url={cfg.base_url!r}, "
            f"dialect={cfg.dialect!r}, api_token={cfg.api_token!r})"
        )

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError(f"{type(self).__name__} cannot be pickled (it holds an API token)")

    def _http_options(self) -> dict[str, Any]:
        cfg = self._config
        options: dict[str, Any] = {
            "base_url": cfg.base_url,
            "timeout": _timeout(cfg.timeout),
            "headers": {"Accept": "application/json", "User-Agent": _USER_AGENT},
        }
        if cfg.api_token is not None:
            options["auth"] = _BearerAuth(cfg.api_token)
        return options

    def _request_options(self, call: Call[Any]) -> dict[str, Any]:
        options: dict[str, Any] = {"params": list(call.params)}
        if call.has_body:
            options["json"] = call.body
        return options

    def _reply(self, call: Call[Any], response: httpx.Response) -> Reply:
        return Reply(
            method=call.method,
            url=str(response.request.url),
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            token=self._config.api_token,
        )

    def _transport_error(
        self, call: Call[Any], error: httpx.TransportError, attempts: int
    ) -> WorkflowsRestError:
        kind = "timed out" if isinstance(error, httpx.TimeoutException) else "failed"
        detail = str(error) or type(error).__name__
        token = self._config.api_token
        if token is not None:
            detail = token.scrub(detail)
        return WorkflowsRestError(
            f"the request {kind}: {type(error).__name__}: {detail}",
            method=call.method,
            url=f"{self._config.base_url}{call.path}",
            attempts=attempts,
        )

    def _retry_delay(self, call: Call[Any], reply: Reply, retry: int) -> float | None:
        """Seconds to wait before retrying ``reply``, or ``None`` to give up now."""
        policy = self._config.retry
        if not policy.retryable_status(reply.status) or retry >= policy.max_retries:
            return None
        delay = policy.delay(retry, reply.headers.get("retry-after"))
        if delay is not None:
            logger.warning(
                "%s %s -> %s; retrying in %.2f s (retry %d of %d)",
                call.method,
                reply.url,
                reply.status,
                delay,
                retry + 1,
                policy.max_retries,
            )
        return delay

    def _log_reply(self, reply: Reply, started: float) -> None:
        logger.debug(
            "%s %s -> %s in %.0f ms",
            reply.method,
            reply.url,
            reply.status,
            (time.monotonic() - started) * 1000,
        )


class WorkflowsRestClient(_ClientBase):
    """Synchronous client. Create it with :func:`create_workflows_rest_client`.

    Use it as a context manager (or call :meth:`close`) to release connections.
    """

    def __init__(
        self, config: WorkflowsRestConfig, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__(config)
        self._http = httpx.Client(transport=transport, **self._http_options())

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._http.close()

    def __enter__(self) -> WorkflowsRestClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, call: Call[T]) -> T:
        policy = self._config.retry
        retry = 0
        while True:
            started = time.monotonic()
            try:
                response = self._http.request(call.method, call.path, **self._request_options(call))
            except httpx.TransportError as error:
                if _retryable_transport_error(error, call) and retry < policy.max_retries:
                    wait = policy.backoff(retry)
                    logger.warning(
                        "%s %s failed (%s); retrying in %.2f s (retry %d of %d)",
                        call.method,
                        call.path,
                        type(error).__name__,
                        wait,
                        retry + 1,
                        policy.max_retries,
                    )
                    policy.sleep(wait)
                    retry += 1
                    continue
                raise self._transport_error(call, error, retry + 1) from None
            reply = self._reply(call, response)
            self._log_reply(reply, started)
            if 200 <= reply.status < 300:
                return call.parse(reply)
            delay = self._retry_delay(call, reply, retry)
            if delay is None:
                raise error_from_reply(reply, attempts=retry + 1)
            policy.sleep(delay)
            retry += 1

    # -- operations (docs on the async twin apply here too) --------------------------------

    def list_workflows(
        self, *, page: int | None = None, per_page: int | None = None, search: str | None = None
    ) -> WorkflowsPage:
        """One page of the account's workflows (``per_page`` 1-100)."""
        return self._run(self._ops.list_workflows(page=page, per_page=per_page, search=search))

    def iter_workflows(
        self, *, per_page: int | None = None, search: str | None = None
    ) -> Iterator[WorkflowSummary]:
        """Every workflow of the account, fetching page after page."""
        page: int | None = None
        while True:
            result = self.list_workflows(page=page, per_page=per_page, search=search)
            yield from result.workflows
            page = result.next_page
            if page is None or not result.workflows:
                return

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
    ) -> InstancesPage:
        """One page of a workflow's instances; pass ``page.next_cursor`` as ``cursor=`` for more."""
        return self._run(
            self._ops.list_instances(
                workflow_name,
                status=status,
                per_page=per_page,
                cursor=cursor,
                date_start=date_start,
                date_end=date_end,
                direction=direction,
            )
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
    ) -> Iterator[InstanceSummary]:
        """Every instance (at most ``limit``), following cursors across pages."""
        cursor: str | None = None
        seen: set[str] = set()
        count = 0
        while True:
            page = self.list_instances(
                workflow_name,
                status=status,
                per_page=per_page,
                cursor=cursor,
                date_start=date_start,
                date_end=date_end,
                direction=direction,
            )
            for instance in page.instances:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield instance
            cursor = page.next_cursor
            if cursor is None or cursor in seen or (limit is not None and count >= limit):
                return
            seen.add(cursor)

    def get_instance(
        self,
        workflow_name: str,
        instance_id: str,
        *,
        order: Literal["asc", "desc"] | None = None,
        simple: bool | None = None,
    ) -> InstanceDetail:
        """An instance's status, params, output/error and normalized step timeline."""
        return self._run(
            self._ops.get_instance(workflow_name, instance_id, order=order, simple=simple)
        )

    def get_step_output(
        self,
        workflow_name: str,
        instance_id: str,
        name: str,
        *,
        type: StepType = "step",
        attempt: int | None = None,
    ) -> StepOutput:
        """The full output of step ``name`` (as named in the timeline, counter suffix included)."""
        return self._run(
            self._ops.get_step_output(workflow_name, instance_id, name, type=type, attempt=attempt)
        )

    def set_instance_status(
        self,
        workflow_name: str,
        instance_id: str,
        action: StatusAction,
        *,
        rollback: bool | None = None,
        from_step: RestartFrom | str | None = None,
    ) -> StatusChange:
        """Pause, resume, terminate (``rollback=``) or restart (``from_step=``) an instance."""
        return self._run(
            self._ops.set_instance_status(
                workflow_name, instance_id, action, rollback=rollback, from_step=from_step
            )
        )

    def send_event(
        self, workflow_name: str, instance_id: str, event_type: str, payload: Any = None
    ) -> None:
        """Deliver an event to an instance waiting in ``wait_for_event(event_type)``."""
        self._run(self._ops.send_event(workflow_name, instance_id, event_type, payload))

    def create_instance(
        self,
        workflow_name: str,
        *,
        params: Any = None,
        instance_id: str | None = None,
        retention: Mapping[str, Any] | None = None,
        location_hint: str | None = None,
    ) -> CreatedInstance:
        """Start an instance (``instance_id`` defaults to one Cloudflare generates)."""
        item = NewInstance(
            params=params, id=instance_id, retention=retention, location_hint=location_hint
        )
        return self._run(self._ops.create_instance(workflow_name, item))

    def create_instances_batch(
        self, workflow_name: str, instances: Sequence[NewInstance | Mapping[str, Any]]
    ) -> list[CreatedInstance]:
        """Start 1-100 instances in one request (one request per instance locally)."""
        items = [as_new_instance(i) for i in instances]
        if self.dialect == "local":
            return [self._run(self._ops.create_instance(workflow_name, i)) for i in items]
        return self._run(self._ops.create_instances_batch(workflow_name, items))


class AsyncWorkflowsRestClient(_ClientBase):
    """Asynchronous client (the one to use inside a Python Worker).

    Create it with :func:`create_async_workflows_rest_client`; ``async with`` it or ``await
    client.aclose()``. Every method mirrors :class:`WorkflowsRestClient`.
    """

    def __init__(
        self, config: WorkflowsRestConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(config)
        self._http = httpx.AsyncClient(transport=transport, **self._http_options())

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncWorkflowsRestClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _run(self, call: Call[T]) -> T:
        policy = self._config.retry
        retry = 0
        while True:
            started = time.monotonic()
            try:
                response = await self._http.request(
                    call.method, call.path, **self._request_options(call)
                )
            except httpx.TransportError as error:
                if _retryable_transport_error(error, call) and retry < policy.max_retries:
                    wait = policy.backoff(retry)
                    logger.warning(
                        "%s %s failed (%s); retrying in %.2f s (retry %d of %d)",
                        call.method,
                        call.path,
                        type(error).__name__,
                        wait,
                        retry + 1,
                        policy.max_retries,
                    )
                    await policy.async_sleep(wait)
                    retry += 1
                    continue
                raise self._transport_error(call, error, retry + 1) from None
            reply = self._reply(call, response)
            self._log_reply(reply, started)
            if 200 <= reply.status < 300:
                return call.parse(reply)
            delay = self._retry_delay(call, reply, retry)
            if delay is None:
                raise error_from_reply(reply, attempts=retry + 1)
            await policy.async_sleep(delay)
            retry += 1

    async def list_workflows(
        self, *, page: int | None = None, per_page: int | None = None, search: str | None = None
    ) -> WorkflowsPage:
        """One page of the account's workflows (``per_page`` 1-100)."""
        return await self._run(
            self._ops.list_workflows(page=page, per_page=per_page, search=search)
        )

    async def iter_workflows(
        self, *, per_page: int | None = None, search: str | None = None
    ) -> AsyncIterator[WorkflowSummary]:
        """Every workflow of the account, fetching page after page."""
        page: int | None = None
        while True:
            result = await self.list_workflows(page=page, per_page=per_page, search=search)
            for workflow in result.workflows:
                yield workflow
            page = result.next_page
            if page is None or not result.workflows:
                return

    async def list_instances(
        self,
        workflow_name: str,
        *,
        status: str | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        date_start: datetime | str | None = None,
        date_end: datetime | str | None = None,
        direction: Literal["asc", "desc"] | None = None,
    ) -> InstancesPage:
        """One page of a workflow's instances; pass ``page.next_cursor`` as ``cursor=`` for more."""
        return await self._run(
            self._ops.list_instances(
                workflow_name,
                status=status,
                per_page=per_page,
                cursor=cursor,
                date_start=date_start,
                date_end=date_end,
                direction=direction,
            )
        )

    async def iter_instances(
        self,
        workflow_name: str,
        *,
        status: str | None = None,
        per_page: int | None = None,
        date_start: datetime | str | None = None,
        date_end: datetime | str | None = None,
        direction: Literal["asc", "desc"] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[InstanceSummary]:
        """Every instance (at most ``limit``), following cursors across pages."""
        cursor: str | None = None
        seen: set[str] = set()
        count = 0
        while True:
            page = await self.list_instances(
                workflow_name,
                status=status,
                per_page=per_page,
                cursor=cursor,
                date_start=date_start,
                date_end=date_end,
                direction=direction,
            )
            for instance in page.instances:
                if limit is not None and count >= limit:
                    return
                count += 1
                yield instance
            cursor = page.next_cursor
            if cursor is None or cursor in seen or (limit is not None and count >= limit):
                return
            seen.add(cursor)

    async def get_instance(
        self,
        workflow_name: str,
        instance_id: str,
        *,
        order: Literal["asc", "desc"] | None = None,
        simple: bool | None = None,
    ) -> InstanceDetail:
        """An instance's status, params, output/error and normalized step timeline."""
        return await self._run(
            self._ops.get_instance(workflow_name, instance_id, order=order, simple=simple)
        )

    async def get_step_output(
        self,
        workflow_name: str,
        instance_id: str,
        name: str,
        *,
        type: StepType = "step",
        attempt: int | None = None,
    ) -> StepOutput:
        """The full output of step ``name`` (as named in the timeline, counter suffix included)."""
        return await self._run(
            self._ops.get_step_output(workflow_name, instance_id, name, type=type, attempt=attempt)
        )

    async def set_instance_status(
        self,
        workflow_name: str,
        instance_id: str,
        action: StatusAction,
        *,
        rollback: bool | None = None,
        from_step: RestartFrom | str | None = None,
    ) -> StatusChange:
        """Pause, resume, terminate (``rollback=``) or restart (``from_step=``) an instance."""
        return await self._run(
            self._ops.set_instance_status(
                workflow_name, instance_id, action, rollback=rollback, from_step=from_step
            )
        )

    async def send_event(
        self, workflow_name: str, instance_id: str, event_type: str, payload: Any = None
    ) -> None:
        """Deliver an event to an instance waiting in ``wait_for_event(event_type)``."""
        await self._run(self._ops.send_event(workflow_name, instance_id, event_type, payload))

    async def create_instance(
        self,
        workflow_name: str,
        *,
        params: Any = None,
        instance_id: str | None = None,
        retention: Mapping[str, Any] | None = None,
        location_hint: str | None = None,
    ) -> CreatedInstance:
        """Start an instance (``instance_id`` defaults to one Cloudflare generates)."""
        item = NewInstance(
            params=params, id=instance_id, retention=retention, location_hint=location_hint
        )
        return await self._run(self._ops.create_instance(workflow_name, item))

    async def create_instances_batch(
        self, workflow_name: str, instances: Sequence[NewInstance | Mapping[str, Any]]
    ) -> list[CreatedInstance]:
        """Start 1-100 instances in one request (one request per instance locally)."""
        items = [as_new_instance(i) for i in instances]
        if self.dialect == "local":
            return [await self._run(self._ops.create_instance(workflow_name, i)) for i in items]
        return await self._run(self._ops.create_instances_batch(workflow_name, items))


def create_workflows_rest_client(
    account_id: str | None = None,
    api_token: str | ApiToken | None = None,
    *,
    base_url: str | None = None,
    dialect: Dialect = "cloudflare",
    transport: httpx.BaseTransport | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_retries: int | None = None,
    retry: RetryPolicy | None = None,
) -> WorkflowsRestClient:
    """A synchronous Workflows REST client.

    ``dialect="cloudflare"`` (default) needs ``account_id`` and ``api_token`` and talks to
    ``https://api.cloudflare.com/client/v4``; ``dialect="local"`` talks to wrangler dev's
    local explorer API (default ``http://localhost:8787/cdn-cgi/explorer/api``) and needs no
    credentials. ``timeout`` is per request in seconds; ``max_retries`` overrides
    ``retry.max_retries`` (default 3); ``transport`` is any httpx transport (tests, proxies).
    """
    config = _config(account_id, api_token, base_url, dialect, timeout, max_retries, retry)
    return WorkflowsRestClient(config, transport=transport)


def create_async_workflows_rest_client(
    account_id: str | None = None,
    api_token: str | ApiToken | None = None,
    *,
    base_url: str | None = None,
    dialect: Dialect = "cloudflare",
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_retries: int | None = None,
    retry: RetryPolicy | None = None,
) -> AsyncWorkflowsRestClient:
    """The asynchronous twin of :func:`create_workflows_rest_client`."""
    config = _config(account_id, api_token, base_url, dialect, timeout, max_retries, retry)
    return AsyncWorkflowsRestClient(config, transport=transport)
