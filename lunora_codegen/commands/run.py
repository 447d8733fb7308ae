"""``lunora run``: run one workflow of the project on the local test engine and show its timeline.

The project's generated ``<package>/_generated/workflows.py`` is imported with the module root
(the directory of wrangler's ``main``, where Python Workers resolve imports) on ``sys.path``.
The instance runs in virtual time, so sleeps of days finish at once; each ``--event`` is
delivered when the instance waits for an event of that type.

Exit codes: 0 the instance completed; 1 it errored, was terminated, or is left waiting;
2 usage errors (bad JSON, unknown workflow, no generated code).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

from lunora_codegen.commands.options import project_option
from lunora_codegen.diagnostics import LunoraToolError
from lunora_codegen.user_code import GeneratedImportError, import_generated_workflows

if TYPE_CHECKING:
    from rich.console import Console

    from lunora_codegen.project import Project
    from lunora_workflow.testing import Instance, StepRecord, WorkflowTestEnv

__all__ = ["RunError", "load_generated", "parse_event", "run"]

_PREVIEW = 60


class RunError(LunoraToolError):
    """The workflow cannot be started (no generated code, unknown export, bad input)."""

    exit_code = 2


def parse_event(text: str) -> tuple[str, Any]:
    """``TYPE=JSON`` (or just ``TYPE`` for a null payload) as ``(type, payload)``."""
    from lunora_workflow.naming import event_type_problem

    event_type, sep, payload = text.partition("=")
    if not event_type:
        raise click.BadParameter(f"{text!r}: expected TYPE=JSON", param_hint="--event")
    problem = event_type_problem(event_type)
    if problem is not None:  # else it would only be reported as "never waited for"
        raise click.BadParameter(f"{text!r}: {problem}", param_hint="--event")
    if not sep:
        return event_type, None
    try:
        return event_type, json.loads(payload)
    except json.JSONDecodeError as error:
        raise click.BadParameter(
            f"{text!r}: the payload is not JSON ({error.msg} at column {error.colno})",
            param_hint="--event",
        ) from error


def load_generated(project: Project) -> ModuleType:
    """Import ``<package>._generated.workflows`` of ``project`` (fresh, even if imported before)."""
    try:
        return import_generated_workflows(project)
    except GeneratedImportError as error:
        raise RunError(str(error)) from error


def _check_export(module: ModuleType, export: str, project: Project) -> None:
    """Refuse an unknown EXPORT, listing the project's exports (the engine would list deployed
    names, which the user did not type)."""
    specs = getattr(module, "SPECS", None) or {}
    for spec in specs.values():
        if export in (spec.export, spec.name, spec.binding, spec.class_name):
            return
    known = ", ".join(sorted(specs)) or "none; declare one with define_workflow"
    raise RunError(
        f"no workflow {export!r} in {project.workflows_file} (exports: {known}); "
        "run `lunora codegen` if you added it since"
    )


async def _drive(env: WorkflowTestEnv, instance: Instance, events: deque[tuple[str, Any]]) -> None:
    def pending_types() -> set[str]:
        return {
            r.event_type
            for r in instance.steps
            if r.kind == "waitForEvent" and r.status == "pending" and r.event_type is not None
        }

    def deliverable() -> tuple[str, Any] | None:
        waiting = pending_types()
        return next((e for e in events if e[0] in waiting), None)

    while True:
        await env.run_until(
            lambda: (
                instance.status() in ("complete", "errored", "terminated")
                or deliverable() is not None
            )
        )
        event = deliverable()
        if event is None:
            return
        events.remove(event)
        await instance.send_event(event[0], event[1])


def _preview(value: Any) -> str:
    text = json.dumps(value, default=str) if value is not None else ""
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"


def _offset(ms: float | None, origin: float) -> str:
    if ms is None:
        return "-"
    seconds = (ms - origin) / 1000
    if seconds < 120:
        return f"+{seconds:g}s"
    if seconds < 7200:
        return f"+{seconds / 60:.1f}m"
    if seconds < 172_800:
        return f"+{seconds / 3600:.1f}h"
    return f"+{seconds / 86_400:.1f}d"


def _row(record: StepRecord, origin: float) -> tuple[str, ...]:
    kind = {"do": "step", "sleep": "sleep", "waitForEvent": "event"}[record.kind]
    if record.error is not None:
        detail = f"{record.error.name}: {record.error.message}"
    elif record.kind == "waitForEvent":
        detail = f"type={record.event_type}" + (
            f" payload={_preview(record.output.get('payload'))}" if record.output else ""
        )
    else:
        detail = _preview(record.output)
    attempts = str(len(record.attempts)) if record.kind == "do" else ""
    return (
        kind,
        record.label,
        record.status,
        attempts,
        _offset(record.start_ms, origin),
        _offset(record.end_ms, origin),
        detail,
    )


def _report(console: Console, env: WorkflowTestEnv, instance: Instance, origin: float) -> None:
    from rich.table import Table

    table = Table(title=f"{instance.workflow_name} / {instance.id}", title_justify="left")
    for column in ("type", "step", "status", "attempts", "start", "end", "output / error"):
        table.add_column(column, overflow="fold")
    for record in instance.steps:
        table.add_row(*_row(record, origin))
    console.print(table)
    status = instance.status()
    style = {"complete": "green", "errored": "red"}.get(status, "yellow")
    console.print(
        f"[{style}]{status}[/{style}] after {_offset(env.clock.now_ms, origin)} of virtual "
        f"time, {instance.replays} replay(s)"
    )
    if instance.error is not None:
        console.print(f"[red]{instance.error.name}: {instance.error.message}[/red]", markup=True)
    elif status == "complete":
        console.print_json(json.dumps(instance.output, default=str))


@click.command("run")
@click.argument("export")
@click.option("--params", "params_text", default="{}", help="The params as JSON.")
@project_option()
@click.option(
    "--event",
    "event_texts",
    multiple=True,
    metavar="TYPE=JSON",
    help="An event to deliver when the instance waits for TYPE (repeatable, in order).",
)
@click.option(
    "--mode",
    type=click.Choice(["implicit", "legacy"]),
    default="implicit",
    show_default=True,
    help="The step.do signature the engine offers (the compat flag's two modes).",
)
@click.option("--id", "instance_id", default=None, help="The instance id (default: a uuid).")
def run(
    export: str,
    params_text: str,
    project_dir: Path | None,
    event_texts: tuple[str, ...],
    mode: str,
    instance_id: str | None,
) -> None:
    """Run workflow EXPORT on the local test engine (virtual time) and print its timeline."""
    from rich.console import Console

    from lunora_codegen.project import load_project
    from lunora_workflow.testing import WorkflowTestEnv

    try:
        params = json.loads(params_text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(
            f"not JSON ({error.msg} at column {error.colno})", param_hint="--params"
        ) from error
    events = deque(parse_event(text) for text in event_texts)
    project = load_project(project_dir)
    module = load_generated(project)
    _check_export(module, export, project)
    env = WorkflowTestEnv(mode=mode)
    env.register_generated(module)
    console = Console(highlight=False)

    async def main() -> Instance:
        try:
            instance = await env.create(export, params, id=instance_id)
        except Exception as error:
            raise RunError(f"cannot start {export!r}: {error}") from error
        await _drive(env, instance, events)
        return instance

    origin = env.clock.now_ms
    instance = asyncio.run(main())
    _report(console, env, instance, origin)
    for event_type, _payload in events:
        console.print(f"[yellow]event {event_type!r} was never waited for[/yellow]")
    if instance.status() != "complete":
        raise SystemExit(1)
