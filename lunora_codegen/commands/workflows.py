"""``lunora workflows``: list, inspect and operate workflow instances from the terminal.

Talks to Cloudflare's account-scoped Workflows REST API through
:mod:`lunora_workflow.rest`, or with ``--local`` to ``wrangler dev``'s local explorer API
(``http://localhost:8787/cdn-cgi/explorer/api``). Workflow names may be given as the Python
export name (``order_pipeline``) or the deployed name (``orders``); see
:func:`resolve_workflow_name`.

Exit codes: 0 success; 1 the API refused or failed (the error names the request, the status
and Cloudflare's error codes); 2 usage errors (missing credentials, invalid JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lunora_codegen.commands.options import project_option
from lunora_workflow import naming

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from lunora_codegen.project import Project
    from lunora_workflow.rest import InstanceDetail, TimelineEntry, WorkflowsRestClient

__all__ = [
    "deployed_workflow_names",
    "resolve_workflow_name",
    "workflows",
]

_STATE_KEY = "lunora.workflows"
_STATUSES = (
    "queued",
    "running",
    "paused",
    "errored",
    "terminated",
    "complete",
    "waitingForPause",
    "waiting",
    "rollingBack",
)
_PREVIEW = 60


# -- workflow names ----------------------------------------------------------------------


def deployed_workflow_names(project: Project) -> dict[str, str] | None:
    """``{export name: deployed name}`` from the codegen model, or ``None`` when unavailable.

    This is the one place the CLI learns names from the code generator: the model knows
    ``define_workflow(name=...)`` overrides, which nothing else can. It returns ``None`` when
    the project's package cannot be read (no package, or errors in the user's files), and the
    caller then falls back to the wrangler config and to
    :func:`lunora_workflow.naming.deployed_name`.
    """
    from lunora_codegen.diagnostics import LunoraToolError

    try:
        from lunora_codegen.pipeline import generate
    except ImportError:  # a trimmed install without the code generator
        return None
    try:
        generated = generate(project)
    except (LunoraToolError, OSError, SyntaxError, ValueError):
        return None
    return {w.export: w.name for w in generated.model.workflows}


def _wrangler_names(project: Project) -> dict[str, str]:
    """``{binding: deployed name}`` from the wrangler config's ``workflows[]`` array."""
    from lunora_codegen.project import read_wrangler_config

    if project.config_path is None or not project.config_path.is_file():
        return {}
    try:
        config = read_wrangler_config(project.config_path)
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    entries = config.get("workflows")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            binding, name = entry.get("binding"), entry.get("name")
            if isinstance(binding, str) and isinstance(name, str):
                out[binding] = name
    return out


def resolve_workflow_name(
    name: str,
    project: Project | None,
    *,
    model_names: Callable[[Project], Mapping[str, str] | None] = deployed_workflow_names,
) -> str:
    """The deployed name for ``name``, which may be an export name or a deployed name.

    Without a project, ``name`` is used as given. With one, in order: a name that is already
    deployed (per the model or the wrangler config) stays; an export known to the codegen
    model maps to its deployed name (``name=`` overrides included); an export whose binding is
    in the wrangler config maps to that entry's ``name``; any other Python identifier maps to
    :func:`~lunora_workflow.naming.deployed_name` (which cannot know a ``name=`` override).
    """
    if project is None:
        return name
    exports = model_names(project) or {}
    by_binding = _wrangler_names(project)
    if name in set(exports.values()) | set(by_binding.values()):
        return name
    if name in exports:
        return exports[name]
    if naming.export_name_problem(name) is not None:
        return name
    binding = naming.binding_name(name)
    if binding in by_binding:
        return by_binding[binding]
    return naming.deployed_name(name)


# -- settings and client -----------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    account_id: str | None
    api_token: str | None
    local: bool
    port: int
    base_url: str | None
    project_path: Path | None
    timeout: float
    max_retries: int

    def __repr__(self) -> str:  # keep the token out of debug output
        return f"_Settings(account_id={self.account_id!r}, local={self.local!r})"


def _settings() -> _Settings:
    settings = click.get_current_context().meta[_STATE_KEY]
    assert isinstance(settings, _Settings)
    return settings


