"""One execution of a workflow body: the durable half of ``step.do``, ``sleep`` and events.

Each call is keyed by ``(kind, name, count)`` where ``count`` numbers the calls of that name
within the execution, as on Cloudflare. A finished call returns its stored result (or re-raises
its stored error, also for a step that ran out of retries). A call that must wait (a sleep not
yet over, an event not yet sent, a retry delay) *blocks*: the engine then evicts the body by
cancelling it and replays it from the top once the wait is over, as the platform does with a
hibernated instance. Workflow code therefore sees ``asyncio.CancelledError`` (a
``BaseException``) at a wait; catching only ``Exception`` keeps that working.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from lunora_workflow.durations import duration_ms
from lunora_workflow.errors import InvalidConfigError
from lunora_workflow.testing.clock import VirtualClock
from lunora_workflow.testing.errors import (
    NonDeterminismError,
    NotSerialisableError,
    StepError,
    WorkflowFatalError,
    WorkflowTimeoutError,
)
from lunora_workflow.testing.state import InstanceState
from lunora_workflow.testing.timeline import Attempt, ErrorInfo, StepKind, StepRecord
from lunora_workflow.testing.wire import JsDict, from_wire, to_wire

__all__ = ["DEFAULT_STEP_CONFIG", "Abort", "Execution", "error_info", "is_non_retryable"]

#: The platform's defaults (docs, "Sleeping and retrying").
DEFAULT_STEP_CONFIG: dict[str, Any] = {
    "retries": {"limit": 5, "delay": 10_000, "backoff": "exponential"},
    "timeout": "10 minutes",
}
MAX_STEP_NAME_LENGTH = 256
_CONTROL = re.compile(r"[\x00-\x1f]")
_CONFIG_DOCS = "See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/"


class Abort(BaseException):
    """Stops a body the engine has failed (non-determinism, unstorable value).

    A ``BaseException`` so that workflow code catching ``Exception`` cannot swallow it.
    """


def error_info(error: BaseException) -> ErrorInfo:
    """The platform's view of an error: ``name`` attribute or class name, and the message."""
    name = getattr(error, "name", None)
    message = getattr(error, "message", None)
    return ErrorInfo(
        name=name if isinstance(name, str) else type(error).__name__,
        message=message if isinstance(message, str) else str(error),
    )


def is_non_retryable(error: BaseException) -> bool:
    """The SDK's shim recognises the Python class by its exact name, the engine the JS name."""
    return type(error).__name__ == "NonRetryableError" or (
        getattr(error, "name", None) == "NonRetryableError"
    )


def _non_retryable_class() -> type[Exception]:
    from lunora_workflow import platform
    from lunora_workflow.errors import NonRetryableError

    return platform.sdk_non_retryable_error() or NonRetryableError


def _as_seen_by_workflow(error: BaseException) -> Exception:
    """The exception workflow code gets back from a failed step (after the SDK's mapping)."""
    info = error_info(error)
    mapped: Exception
    if is_non_retryable(error):
        mapped = _non_retryable_class()(info.message)
    elif isinstance(error, (WorkflowTimeoutError, WorkflowFatalError)):
        mapped = type(error)(info.message)
    elif type(error) is TypeError:
        mapped = TypeError(info.message)
    elif type(error) is ValueError:
        mapped = ValueError(info.message)
    else:
        mapped = StepError(info.name, info.message)
    mapped.__cause__ = error
    return mapped


def _retry_delay_ms(config: Mapping[str, Any], attempts: int) -> float:
    retries = config["retries"]
    delay = _ms(retries["delay"])
    backoff = retries.get("backoff", "constant")
    if backoff == "exponential":
        return float(delay * 2 ** (attempts - 1))
    if backoff == "linear":
        return float(delay * attempts)
    return float(delay)


def _ms(value: Any) -> float:
    if isinstance(value, datetime.timedelta):
        # The platform receives a PyProxy for a timedelta and cannot read it.
        raise TypeError(
            "a timedelta cannot cross to the Workflows engine; pass a duration string "
            "such as '30 seconds' or a number of milliseconds"
        )
    return float(duration_ms(value))


