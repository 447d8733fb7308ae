"""The chat-app Worker's entry: HTTP routes that start workflows, plus the generated
WorkflowEntrypoint classes, re-exported so that wrangler finds them."""

from workers import Response, WorkerEntrypoint

from lunora._generated.workflows import (
    ChannelWelcomeWorkflow,
    ExpenseApprovalWorkflow,
    OrderPipelineWorkflow,
    workflows,
)

__all__ = [
    "ChannelWelcomeWorkflow",
    "Default",
    "ExpenseApprovalWorkflow",
    "OrderPipelineWorkflow",
]


class Default(WorkerEntrypoint):
    """POST /welcome/<channel> starts the welcome sequence; GET /status/<id> reads it back."""

    async def fetch(self, request):  # type: ignore[no-untyped-def]
        from urllib.parse import urlparse

        parts = urlparse(request.url).path.strip("/").split("/")
        handle = workflows(self.env).get("channel_welcome")
        if request.method == "POST" and parts[0] == "welcome" and len(parts) == 2:
            instance = await handle.create(params={"channel_id": parts[1], "user_name": "friend"})
            return Response.json({"id": instance.id})
        if parts[0] == "status" and len(parts) == 2:
            status = await handle.get(parts[1]).status()
            return Response.json({"status": status.status, "output": status.raw_output})
        return Response("not found", status=404)
