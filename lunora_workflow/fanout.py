"""Fan-out: ``branch``, ``ctx.parallel`` and ``ctx.spawn``, each child its own instance.

A workflow instance shares one memory and CPU budget across everything it runs, so heavy
fan-out runs every branch as a child workflow instance:

1. Child ids are planned synchronously, in call order, before anything is awaited:
   ``<parent id>-c<n>`` (``n`` counts derived ids per run of the body, so a replay derives the
   same ids) or the branch's explicit ``id``; duplicates are refused before any child starts.
2. Each child is created in the durable step ``lunora:spawn:<child id>`` with a parent marker
   in its params (:mod:`lunora_workflow.branch_marker`). A replay finds the step finished and
   never creates twice; a ``create`` that finds the id taken (a retried step whose first
   attempt got through, or a restarted parent) attaches to the existing child instead, and
   reads its outcome from ``status()`` when it has already finished.
3. The parent hibernates in one ``wait_for_event`` per branch (``lunora:await:<child id>``,
   event type ``lunora-branch-<child id>``) until the child reports its outcome.
4. The first failure (by arrival) fails the group: completed siblings with a
   ``compensate_with`` workflow get a compensation instance, newest first, and the call raises
   :class:`BranchFailedError` (non-retryable) naming the branch.

Exact semantics: docs/fanout.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from lunora_workflow import branch_marker as markers
from lunora_workflow import naming, platform
from lunora_workflow.branch_outcome import (
    MAX_EVENT_PAYLOAD_BYTES,
    BranchError,
    bound_outcome,
    error_outcome,
    ok_outcome,
    read_outcome,
)
from lunora_workflow.durable import run_durable
from lunora_workflow.durations import Duration, normalize_duration
from lunora_workflow.errors import (
    InvalidInstanceIdError,
    InvalidParamsError,
    NonRetryableError,
    SchemaError,
    UnknownWorkflowError,
)
from lunora_workflow.events import ReceivedEvent
from lunora_workflow.handles import (
    InstanceHandle,
    WorkflowHandle,
    WorkflowSpec,
    _call,
    resolve_handle,
)
from lunora_workflow.schema import parse_params, parse_value
from lunora_workflow.serialize import NotJsonError, to_jsonable

if TYPE_CHECKING:
    import asyncio
    from typing import TypeAlias

    from lunora_workflow.definition import WorkflowDefinition
    from lunora_workflow.events import WorkflowEvent
    from lunora_workflow.handles import Workflows
    from lunora_workflow.log import Logger

__all__ = [
    "AWAIT_STEP_PREFIX",
    "COMPENSATE_STEP_PREFIX",
    "FAILED_STEP_PREFIX",
    "MAX_BRANCHES",
    "SPAWN_STEP_PREFIX",
    "Branch",
    "BranchCompensation",
    "BranchFailedError",
    "BranchFailure",
    "DuplicateBranchIdError",
    "FanOut",
    "TooManyBranchesError",
    "branch",
    "is_duplicate_instance_error",
]

MAX_BRANCHES = markers.MAX_BRANCHES
SPAWN_STEP_PREFIX = naming.RESERVED_STEP_PREFIX + "spawn:"
AWAIT_STEP_PREFIX = naming.RESERVED_STEP_PREFIX + "await:"
FAILED_STEP_PREFIX = naming.RESERVED_STEP_PREFIX + "failed:"
COMPENSATE_STEP_PREFIX = naming.RESERVED_STEP_PREFIX + "compensate:"
#: Room left for the ``{"id", "attached", "outcome"}`` wrapper around an attached outcome.
_SPAWN_MEMO_OVERHEAD = 1024
_TERMINAL = frozenset({"complete", "errored", "terminated"})

O = TypeVar("O")  # noqa: E741
O_co = TypeVar("O_co", covariant=True)
O1 = TypeVar("O1")
O2 = TypeVar("O2")
O3 = TypeVar("O3")
O4 = TypeVar("O4")
O5 = TypeVar("O5")
O6 = TypeVar("O6")
O7 = TypeVar("O7")
O8 = TypeVar("O8")

if TYPE_CHECKING:
    #: A declared workflow: its export name or its definition object.
    WorkflowRef: TypeAlias = str | WorkflowDefinition[Any, Any]


class TooManyBranchesError(NonRetryableError):
    """``ctx.parallel`` was given more than 100 branches."""


class DuplicateBranchIdError(NonRetryableError):
    """Two branches of one ``ctx.parallel`` call resolve to the same child instance id."""


class BranchFailedError(NonRetryableError):
    """A branch of ``ctx.parallel`` failed (``kind == "failed"``) or could not be joined
    (``kind == "join failed"``, e.g. its timeout passed). ``error`` is the branch's error."""

    def __init__(
        self, message: str, *, workflow: str, index: int, kind: str, error: BranchError
    ) -> None:
        super().__init__(message)
        self.workflow = workflow
        self.index = index
        self.kind = kind
        self.error = error