class Execution:
    """The engine's side of one run of ``run(event, step)`` for one instance."""

    def __init__(
        self,
        state: InstanceState,
        clock: VirtualClock,
        *,
        stubs: Mapping[str, Callable[..., Any]],
        step_limit: int,
    ) -> None:
        self.state = state
        self.clock = clock
        self.stubs = stubs
        self.step_limit = step_limit
        self.counters: dict[tuple[str, str], int] = {}
        self.calls: list[tuple[str, str]] = []
        self.in_flight = 0
        self.progress = 0
        self._cursor = 0
        self._consumed: set[int] = set()
        self._replayable = len(state.history)
        self.active_callbacks = 0
        self.blocked: list[StepRecord | None] = []
        self.changed = asyncio.Event()
        self.fatal: BaseException | None = None
        self.closed = False
        self._do_calls = 0

    # -- bookkeeping ------------------------------------------------------------------------

    def fail(self, error: BaseException) -> NoReturn:
        """Fail the instance with ``error`` and stop the body."""
        if self.fatal is None:
            self.fatal = error
        self.changed.set()
        raise Abort(str(error))

    def _call(self, kind: StepKind, name: str) -> StepRecord:
        if self.closed or self.fatal is not None:
            raise Abort("the execution has ended")
        self._stop_if_terminated()
        key = (kind, name)
        count = self.counters.get(key, 0) + 1
        self.counters[key] = count
        self._match(key)
        self.in_flight += 1
        self.progress += 1
        record = self.state.records.get((kind, name, count))
        if record is None:
            record = StepRecord(kind=kind, name=name, count=count, start_ms=self.clock.now_ms)
            self.state.records[(kind, name, count)] = record
            self.state.order.append(record)
        return record

    def _match(self, key: tuple[str, str]) -> None:
        """Check a call against the recorded history (the non-determinism check).

        Calls must come in the recorded order. While other step calls of this execution are
        still in flight (``asyncio.gather``, ``concurrent=True``) the order between branches
        depends on timing, so there a call may match any recorded call not yet replayed.
        """
        history = self.state.history
        self.calls.append(key)
        while self._cursor in self._consumed:
            self._cursor += 1
        if self._cursor >= len(history):
            history.append(key)
            self._consumed.add(len(history) - 1)
            return
        if history[self._cursor] == key:
            self._consumed.add(self._cursor)
            return
        if self.in_flight > 0:
            for index in range(self._cursor + 1, len(history)):
                if index not in self._consumed and history[index] == key:
                    self._consumed.add(index)
                    return
            # A branch got past the point where it hibernated last time, ahead of another
            # branch's replay: a new call. The unreplayed ones are checked at completion.
            history.append(key)
            self._consumed.add(len(history) - 1)
            return
        replayed = [*history[: self._cursor], key]
        self.fail(NonDeterminismError(self.state.id, self._cursor, history, replayed))

    def end_call(self) -> None:
        """A step call returned or raised (it no longer counts as in flight)."""
        self.in_flight -= 1

    def check_complete(self) -> None:
        """After the body returned: a replay that made fewer calls than history diverged too."""
        self._check_replayed(len(self.state.history))

    def check_hibernation(self) -> None:
        """Before hibernating: every call of earlier executions must have been replayed."""
        self._check_replayed(self._replayable)

    def _check_replayed(self, upto: int) -> None:
        history = self.state.history
        missing = [i for i in range(upto) if i not in self._consumed]
        if missing:
            position = missing[0]
            raise NonDeterminismError(self.state.id, position, history, history[:position])

    async def _block(self, record: StepRecord | None) -> NoReturn:
        # The engine notices, waits for any running step callbacks, then cancels the body.
        self.blocked.append(record)
        self.changed.set()
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable: a blocked execution is cancelled")  # pragma: no cover

    def _stop_if_terminated(self) -> None:
        # Terminated while its body ran (say, by its own step): like the platform's abort, no
        # further step runs and the body does not go on.
        if self.state.status == "terminated":
            raise Abort("the instance was terminated")

    async def _pause_point(self) -> None:
        self._stop_if_terminated()
        # A pause requested while the body ran takes effect when the current step finishes.
        if self.state.pause_requested:
            self.state.pause_requested = False
            self.state.status = "paused"
            await self._block(None)

    def _finish(self, record: StepRecord, *, output: Any = None) -> None:
        record.status = "complete"
        record.output = output
        record.end_ms = self.clock.now_ms
        record.retry_at_ms = None

    def _fail_record(self, record: StepRecord, error: BaseException) -> Exception:
        seen = _as_seen_by_workflow(error)
        record.status = "errored"
        record.error = error_info(error)
        record.end_ms = self.clock.now_ms
        record.retry_at_ms = None
        record.raised = seen
        return seen

    @staticmethod
    def _raise_stored(record: StepRecord) -> NoReturn:
        stored = record.raised
        assert stored is not None
        # A fresh copy each time, as the platform rebuilds the error from storage.
        error = _as_seen_by_workflow(stored.__cause__ or stored)
        raise error

    # -- step.do ----------------------------------------------------------------------------

    def _resolve_config(self, name: str, config: Any) -> dict[str, Any]:
        if len(name) > MAX_STEP_NAME_LENGTH or _CONTROL.search(name):
            raise WorkflowFatalError(
                f'Step name "{name}" exceeds max length ({MAX_STEP_NAME_LENGTH} chars) '
                "or invalid characters found"
            )
        problem = _config_problem(config or {})
        if problem is not None:
            raise WorkflowFatalError(
                f'Step config for "{name}" is in a invalid format ({problem}). {_CONFIG_DOCS}'
            )
        given: dict[str, Any] = dict(config or {})
        resolved = {**DEFAULT_STEP_CONFIG, **given}
        resolved["retries"] = {**DEFAULT_STEP_CONFIG["retries"], **given.get("retries", {})}
        return resolved

    def begin_do(self, name: str, config: Any) -> StepRecord:
        """The synchronous half of ``step.do``: validate, count, check determinism.

        A finished record (``status`` complete or errored) needs no task: see :meth:`cached`.
        """
        if not isinstance(name, str):
            raise TypeError(f"step name must be a str, got {type(name).__name__}")
        resolved = self._resolve_config(name, config)
        self._do_calls += 1
        if self._do_calls > self.step_limit:
            raise WorkflowFatalError(
                f"The limit of {self.step_limit} steps has been reached. This limit can be "
                "changed in your worker configuration."
            )
        record = self._call("do", name)
        if record.config is None:
            record.config = resolved  # the first config sticks, as the platform persists it
        return record

    def cached(self, record: StepRecord) -> Any:
        """The stored result of a finished step (re-raises a stored error)."""
        try:
            if record.status == "errored":
                self._raise_stored(record)
            return from_wire(record.output)
        finally:
            self.end_call()

    async def do(self, name: str, config: Any, invoke: Callable[[Any], Any]) -> Any:
        """``step.do``: the stored result, or run attempts with retries until one sticks."""
        record = self.begin_do(name, config)
        if record.status != "pending":
            return self.cached(record)
        return await self.run_do(record, invoke)

    async def run_do(self, record: StepRecord, invoke: Callable[[Any], Any]) -> Any:
        """Run attempts of a step that has no stored outcome yet."""
        try:
            return await self._attempts(record, invoke)
        finally:
            self.end_call()

    async def _attempts(self, record: StepRecord, invoke: Callable[[Any], Any]) -> Any:
        settings = record.config
        assert settings is not None
        while True:
            if record.retry_at_ms is not None:
                if record.retry_at_ms > self.clock.now_ms:
                    await self._block(record)
                record.retry_at_ms = None
            attempt = Attempt(number=len(record.attempts) + 1, start_ms=self.clock.now_ms)
            record.attempts.append(attempt)
            try:
                stored = await self._attempt(record, attempt, settings, invoke)
            except Exception as error:  # the step's own failure: retry policy decides
                if attempt.end_ms is None:
                    attempt.end_ms = self.clock.now_ms
                attempt.error = error_info(error)
                if not is_non_retryable(error) and attempt.number <= settings["retries"]["limit"]:
                    delay = _retry_delay_ms(settings, attempt.number)
                    record.retry_at_ms = attempt.end_ms + delay
                    continue
                failure = self._fail_record(record, error)
                if attempt.end_ms > self.clock.now_ms:
                    # A timed-out last attempt still took its time: the error surfaces then.
                    record.end_ms = record.wake_ms = attempt.end_ms
                    await self._block(record)
                raise failure from error
            attempt.end_ms = self.clock.now_ms
            self._finish(record, output=stored)
            await self._pause_point()
            return from_wire(stored)

    async def _attempt(
        self,
        record: StepRecord,
        attempt: Attempt,
        settings: Mapping[str, Any],
        invoke: Callable[[Any], Any],
    ) -> Any:
        state, name, count = self.state, record.name, record.count
        timeout_ms = _ms(settings["timeout"])
        mocked_error = state.mocked_error(name, count, attempt.number)
        if mocked_error is not None:
            attempt.mocked = True
            raise mocked_error
        if state.forced_timeout(name, count, attempt.number):
            attempt.mocked = True
            attempt.end_ms = attempt.start_ms + timeout_ms
            raise WorkflowTimeoutError(f"Execution timed out after {timeout_ms:.0f}ms")
        has_result, result = state.mocked_result(name, count)
        if has_result:
            attempt.mocked = True
            return self._store(name, result)
        ctx = JsDict(
            step=JsDict(name=name, count=count),
            attempt=attempt.number,
            config=from_wire(to_wire(dict(settings), what="step config")),
        )
        self.active_callbacks += 1
        deadline = asyncio.timeout(timeout_ms / 1000)
        try:
            async with deadline:
                value = invoke(ctx)
                if inspect.isawaitable(value):
                    value = await value
                return self._store(name, value)
        except TimeoutError:
            if not deadline.expired():
                raise
            attempt.end_ms = attempt.start_ms + timeout_ms
            raise WorkflowTimeoutError(f"Execution timed out after {timeout_ms:.0f}ms") from None
        finally:
            self.active_callbacks -= 1
            self.changed.set()

    def _store(self, name: str, value: Any) -> Any:
        try:
            return to_wire(value, what=f'the value returned from step "{name}"')
        except NotSerialisableError as error:
            self.fail(
                NotSerialisableError(
                    "The execution of the Workflow instance was terminated, as the step "
                    f'"{name}" returned a value which is not serialisable ({error})'
                )
            )

    # -- sleeps -----------------------------------------------------------------------------

    async def sleep(self, name: str, duration: Any) -> None:
        """``step.sleep``: block until ``duration`` of virtual time has passed."""
        length = _ms(duration)
        record = self._call("sleep", name)
        try:
            # Awaiting the platform's promise always yields to the loop, even when settled;
            # concurrent branches then interleave on a replay as they did the first time.
            await asyncio.sleep(0)
            if record.status == "complete":
                return
            now = self.clock.now_ms
            disabled = self.state.sleep_disabled(name, record.count)
            if record.wake_ms is None:
                record.wake_ms = now + (0 if disabled else length)
                record.config = {"duration_ms": length}
            elif disabled:
                record.wake_ms = min(record.wake_ms, now)
            if record.wake_ms > now:
                await self._block(record)
            self._finish(record)
            await self._pause_point()
        finally:
            self.end_call()

    async def sleep_until(self, name: str, timestamp: Any) -> None:
        """``step.sleep_until``: block until the virtual clock reaches ``timestamp``."""
        target = _epoch_ms(timestamp)
        record = self._call("sleep", name)
        try:
            await asyncio.sleep(0)
            if record.status == "complete":
                return
            if record.status == "errored":
                self._raise_stored(record)
            now = self.clock.now_ms
            if record.wake_ms is None:
                if target < now:
                    raise self._fail_record(
                        record,
                        StepError(
                            "Error", "You can't sleep until a time in the past, time-traveler"
                        ),
                    )
                disabled = self.state.sleep_disabled(name, record.count)
                record.wake_ms = now if disabled else target
                record.config = {"until_ms": target}
            if record.wake_ms > now:
                await self._block(record)
            self._finish(record)
            await self._pause_point()
        finally:
            self.end_call()

    # -- events -----------------------------------------------------------------------------

    async def wait_for_event(
        self,
        name: str,
        event_type: str,
        timeout: Any,  # noqa: ASYNC109 - the SDK's signature
    ) -> Any:
        """``step.wait_for_event``: the event (buffered or future), or a timeout error."""
        timeout_ms = _ms(timeout if timeout else "24 hours")
        record = self._call("waitForEvent", name)
        try:
            record.event_type = event_type
            await asyncio.sleep(0)
            if record.status == "complete":
                return from_wire(record.output)
            if record.status == "errored":
                self._raise_stored(record)
            state, now = self.state, self.clock.now_ms
            timed_out = WorkflowTimeoutError(f"Execution timed out after {timeout_ms:.0f}ms")
            if state.forced_event_timeout(name, record.count):
                self._unregister(record)
                raise self._fail_record(record, timed_out)
            if record.wake_ms is None:
                record.wake_ms = now + timeout_ms
                record.config = {"timeout_ms": timeout_ms}
                buffered = state.events.get(event_type)
                if buffered:
                    self._finish(record, output=buffered.popleft())
                    return from_wire(record.output)
                state.pending_waits.append(record)
            if record.wake_ms <= now:
                self._unregister(record)
                raise self._fail_record(record, timed_out)
            await self._block(record)
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self.end_call()

    def _unregister(self, record: StepRecord) -> None:
        if record in self.state.pending_waits:
            self.state.pending_waits.remove(record)


