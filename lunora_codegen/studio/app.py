"""The Studio's web app: server-rendered pages, a JSON API and server-sent event streams.

Pages (``GET``): ``/workflows``, ``/workflows/{export}/start``, ``/instances``,
``/instances/{export}/{id}``. JSON API: ``GET /api/workflows``, ``GET /api/instances``,
``GET /api/instances/{export}/{id}``, and the state-changing ``POST
/api/workflows/{export}/instances``, ``POST /api/instances/{export}/{id}/events`` and ``POST
/api/instances/{export}/{id}/status``. Live updates: ``GET /stream/instances`` and ``GET
/stream/instances/{export}/{id}`` send the re-rendered table or timeline whenever it changes.
Every route goes through :class:`~lunora_codegen.studio.security.GuardMiddleware`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lunora_codegen.studio.backend import (
    ACTIONS,
    STATUSES,
    TERMINAL_STATUSES,
    Backend,
    BackendError,
    InstanceDetail,
    InvalidRequestError,
    UnknownWorkflowError,
    WorkflowInfo,
    to_json,
)
from lunora_codegen.studio.forms import ParamsValidationError, validate_fields, validate_json
from lunora_codegen.studio.security import TOKEN_HEADER, GuardMiddleware, new_token
from lunora_workflow import naming

__all__ = ["StudioApp", "create_app", "templates_dir"]

STATIC_DIR = Path(__file__).parent / "static"
#: A comment line keeps idle streams open through proxies and lets the server notice a gone client.
KEEPALIVE_INTERVAL = 15.0


def templates_dir() -> Path:
    """``templates/`` inside an installed wheel, else at the top of a source checkout."""
    import lunora_codegen

    package = Path(lunora_codegen.__file__).parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "studio").is_dir():
            return candidate
    raise FileNotFoundError(f"the Studio's templates are missing (looked in {package}/templates)")


def _duration(ms: float | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.1f} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(to_json(value), indent=2, sort_keys=False)


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(to_json(value), separators=(", ", ": "))


def _short_time(value: str | None) -> str:
    if not value:
        return ""
    # ISO timestamps: show date and time to the second; the full value is in the title.
    return value.replace("T", " ")[:19]


class StudioApp:
    """The Studio: one backend, one per-run token, the Jinja environment and the routes."""

    def __init__(self, backend: Backend, *, token: str | None = None, title: str = "") -> None:
        self.backend = backend
        self.token = token or new_token()
        self.title = title
        self.jinja = Environment(
            loader=FileSystemLoader(str(templates_dir())),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.jinja.filters["duration"] = _duration
        self.jinja.filters["pretty"] = _pretty
        self.jinja.filters["short_time"] = _short_time
        self.jinja.filters["compact"] = _compact
        self.jinja.globals.update(
            statuses=STATUSES, terminal_statuses=TERMINAL_STATUSES, actions=ACTIONS
        )

    # ----------------------------------------------------------------------------- rendering
    def render(self, template: str, **context: Any) -> str:
        """Render ``studio/<template>`` with the page globals (token, mode, title)."""
        return self.jinja.get_template(f"studio/{template}").render(
            token=self.token,
            token_header=TOKEN_HEADER,
            mode=self.backend.mode,
            project_title=self.title,
            **context,
        )

    def page(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """An HTML page that no cache keeps (it embeds the per-run token)."""
        return HTMLResponse(
            self.render(template, **context),
            status_code=status_code,
            headers={"cache-control": "no-store"},
        )

    async def _workflow(self, export: str) -> WorkflowInfo:
        for info in await self.backend.workflows():
            if info.export == export:
                return info
        raise UnknownWorkflowError(f"no workflow named {export!r}")

    def _error_page(self, error: BackendError) -> HTMLResponse:
        return self.page("error.html", status_code=error.status, message=error.message)

    # ----------------------------------------------------------------------------- pages
    async def index(self, request: Request) -> Response:
        """``/``: the Workflows page."""
        return RedirectResponse("/workflows", status_code=303)

    async def workflows_page(self, request: Request) -> Response:
        """``GET /workflows``: every declared workflow."""
        workflows = await self.backend.workflows()
        return self.page(
            "workflows.html",
            active="workflows",
            workflows=workflows,
            notices=self.backend.notices(),
        )

    async def start_page(self, request: Request) -> Response:
        """``GET /workflows/{export}/start``: the Start form."""
        try:
            workflow = await self._workflow(request.path_params["export"])
        except BackendError as error:
            return self._error_page(error)
        workflows = await self.backend.workflows()
        return self.page("start.html", active="start", workflow=workflow, workflows=workflows)

    async def _instances_context(self, request: Request) -> dict[str, Any]:
        workflow = request.query_params.get("workflow") or None
        status = request.query_params.get("status") or None
        if status is not None and status not in STATUSES:
            raise InvalidRequestError(f"unknown status {status!r}")
        if workflow is not None:
            await self._workflow(workflow)
        instances = await self.backend.instances(workflow, status)
        return {"instances": instances, "filter_workflow": workflow, "filter_status": status}

    async def instances_page(self, request: Request) -> Response:
        """``GET /instances``: the live instances table (``?workflow=&status=``)."""
        try:
            context = await self._instances_context(request)
        except BackendError as error:
            return self._error_page(error)
        workflows = await self.backend.workflows()
        return self.page("instances.html", active="instances", workflows=workflows, **context)

    async def instance_page(self, request: Request) -> Response:
        """``GET /instances/{export}/{id}``: one instance and its step timeline."""
        export, instance_id = request.path_params["export"], request.path_params["id"]
        try:
            workflow = await self._workflow(export)
            detail = await self.backend.instance(export, instance_id)
        except BackendError as error:
            return self._error_page(error)
        return self.page("instance.html", active="instances", workflow=workflow, detail=detail)

    # ----------------------------------------------------------------------------- JSON API
    async def api_workflows(self, request: Request) -> Response:
        """``GET /api/workflows``: the workflows as JSON."""
        return JSONResponse({"workflows": to_json(await self.backend.workflows())})

    async def api_instances(self, request: Request) -> Response:
        """``GET /api/instances``: instances as JSON, newest first."""
        context = await self._instances_context(request)
        return JSONResponse({"instances": to_json(context["instances"])})

    async def api_instance(self, request: Request) -> Response:
        """``GET /api/instances/{export}/{id}``: one instance with its steps."""
        export, instance_id = request.path_params["export"], request.path_params["id"]
        await self._workflow(export)
        return JSONResponse(_detail_json(await self.backend.instance(export, instance_id)))

    async def _json_body(self, request: Request) -> dict[str, Any]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise InvalidRequestError("send the request body as application/json")
        try:
            body = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InvalidRequestError(f"the request body is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise InvalidRequestError("the request body must be a JSON object")
        return body

    async def api_start(self, request: Request) -> Response:
        """``POST /api/workflows/{export}/instances``: validate params and start."""
        export = request.path_params["export"]
        body = await self._json_body(request)
        workflow = await self._workflow(export)
        params_type = self.backend.params_type(export)
        errors: dict[str, str] = {}
        instance_id = body.get("id")
        if instance_id in ("", None):
            instance_id = None
        elif not isinstance(instance_id, str):
            errors["id"] = "must be a string"
        else:
            instance_id = instance_id.strip()
            problem = naming.instance_id_problem(instance_id)
            if problem:
                errors["id"] = problem
        params: Any = None
        try:
            if "fields" in body:
                if workflow.fields is None or not isinstance(body["fields"], dict):
                    raise ParamsValidationError({"": "this workflow's params need the JSON editor"})
                params = validate_fields(params_type, body["fields"])
            elif "params_json" in body:
                if not isinstance(body["params_json"], str):
                    raise ParamsValidationError({"_json": "params_json must be a string"})
                params = validate_json(params_type, body["params_json"])
            elif "params" in body:
                params = validate_json(params_type, json.dumps(body["params"]))
            else:
                params = validate_json(params_type, "{}")
        except ParamsValidationError as error:
            errors.update(error.errors)
        if errors:
            return JSONResponse(
                {"error": "the params are not valid", "code": "INVALID_PARAMS", "errors": errors},
                status_code=422,
            )
        summary = await self.backend.start(export, params, instance_id)
        return JSONResponse(
            {
                "instance": to_json(summary),
                "url": f"/instances/{summary.workflow}/{summary.id}",
            },
            status_code=201,
        )

    async def api_send_event(self, request: Request) -> Response:
        """``POST /api/instances/{export}/{id}/events``: send ``{type, payload}``."""
        export, instance_id = request.path_params["export"], request.path_params["id"]
        body = await self._json_body(request)
        await self._workflow(export)
        event_type = body.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise InvalidRequestError("the event needs a type")
        problem = naming.event_type_problem(event_type)
        if problem:
            raise InvalidRequestError(problem)
        payload: Any = body.get("payload")
        if "payload_json" in body:
            text = body["payload_json"]
            if not isinstance(text, str):
                raise InvalidRequestError("payload_json must be a string")
            try:
                payload = json.loads(text) if text.strip() else {}
            except json.JSONDecodeError as error:
                return JSONResponse(
                    {
                        "error": "the payload is not valid JSON",
                        "code": "INVALID_PAYLOAD",
                        "errors": {"payload": f"Payload must be valid JSON: {error.msg}"},
                    },
                    status_code=422,
                )
        await self.backend.send_event(export, instance_id, event_type, payload)
        return JSONResponse({"ok": True, "type": event_type}, status_code=202)

    async def api_status(self, request: Request) -> Response:
        """``POST /api/instances/{export}/{id}/status``: pause, resume or terminate."""
        export, instance_id = request.path_params["export"], request.path_params["id"]
        body = await self._json_body(request)
        await self._workflow(export)
        action = body.get("action")
        if action not in ACTIONS:
            raise InvalidRequestError(f"action must be one of {', '.join(ACTIONS)}")
        summary = await self.backend.set_status(export, instance_id, action)
        return JSONResponse({"instance": to_json(summary)})

    # ----------------------------------------------------------------------------- streams
    async def _stream(self, request: Request, render: Any, limit: int | None) -> AsyncIterator[str]:
        previous: str | None = None
        sent = 0
        idle = 0.0
        yield "retry: 1000\n\n"
        while True:
            try:
                payload = await render()
            except BackendError as error:
                payload = {"error": error.message}
            text = json.dumps(payload, sort_keys=True)
            if text != previous:
                previous = text
                sent += 1
                idle = 0.0
                yield f"event: update\ndata: {text}\n\n"
                if limit is not None and sent >= limit:
                    return
            elif idle >= KEEPALIVE_INTERVAL:
                idle = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(self.backend.poll_interval)
            idle += self.backend.poll_interval

    @staticmethod
    def _limit(request: Request) -> int | None:
        raw = request.query_params.get("limit")
        if raw is None:
            return None
        if not raw.isdigit() or int(raw) < 1:
            raise InvalidRequestError("limit must be a positive whole number")
        return int(raw)

    async def stream_instances(self, request: Request) -> Response:
        """``GET /stream/instances``: the table's rows whenever they change (SSE)."""
        limit = self._limit(request)
        await self._instances_context(request)  # reject a bad filter before streaming

        async def render() -> dict[str, Any]:
            context = await self._instances_context(request)
            return {
                "html": self.render("_instance_rows.html", **context),
                "count": len(context["instances"]),
            }

        return _event_stream(self._stream(request, render, limit))

    async def stream_instance(self, request: Request) -> Response:
        """``GET /stream/instances/{export}/{id}``: the instance whenever it changes."""
        export, instance_id = request.path_params["export"], request.path_params["id"]
        limit = self._limit(request)
        workflow = await self._workflow(export)
        await self.backend.instance(export, instance_id)

        async def render() -> dict[str, Any]:
            detail = await self.backend.instance(export, instance_id)
            return {
                "head": self.render("_instance_head.html", workflow=workflow, detail=detail),
                "html": self.render("_instance_detail.html", workflow=workflow, detail=detail),
                "status": detail.summary.status,
                "waiting_for": list(detail.waiting_for),
            }

        return _event_stream(self._stream(request, render, limit))

    # ----------------------------------------------------------------------------- wiring
    def build(self) -> Starlette:
        """The ASGI app with routes, static files, error handlers and the guard middleware."""
        routes = [
            Route("/", self.index),
            Route("/workflows", self.workflows_page),
            Route("/workflows/{export}/start", self.start_page),
            Route("/instances", self.instances_page),
            Route("/instances/{export}/{id}", self.instance_page),
            Route("/api/workflows", self.api_workflows),
            Route("/api/workflows/{export}/instances", self.api_start, methods=["POST"]),
            Route("/api/instances", self.api_instances),
            Route("/api/instances/{export}/{id}", self.api_instance),
            Route("/api/instances/{export}/{id}/events", self.api_send_event, methods=["POST"]),
            Route("/api/instances/{export}/{id}/status", self.api_status, methods=["POST"]),
            Route("/stream/instances", self.stream_instances),
            Route("/stream/instances/{export}/{id}", self.stream_instance),
            Mount("/static", app=StaticFiles(directory=str(STATIC_DIR)), name="static"),
        ]

        async def backend_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, BackendError)
            return JSONResponse(
                {"error": exc.message, "code": type(exc).__name__}, status_code=exc.status
            )

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await self.backend.open()
            try:
                yield
            finally:
                await self.backend.aclose()

        app = Starlette(
            routes=routes,
            lifespan=lifespan,
            exception_handlers={BackendError: backend_error},
            middleware=[Middleware(GuardMiddleware, token=self.token)],
        )
        app.state.studio = self
        return app


def _detail_json(detail: InstanceDetail) -> dict[str, Any]:
    data = to_json(detail)
    assert isinstance(data, dict)
    summary = data.pop("summary")
    return {**summary, **data}


def _event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def create_app(backend: Backend, *, token: str | None = None, title: str = "") -> Starlette:
    """The Studio as an ASGI app; ``app.state.studio`` is the :class:`StudioApp`.

    ``token`` is the per-run token the pages embed; a fresh random one when omitted.
    """
    return StudioApp(backend, token=token, title=title).build()