@dataclass(frozen=True)
class BranchFailure:
    """The group failure a compensation workflow is told about (``error`` of
    :class:`BranchCompensation`)."""

    name: str
    message: str


@dataclass(frozen=True)
class BranchCompensation:
    """The params of a ``compensate_with`` workflow: the completed branch's workflow export
    (``branch``), its position (``index``), its output (JSON, as the child returned it) and the
    error that failed the group."""

    branch: str
    index: int
    error: BranchFailure
    output: Any = None


@dataclass(frozen=True)
class Branch(Generic[O_co]):
    """One branch of ``ctx.parallel``: run the declared workflow ``workflow`` (an export name
    or its definition) as a child instance with ``params``.

    ``id`` pins the child's instance id (default: derived from the parent's); ``timeout``
    bounds the wait for its outcome (a duration; default Cloudflare's 24 hours);
    ``compensate_with`` names a workflow started (with :class:`BranchCompensation` params) when
    this branch completed but a sibling failed. ``Branch[Out](...)`` types the output by hand.
    """

    workflow: WorkflowRef
    params: Any = None
    id: str | None = None
    timeout: Duration | None = None
    compensate_with: WorkflowRef | None = None
    output: Any = field(default=None, repr=False)


@overload
def branch(
    workflow: WorkflowDefinition[Any, O],
    params: Any = None,
    *,
    id: str | None = None,
    timeout: Duration | None = None,
    compensate_with: WorkflowRef | None = None,
) -> Branch[O]: ...


@overload
def branch(
    workflow: str,
    params: Any = None,
    *,
    output: type[O],
    id: str | None = None,
    timeout: Duration | None = None,
    compensate_with: WorkflowRef | None = None,
) -> Branch[O]: ...


@overload
def branch(
    workflow: str,
    params: Any = None,
    *,
    id: str | None = None,
    timeout: Duration | None = None,
    compensate_with: WorkflowRef | None = None,
) -> Branch[Any]: ...


def branch(
    workflow: WorkflowRef,
    params: Any = None,
    *,
    output: Any = None,
    id: str | None = None,
    timeout: Duration | None = None,
    compensate_with: WorkflowRef | None = None,
) -> Branch[Any]:
    """Describe one branch of ``ctx.parallel`` (nothing runs until ``parallel`` is awaited).

    ``workflow`` is a declared workflow's export name (``"thumbnail"``) or its definition
    object; the output type comes from the definition, from ``output=Type``, or is ``Any``.
    ``params`` may not contain the reserved ``__lunora_branch`` key.
    """
    if not isinstance(workflow, str) and not _is_definition(workflow):
        raise TypeError(
            f"branch: workflow must be a declared workflow's export name or definition, "
            f"got {workflow!r}"
        )
    markers.refuse_marker(params, f"branch({_label(workflow)!r})")
    if timeout is not None:
        normalize_duration(timeout, what=f"branch({_label(workflow)!r}): timeout")
    return Branch(workflow, params, id, timeout, compensate_with, output)


def _is_definition(value: object) -> bool:
    # Imported here: definition -> context -> fanout would otherwise be an import cycle.
    from lunora_workflow.definition import WorkflowDefinition

    return isinstance(value, WorkflowDefinition)


def _label(workflow: object) -> str:
    if _is_definition(workflow):
        return str(getattr(getattr(workflow, "handler", None), "__name__", repr(workflow)))
    return str(workflow)


def is_duplicate_instance_error(error: BaseException) -> bool:
    """True when ``create`` failed because the instance id is taken (Cloudflare's
    ``instance.already_exists``; matched on the message like the original)."""
    import re

    return re.search(r"already[\s_-]?exists", str(error), re.IGNORECASE) is not None