def _config_problem(config: Any) -> str | None:
    """Why ``config`` does not fit the platform's (strict) step config schema."""
    if not isinstance(config, Mapping):
        return f"expected a dict, got {type(config).__name__}"
    unknown = set(config) - {"retries", "timeout", "sensitive"}
    if unknown:
        return f"unknown key(s) {sorted(unknown)}"
    retries = config.get("retries")
    if retries is not None:
        if not isinstance(retries, Mapping):
            return "retries must be a dict"
        extra = set(retries) - {"limit", "delay", "backoff"}
        if extra:
            return f"unknown retries key(s) {sorted(extra)}"
        if "limit" not in retries or "delay" not in retries:
            return "retries needs both limit and delay"
        limit = retries["limit"]
        if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0:
            return "retries.limit must be a number >= 0"
        if _duration_problem(retries["delay"], allow_zero=True):
            return f"retries.delay {retries['delay']!r} is not a duration"
        if retries.get("backoff", "constant") not in ("constant", "linear", "exponential"):
            return "retries.backoff must be constant, linear or exponential"
    if "timeout" in config and _duration_problem(config["timeout"], allow_zero=False):
        return f"timeout {config['timeout']!r} is not a positive duration"
    if "sensitive" in config and config["sensitive"] != "output":
        return 'sensitive must be "output"'
    return None


def _duration_problem(value: Any, *, allow_zero: bool) -> bool:
    if isinstance(value, (bool, datetime.timedelta)) or not isinstance(value, (str, int, float)):
        return True
    try:
        length = duration_ms(value)
    except InvalidConfigError:
        return True
    return length == 0 and not allow_zero


def _epoch_ms(timestamp: Any) -> float:
    if isinstance(timestamp, datetime.datetime):
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=datetime.UTC)
        return float(timestamp.timestamp() * 1000)
    if isinstance(timestamp, str):
        return _epoch_ms(datetime.datetime.fromisoformat(timestamp))
    if isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        return float(timestamp)
    raise TypeError(
        f"sleep_until needs a datetime, epoch milliseconds or an ISO string, got "
        f"{type(timestamp).__name__}"
    )
