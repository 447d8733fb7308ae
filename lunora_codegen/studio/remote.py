"""The Studio's ``--remote`` backend: the deployed workflows, through Cloudflare's REST API.

The account id and API token stay in this process: the pages and the JSON API only ever carry
what the REST client returns (instances, timelines), never the credentials.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lunora_codegen.diagnostics import LunoraToolError
from lunora_codegen.studio.backend import (
    Action,
    BackendError,
    InstanceDetail,
    InstanceNotFoundError,
    InstanceSummary,
    InvalidRequestError,
    StepAttempt,
    StepRecord,
    WorkflowInfo,
)
from lunora_codegen.studio.catalog import Catalog

if TYPE_CHECKING:
    import httpx

    from lunora_workflow.rest import AsyncWorkflowsRestClient, TimelineEntry, WorkflowsRestError

__all__ = ["MissingCredentialsError", "RemoteBackend", "credentials_from_env"]

#: How many instances per workflow the Instances table shows in remote mode (newest first).
PER_WORKFLOW = 50


class MissingCredentialsError(LunoraToolError):
    """``--remote`` without ``CLOUDFLARE_ACCOUNT_ID`` / ``CLOUDFLARE_API_TOKEN``."""

    exit_code = 2


def credentials_from_env(env: Mapping[str, str]) -> tuple[str, str]:
    """``(account_id, api_token)`` from the environment; raises :class:`MissingCredentialsError`."""
    account_id = env.get("CLOUDFLARE_ACCOUNT_ID", "").strip()
    api_token = env.get("CLOUDFLARE_API_TOKEN", "").strip()
    missing = [
        name
        for name, value in (
            ("CLOUDFLARE_ACCOUNT_ID", account_id),
            ("CLOUDFLARE_API_TOKEN", api_token),
        )
        if not value
    ]
    if missing:
        raise MissingCredentialsError(
            f"lunora studio --remote needs {' and '.join(missing)} in the environment "
            "(an API token with Workflows read and edit permission); without --remote the "
            "Studio runs the workflows on the local engine"
        )
    return account_id, api_token


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ms(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() * 1000


def _translate(error: WorkflowsRestError) -> BackendError:
    text = str(error)
    if error.status == 404:
        return InstanceNotFoundError(text)
    if error.status is not None and 400 <= error.status < 500:
        return InvalidRequestError(text)
    failure = BackendError(f"Cloudflare's Workflows API failed: {text}")
    failure.status = 502
    return failure


def _step(entry: TimelineEntry) -> StepRecord:
    attempts = tuple(
        StepAttempt(
            number=i,
            start=_iso(a.start),
            end=_iso(a.end),
            success=a.success,
            error=str(a.error) if a.error is not None else None,
            duration_ms=_ms(a.start, a.end),
        )
        for i, a in enumerate(entry.attempts, start=1)
    )
    success = entry.success
    if success is None and entry.finished is not None:
        success = bool(entry.finished) and entry.error is None
    error = entry.last_error
    return StepRecord(
        name=entry.name or entry.type,
        type=entry.type,
        start=_iso(entry.start),
        end=_iso(entry.end),
        success=success,
        attempts=attempts,
        output=entry.output,
        error=str(error) if error is not None and success is not True else None,
        duration_ms=_ms(entry.start, entry.end),
    )


class RemoteBackend:
    """Drives the deployed workflows named in the catalog through the Workflows REST API."""

    mode = "remote"
    #: Each look lists every workflow's instances; Cloudflare allows 1200 API calls in 5 minutes.
    poll_interval = 3.0

    def __init__(
        self,
        catalog: Catalog,
        *,
        account_id: str,
        api_token: str,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.catalog = catalog
        self._account_id = account_id
        self._api_token = api_token
        self._base_url = base_url
        self._transport = transport
        self._client: AsyncWorkflowsRestClient | None = None

    def __repr__(self) -> str:
        return f"RemoteBackend(account_id={self._account_id!r}, api_token=<redacted>)"

    def _rest(self) -> AsyncWorkflowsRestClient:
        if self._client is None:
            from lunora_workflow.rest import create_async_workflows_rest_client

            self._client = create_async_workflows_rest_client(
                self._account_id,
                self._api_token,
                base_url=self._base_url,
                transport=self._transport,
            )
        return self._client

    def _name(self, export: str) -> str:
        return self.catalog.get(export).info.name

    async def open(self) -> None:
        """Nothing to start: the client connects on first use."""

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def workflows(self) -> list[WorkflowInfo]:
        """The project's workflows (as declared locally; deployed under ``info.name``)."""
        return self.catalog.workflows

    def notices(self) -> list[str]:
        """The catalog's warnings."""
        return list(self.catalog.warnings)

    def params_type(self, export: str) -> Any:
        """The imported params type of ``export``."""
        return self.catalog.get(export).params_type

    async def start(self, export: str, params: Any, instance_id: str | None) -> InstanceSummary:
        """Create an instance on Cloudflare."""
        from lunora_workflow.rest import WorkflowsRestError

        try:
            created = await self._rest().create_instance(
                self._name(export), params=params, instance_id=instance_id
            )
        except WorkflowsRestError as error:
            raise _translate(error) from error
        return InstanceSummary(workflow=export, id=created.id, status=created.status or "queued")

    async def instances(
        self, export: str | None = None, status: str | None = None
    ) -> list[InstanceSummary]:
        """The newest instances of each workflow (at most 50 each), newest first."""
        from lunora_workflow.rest import WorkflowsRestError

        exports = [export] if export is not None else [w.export for w in self.catalog.workflows]
        rows: list[tuple[dt.datetime | None, InstanceSummary]] = []
        for name in exports:
            try:
                page = await self._rest().list_instances(
                    self._name(name), status=status, per_page=PER_WORKFLOW, direction="desc"
                )
            except WorkflowsRestError as error:
                if error.status == 404:  # declared but not deployed yet: no instances
                    continue
                raise _translate(error) from error
            for item in page.instances:
                summary = InstanceSummary(
                    workflow=name,
                    id=item.id,
                    status=item.status,
                    created=_iso(item.created_on),
                    started=_iso(item.started_on),
                    ended=_iso(item.ended_on),
                )
                rows.append((item.created_on, summary))
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        rows.sort(key=lambda row: row[0] or floor, reverse=True)
        return [summary for _created, summary in rows]

    async def instance(self, export: str, instance_id: str) -> InstanceDetail:
        """An instance's status, params, output and step timeline."""
        from lunora_workflow.rest import WorkflowsRestError

        try:
            detail = await self._rest().get_instance(self._name(export), instance_id)
        except WorkflowsRestError as error:
            raise _translate(error) from error
        steps = tuple(_step(entry) for entry in detail.steps if entry.type != "termination")
        waiting = tuple(
            entry.event_type
            for entry in detail.steps
            if entry.type == "waitForEvent" and entry.event_type and entry.state == "waiting"
        )
        return InstanceDetail(
            summary=InstanceSummary(
                workflow=export,
                id=instance_id,
                status=detail.status,
                created=_iso(detail.queued),
                started=_iso(detail.start),
                ended=_iso(detail.end),
            ),
            params=detail.params,
            output=detail.output,
            error=str(detail.error) if detail.error is not None else None,
            steps=steps,
            waiting_for=waiting if detail.status == "waiting" else (),
        )

    async def send_event(
        self, export: str, instance_id: str, event_type: str, payload: Any
    ) -> None:
        """Send an event through the REST API."""
        from lunora_workflow.rest import WorkflowsRestError

        try:
            await self._rest().send_event(self._name(export), instance_id, event_type, payload)
        except WorkflowsRestError as error:
            raise _translate(error) from error

    async def set_status(self, export: str, instance_id: str, action: Action) -> InstanceSummary:
        """Pause, resume or terminate through the REST API."""
        from lunora_workflow.rest import WorkflowsRestError

        try:
            change = await self._rest().set_instance_status(self._name(export), instance_id, action)
        except WorkflowsRestError as error:
            raise _translate(error) from error
        status = change.status or {"pause": "paused", "resume": "running"}.get(action, "terminated")
        return InstanceSummary(workflow=export, id=instance_id, status=status)