def _find_spec(specs: Mapping[str, WorkflowSpec], workflow: WorkflowRef, api: str) -> WorkflowSpec:
    if isinstance(workflow, str):
        spec = specs.get(workflow)
        if spec is not None:
            return spec
    else:
        for candidate in specs.values():
            if candidate.definition is workflow:
                return candidate
    known = ", ".join(sorted(specs))
    detail = f"known workflows: {known}" if known else "no workflows are declared"
    raise UnknownWorkflowError(
        f'{api}: no workflow named "{_label(workflow)}" ({detail}) — fan-out children must be '
        "workflows exported from lunora/workflows.py (run `lunora codegen` after adding one)"
    )


def _json_params(params: Any, where: str) -> Any:
    try:
        return to_jsonable(params)
    except NotJsonError as error:
        raise InvalidParamsError(
            f"{where}: params are not JSON-serialisable at {error.path}: {error.kind}"
        ) from error


def _outcome_from_status(raw: Any, what: str) -> dict[str, Any] | None:
    """The outcome of a finished child read from ``status()`` (``None`` while it runs)."""
    data = platform.from_js(raw)
    if not isinstance(data, Mapping) or data.get("status") not in _TERMINAL:
        return None
    status = data["status"]
    if status == "complete":
        outcome = ok_outcome(data.get("output"))
    elif status == "terminated":
        outcome = error_outcome(BranchError("Terminated", f"{what} was terminated"))
    else:
        error = data.get("error")
        info = (
            BranchError(str(error.get("name") or "Error"), _last_line(error.get("message")))
            if isinstance(error, Mapping)
            else BranchError("Error", f"{what} errored")
        )
        outcome = error_outcome(info)
    return bound_outcome(outcome, what=what, limit=MAX_EVENT_PAYLOAD_BYTES - _SPAWN_MEMO_OVERHEAD)


