"""The Studio's local backend: the project's workflows on the in-memory test engine.

The engine (:class:`lunora_workflow.testing.WorkflowTestEnv`) runs instances only when driven.
:class:`LocalBackend` drives it from one background task on the server's event loop:

* ``speed="real"``: virtual time follows the wall clock, so a ``sleep("1 minute")`` takes a
  minute and an event wait times out when it would on Cloudflare;
* ``speed="fast"``: sleeps and retry delays are skipped (the clock jumps to the next one as soon
  as nothing else can run), while event waits keep real-time timeouts, so there is time to send
  the event from the panel.

Requests from the pages only change state (create, send an event, pause, ...); the driver task
is the only code that runs workflow bodies, and it wakes as soon as a request changed something.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from typing import Any, Literal

from lunora_codegen.project import read_wrangler_config
from lunora_codegen.studio.backend import (
    TERMINAL_STATUSES,
    Action,
    InstanceDetail,
    InstanceNotFoundError,
    InstanceSummary,
    InvalidRequestError,
    StepAttempt,
    StepRecord,
    WorkflowInfo,
    to_json,
)
from lunora_codegen.studio.catalog import Catalog
from lunora_workflow.testing import (
    Instance,
    InstanceAlreadyExistsError,
    WorkflowTestEnv,
)
from lunora_workflow.testing import InstanceNotFoundError as EngineInstanceNotFoundError
from lunora_workflow.testing import StepRecord as EngineStepRecord

__all__ = ["LocalBackend", "Speed"]

Speed = Literal["real", "fast"]
#: How often the driver looks at the clock when nothing wakes it earlier, in seconds.
TICK = 0.05
#: At most this many clock jumps per tick in fast mode, so a busy loop cannot starve requests.
MAX_JUMPS_PER_TICK = 50
#: The engine's names for step kinds, as Cloudflare's REST API spells them in timelines.
_STEP_TYPES = {"do": "step", "sleep": "sleep", "waitForEvent": "waitForEvent"}

log = logging.getLogger("lunora.studio")


def _iso(epoch_ms: float | None) -> str | None:
    if epoch_ms is None:
        return None
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).isoformat(timespec="milliseconds")


def _when(epoch_ms: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _step(record: EngineStepRecord, *, finished: bool) -> StepRecord:
    attempts = tuple(
        StepAttempt(
            number=a.number,
            start=_iso(a.start_ms),
            end=_iso(a.end_ms),
            success=a.success,
            error=f"{a.error.name}: {a.error.message}" if a.error is not None else None,
            duration_ms=None if a.end_ms is None else a.end_ms - a.start_ms,
        )
        for a in record.attempts
    )
    success = {"complete": True, "errored": False}.get(record.status)
    note: str | None = None
    if record.status == "pending" and finished:
        note = "did not finish: the instance ended first"
    elif record.status == "pending":
        if record.kind == "sleep" and record.wake_ms is not None:
            note = f"sleeping until {_when(record.wake_ms)}"
        elif record.kind == "waitForEvent":
            until = f" (times out {_when(record.wake_ms)})" if record.wake_ms is not None else ""
            note = f"waiting for a {record.event_type!r} event{until}"
        elif record.retry_at_ms is not None:
            note = f"retrying at {_when(record.retry_at_ms)}"
    name = record.name if record.count == 1 else f"{record.name} #{record.count}"
    return StepRecord(
        name=name,
        type=_STEP_TYPES.get(record.kind, record.kind),
        start=_iso(record.start_ms),
        end=_iso(record.end_ms),
        success=success,
        attempts=attempts,
        output=to_json(record.output),
        error=f"{record.error.name}: {record.error.message}" if record.error else None,
        duration_ms=record.duration_ms,
        note=note,
    )


def _wrangler_vars(catalog: Catalog) -> dict[str, Any]:
    """The wrangler config's ``vars``, which workflows see on ``ctx.env`` as on Cloudflare."""
    config_path = catalog.project.config_path
    if config_path is None or not config_path.is_file():
        return {}
    try:
        config = read_wrangler_config(config_path)
    except (ValueError, OSError):
        return {}  # `lunora codegen` reports a broken config with its exact location
    values = config.get("vars")
    return dict(values) if isinstance(values, dict) else {}


