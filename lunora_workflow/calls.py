"""``ctx.run(ref, args, *, shard_key=None, dedup_id=None)``: call a function from a workflow.

One call: validate ``args`` against the function's args type (it goes through the wire codec
first, :mod:`lunora_workflow.wire`; a mismatch raises :class:`FunctionArgsError` and nothing
is called), then dispatch it:

1. a test stub registered with ``WorkflowTestEnv.stub_function(path, fn)``, if any;
2. **in-process** when the function is defined in this Worker (its module is imported on the
   first call): the handler runs with a fresh function context;
3. otherwise **over HTTP** to a Lunora backend when ``env`` has ``LUNORA_ORIGIN_URL`` and
   ``LUNORA_ADMIN_TOKEN`` (:mod:`lunora_workflow.dispatch`), declines waited out up to the
   step's deadline.

The result takes the same wire round trip and is parsed into the declared result type, so an
in-process call and an HTTP call return the same thing.

Dedup ids are positional and replay-stable: each scope numbers its calls ``.1``, ``.2``, ...
and a caller-supplied ``dedup_id`` wins without shifting the others' positions. Scopes, under
the namespace ``<export>/<instance id>``:

- ``#body``: calls made by the workflow body itself (one counter per run of the body);
- ``#step<i>``: calls inside the ``i``-th ``ctx.run_step`` of the run (counter per attempt, so
  a retried attempt re-issues the same ids); ``#step<i>rollback`` inside its rollback;
- ``#do<i>``: calls inside the ``i``-th ``ctx.step.do`` callback of the run (``ctx.run``
  called from such a callback finds its step through a context variable). The original leaves
  this case unpinned; pinning it makes the seed's ``step.do("greet", lambda: ctx.run(...))``
  deduplicate across replays too.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from lunora_workflow.dispatch_settings import dispatch_settings, step_deadline
from lunora_workflow.errors import LunoraWorkflowError, SchemaError
from lunora_workflow.schema import describe, parse_value

if TYPE_CHECKING:
    from lunora_workflow.context import WorkflowContext
    from lunora_workflow.durable import StepBody
    from lunora_workflow.functions import FunctionReference
    from lunora_workflow.log import Logger

__all__ = [
    "FunctionArgsError",
    "FunctionNotFoundError",
    "FunctionResultError",
    "FunctionRunner",
    "active_runner",
    "body_runner",
    "next_raw_step",
    "scoped",
    "unbound_runner",
]

A = TypeVar("A")
R = TypeVar("R")

ORIGIN_VAR = "LUNORA_ORIGIN_URL"
TOKEN_VAR = "LUNORA_ADMIN_TOKEN"


class FunctionArgsError(LunoraWorkflowError, ValueError):
    """``ctx.run`` args do not fit the function's args type; nothing was called.

    Not non-retryable (like ``StepArgsError``): raised in the body, it fails the run.
    """


class FunctionResultError(LunoraWorkflowError, ValueError):
    """A function returned a value that is not JSON data or does not fit its result type."""


class FunctionNotFoundError(LunoraWorkflowError, LookupError):
    """The function is not defined in this Worker and cannot be dispatched over HTTP."""


def _env_value(env: Any, key: str) -> str | None:
    value = env.get(key) if isinstance(env, Mapping) else getattr(env, key, None)
    return value if isinstance(value, str) and value else None


class FunctionRunner:
    """``ctx.run`` for one dedup scope (``<export>/<instance>#body``, ``...#step0``, ...).

    ``deadline`` is the epoch-ms time by which a decline wait-out must give up (``None``: only
    the 15-minute claim ceiling bounds it).
    """

    def __init__(
        self,
        *,
        scope: str,
        env: Any,
        sdk_step: Any,
        log: Logger | None,
        deadline: float | None = None,
    ) -> None:
        self.scope = scope
        self.env = env
        self._sdk_step = sdk_step
        self._log = log
        self.deadline = deadline
        self.calls = 0

    def __repr__(self) -> str:
        return f"<ctx.run {self.scope} after {self.calls} call(s)>"

    def __call__(
        self,
        ref: FunctionReference[A, R],
        args: A,
        *,
        shard_key: str | None = None,
        dedup_id: str | None = None,
    ) -> Coroutine[Any, Any, R]:
        """Call the function ``ref`` with ``args``; await the result.

        The dedup id is allocated here, synchronously, so concurrent calls are numbered in
        the body's (deterministic) call order, not in completion order.
        """
        self.calls += 1
        pinned = dedup_id if dedup_id is not None else f"{self.scope}.{self.calls}"
        return self._call(ref, args, shard_key, pinned)

    async def _call(
        self, ref: FunctionReference[A, R], args: Any, shard_key: str | None, dedup_id: str
    ) -> R:
        from lunora_workflow.functions import FunctionDefinition, FunctionReference

        if not isinstance(ref, FunctionReference):
            raise TypeError(
                f"ctx.run expects a function reference such as api.messages.send, got {ref!r}"
            )
        if shard_key is not None and not isinstance(shard_key, str):
            raise TypeError(f"ctx.run({ref.path}): shard_key must be a str, got {shard_key!r}")
        if not isinstance(dedup_id, str) or not dedup_id:
            # the backend keys its dedup claim on this string: a number or "" is a caller bug
            raise TypeError(
                f"ctx.run({ref.path}): dedup_id must be a non-empty str, got {dedup_id!r}"
            )
        # a definition passed directly is its own local function (no import by path)
        local = ref if isinstance(ref, FunctionDefinition) else ref.resolve_local()
        args_type, returns_type = ref.declared_types() if local is None else local.declared_types()
        data, plain, validated = _validate_args(ref, args, args_type)
        stubs = getattr(self._sdk_step, "lunora_stubs", None)
        if stubs:
            from lunora_workflow.testing.hooks import find_stub

            stub = find_stub(self._sdk_step, ref.path)
            if stub is not None:
                result = stub(plain)
                if hasattr(result, "__await__"):
                    result = await result
                return _parse_result(ref, result, returns_type, wire_json=False)
        if local is not None:
            sink = getattr(self._log, "_sink", None)
            result = await local.invoke(
                self.env, validated, sink=sink, dedup_id=dedup_id, shard_key=shard_key
            )
            return _parse_result(ref, result, returns_type, wire_json=False)
        result = await self._remote(ref, data, shard_key, dedup_id)
        return _parse_result(ref, result, returns_type, wire_json=True)

    async def _remote(
        self, ref: FunctionReference[Any, Any], data: Any, shard_key: str | None, dedup_id: str
    ) -> Any:
        from lunora_workflow.dispatch import DispatchConfigError, dispatch_http, wait_out_declines

        origin, token = _env_value(self.env, ORIGIN_VAR), _env_value(self.env, TOKEN_VAR)
        if origin is None or token is None:
            where = f"module {ref.module!r}" if ref.module else "this Worker"
            raise FunctionNotFoundError(
                f"function {ref.path} is not defined in {where}, and it cannot be dispatched "
                f"to a Lunora backend: set {ORIGIN_VAR} and {TOKEN_VAR} in the Worker's env"
            ) from DispatchConfigError(
                "INTERNAL", f"{ORIGIN_VAR} / {TOKEN_VAR} missing", function_path=ref.path
            )

        async def once(timeout_ms: float | None) -> Any:
            return await dispatch_http(
                origin=origin,
                token=token,
                function_path=ref.path,
                args=data,
                dedup_id=dedup_id,
                shard_key=shard_key,
                timeout_ms=timeout_ms,
            )

        return await wait_out_declines(once, deadline=self.deadline)


def _validate_args(
    ref: FunctionReference[Any, Any], args: Any, args_type: Any
) -> tuple[Any, Any, Any]:
    """``(wire JSON, its decoded plain value, the value parsed into args_type)``.

    Args go through the wire codec even in-process, so a call behaves the same wherever the
    function runs; a value that cannot cross, or does not fit, raises
    :class:`FunctionArgsError`.
    """
    from lunora_workflow import wire

    where = f"function {ref.path} args"
    try:
        data = wire.encode(args)
        plain = wire.decode(data)
    except wire.WireError as error:
        raise FunctionArgsError(f"{where}: {error.path}: {error.problem}") from error
    try:
        return data, plain, parse_value(args_type, plain, where)
    except SchemaError as error:
        raise FunctionArgsError(f"{error} (expected {describe(args_type)})") from error


def _parse_result(
    ref: FunctionReference[Any, R], result: Any, returns_type: Any, *, wire_json: bool
) -> R:
    """The result parsed into ``returns_type``: an in-process result takes the same wire
    round trip an HTTP result took (``wire_json``: it already is wire JSON)."""
    from lunora_workflow import wire

    where = f"function {ref.path} result"
    try:
        plain = wire.decode(result if wire_json else wire.encode(result))
    except wire.WireError as error:
        raise FunctionResultError(f"{where}: {error.path}: {error.problem}") from error
    try:
        parsed: R = parse_value(returns_type, plain, where)
    except SchemaError as error:
        raise FunctionResultError(f"{error} (expected {describe(returns_type)})") from error
    return parsed


class _UnboundRunner(FunctionRunner):
    def __init__(self) -> None:
        super().__init__(scope="unbound", env=None, sdk_step=None, log=None)

    def __call__(
        self,
        ref: FunctionReference[A, R],
        args: A,
        *,
        shard_key: str | None = None,
        dedup_id: str | None = None,
    ) -> Coroutine[Any, Any, R]:
        raise RuntimeError(
            "ctx.run is only available on contexts the runtime builds during a workflow run"
        )


def unbound_runner() -> FunctionRunner:
    """The ``run`` of a context built by hand (a unit test): calling it raises."""
    return _UnboundRunner()


# --------------------------------------------------------------------------------------------
# Scopes


_ACTIVE: contextvars.ContextVar[FunctionRunner | None] = contextvars.ContextVar(
    "lunora_active_runner", default=None
)


def _namespace(context: WorkflowContext[Any]) -> str:
    return f"{context.export}/{context.event.instance_id}"


def active_runner() -> FunctionRunner:
    """The runner of the step attempt being executed (inside a :func:`scoped` body)."""
    runner = _ACTIVE.get()
    return runner if runner is not None else unbound_runner()


def body_runner(context: WorkflowContext[Any]) -> FunctionRunner:
    """What ``context.run`` calls: the runner of the step attempt the call is made from, if it
    belongs to this run, else the body's own ``#body`` runner (one per run of the body)."""
    runner = _ACTIVE.get()
    namespace = _namespace(context)
    if runner is not None and runner.scope.startswith(namespace + "#"):
        return runner
    body: FunctionRunner | None = context.__dict__.get("_lunora_body_runner")
    if body is None:
        body = FunctionRunner(
            scope=f"{namespace}#body",
            env=context.env,
            sdk_step=context._sdk_step,
            log=context.log,
        )
        context.__dict__["_lunora_body_runner"] = body
    return body


def next_raw_step(context: WorkflowContext[Any]) -> int:
    """The ordinal of a ``ctx.step.do`` call in this run of the body (0-based)."""
    ordinal: int = context.__dict__.get("_lunora_raw_steps", 0)
    context.__dict__["_lunora_raw_steps"] = ordinal + 1
    return ordinal


def scoped(
    context: WorkflowContext[Any],
    suffix: str,
    config: Mapping[str, Any] | None,
    body: StepBody,
    *,
    log: Logger | None = None,
) -> Callable[[Any], Coroutine[Any, Any, Any]]:
    """``body`` run with a fresh ``<namespace>#<suffix>`` runner active for each attempt,
    its wait-out deadline taken from ``config``'s timeout at the attempt's start."""
    scope = f"{_namespace(context)}#{suffix}"

    async def attempt(raw: Any) -> Any:
        runner = FunctionRunner(
            scope=scope,
            env=context.env,
            sdk_step=context._sdk_step,
            log=log or context.log,
            deadline=step_deadline(config, dispatch_settings().clock()),
        )
        token = _ACTIVE.set(runner)
        try:
            result = body(raw)
            if hasattr(result, "__await__"):
                result = await result
            return result
        finally:
            _ACTIVE.reset(token)

    return attempt