def _project(settings: _Settings) -> Project | None:
    from lunora_codegen.diagnostics import ProjectNotFoundError
    from lunora_codegen.project import load_project

    try:
        return load_project(settings.project_path)
    except ProjectNotFoundError:
        if settings.project_path is not None:
            raise click.UsageError(f"no project found at {settings.project_path}") from None
        return None


def _workflow_name(name: str) -> str:
    return resolve_workflow_name(name, _project(_settings()))


@contextmanager
def _client() -> Iterator[WorkflowsRestClient]:
    """The client for the current invocation; REST failures become exit-1 messages."""
    from lunora_workflow.rest import WorkflowsRestError, create_workflows_rest_client

    settings = _settings()
    if settings.local:
        base_url = settings.base_url or f"http://localhost:{settings.port}/cdn-cgi/explorer/api"
        client = create_workflows_rest_client(
            dialect="local",
            base_url=base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )
    else:
        missing = [
            env
            for env, value in (
                ("CLOUDFLARE_ACCOUNT_ID", settings.account_id),
                ("CLOUDFLARE_API_TOKEN", settings.api_token),
            )
            if not value
        ]
        if missing:
            raise click.UsageError(
                f"missing Cloudflare credentials: {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set.\n"
                "Set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (or pass --account-id / "
                "--api-token); the token needs Workers Scripts Read, and Workers Scripts Edit "
                "for start/pause/resume/terminate/restart/send-event.\n"
                "To inspect `wrangler dev` instead, pass --local."
            )
        client = create_workflows_rest_client(
            settings.account_id,
            settings.api_token,
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )
    with client:
        try:
            yield client
        except WorkflowsRestError as error:
            message = str(error)
            if error.status in (401, 403):
                message += (
                    "\n  hint: check CLOUDFLARE_ACCOUNT_ID and that the token has Workers Scripts "
                    "Read (Edit for changes)"
                )
            elif error.status is None and settings.local:
                message += (
                    "\n  hint: is `wrangler dev` running there? Start it in the project, or "
                    "pass --port (or --base-url) to reach the one that is"
                )
            raise click.ClickException(message) from None
        except ValueError as error:
            raise click.UsageError(str(error)) from None


# -- rendering ---------------------------------------------------------------------------


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _cells(*values: str) -> list[Text]:
    """Table cells as plain text: API data such as ``[x]`` in an output is never markup."""
    from rich.text import Text

    return [Text(value) for value in values]


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "-"
    seconds = value.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds % 1 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m"


def _preview(value: Any) -> str:
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"


def _result(entry: TimelineEntry) -> str:
    error = entry.last_error
    if entry.type == "termination":
        return f"terminated ({entry.trigger_source or 'unknown'})"
    if entry.state == "errored" and error is not None:
        return f"error: {error}"
    if entry.state == "retrying" and error is not None:
        return f"retrying after: {error}"
    if entry.type == "sleep":
        return "slept" if entry.state == "complete" else "sleeping"
    if entry.type == "waitForEvent":
        label = f"event {entry.event_type}" if entry.event_type else "event"
        if entry.state == "waiting":
            return f"waiting for {label}"
        return f"{label}: {_preview(entry.output)}".rstrip(": ")
    if entry.state == "complete":
        return _preview(entry.output) or "ok"
    return entry.state


def _entry_duration(entry: TimelineEntry) -> str:
    if entry.start is not None and entry.end is None and entry.state in ("running", "waiting"):
        return "…"
    return _duration(entry.duration)


def _show_instance(detail: InstanceDetail) -> None:
    from rich.table import Table

    console = _console()
    console.print(
        f"[bold]{detail.workflow_name}[/bold] / [bold]{detail.id}[/bold]: {detail.status}"
    )
    console.print(
        f"queued {_when(detail.queued)}  started {_when(detail.start)}  "
        f"ended {_when(detail.end)}  duration {_duration(detail.duration)}"
    )
    if detail.trigger_source:
        console.print(f"trigger: {detail.trigger_source}")
    if detail.params is not None:
        console.print(f"params: {_preview(detail.params)}", markup=False)
    if detail.output not in (None, ""):
        console.print(f"output: {_preview(detail.output)}", markup=False)
    if detail.error is not None:
        console.print(f"error: {detail.error}", markup=False, style="red")
    table = Table(title=f"{len(detail.steps)} timeline entries", title_justify="left")
    for column in ("#", "Type", "Name", "Attempts", "Duration", "Result / error"):
        table.add_column(column, overflow="fold")
    for index, entry in enumerate(detail.steps, start=1):
        attempts = "" if entry.attempt_count is None else str(entry.attempt_count)
        table.add_row(
            *_cells(
                str(index),
                entry.type,
                entry.name,
                attempts,
                _entry_duration(entry),
                _result(entry),
            ),
            style="red" if entry.state == "errored" else None,
        )
    console.print(table)