class LocalBackend:
    """Runs the catalog's workflows on a fresh :class:`WorkflowTestEnv` in this process."""

    mode = "local"
    poll_interval = 0.25

    def __init__(self, catalog: Catalog, *, speed: Speed = "real") -> None:
        if speed not in ("real", "fast"):
            raise ValueError(f"speed must be 'real' or 'fast', got {speed!r}")
        self.catalog = catalog
        self.speed: Speed = speed
        self.engine = WorkflowTestEnv(start=dt.datetime.now(dt.UTC), vars=_wrangler_vars(catalog))
        self.engine.register_generated(catalog.module)
        self._exports = {e.info.name: e.info.export for e in catalog.entries}
        self._created: dict[tuple[str, str], float] = {}
        self._ended: dict[tuple[str, str], float] = {}
        self._wake = asyncio.Event()
        self._driver: asyncio.Task[None] | None = None
        self.driver_error: BaseException | None = None

    # ----------------------------------------------------------------------------- lifecycle
    async def open(self) -> None:
        """Start driving the engine on the running event loop."""
        if self._driver is None:
            self._wake = asyncio.Event()
            self._driver = asyncio.create_task(self._drive_forever(), name="lunora-studio-engine")

    async def aclose(self) -> None:
        """Stop the driver task."""
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None

    def _poke(self) -> None:
        self._wake.set()

    async def _drive_forever(self) -> None:
        last = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK)
            self._wake.clear()
            now = time.monotonic()
            elapsed_ms, last = (now - last) * 1000, now
            try:
                await self.drive_once(elapsed_ms)
            except Exception as error:  # an engine bug must not stop the panel
                self.driver_error = error
                log.exception("lunora studio: the local engine failed")
                await asyncio.sleep(1)

    async def drive_once(self, elapsed_ms: float) -> None:
        """Let ``elapsed_ms`` of virtual time pass, running whatever falls due; in fast mode,
        then jump over sleeps and retry delays while nothing else can happen."""
        if elapsed_ms > 0:
            await self.engine.advance(elapsed_ms)
        else:
            await self.engine.run_pending()
        self._note_endings()
        if self.speed == "fast":
            for _ in range(MAX_JUMPS_PER_TICK):
                jump = self._skippable_wake()
                if jump is None:
                    break
                await self.engine.advance(max(jump - self.engine.clock.now_ms, 0))
                self._note_endings()

    def _skippable_wake(self) -> float | None:
        """The next sleep end or retry time, unless an event-wait deadline comes first."""
        skippable: list[float] = []
        deadlines: list[float] = []
        for instance in self.engine.instances:
            if instance.status() in TERMINAL_STATUSES or instance.status() == "paused":
                continue
            for record in instance.steps:
                if record.status != "pending":
                    continue
                if record.kind == "sleep" and record.wake_ms is not None:
                    skippable.append(record.wake_ms)
                elif record.kind == "do" and record.retry_at_ms is not None:
                    skippable.append(record.retry_at_ms)
                elif record.kind == "waitForEvent" and record.wake_ms is not None:
                    deadlines.append(record.wake_ms)
        wake = min(skippable, default=None)
        if wake is None or (deadlines and min(deadlines) <= wake):
            return None
        return wake

    def _note_endings(self) -> None:
        now = self.engine.clock.now_ms
        for instance in self.engine.instances:
            key = (instance.workflow_name, instance.id)
            status = instance.status()
            if status in TERMINAL_STATUSES and key in self._ended:
                continue
            if status in TERMINAL_STATUSES:
                # A body ends right after its last step; a terminate ends it when it is seen.
                ends = [r.end_ms for r in instance.steps if r.end_ms is not None]
                last = max(ends) if ends and status != "terminated" else now
                self._ended.setdefault(key, last)
            else:
                self._ended.pop(key, None)  # restarted

    # ----------------------------------------------------------------------------- queries
    async def workflows(self) -> list[WorkflowInfo]:
        """The project's workflows."""
        return self.catalog.workflows

    def notices(self) -> list[str]:
        """The catalog's warnings, plus an engine failure if the driver hit one."""
        notices = list(self.catalog.warnings)
        if self.driver_error is not None:
            notices.append(f"the local engine failed: {self.driver_error!r}")
        return notices

    def params_type(self, export: str) -> Any:
        """The imported params type of ``export``."""
        return self.catalog.get(export).params_type

    def _export_of(self, instance: Instance) -> str:
        return self._exports.get(instance.workflow_name, instance.workflow_name)

    def _instance(self, export: str, instance_id: str) -> Instance:
        name = self.catalog.get(export).info.name
        try:
            return self.engine.instance(instance_id, name)
        except EngineInstanceNotFoundError:
            raise InstanceNotFoundError(
                f"no instance {instance_id!r} of workflow {export!r}"
            ) from None

    def _summary(self, instance: Instance) -> InstanceSummary:
        key = (instance.workflow_name, instance.id)
        status = instance.status()
        steps = instance.steps
        error = instance.error
        return InstanceSummary(
            workflow=self._export_of(instance),
            id=instance.id,
            status=status,
            created=_iso(self._created.get(key)),
            started=_iso(steps[0].start_ms) if steps else None,
            ended=_iso(self._ended.get(key)) if status in TERMINAL_STATUSES else None,
            output=to_json(instance.output) if status == "complete" else None,
            error=f"{error.name}: {error.message}" if error is not None else None,
        )

    async def instances(
        self, export: str | None = None, status: str | None = None
    ) -> list[InstanceSummary]:
        """Every instance, newest first."""
        name = self.catalog.get(export).info.name if export is not None else None
        rows = [
            self._summary(instance)
            for instance in reversed(self.engine.instances)
            if (name is None or instance.workflow_name == name)
            and (status is None or instance.status() == status)
        ]
        return rows

    async def instance(self, export: str, instance_id: str) -> InstanceDetail:
        """One instance with its timeline."""
        instance = self._instance(export, instance_id)
        error = instance.error
        steps = instance.steps
        waiting = tuple(
            dict.fromkeys(
                r.event_type
                for r in steps
                if r.kind == "waitForEvent" and r.status == "pending" and r.event_type
            )
        )
        return InstanceDetail(
            summary=self._summary(instance),
            params=to_json(instance.params),
            output=to_json(instance.output),
            error=f"{error.name}: {error.message}" if error is not None else None,
            steps=tuple(_step(r, finished=instance.status() in TERMINAL_STATUSES) for r in steps),
            waiting_for=waiting if instance.status() not in TERMINAL_STATUSES else (),
        )

    # ----------------------------------------------------------------------------- commands
    async def start(self, export: str, params: Any, instance_id: str | None) -> InstanceSummary:
        """Create an instance; the driver runs it on its next tick (at once)."""
        info = self.catalog.get(export).info
        try:
            instance = await self.engine.create(info.name, params, id=instance_id)
        except InstanceAlreadyExistsError:
            raise InvalidRequestError(
                f"an instance {instance_id!r} of {export!r} already exists"
            ) from None
        except (TypeError, ValueError) as error:
            raise InvalidRequestError(str(error)) from None
        self._created[(instance.workflow_name, instance.id)] = self.engine.clock.now_ms
        self._poke()
        return self._summary(instance)

    async def send_event(
        self, export: str, instance_id: str, event_type: str, payload: Any
    ) -> None:
        """Deliver an event (buffered until the instance waits for that type)."""
        instance = self._instance(export, instance_id)
        if instance.status() in TERMINAL_STATUSES:
            raise InvalidRequestError(
                f"instance {instance_id!r} is {instance.status()}: it takes no more events"
            )
        try:
            await instance.send_event(event_type, payload)
        except (TypeError, ValueError) as error:
            raise InvalidRequestError(str(error)) from None
        self._poke()

    async def set_status(self, export: str, instance_id: str, action: Action) -> InstanceSummary:
        """Pause, resume or terminate."""
        instance = self._instance(export, instance_id)
        status = instance.status()
        if status in TERMINAL_STATUSES:
            raise InvalidRequestError(f"instance {instance_id!r} is already {status}")
        if action == "resume" and status not in ("paused", "waitingForPause"):
            raise InvalidRequestError(f"instance {instance_id!r} is {status}, not paused")
        if action == "pause":
            await instance.pause()
        elif action == "resume":
            await instance.resume()
        else:
            await instance.terminate()
        self._poke()
        self._note_endings()
        return self._summary(instance)
