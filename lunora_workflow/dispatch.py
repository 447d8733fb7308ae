"""HTTP dispatch of a function call to a Lunora backend, wire-compatible with the original.

``POST {LUNORA_ORIGIN_URL}/_lunora/scheduler/dispatch`` with ``authorization: Bearer
{LUNORA_ADMIN_TOKEN}`` and the body ``{"args", "functionPath", "id"?, "shardKey"?}``. A success
answers ``{"result": ...}``; a failure answers ``{"error": {"code", "message", "data"}}`` with
a non-2xx status, rebuilt here as a :class:`DispatchError`. Statuses 400/403/404/422 from such
an envelope are *deterministic* (a retry gets the same answer) and raise
:class:`DeterministicDispatchError`, a :class:`NonRetryableError`; everything else (429, 5xx,
an unreadable body, a timeout, a refused connection) stays retryable.

A concurrent duplicate of a call the backend is still running is *declined* with ``409
DISPATCH_IN_PROGRESS`` and the header ``x-lunora-dispatch-declined: 1``;
:func:`wait_out_declines` re-dispatches with doubling pauses until the backend serves the call
or the step's deadline (or the 15-minute claim ceiling) is reached. A decline is never
treated as success.

httpx is imported on the first dispatch only (Cloudflare's Python Workers support it). The
clock, the pause and the per-request timeout are injectable (:func:`dispatch_overrides`) so
tests run the wait-out without waiting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from lunora_workflow.dispatch_settings import (
    DEFAULT_DISPATCH_TIMEOUT_MS,
    DEFAULT_STEP_TIMEOUT_MS,
    STEP_TIMEOUT_MARGIN_MS,
    DispatchSettings,
    dispatch_overrides,
    dispatch_settings,
    step_deadline,
)
from lunora_workflow.errors import LunoraWorkflowError, NonRetryableError

__all__ = [
    "DECLINE_HEADER",
    "DEFAULT_DISPATCH_TIMEOUT_MS",
    "DEFAULT_STEP_TIMEOUT_MS",
    "DETERMINISTIC_STATUSES",
    "DISPATCH_CLAIM_CEILING_MS",
    "DISPATCH_PATH",
    "FIRST_RECHECK_MS",
    "MAX_RECHECK_MS",
    "MIN_RECHECK_DISPATCH_MS",
    "STEP_TIMEOUT_MARGIN_MS",
    "DeterministicDispatchError",
    "DispatchConfigError",
    "DispatchDeclinedError",
    "DispatchError",
    "DispatchSettings",
    "DispatchTimeoutError",
    "FunctionCallError",
    "dispatch_http",
    "dispatch_overrides",
    "dispatch_settings",
    "step_deadline",
    "wait_out_declines",
]

T = TypeVar("T")

DISPATCH_PATH = "/_lunora/scheduler/dispatch"
DECLINE_HEADER = "x-lunora-dispatch-declined"
#: How long the backend holds a claim on a dedup id; no decline is waited out longer.
DISPATCH_CLAIM_CEILING_MS = 15 * 60_000
FIRST_RECHECK_MS = 1_000
MAX_RECHECK_MS = 30_000
#: No re-dispatch is started with less than this much time left before the deadline.
MIN_RECHECK_DISPATCH_MS = 1_000
#: Statuses that, in an error envelope, mean "a retry gets the same answer".
DETERMINISTIC_STATUSES = frozenset({400, 403, 404, 422})
#: An infrastructure failure the backend reports as 4xx that a retry may still fix.
_NOT_DETERMINISTIC_CODES = frozenset({"DISPATCH_UNAUTHENTICATED"})
_LABEL = "lunora_workflow"


# --------------------------------------------------------------------------------------------
# Errors


class FunctionCallError(LunoraWorkflowError):
    """A function call failed; ``code``, ``status`` and ``data`` say how (as the backend did).

    ``str(error)`` is the backend's message unchanged.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        data: Any = None,
        function_path: str | None = None,
    ) -> None:
        LunoraWorkflowError.__init__(self, message)
        self.code = code
        self.message = message
        self.status = status
        self.data = data
        self.function_path = function_path
        # What the SDK's shim reads for a NonRetryableError (see errors.to_platform_error).
        deterministic = isinstance(self, NonRetryableError)
        self.name = "NonRetryableError" if deterministic else type(self).__name__