def _last_line(message: object) -> str:
    # Cloudflare stores a Python failure's whole traceback as the message; the last line is
    # the exception itself, which is what the event path reports too.
    lines = [line for line in str(message or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


async def _create_or_attach(
    handle: WorkflowHandle[Any, Any], instance_id: str, params: Any, *, read_outcome: bool
) -> dict[str, Any]:
    """Create ``instance_id``; when the id is taken, attach to the existing instance (and,
    with ``read_outcome``, return its outcome if it already finished). Any other failure
    propagates, so the durable step retries it."""
    options: dict[str, Any] = {"id": instance_id}
    if params is not None:
        options["params"] = params
    try:
        await _call(handle._binding, "create", options)
    except Exception as error:
        if not is_duplicate_instance_error(error):
            raise
    else:
        return {"id": instance_id, "attached": False}
    memo: dict[str, Any] = {"id": instance_id, "attached": True}
    if read_outcome:
        existing = handle.get(instance_id)
        raw = await _call(await existing._get(), "status")
        outcome = _outcome_from_status(raw, f'child "{instance_id}"')
        if outcome is not None:
            memo["outcome"] = outcome
    return memo


@dataclass
class _Plan:
    index: int
    item: Branch[Any]
    spec: WorkflowSpec
    handle: WorkflowHandle[Any, Any]
    child_id: str
    event_type: str
    params: Any
    timeout: Any
    compensation: WorkflowSpec | None


@dataclass(frozen=True)
class _Joined:
    index: int
    ok: bool
    value: Any = None
    raw: Any = None
    error: BranchError | None = None
    kind: str = "failed"


class FanOut:
    """``ctx.parallel`` and ``ctx.spawn``; mixed into ``WorkflowContext``."""

    env: Any
    event: WorkflowEvent
    export: str
    log: Logger
    workflows: Workflows
    _sdk_step: Any
    _children: int

    # -- ids ----------------------------------------------------------------------------------

    def _next_child_id(self, explicit: str | None, api: str) -> str:
        if explicit is not None:
            problem = (
                naming.instance_id_problem(explicit)
                if isinstance(explicit, str)
                else f"instance id must be a str, got {explicit!r}"
            )
            if problem is not None:
                raise InvalidInstanceIdError(f"{api}: {problem}")
            return explicit
        ordinal = getattr(self, "_children", 0)
        self._children = ordinal + 1
        return markers.child_id(self.event.instance_id, ordinal)

    def _parent_binding(self) -> str:
        spec = self.workflows.specs.get(self.export)
        return spec.binding if spec is not None else naming.binding_name(self.export)

    # -- spawn --------------------------------------------------------------------------------

    @overload
    async def spawn(
        self, workflow: WorkflowDefinition[Any, O], params: Any = None, *, id: str | None = None
    ) -> InstanceHandle[O]: ...

    @overload
    async def spawn(
        self, workflow: str, params: Any = None, *, id: str | None = None
    ) -> InstanceHandle[Any]: ...

    async def spawn(
        self, workflow: WorkflowRef, params: Any = None, *, id: str | None = None
    ) -> InstanceHandle[Any]:
        """Start ``workflow`` as a fire-and-forget child instance and return a live handle.

        The child is created in the durable step ``lunora:spawn:<child id>`` (a replay does not
        create it again; an id that is already taken attaches). ``id`` pins the child's id
        (default: derived from this instance's id and the call order).
        """
        api = f"ctx.spawn({_label(workflow)!r})"
        markers.refuse_marker(params, api)
        spec = _find_spec(self.workflows.specs, workflow, api)
        handle = resolve_handle(self.env, spec.export, self.workflows.specs)
        data = _json_params(params, api)
        _check_params(spec, data, api)
        instance_id = self._next_child_id(id, api)

        async def body(_raw: Any) -> dict[str, Any]:
            return await _create_or_attach(handle, instance_id, data, read_outcome=False)

        await run_durable(self._sdk_step, SPAWN_STEP_PREFIX + instance_id, None, body)
        return handle.get(instance_id)

    # -- parallel -----------------------------------------------------------------------------

    @overload
    async def parallel(self, branches: tuple[()]) -> tuple[()]: ...

    @overload
    async def parallel(self, branches: tuple[Branch[O1]]) -> tuple[O1]: ...

    @overload
    async def parallel(self, branches: tuple[Branch[O1], Branch[O2]]) -> tuple[O1, O2]: ...

    @overload
    async def parallel(
        self, branches: tuple[Branch[O1], Branch[O2], Branch[O3]]
    ) -> tuple[O1, O2, O3]: ...

    @overload
    async def parallel(
        self, branches: tuple[Branch[O1], Branch[O2], Branch[O3], Branch[O4]]
    ) -> tuple[O1, O2, O3, O4]: ...

    @overload
    async def parallel(
        self, branches: tuple[Branch[O1], Branch[O2], Branch[O3], Branch[O4], Branch[O5]]
    ) -> tuple[O1, O2, O3, O4, O5]: ...

    @overload
    async def parallel(
        self,
        branches: tuple[Branch[O1], Branch[O2], Branch[O3], Branch[O4], Branch[O5], Branch[O6]],
    ) -> tuple[O1, O2, O3, O4, O5, O6]: ...

    @overload
    async def parallel(
        self,
        branches: tuple[
            Branch[O1], Branch[O2], Branch[O3], Branch[O4], Branch[O5], Branch[O6], Branch[O7]
        ],
    ) -> tuple[O1, O2, O3, O4, O5, O6, O7]: ...

    @overload
    async def parallel(
        self,
        branches: tuple[
            Branch[O1],
            Branch[O2],
            Branch[O3],
            Branch[O4],
            Branch[O5],
            Branch[O6],
            Branch[O7],
            Branch[O8],
        ],
    ) -> tuple[O1, O2, O3, O4, O5, O6, O7, O8]: ...

    @overload
    async def parallel(self, branches: tuple[Branch[O], ...]) -> tuple[O, ...]: ...

    @overload
    async def parallel(self, branches: list[Branch[O]]) -> list[O]: ...

    async def parallel(self, branches: Sequence[Branch[Any]]) -> Sequence[Any]:
        """Run every branch as a child instance and return their outputs in declaration order
        (a tuple for a tuple of branches, else a list).

        At most 100 branches; an empty sequence returns at once without any step. The first
        branch to fail (by arrival, or its ``timeout`` passing) fails the group with
        :class:`BranchFailedError` after compensating completed siblings that have a
        ``compensate_with`` workflow, newest first. Siblings still running are not cancelled.
        """
        as_tuple = isinstance(branches, tuple)
        items = list(branches)
        if not items:
            return () if as_tuple else []
        if len(items) > MAX_BRANCHES:
            raise TooManyBranchesError(
                f"ctx.parallel: {len(items)} branches exceeds the cap of {MAX_BRANCHES} — split "
                "the fan-out or raise the work into fewer child workflows"
            )
        plans = self._plan(items)
        import asyncio  # lazily: only workflows that fan out pay for it at cold start

        # Every spawn step settles before anything is raised: no step is left running behind
        # a failure, and the error reported is the first in declaration order.
        settled = await asyncio.gather(
            *(self._spawn_branch(plan) for plan in plans), return_exceptions=True
        )
        spawned: list[dict[str, Any]] = []
        for outcome in settled:
            if isinstance(outcome, BaseException):
                raise outcome
            spawned.append(outcome)
        joined = await self._join(plans, spawned)
        return tuple(joined) if as_tuple else joined

    def _plan(self, items: list[Branch[Any]]) -> list[_Plan]:
        """Resolve, validate and name every branch before anything is awaited."""
        specs = self.workflows.specs
        parent_binding = self._parent_binding()
        plans: list[_Plan] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            if not isinstance(item, Branch):
                raise TypeError(
                    f"ctx.parallel: branch #{index} is {item!r}; build branches with branch(...)"
                )
            api = f"ctx.parallel: branch #{index} ({_label(item.workflow)!r})"
            markers.refuse_marker(item.params, api)
            spec = _find_spec(specs, item.workflow, api)
            handle = resolve_handle(self.env, spec.export, specs)
            data = _json_params(item.params, api)
            if data is not None and not isinstance(data, Mapping):
                raise InvalidParamsError(
                    f"{api}: params must be an object (a dict, dataclass or model) so the "
                    f"parent marker can travel with them, got {type(item.params).__name__}"
                )
            _check_params(spec, data, api)
            compensation = (
                _find_spec(specs, item.compensate_with, f"{api} compensate_with")
                if item.compensate_with is not None
                else None
            )
            instance_id = self._next_child_id(item.id, api)
            if instance_id in seen:
                raise DuplicateBranchIdError(
                    f'ctx.parallel: duplicate branch id "{instance_id}" '
                    f"(branches #{seen[instance_id]} and #{index}) — each branch in a group must "
                    "resolve to a unique child instance id (check explicit `id` options)"
                )
            seen[instance_id] = index
            event_type = markers.branch_event_type(instance_id)
            marker = markers.BranchMarker(event_type, index, parent_binding, self.event.instance_id)
            params = {**data} if isinstance(data, Mapping) else {}
            params[markers.MARKER_KEY] = marker.to_json()
            timeout = (
                normalize_duration(item.timeout, what=f"{api}: timeout")
                if item.timeout is not None
                else None
            )
            plans.append(
                _Plan(
                    index,
                    item,
                    spec,
                    handle,
                    instance_id,
                    event_type,
                    params,
                    timeout,
                    compensation,
                )
            )
        return plans

    async def _spawn_branch(self, plan: _Plan) -> dict[str, Any]:
        async def body(_raw: Any) -> dict[str, Any]:
            return await _create_or_attach(
                plan.handle, plan.child_id, plan.params, read_outcome=True
            )

        memo = platform.from_js(
            await run_durable(self._sdk_step, SPAWN_STEP_PREFIX + plan.child_id, None, body)
        )
        return dict(memo) if isinstance(memo, Mapping) else {}

    async def _join_one(self, plan: _Plan, spawned: Mapping[str, Any]) -> _Joined:
        if "outcome" in spawned:
            payload = spawned["outcome"]
        else:
            name = AWAIT_STEP_PREFIX + plan.child_id
            try:
                if plan.timeout is None:
                    waiting = self._sdk_step.wait_for_event(name, plan.event_type)
                else:
                    waiting = self._sdk_step.wait_for_event(
                        name, plan.event_type, timeout=plan.timeout
                    )
                received = ReceivedEvent.from_sdk(await waiting, plan.event_type)
            except Exception as error:
                return _Joined(plan.index, False, error=BranchError.of(error), kind="join failed")
            payload = received.payload
        ok, value = read_outcome(payload)
        if not ok:
            return _Joined(plan.index, False, error=value)
        output_type = _output_type(plan)
        try:
            parsed = parse_value(output_type, value, "output") if output_type is not None else value
        except SchemaError as problem:
            return _Joined(
                plan.index,
                False,
                error=BranchError("BranchOutputError", f"its output does not fit: {problem}"),
            )
        return _Joined(plan.index, True, value=parsed, raw=value)

    async def _join(self, plans: list[_Plan], spawned: list[dict[str, Any]]) -> list[Any]:
        import asyncio

        results: dict[int, _Joined] = {}
        failed: list[_Joined] = []

        async def settle(plan: _Plan, memo: Mapping[str, Any]) -> None:
            joined = await self._join_one(plan, memo)
            if joined.ok:
                results[plan.index] = joined
            elif not failed:
                failed.append(joined)
                # Straight on into the failure path from here, without a detour through the
                # event loop: sibling waits are still pending, and an engine that sees no step
                # running in between could take the body for hibernating.
                await self._fail(plans, tasks, results, joined)

        tasks = [
            asyncio.ensure_future(settle(plan, memo))
            for plan, memo in zip(plans, spawned, strict=True)
        ]
        try:
            # The first failure raises out of gather at once (fail-fast); the finally below
            # then drops the waits of the branches still running.
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()
        return [results[plan.index].value for plan in plans]

    async def _fail(
        self,
        plans: list[_Plan],
        tasks: Sequence[asyncio.Future[None]],
        results: dict[int, _Joined],
        failure: _Joined,
    ) -> None:
        """Record the group failure durably, compensate completed siblings, raise."""
        assert failure.error is not None
        reason = failure.error.to_json()

        def decide(_raw: Any) -> dict[str, Any]:
            # Read when the step runs, not when it is called: siblings whose outcome arrived
            # in the same instant (replays resolve stored waits together) count as completed.
            return {
                "index": failure.index,
                "kind": failure.kind,
                "error": reason,
                "completed": sorted(results),
            }

        # A replay may see more siblings finished than the first run did; the memo keeps the
        # first run's decision, so compensation issues the same steps on every replay.
        decision = platform.from_js(
            await run_durable(self._sdk_step, FAILED_STEP_PREFIX + plans[0].child_id, None, decide)
        )
        index = int(decision["index"])
        error = BranchError(str(decision["error"]["name"]), str(decision["error"]["message"]))
        for done_index in reversed(decision["completed"]):
            plan = plans[int(done_index)]
            if plan.compensation is None:
                continue
            if plan.index not in results:  # finished in the first run, not yet re-read here
                await tasks[plan.index]
            await self._compensate(plan, plan.compensation, results[plan.index].raw, error)
        plan = plans[index]
        kind = str(decision["kind"])
        raise BranchFailedError(
            f'ctx.parallel: branch "{plan.spec.export}" (#{index}) {kind}: {error.message}',
            workflow=plan.spec.export,
            index=index,
            kind=kind,
            error=error,
        )

    async def _compensate(
        self, plan: _Plan, compensation: WorkflowSpec, output: Any, error: BranchError
    ) -> None:
        params = {
            "branch": plan.spec.export,
            "error": error.to_json(),
            "index": plan.index,
            "output": output,
        }
        instance_id = markers.compensation_id(plan.child_id)
        try:
            handle = resolve_handle(self.env, compensation.export, self.workflows.specs)

            async def body(_raw: Any) -> dict[str, Any]:
                return await _create_or_attach(handle, instance_id, params, read_outcome=False)

            await run_durable(self._sdk_step, COMPENSATE_STEP_PREFIX + plan.child_id, None, body)
        except Exception as failure:
            self.log.error(
                f'ctx.parallel: group-saga compensation "{compensation.export}" for branch '
                f'"{plan.spec.export}" (#{plan.index}) failed',
                error=f"{type(failure).__name__}: {failure}",
            )


def _check_params(spec: WorkflowSpec, data: Any, api: str) -> None:
    definition = spec.definition
    if definition is None:
        return
    from lunora_workflow.schema import describe

    try:
        parse_params(definition.params_type, data)
    except SchemaError as error:
        raise InvalidParamsError(
            f'{api}: params do not fit workflow "{spec.export}" '
            f"({describe(definition.params_type)}): {error}"
        ) from error


def _output_type(plan: _Plan) -> Any:
    if plan.item.output is not None:
        return plan.item.output
    definition = plan.spec.definition
    return definition.output_type if definition is not None else None