# -- commands ----------------------------------------------------------------------------


def _parse_json(text: str, what: str) -> Any:
    """``text`` as JSON (``@path`` reads a file); bad JSON names line and column."""
    source = what
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise click.BadParameter(
                f"cannot read {path}: {error.strerror}", param_hint=what
            ) from None
        source = str(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(
            f"{source}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}", param_hint=what
        ) from None


_json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON instead of a table."
)


@click.group("workflows", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--account-id",
    envvar="CLOUDFLARE_ACCOUNT_ID",
    show_envvar=True,
    help="Cloudflare account id.",
)
@click.option(
    "--api-token",
    envvar="CLOUDFLARE_API_TOKEN",
    show_envvar=True,
    help="API token (prefer the environment variable: options end up in shell history).",
)
@click.option(
    "--local",
    is_flag=True,
    help="Talk to `wrangler dev`'s local explorer API instead of Cloudflare (no credentials).",
)
@click.option(
    "--port", type=int, default=8787, show_default=True, help="wrangler dev's port for --local."
)
@click.option(
    "--base-url",
    envvar="LUNORA_WORKFLOWS_API_URL",
    help="Override the API base URL (a proxy, or --local on another host).",
)
@project_option(
    dest="project_path",
    help="Project to map export names from (it must exist; default: discovered from the "
    "current directory).",
)
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Per-request timeout in seconds."
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Retries on 429, 5xx and connection failures (never on other 4xx).",
)
@click.pass_context
def workflows(
    ctx: click.Context,
    account_id: str | None,
    api_token: str | None,
    local: bool,
    port: int,
    base_url: str | None,
    project_path: Path | None,
    timeout: float,
    max_retries: int,
) -> None:
    """Inspect and operate workflow instances (Cloudflare's Workflows REST API).

    WORKFLOW may be the Python export name (order_pipeline) or the deployed name (orders).
    """
    ctx.meta[_STATE_KEY] = _Settings(
        account_id=account_id,
        api_token=api_token,
        local=local,
        port=port,
        base_url=base_url,
        project_path=project_path,
        timeout=timeout,
        max_retries=max_retries,
    )


@workflows.command("list")
@_json_option
def list_command(as_json: bool) -> None:
    """List the account's workflows with their instance counts."""
    from rich.table import Table

    with _client() as client:
        rows = list(client.iter_workflows(per_page=None if client.dialect == "local" else 100))
    if as_json:
        _echo_json([w.model_dump(mode="json") for w in rows])
        return
    table = Table(title=f"{len(rows)} workflows", title_justify="left")
    for column in ("Name", "Class", "Script", "Instances", "Modified"):
        table.add_column(column, overflow="fold")
    for w in rows:
        counts = ", ".join(f"{status} {n}" for status, n in w.instances.items() if n) or "-"
        table.add_row(
            w.name, w.class_name or "-", w.script_name or "-", counts, _when(w.modified_on)
        )
    _console().print(table)


@workflows.command("instances")
@click.argument("workflow")
@click.option("--status", type=click.Choice(_STATUSES), help="Only instances in this status.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=25, show_default=True, help="At most this many."
)
@_json_option
def instances_command(workflow: str, status: str | None, limit: int, as_json: bool) -> None:
    """List a workflow's instances, newest first."""
    from rich.markup import escape
    from rich.table import Table

    name = _workflow_name(workflow)
    with _client() as client:
        rows = list(
            client.iter_instances(
                name, status=status, per_page=min(100, limit + 1), limit=limit + 1
            )
        )
    more = len(rows) > limit
    rows = rows[:limit]
    if as_json:
        _echo_json([r.model_dump(mode="json") for r in rows])
        return
    title = escape(f"{name}: {len(rows)} instances" + (f" ({status})" if status else ""))
    table = Table(title=title, title_justify="left")
    for column in ("ID", "Status", "Created", "Started", "Ended", "Duration"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            *_cells(
                r.id,
                r.status,
                _when(r.created_on),
                _when(r.started_on),
                _when(r.ended_on),
                _duration(r.duration),
            )
        )
    console = _console()
    console.print(table)
    if more:
        console.print(f"more instances exist; raise --limit (now {limit}) to see them")


