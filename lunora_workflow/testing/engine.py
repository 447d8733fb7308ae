"""The in-memory Workflows engine: instances, the drive loop and the virtual clock.

Nothing runs in the background. Work happens while a test drives the engine
(:meth:`WorkflowTestEnv.run_pending`, :meth:`advance`, :meth:`run_until_idle` or
:meth:`Instance.wait_for_status`); the loop executes every ready instance and, when only timers
remain (sleeps, retry delays, event-wait deadlines), jumps the virtual clock to the earliest one.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import itertools
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from lunora_workflow import naming
from lunora_workflow.durations import duration_ms
from lunora_workflow.testing.bindings import ExecutionContext, WorkerEnv, WorkflowBinding
from lunora_workflow.testing.clock import VirtualClock, to_datetime
from lunora_workflow.testing.errors import (
    EngineError,
    EngineStalledError,
    InstanceAlreadyExistsError,
    InstanceNotFoundError,
    InstanceStatusError,
    NonDeterminismError,
)
from lunora_workflow.testing.execution import Abort, Execution, error_info
from lunora_workflow.testing.modifiers import InstanceModifier
from lunora_workflow.testing.state import TERMINAL, InstanceState, Registration
from lunora_workflow.testing.step import WorkflowStep
from lunora_workflow.testing.timeline import ErrorInfo, StepRecord
from lunora_workflow.testing.wire import JsDict, from_wire, to_wire

__all__ = ["STATUSES", "Instance", "WorkflowTestEnv"]

#: Every status an instance can report.
STATUSES = frozenset(
    {
        "queued",
        "running",
        "waiting",
        "waitingForPause",
        "paused",
        "complete",
        "errored",
        "terminated",
    }
)


class WorkflowTestEnv:
    """A local Workflows engine with a virtual clock, for tests and ``lunora run``.

    ``mode`` picks the ``step.do`` signature (``"implicit"``, the default since compatibility
    date 2026-02-25, or ``"legacy"``). ``vars`` become plain values on :attr:`env`.
    ``stall_timeout`` (real seconds) fails an execution whose code awaits something outside
    the engine for that long.
    """

    def __init__(
        self,
        *,
        mode: str = "implicit",
        start: datetime.datetime | None = None,
        vars: Mapping[str, Any] | None = None,
        step_limit: int = 10_000,
        stall_timeout: float = 60.0,
    ) -> None:
        if mode not in ("implicit", "legacy"):
            raise EngineError(f"mode must be 'implicit' or 'legacy', got {mode!r}")
        self.mode = mode
        self.clock = VirtualClock(start)
        self.step_limit = step_limit
        self.stall_timeout = stall_timeout
        self.stubs: dict[str, Callable[..., Any]] = {}
        self._registrations: dict[str, Registration] = {}
        self._instances: dict[tuple[str, str], InstanceState] = {}
        self._handles: dict[tuple[str, str], Instance] = {}
        self._modifiers: dict[str, InstanceModifier] = {}
        self._global_modifier = InstanceModifier()
        self._sequence = itertools.count()
        self._driving = False
        self._current: InstanceState | None = None
        self.env = WorkerEnv(dict(vars or {}))

    # -- registration -------------------------------------------------------------------------

    def register(
        self,
        cls: type,
        *,
        name: str | None = None,
        binding: str | None = None,
        export: str | None = None,
    ) -> Registration:
        """Make the entrypoint class ``cls`` runnable; it appears as ``env.<binding>``.

        Names default from ``export`` (via :mod:`lunora_workflow.naming`), else from the class.
        """
        if not callable(getattr(cls, "run", None)):
            raise EngineError(f"{cls!r} has no run(event, step) method")
        if name is None:
            name = naming.deployed_name(export) if export else cls.__name__
        if binding is None:
            binding = naming.binding_name(export) if export else name.upper().replace("-", "_")
        problem = naming.deployed_name_problem(name)
        if problem is not None:
            raise EngineError(problem)
        if name in self._registrations:
            raise EngineError(f"a workflow named {name!r} is already registered")
        registration = Registration(cls=cls, name=name, binding=binding, export=export)
        self._registrations[name] = registration
        self.env.__setattr__(binding, WorkflowBinding(self, registration))
        return registration

    def register_generated(self, module: Any) -> list[Registration]:
        """Register every workflow of a generated ``<package>._generated.workflows`` module."""
        specs = getattr(module, "SPECS", None)
        if not isinstance(specs, Mapping):
            raise EngineError(f"{module!r} has no SPECS dict; is it a generated workflows module?")
        return [
            self.register(
                getattr(module, spec.class_name),
                name=spec.name,
                binding=spec.binding,
                export=spec.export,
            )
            for spec in specs.values()
        ]

    def register_definition(
        self,
        definition: Any,
        *,
        export: str,
        name: str | None = None,
        binding: str | None = None,
    ) -> Registration:
        """Register a ``WorkflowDefinition`` through the runtime's ``run_workflow``.

        Builds the class codegen would generate: ``WorkflowEntrypoint`` whose ``run`` calls
        ``run_workflow(self, definition, event, step, export=export)``.
        """
        from lunora_workflow.entrypoint import WorkflowEntrypoint, run_workflow

        async def run(self: Any, event: Any, step: Any) -> Any:
            return await run_workflow(self, definition, event, step, export=export)

        cls = type(naming.class_name(export), (WorkflowEntrypoint,), {"run": run})
        return self.register(cls, name=name, binding=binding, export=export)

    def _registration(self, workflow: str | type | Registration) -> Registration:
        if isinstance(workflow, Registration):
            return workflow
        for registration in self._registrations.values():
            if workflow in (
                registration.cls,
                registration.name,
                registration.binding,
                registration.export,
            ) or (isinstance(workflow, str) and workflow == registration.cls.__name__):
                return registration
        known = ", ".join(sorted(self._registrations)) or "none registered"
        raise EngineError(f"no workflow {workflow!r} in the engine ({known})")

    # -- instances ----------------------------------------------------------------------------

    async def create(
        self,
        workflow: str | type | Registration,
        params: Any = None,
        *,
        id: str | None = None,
    ) -> Instance:
        """Create an instance (status ``queued``; it runs when the engine is driven)."""
        registration = self._registration(workflow)
        options: dict[str, Any] = {"params": params}
        if id is not None:
            options["id"] = id
        state = self._create(registration, options)
        return self.instance(state.id, registration)

    def instance(
        self, instance_id: str, workflow: str | type | Registration | None = None
    ) -> Instance:
        """The inspection handle of an instance (of any workflow when ``workflow`` is None)."""
        if workflow is not None:
            registration = self._registration(workflow)
            state = self._state(registration, instance_id)
        else:
            matches = [s for (_, i), s in self._instances.items() if i == instance_id]
            if not matches:
                raise InstanceNotFoundError(instance_id)
            if len(matches) > 1:
                raise EngineError(f"instance id {instance_id!r} exists in several workflows")
            state = matches[0]
        key = (state.workflow.name, state.id)
        if key not in self._handles:
            self._handles[key] = Instance(self, state)
        return self._handles[key]

    @property
    def instances(self) -> list[Instance]:
        """Every instance, in creation order."""
        return [self.instance(s.id, s.workflow.name) for s in self._instances.values()]

    def modify(self, instance_id: str | None = None) -> InstanceModifier:
        """Test modifiers for one instance id (usable before it exists) or, with no id, for all."""
        if instance_id is None:
            return self._global_modifier
        modifier = self._modifiers.get(instance_id)
        if modifier is None:
            modifier = self._modifiers[instance_id] = InstanceModifier()
            for state in self._instances.values():
                if state.id == instance_id:
                    self._attach(state, modifier)
        return modifier

    def stub_function(self, path: str, fn: Callable[..., Any]) -> None:
        """Make ``ctx.run(path, ...)`` call ``fn`` instead (see ``hooks.find_stub``)."""
        self.stubs[path] = fn

    # -- time ---------------------------------------------------------------------------------

    @property
    def now(self) -> datetime.datetime:
        """The virtual time (aware UTC)."""
        return self.clock.now()

    async def run_pending(self) -> None:
        """Run every ready instance until all are blocked or done; time does not move."""
        await self._drive(auto_advance=False)

    async def advance(self, duration: str | int | float | datetime.timedelta) -> None:
        """Let ``duration`` of virtual time pass, running whatever falls due on the way."""
        target = self.clock.now_ms + duration_ms(duration, what="advance")
        await self._drive(until_ms=target)
        self.clock.advance_to(target)
        await self._drive(auto_advance=False)

    async def run_until(
        self,
        condition: Callable[[], bool],
        *,
        within: str | int | float | datetime.timedelta | None = None,
    ) -> bool:
        """Drive the engine (jumping virtual time) until ``condition()`` holds.

        Returns False when nothing more can happen (or ``within`` passes) first.
        """
        limit = None if within is None else self.clock.now_ms + duration_ms(within)
        return await self._drive(until_ms=limit, stop=condition)

    async def run_until_idle(self) -> None:
        """Run and jump the clock from timer to timer until nothing is left to happen."""
        await self._drive()

    # -- engine internals (used by bindings and Instance) -------------------------------------

    def _state(self, registration: Registration, instance_id: str) -> InstanceState:
        state = self._instances.get((registration.name, instance_id))
        if state is None:
            raise InstanceNotFoundError(instance_id)
        return state

    def _attach(self, state: InstanceState, modifier: InstanceModifier) -> None:
        state.modifiers = (modifier, *state.modifiers)
        modifier.bind(lambda event_type, payload: self._deliver(state, event_type, payload))

    def _prepare(self, registration: Registration, options: Mapping[str, Any]) -> InstanceState:
        unknown = set(options) - {"id", "params", "retention", "locationHint"}
        if unknown:
            raise TypeError(f"unknown create option(s): {sorted(unknown)}")
        instance_id = options.get("id")
        if instance_id is None:
            instance_id = str(uuid.uuid4())
        if not isinstance(instance_id, str):
            raise TypeError(f"instance id must be a str, got {type(instance_id).__name__}")
        problem = naming.instance_id_problem(instance_id)
        if problem is not None:
            raise ValueError(problem)
        if (registration.name, instance_id) in self._instances:
            raise InstanceAlreadyExistsError(instance_id)
        params = options.get("params")
        return InstanceState(
            id=instance_id,
            workflow=registration,
            params=to_wire({} if params is None else params, what="params"),
            created_ms=self.clock.now_ms,
            modifiers=(self._global_modifier,),
            sequence=next(self._sequence),
        )

    def _register_state(self, state: InstanceState) -> None:
        self._instances[(state.workflow.name, state.id)] = state
        modifier = self._modifiers.get(state.id)
        if modifier is not None:
            self._attach(state, modifier)
        for event_type, payload in self._global_modifier._pending_events:
            self._deliver(state, event_type, payload)

    def _create(self, registration: Registration, options: Mapping[str, Any]) -> InstanceState:
        state = self._prepare(registration, options)
        self._register_state(state)
        return state

    def _create_many(
        self, registration: Registration, batch: list[dict[str, Any]]
    ) -> list[InstanceState]:
        states = [self._prepare(registration, options) for options in batch]
        ids = [s.id for s in states]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise InstanceAlreadyExistsError(duplicate)
        for state in states:
            self._register_state(state)
        return states

    def _deliver(self, state: InstanceState, event_type: str, payload: Any) -> None:
        if not isinstance(event_type, str):
            raise TypeError(f"event type must be a str, got {type(event_type).__name__}")
        problem = naming.event_type_problem(event_type)
        if problem is not None:
            raise ValueError(problem)
        event = {
            "payload": to_wire(payload, what="event payload"),
            "timestamp": to_datetime(self.clock.now_ms),
            "type": event_type,
        }
        for record in state.pending_waits:
            if record.event_type == event_type and record.status == "pending":
                state.pending_waits.remove(record)
                record.status = "complete"
                record.output = event
                record.end_ms = self.clock.now_ms
                if state.status not in TERMINAL:
                    state.ready = True
                return
        state.events.setdefault(event_type, deque()).append(event)

    def _pause(self, state: InstanceState) -> None:
        if state.status in TERMINAL or state.status == "paused":
            return
        if state is self._current:
            state.pause_requested = True
            state.status = "waitingForPause"
            return
        state.status_before_pause = state.status
        state.status = "paused"

    def _resume(self, state: InstanceState) -> None:
        if state.status == "waitingForPause":
            state.pause_requested = False
            state.status = "running"
        if state.status != "paused":
            return
        state.status = "queued" if state.executions == 0 else "running"
        state.ready = True

    def _terminate(self, state: InstanceState) -> None:
        if state.status in TERMINAL:
            return
        state.status = "terminated"
        state.ready = False
        state.wake_ms = None
        state.pending_waits.clear()

    def _restart(self, state: InstanceState, origin: Mapping[str, Any] | None = None) -> None:
        if state is self._current:
            raise EngineError("an instance cannot restart itself while its body runs")
        if origin is None:
            state.reset()
            return
        kind = origin.get("type", "do")
        if kind not in ("do", "sleep", "waitForEvent") or "name" not in origin:
            raise ValueError(
                "restart from= needs {'name': ..., 'count'?: int, 'type'?: 'do' | 'sleep' | "
                f"'waitForEvent'}}, got {dict(origin)!r}"
            )
        if not state.rewind(kind, origin["name"], int(origin.get("count", 1))):
            raise ValueError(
                f"instance {state.id!r} has no {kind} step {origin['name']!r} to restart from"
            )

    # -- the drive loop -----------------------------------------------------------------------

    def _runnable(self) -> InstanceState | None:
        now = self.clock.now_ms
        best: InstanceState | None = None
        for state in self._instances.values():
            if state.status in TERMINAL or state.status == "paused":
                continue
            if not state.ready and state.wake_ms is not None and state.wake_ms <= now:
                state.ready = True
                state.wake_ms = None
            if state.ready and (best is None or state.sequence < best.sequence):
                best = state
        return best

    def _next_wake(self) -> float | None:
        wakes = [
            s.wake_ms
            for s in self._instances.values()
            if s.wake_ms is not None and s.status not in TERMINAL and s.status != "paused"
        ]
        return min(wakes, default=None)

    async def _drive(
        self,
        *,
        until_ms: float | None = None,
        auto_advance: bool = True,
        stop: Callable[[], bool] | None = None,
    ) -> bool:
        """Run until ``stop()`` holds (returns True) or nothing more can happen (False)."""
        if self._driving:
            raise EngineError(
                "the engine is already running workflows; do not drive it from workflow code"
            )
        self._driving = True
        try:
            while True:
                if stop is not None and stop():
                    return True
                state = self._runnable()
                if state is not None:
                    await self._execute(state)
                    continue
                wake = self._next_wake()
                if wake is None or not auto_advance:
                    return False
                if until_ms is not None and wake > until_ms:
                    return False
                self.clock.advance_to(wake)
        finally:
            self._driving = False

    async def _execute(self, state: InstanceState) -> None:
        registration = state.workflow
        state.ready = False
        state.wake_ms = None
        state.executions += 1
        state.status = "running"
        execution = Execution(state, self.clock, stubs=self.stubs, step_limit=self.step_limit)
        self._current = state
        try:
            await self._run_body(state, registration, execution)
        finally:
            execution.closed = True
            self._current = None

    async def _run_body(
        self, state: InstanceState, registration: Registration, execution: Execution
    ) -> None:
        event = JsDict(
            payload=from_wire(state.params),
            timestamp=to_datetime(state.created_ms),
            instanceId=state.id,
            workflowName=registration.name,
        )
        step = WorkflowStep(execution, implicit=self.mode == "implicit")
        context = ExecutionContext()
        try:
            entrypoint = registration.cls(context, self.env)
            outcome = entrypoint.run(event, step)
        except Exception as error:
            self._errored(state, error)
            return
        if not inspect.isawaitable(outcome):
            self._finished(state, execution, outcome)
            return
        task: asyncio.Future[Any] = asyncio.ensure_future(outcome)
        evicted = await self._supervise(task, execution)
        try:
            result = await task
        except Abort:
            if execution.fatal is not None:
                self._errored(state, execution.fatal)
            elif state.status != "terminated":  # terminated mid-run: the status says it all
                self._errored(state, EngineError("the workflow body was stopped"))
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            if evicted:
                try:
                    execution.check_hibernation()
                except NonDeterminismError as error:
                    self._errored(state, error)
                else:
                    self._hibernated(state, execution)
            elif execution.fatal is not None:
                self._errored(state, execution.fatal)
            else:
                self._errored(state, EngineError("the workflow body was cancelled"))
        except Exception as error:
            if evicted:
                error = EngineError(_SWALLOWED.format(error=f"raised {error!r}"))
            self._errored(state, execution.fatal or error)
        else:
            if evicted:
                self._errored(state, EngineError(_SWALLOWED.format(error="returned")))
            elif execution.fatal is not None:
                self._errored(state, execution.fatal)
            else:
                self._finished(state, execution, result)
        if context.pending:
            await asyncio.gather(*context.pending, return_exceptions=True)

    async def _supervise(self, task: asyncio.Future[Any], execution: Execution) -> bool:
        """Wait until the body finishes or is fully blocked; cancel it then. True: evicted."""
        try:
            while not task.done():
                changed = asyncio.ensure_future(execution.changed.wait())
                try:
                    done, _ = await asyncio.wait(
                        {task, changed},
                        timeout=self.stall_timeout,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    changed.cancel()
                if not done:
                    execution.fatal = EngineStalledError(
                        f"instance {execution.state.id!r}: workflow code awaited something "
                        f"outside the engine for {self.stall_timeout} s of real time"
                    )
                    task.cancel()
                    return False
                if task.done():
                    return False
                execution.changed.clear()
                if execution.fatal is not None:
                    task.cancel()
                    return False
                blocked = execution.blocked and execution.active_callbacks == 0
                if blocked and await self._settled(task, execution):
                    task.cancel("lunora testing: instance hibernates")
                    return True
            return False
        except asyncio.CancelledError:
            task.cancel()
            raise

    @staticmethod
    async def _settled(task: asyncio.Future[Any], execution: Execution) -> bool:
        """Whether the body is fully blocked: no callback runs and no branch makes progress.

        Concurrent branches may still be replaying stored steps (each yields to the loop), so
        keep yielding while step calls happen; a running callback or an engine signal sends
        the caller back to waiting.
        """
        while True:
            mark = execution.progress
            for _ in range(3):
                await asyncio.sleep(0)
            if task.done() or execution.active_callbacks or execution.changed.is_set():
                return False
            if execution.progress == mark:
                return True

    def _hibernated(self, state: InstanceState, execution: Execution) -> None:
        if state.status in TERMINAL or state.status == "paused":
            return
        wakes: list[float] = []
        waiting = False
        for record in execution.blocked:
            if record is None:
                continue
            if record.kind == "do":
                if record.retry_at_ms is not None:
                    wakes.append(record.retry_at_ms)
                elif record.wake_ms is not None and record.wake_ms > self.clock.now_ms:
                    wakes.append(record.wake_ms)
            else:
                waiting = True
                if record.wake_ms is not None and record.status == "pending":
                    wakes.append(record.wake_ms)
                elif record.status != "pending":
                    state.ready = True  # the event arrived while the body was still running
        state.wake_ms = min(wakes, default=None)
        if state.status == "waitingForPause":
            state.pause_requested = False
            state.status = "paused"
        else:
            state.status = "waiting" if waiting else "running"

    def _finished(self, state: InstanceState, execution: Execution, result: Any) -> None:
        if state.status == "terminated":
            return
        try:
            execution.check_complete()
            output = to_wire(result, what="the workflow's output")
        except Exception as error:
            self._errored(state, error)
            return
        state.status = "complete"
        state.output = output

    def _errored(self, state: InstanceState, error: BaseException) -> None:
        if state.status == "terminated":
            return
        state.status = "errored"
        state.error = error_info(error)
        state.exception = error
        state.ready = False
        state.wake_ms = None

    def unobserved_failures(self) -> list[BaseException]:
        """Engine-detected failures (non-determinism, stalls) no test looked at."""
        return [
            s.exception
            for s in self._instances.values()
            if s.exception is not None
            and not s.error_observed
            and isinstance(s.exception, (NonDeterminismError, EngineError))
        ]


_SWALLOWED = (
    "the workflow body {error} after the engine cancelled it to hibernate; workflow code "
    "must not catch asyncio.CancelledError or BaseException (catch Exception instead)"
)


class Instance:
    """The test's view of one instance: status, output, error, timeline and controls."""

    def __init__(self, engine: WorkflowTestEnv, state: InstanceState) -> None:
        self._engine = engine
        self._state = state

    def __repr__(self) -> str:
        return f"<Instance {self.workflow_name}/{self.id} {self._state.status}>"

    @property
    def id(self) -> str:
        """The instance id."""
        return self._state.id

    @property
    def workflow_name(self) -> str:
        """The deployed workflow name."""
        return self._state.workflow.name

    @property
    def params(self) -> Any:
        """The params as the workflow receives them (``event.payload``)."""
        return from_wire(self._state.params)

    def status(self) -> str:
        """The current status: queued, running, waiting, waitingForPause, paused, complete,
        errored or terminated."""
        self._state.error_observed = True
        return self._state.status

    @property
    def output(self) -> Any:
        """The stored output once complete (dicts as ``JsDict``), else None."""
        return from_wire(self._state.output)

    @property
    def error(self) -> ErrorInfo | None:
        """``ErrorInfo(name, message)`` once errored, else None."""
        self._state.error_observed = True
        return self._state.error

    @property
    def exception(self) -> BaseException | None:
        """The exception that failed the instance (e.g. a ``NonDeterminismError``)."""
        self._state.error_observed = True
        return self._state.exception

    @property
    def replays(self) -> int:
        """How many times the body was replayed from the top (executions after the first)."""
        return self._state.replays

    @property
    def executions(self) -> int:
        """How many times the body ran (first run plus replays)."""
        return self._state.executions

    @property
    def steps(self) -> list[StepRecord]:
        """The timeline: one record per step call, in first-call order."""
        return list(self._state.order)

    def step(self, name: str, *, count: int = 1, kind: str | None = None) -> StepRecord:
        """The record of the ``count``-th call named ``name`` (any kind unless ``kind``)."""
        for record in self._state.order:
            if record.name == name and record.count == count and kind in (None, record.kind):
                return record
        known = ", ".join(f"{r.kind}:{r.label}" for r in self._state.order) or "none"
        raise KeyError(f"no step {name!r} (count {count}) in instance {self.id!r}; steps: {known}")

    @property
    def modify(self) -> InstanceModifier:
        """Test modifiers for this instance."""
        return self._engine.modify(self.id)

    async def wait_for_status(
        self, *statuses: str, within: str | int | float | datetime.timedelta | None = None
    ) -> None:
        """Drive the engine (jumping virtual time) until the instance has one of ``statuses``.

        Raises :class:`InstanceStatusError` when it ends in another final status, when nothing
        more can happen, or when ``within`` (virtual time) passes first.
        """
        wanted = set(statuses) or {"complete"}
        unknown = wanted - STATUSES
        if unknown:
            raise ValueError(f"unknown status(es) {sorted(unknown)}; use {sorted(STATUSES)}")
        state = self._state
        state.error_observed = True
        limit = None if within is None else self._engine.clock.now_ms + duration_ms(within)

        def reached() -> bool:
            return state.status in wanted or state.status in TERMINAL

        await self._engine._drive(until_ms=limit, stop=reached)
        if state.status in wanted:
            return
        detail = ""
        if state.status == "waiting":
            waits = [r for r in state.pending_waits if r.status == "pending"]
            if waits:
                detail = " for event(s) " + ", ".join(repr(r.event_type) for r in waits)
        message = (
            f"instance {self.id!r} is {state.status}{detail}, expected "
            f"{' or '.join(sorted(wanted))} (virtual time {self._engine.now.isoformat()})"
        )
        if state.error is not None:
            message += f"\n{state.error.name}: {state.error.message}"
        raise InstanceStatusError(message)

    async def send_event(self, type: str, payload: Any = None) -> None:
        """Deliver an event (buffered until the instance waits for it)."""
        self._engine._deliver(self._state, type, payload)

    async def pause(self) -> None:
        """Pause the instance."""
        self._engine._pause(self._state)

    async def resume(self) -> None:
        """Resume a paused instance (it replays from the top)."""
        self._engine._resume(self._state)

    async def terminate(self) -> None:
        """Terminate the instance."""
        self._engine._terminate(self._state)

    async def restart(
        self, *, from_step: str | None = None, count: int = 1, kind: str = "do"
    ) -> None:
        """Start over with the same id and params, forgetting every step; with ``from_step``,
        only that step (its ``count``-th call of ``kind``) and the ones after it."""
        origin = None if from_step is None else {"name": from_step, "count": count, "type": kind}
        self._engine._restart(self._state, origin)
