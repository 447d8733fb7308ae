"""Sync and async clients for Cloudflare's Workflows REST API (and wrangler dev's local copy).

httpx is imported here, and this module is imported only when a client is created, so
``import lunora_workflow`` never pays for it. Inside a Python Worker use the async client.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from lunora_workflow.rest._core import (
    CLOUDFLARE_API_BASE,
    LOCAL_EXPLORER_BASE,
    Attempts,
    Call,
    CallSeries,
    Dialect,
    Operations,
    Reply,
    Retry,
    TransportFailure,
)
from lunora_workflow.rest._retry import RetryPolicy
from lunora_workflow.rest._secret import ApiToken

__all__ = [
    "AsyncWorkflowsRestClient",
    "WorkflowsRestClient",
    "WorkflowsRestConfig",
    "create_async_workflows_rest_client",
    "create_workflows_rest_client",
]

logger = logging.getLogger("lunora_workflow.rest")

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])
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

    def _attempts(self, call: Call[T]) -> Attempts[T]:
        return Attempts(call, self._config.retry, base_url=self._config.base_url)

    def _reply(self, call: Call[Any], response: httpx.Response, started: float) -> Reply:
        reply = Reply(
            method=call.method,
            url=str(response.request.url),
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            token=self._config.api_token,
        )
        logger.debug(
            "%s %s -> %s in %.0f ms",
            reply.method,
            reply.url,
            reply.status,
            (time.monotonic() - started) * 1000,
        )
        return reply

    def _failure(self, error: httpx.TransportError) -> TransportFailure:
        detail = str(error) or type(error).__name__
        token = self._config.api_token
        return TransportFailure(
            error_type=type(error).__name__,
            detail=token.scrub(detail) if token is not None else detail,
            timed_out=isinstance(error, httpx.TimeoutException),
            never_sent=isinstance(error, httpx.ConnectError | httpx.ConnectTimeout),
        )


# Each client method is an :class:`Operations` method (same parameters, same docstring) that
# the client runs: one request, or a series of them yielded row by row or collected. Building
# a series sends nothing, so the ``iter_*`` methods only talk to the server once iterated.


def _like(build: Callable[..., Any]) -> Callable[[F], F]:
    """Give a client method the name, docstring and parameters of the ``build`` it runs."""

    def decorate(method: F) -> F:
        functools.update_wrapper(method, build)
        # ``help()`` and IDEs show build's parameters, but not its return type (a Call).
        signature = inspect.signature(build).replace(return_annotation=inspect.Signature.empty)
        method.__signature__ = signature  # type: ignore[attr-defined]
        return method

    return decorate


def _one(
    build: Callable[Concatenate[Operations, P], Call[T]],
) -> Callable[Concatenate[WorkflowsRestClient, P], T]:
    @_like(build)
    def method(self: WorkflowsRestClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(build(self._ops, *args, **kwargs))

    return method


def _each(
    build: Callable[Concatenate[Operations, P], CallSeries[Any, R]],
) -> Callable[Concatenate[WorkflowsRestClient, P], Iterator[R]]:
    @_like(build)
    def method(self: WorkflowsRestClient, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[R]:
        return self._series(build(self._ops, *args, **kwargs))

    return method


def _all(
    build: Callable[Concatenate[Operations, P], CallSeries[Any, R]],
) -> Callable[Concatenate[WorkflowsRestClient, P], list[R]]:
    @_like(build)
    def method(self: WorkflowsRestClient, /, *args: P.args, **kwargs: P.kwargs) -> list[R]:
        return list(self._series(build(self._ops, *args, **kwargs)))

    return method


def _async_one(
    build: Callable[Concatenate[Operations, P], Call[T]],
) -> Callable[Concatenate[AsyncWorkflowsRestClient, P], Coroutine[Any, Any, T]]:
    @_like(build)
    async def method(self: AsyncWorkflowsRestClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(build(self._ops, *args, **kwargs))

    return method


def _async_each(
    build: Callable[Concatenate[Operations, P], CallSeries[Any, R]],
) -> Callable[Concatenate[AsyncWorkflowsRestClient, P], AsyncIterator[R]]:
    @_like(build)
    def method(
        self: AsyncWorkflowsRestClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncIterator[R]:
        return self._series(build(self._ops, *args, **kwargs))

    return method


def _async_all(
    build: Callable[Concatenate[Operations, P], CallSeries[Any, R]],
) -> Callable[Concatenate[AsyncWorkflowsRestClient, P], Coroutine[Any, Any, list[R]]]:
    @_like(build)
    async def method(
        self: AsyncWorkflowsRestClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> list[R]:
        return [row async for row in self._series(build(self._ops, *args, **kwargs))]

    return method


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

    def _send(self, call: Call[Any]) -> Reply | TransportFailure:
        started = time.monotonic()
        try:
            response = self._http.request(call.method, call.path, **self._request_options(call))
        except httpx.TransportError as error:
            return self._failure(error)
        return self._reply(call, response, started)

    def _run(self, call: Call[T]) -> T:
        attempts = self._attempts(call)
        while isinstance(outcome := attempts.settle(self._send(call)), Retry):
            self._config.retry.sleep(outcome.seconds)
        return outcome

    def _series(self, series: CallSeries[Any, R]) -> Iterator[R]:
        while (call := series.next_call()) is not None:
            yield from series.take(self._run(call))

    list_workflows = _one(Operations.list_workflows)
    iter_workflows = _each(Operations.iter_workflows)
    list_instances = _one(Operations.list_instances)
    iter_instances = _each(Operations.iter_instances)
    get_instance = _one(Operations.get_instance)
    get_step_output = _one(Operations.get_step_output)
    set_instance_status = _one(Operations.set_instance_status)
    send_event = _one(Operations.send_event)
    create_instance = _one(Operations.create_instance)
    create_instances_batch = _all(Operations.create_instances_batch)


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

    async def _send(self, call: Call[Any]) -> Reply | TransportFailure:
        started = time.monotonic()
        try:
            response = await self._http.request(
                call.method, call.path, **self._request_options(call)
            )
        except httpx.TransportError as error:
            return self._failure(error)
        return self._reply(call, response, started)

    async def _run(self, call: Call[T]) -> T:
        attempts = self._attempts(call)
        while isinstance(outcome := attempts.settle(await self._send(call)), Retry):
            await self._config.retry.async_sleep(outcome.seconds)
        return outcome

    async def _series(self, series: CallSeries[Any, R]) -> AsyncIterator[R]:
        while (call := series.next_call()) is not None:
            for row in series.take(await self._run(call)):
                yield row

    list_workflows = _async_one(Operations.list_workflows)
    iter_workflows = _async_each(Operations.iter_workflows)
    list_instances = _async_one(Operations.list_instances)
    iter_instances = _async_each(Operations.iter_instances)
    get_instance = _async_one(Operations.get_instance)
    get_step_output = _async_one(Operations.get_step_output)
    set_instance_status = _async_one(Operations.set_instance_status)
    send_event = _async_one(Operations.send_event)
    create_instance = _async_one(Operations.create_instance)
    create_instances_batch = _async_all(Operations.create_instances_batch)


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