class DispatchError(FunctionCallError):
    """The backend answered the dispatch with an error envelope (retryable unless it is a
    :class:`DeterministicDispatchError`)."""


class DeterministicDispatchError(DispatchError, NonRetryableError):
    """A 400/403/404/422 error envelope: retrying the call cannot succeed, so the step fails
    at once instead of burning its retries."""


class DispatchDeclinedError(DispatchError):
    """``409 DISPATCH_IN_PROGRESS`` with the decline header: the backend is still running an
    earlier dispatch with the same dedup id. Waited out by :func:`wait_out_declines`."""


class DispatchTimeoutError(FunctionCallError):
    """The dispatch did not answer in time (a retryable 503, like the original)."""


class DispatchConfigError(FunctionCallError):
    """The Worker is not set up to dispatch: ``LUNORA_ORIGIN_URL`` / ``LUNORA_ADMIN_TOKEN`` are
    not both set, or httpx is not among its packages. Retryable, like the original's
    ``INTERNAL`` configuration error (a redeploy fixes it)."""


def _error_from_envelope(status: int, envelope: Any, headers: Mapping[str, str], path: str) -> Any:
    """The branded error for an ``{"error": {"code", "message", "data"}}`` body, or ``None``
    when the body is not such an envelope."""
    if not isinstance(envelope, Mapping):
        return None
    error = envelope.get("error")
    if not isinstance(error, Mapping):
        return None
    code, message = error.get("code"), error.get("message")
    if not isinstance(code, str) or not isinstance(message, str):
        return None
    cls: type[DispatchError] = DispatchError
    if status == 409 and code == "DISPATCH_IN_PROGRESS" and headers.get(DECLINE_HEADER) == "1":
        cls = DispatchDeclinedError
    elif status in DETERMINISTIC_STATUSES and code not in _NOT_DETERMINISTIC_CODES:
        cls = DeterministicDispatchError
    from lunora_workflow import wire

    try:
        data = wire.decode(error.get("data"))
    except wire.WireError:
        data = error.get("data")  # keep what the backend sent rather than lose the error
    return cls(code, message, status=status, data=data, function_path=path)


# --------------------------------------------------------------------------------------------
# One dispatch

_SSL_CONTEXT: list[Any] = []


def _client_options() -> dict[str, Any]:
    """Under CPython, one shared SSL context: building one is most of the ~30 ms an httpx
    client costs, paid on every call otherwise. Inside a Worker httpx goes through the
    runtime's fetch and needs none."""
    from lunora_workflow import platform

    if platform.IS_PYODIDE:  # pragma: no cover - only inside a Worker
        return {}
    if not _SSL_CONTEXT:
        import ssl

        _SSL_CONTEXT.append(ssl.create_default_context())
    return {"verify": _SSL_CONTEXT[0]}


