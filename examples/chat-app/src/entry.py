"""The chat-app Worker's entry: HTTP routes that start workflows, plus the generated
WorkflowEntrypoint classes, re-exported so that wrangler finds them."""

from lunora._generated.workflows import (
    ChannelWelcomeWorkflow,
    ExpenseApprovalWorkflow,
    ImageTagWorkflow,
    MediaPipelineWorkflow,
    OrderPipelineWorkflow,
    ThumbnailWorkflow,
    TranscribeWorkflow,
    workflows,
)
from workers import Response, WorkerEntrypoint

__all__ = [
    "ChannelWelcomeWorkflow",
    "Default",
    "ExpenseApprovalWorkflow",
    "ImageTagWorkflow",
    "MediaPipelineWorkflow",
    "OrderPipelineWorkflow",
    "ThumbnailWorkflow",
    "TranscribeWorkflow",
]


class Default(WorkerEntrypoint):  # type: ignore[misc]  # `workers` ships no type stubs
    """POST /welcome/<channel> starts the welcome sequence; GET /status/<id> reads it back;
    POST /media/<id>?url=... fans an upload out to the media pipeline's child workflows."""

    async def fetch(self, request):  # type: ignore[no-untyped-def]
        from urllib.parse import parse_qs, urlparse

        url = urlparse(request.url)
        parts = url.path.strip("/").split("/")
        handle = workflows(self.env).get("channel_welcome")
        if request.method == "POST" and parts[0] == "welcome" and len(parts) == 2:
            instance = await handle.create(params={"channel_id": parts[1], "user_name": "friend"})
            return Response.json({"id": instance.id})
        if request.method == "POST" and parts[0] == "media" and len(parts) == 2:
            media = workflows(self.env).get("media_pipeline")
            source = parse_qs(url.query).get("url", [""])[0]
            started = await media.create(params={"media_id": parts[1], "url": source})
            return Response.json({"id": started.id})
        if parts[0] == "status" and len(parts) == 2:
            status = await handle.get(parts[1]).status()
            return Response.json({"status": status.status, "output": status.raw_output})
        return Response("not found", status=404)
