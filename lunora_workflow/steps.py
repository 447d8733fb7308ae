"""``ctx.step``: durable ``do``, ``sleep``, ``sleep_until`` and ``wait_for_event``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lunora_workflow import naming
from lunora_workflow.config import RetriesLike, build_config
from lunora_workflow.durable import check_step_name, run_durable, stored_result
from lunora_workflow.durations import Duration, duration_ms, normalize_duration
from lunora_workflow.errors import InvalidConfigError, InvalidEventTypeError
from lunora_workflow.events import ReceivedEvent
from lunora_workflow.step_context import StepContext, StepInfo

if TYPE_CHECKING:
    from lunora_workflow.context import WorkflowContext

__all__ = ["Steps", "epoch_ms"]

_CO_VARARGS = 0x04


def _wants_context(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` requires a positional argument (the step context).

    Parameters with defaults do not count, so the closure idiom ``lambda r=receipt: ...``
    is called with no argument.

    Plain functions and lambdas are read from ``__code__`` (cheap), and raise ``TypeError``
    when they need more than one argument; other callables go through ``inspect.signature``.
    """
    code = getattr(fn, "__code__", None)
    if code is not None and not hasattr(fn, "__self__"):
        defaults = len(getattr(fn, "__defaults__", None) or ())
        required = code.co_argcount - defaults
        if required > 1:
            # Caught before the step starts: inside it, the TypeError would be retried with
            # the step's whole backoff before the instance failed.
            raise TypeError(
                f"{getattr(fn, '__qualname__', fn)!r} takes {required} required positional "
                "parameters; a step function takes none or one (the StepContext)"
            )
        return required >= 1 or bool(code.co_flags & _CO_VARARGS)
    import inspect

    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is p.VAR_POSITIONAL
        or (p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty)
        for p in parameters
    )


def epoch_ms(when: object, *, what: str) -> int:
    """``when`` as epoch milliseconds; a naive ``datetime`` is taken as UTC (Workers' clock)."""
    if isinstance(when, datetime.datetime):
        aware = when if when.tzinfo is not None else when.replace(tzinfo=datetime.UTC)
        return round(aware.timestamp() * 1000)
    if isinstance(when, (int, float)) and not isinstance(when, bool) and when >= 0:
        return round(when)
    raise InvalidConfigError(
        f"{what}: expected a datetime or epoch milliseconds, got {when!r} ({type(when).__name__})"
    )


class Steps:
    """The durable-step API of one workflow run (``ctx.step``)."""

    def __init__(self, context: WorkflowContext[Any]) -> None:
        self._context = context

    async def do(
        self,
        name: str,
        fn: Callable[..., Any],
        *,
        retries: RetriesLike | None = None,
        timeout: Duration | None = None,  # noqa: ASYNC109 - Cloudflare's step timeout
    ) -> Any:
        """Run ``fn`` as a durable, memoized, retried step and return its stored result.

        ``fn`` may be sync or async and take no argument or one (a :class:`StepContext`).
        The result must be JSON-serialisable (dataclasses and pydantic models are converted);
        on a replay the stored copy is returned without calling ``fn``.
        """
        check_step_name(name, api="ctx.step.do")
        if not callable(fn):
            raise TypeError(f'ctx.step.do("{name}"): fn must be callable, got {fn!r}')
        config = build_config(retries=retries, timeout=timeout, where=f'step "{name}"')
        context = self._context
        try:
            wants_context = _wants_context(fn)
        except TypeError as error:
            raise TypeError(f'ctx.step.do("{name}"): {error}') from None
        from lunora_workflow.calls import active_runner, next_raw_step, scoped

        ordinal = next_raw_step(context)  # ctx.run inside fn pins ids to "#do<ordinal>"

        async def body(raw: Any) -> Any:
            if wants_context:
                info = StepInfo.from_sdk(raw, name, config)
                step_ctx = StepContext(
                    attempt=info.attempt,
                    name=info.name,
                    count=info.count,
                    config=info.config,
                    env=context.env,
                    log=context.log.bind(step=name, attempt=info.attempt),
                    run=active_runner(),
                )
                result = fn(step_ctx)
            else:
                result = fn()
            if hasattr(result, "__await__"):
                result = await result
            return stored_result(name, result)

        return await run_durable(
            context._sdk_step, name, config, scoped(context, f"do{ordinal}", config, body)
        )

    async def sleep(self, name: str, duration: Duration) -> None:
        """Hibernate for ``duration`` (``"1 minute"``, a ``timedelta`` or milliseconds)."""
        check_step_name(name, api="ctx.step.sleep")
        value = normalize_duration(duration, what=f'sleep "{name}": duration')
        await self._context._sdk_step.sleep(name, value)

    async def sleep_until(self, name: str, when: datetime.datetime | int | float) -> None:
        """Hibernate until ``when`` (a ``datetime``; naive means UTC; or epoch milliseconds).

        Sent as epoch milliseconds, which both SDKs pass to the engine unchanged.
        """
        check_step_name(name, api="ctx.step.sleep_until")
        await self._context._sdk_step.sleep_until(
            name, epoch_ms(when, what=f'sleep_until "{name}"')
        )

    async def wait_for_event(
        self,
        name: str,
        *,
        type: str,
        timeout: Duration | None = None,  # noqa: ASYNC109 - Cloudflare's event timeout
    ) -> ReceivedEvent:
        """Hibernate until an event of ``type`` is sent to this instance (or ``timeout``,
        Cloudflare's default 24 hours, passes: the step then fails)."""
        check_step_name(name, api="ctx.step.wait_for_event")
        problem = naming.event_type_problem(type) if isinstance(type, str) else "not a str"
        if problem is not None:
            raise InvalidEventTypeError(f'wait_for_event "{name}": {problem}')
        sdk_step = self._context._sdk_step
        if timeout is None:
            result = sdk_step.wait_for_event(name, type)
        else:
            wait = normalize_duration(timeout, what=f'wait_for_event "{name}": timeout')
            if duration_ms(wait) == 0:
                # The engine reads a falsy timeout as "not given": 0 would wait 24 hours.
                raise InvalidConfigError(
                    f'wait_for_event "{name}": timeout {timeout!r} must be longer than zero '
                    "(the platform would read it as its 24-hour default)"
                )
            result = sdk_step.wait_for_event(name, type, timeout=wait)
        return ReceivedEvent.from_sdk(await result, type)