async def dispatch_http(
    *,
    origin: str,
    token: str,
    function_path: str,
    args: Any,
    dedup_id: str | None,
    shard_key: str | None,
    timeout_ms: float | None = None,
) -> Any:
    """POST one call to the backend and return the ``result`` of its envelope.

    Raises :class:`DispatchError` (or a subclass) for an error envelope,
    :class:`DispatchTimeoutError` after ``timeout_ms`` (default: the settings' 30 s) and a plain
    retryable :class:`FunctionCallError` (code ``INTERNAL``) for anything unreadable;
    :class:`DispatchConfigError` when httpx cannot be imported.
    """
    import asyncio

    try:
        import httpx  # lazily: only Workers that dispatch over HTTP pay for it
    except ImportError as error:
        # A Worker bundles only the packages its pyproject.toml lists; say so instead of
        # failing every retry with a bare "No module named 'httpx'".
        raise DispatchConfigError(
            "INTERNAL",
            f"{_LABEL}: function dispatch of {function_path} needs httpx, which this Worker "
            'does not have: add "httpx" to the dependencies in its pyproject.toml',
            function_path=function_path,
        ) from error

    limit = dispatch_settings().timeout_ms if timeout_ms is None else timeout_ms
    body: dict[str, Any] = {"args": args, "functionPath": function_path}
    if dedup_id is not None:
        body["id"] = dedup_id
    if shard_key is not None:
        body["shardKey"] = shard_key
    url = origin.rstrip("/") + DISPATCH_PATH
    seconds = max(limit, 0) / 1000

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(timeout=seconds + 1, **_client_options()) as client:
            return await client.post(url, json=body, headers={"authorization": f"Bearer {token}"})

    try:
        # wait_for bounds the whole exchange (httpx's own timeout is per phase)
        response = await asyncio.wait_for(post(), timeout=seconds)
    except (TimeoutError, httpx.TimeoutException) as error:
        raise DispatchTimeoutError(
            "SERVICE_UNAVAILABLE",
            f"{_LABEL}: function dispatch of {function_path} timed out after {round(limit)}ms",
            status=503,
            function_path=function_path,
        ) from error
    except httpx.HTTPError as error:
        raise FunctionCallError(
            "INTERNAL",
            f"{_LABEL}: function dispatch of {function_path} failed: {error}",
            function_path=function_path,
        ) from error
    text = response.text
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.is_success:
        if isinstance(payload, Mapping) and "result" in payload:
            return payload["result"]
        raise FunctionCallError(
            "INTERNAL",
            f"{_LABEL}: function dispatch of {function_path} answered {response.status_code} "
            f"without a result envelope: {text[:500]}",
            status=response.status_code,
            function_path=function_path,
        )
    headers = {key.lower(): value for key, value in response.headers.items()}
    branded = _error_from_envelope(response.status_code, payload, headers, function_path)
    if branded is not None:
        raise branded
    # Unbranded on purpose: an unreadable body is never classed as deterministic.
    raise FunctionCallError(
        "INTERNAL",
        f"{_LABEL}: function dispatch failed ({response.status_code}): {text[:500]}",
        status=response.status_code,
        function_path=function_path,
    )


# --------------------------------------------------------------------------------------------
# Waiting out declines


async def wait_out_declines(
    call: Callable[[float | None], Awaitable[T]], *, deadline: float | None = None
) -> T:
    """Run ``call(timeout_ms)`` and re-run it while the backend declines it as in progress.

    The first call gets ``None`` (the default timeout). After a decline: pause 1 s, doubling
    up to 30 s, as long as the time left, ``min(first decline + 15 min, deadline - 1 s) -
    now``, is positive; a pause that ends past the ceiling or the deadline rethrows; a
    re-dispatch with a deadline gets ``timeout_ms = min(30 s, deadline - now)``. Any other
    error, and the last decline, are re-raised unchanged.
    """
    settings = dispatch_settings()
    clock = settings.clock
    first_decline: float | None = None
    recheck: float = FIRST_RECHECK_MS
    timeout: float | None = None
    while True:
        try:
            return await call(timeout)
        except DispatchDeclinedError:
            now = clock()
            if first_decline is None:
                first_decline = now
            ceiling = first_decline + DISPATCH_CLAIM_CEILING_MS
            remaining = ceiling - now
            if deadline is not None:
                remaining = min(remaining, deadline - now - MIN_RECHECK_DISPATCH_MS)
            if remaining <= 0:
                raise
            await settings.sleep(min(recheck, remaining))
            recheck = min(recheck * 2, MAX_RECHECK_MS)
            now = clock()
            if now >= ceiling or (deadline is not None and now >= deadline):
                raise  # a late timer: the wait overran what it was allowed
            if deadline is not None:
                timeout = min(settings.timeout_ms, deadline - now)