@workflows.command("show")
@click.argument("workflow")
@click.argument("instance_id")
@_json_option
def show_command(workflow: str, instance_id: str, as_json: bool) -> None:
    """Show an instance: status, params, output/error and the step timeline."""
    name = _workflow_name(workflow)
    with _client() as client:
        detail = client.get_instance(name, instance_id)
    if as_json:
        _echo_json(detail.model_dump(mode="json"))
        return
    _show_instance(detail)


@workflows.command("start")
@click.argument("workflow")
@click.option("--params", "params_text", help="Params as JSON (or @file.json).")
@click.option("--id", "instance_id", help="Instance id (default: generated by Cloudflare).")
@_json_option
def start_command(
    workflow: str, params_text: str | None, instance_id: str | None, as_json: bool
) -> None:
    """Start an instance of WORKFLOW."""
    params = _parse_json(params_text, "--params") if params_text is not None else None
    name = _workflow_name(workflow)
    with _client() as client:
        created = client.create_instance(name, params=params, instance_id=instance_id)
    if as_json:
        _echo_json(created.model_dump(mode="json"))
        return
    click.echo(f"started {name}/{created.id}" + (f" ({created.status})" if created.status else ""))


def _change_status(workflow: str, instance_id: str, action: Any, **options: Any) -> None:
    name = _workflow_name(workflow)
    with _client() as client:
        change = client.set_instance_status(name, instance_id, action, **options)
    if change.status is None:
        click.echo(f"{name}/{instance_id}: {action} requested")
    else:
        at = f" at {_when(change.timestamp)}" if change.timestamp else ""
        click.echo(f"{name}/{instance_id}: {change.status}{at}")


@workflows.command("pause")
@click.argument("workflow")
@click.argument("instance_id")
def pause_command(workflow: str, instance_id: str) -> None:
    """Pause a running instance."""
    _change_status(workflow, instance_id, "pause")


@workflows.command("resume")
@click.argument("workflow")
@click.argument("instance_id")
def resume_command(workflow: str, instance_id: str) -> None:
    """Resume a paused instance."""
    _change_status(workflow, instance_id, "resume")


@workflows.command("terminate")
@click.argument("workflow")
@click.argument("instance_id")
@click.option(
    "--rollback",
    is_flag=True,
    help="Run the instance's native (TypeScript) rollback handlers first; "
    "lunora Python sagas do not run on terminate.",
)
def terminate_command(workflow: str, instance_id: str, rollback: bool) -> None:
    """Terminate an instance."""
    _change_status(workflow, instance_id, "terminate", rollback=True if rollback else None)


@workflows.command("restart")
@click.argument("workflow")
@click.argument("instance_id")
@click.option("--from-step", help="Restart from this step (name as in `show`).")
@click.option(
    "--from-count", type=click.IntRange(min=1), help="Which occurrence of a repeated step name."
)
def restart_command(
    workflow: str, instance_id: str, from_step: str | None, from_count: int | None
) -> None:
    """Restart an instance from the beginning (or from a step)."""
    from lunora_workflow.rest import RestartFrom

    if from_count is not None and from_step is None:
        raise click.UsageError("--from-count needs --from-step")
    start = RestartFrom(from_step, count=from_count) if from_step is not None else None
    _change_status(workflow, instance_id, "restart", from_step=start)


@workflows.command("send-event")
@click.argument("workflow")
@click.argument("instance_id")
@click.argument("event_type")
@click.argument("payload", required=False)
def send_event_command(
    workflow: str, instance_id: str, event_type: str, payload: str | None
) -> None:
    """Send EVENT_TYPE with a JSON PAYLOAD (or @file.json; default {}) to an instance."""
    body = _parse_json(payload, "PAYLOAD") if payload is not None else {}
    name = _workflow_name(workflow)
    with _client() as client:
        client.send_event(name, instance_id, event_type, body)
    click.echo(f"sent {event_type} to {name}/{instance_id}")
