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
from lunora.workflows import ApprovalParams, OrderParams, WelcomeParams
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
    """The Worker's HTTP routes; each starts or drives a workflow through the typed handle.

    POST /welcome/<channel>            start the welcome sequence
    GET  /status/<id>                  read a welcome instance back
    POST /orders/<order>?sku=&qty=&cents=   start the order pipeline
    POST /expenses/<request>?cents=    ask for approval; POST /expenses/<request>/approve answers
    POST /media/<id>?url=...           fan an upload out to the media pipeline's child workflows
    """

    async def fetch(self, request):  # type: ignore[no-untyped-def]
        from urllib.parse import parse_qs, urlparse

        url = urlparse(request.url)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        flows = workflows(self.env)
        welcome = flows.get("channel_welcome")
        if request.method == "POST" and parts[0] == "welcome" and len(parts) == 2:
            instance = await welcome.create(params=WelcomeParams(parts[1], user_name="friend"))
            return Response.json({"id": instance.id})
        if parts[0] == "status" and len(parts) == 2:
            status = await welcome.get(parts[1]).status()
            return Response.json({"status": status.status, "output": status.raw_output})
        if request.method == "POST" and parts[0] == "orders" and len(parts) == 2:
            order = OrderParams(
                order_id=parts[1],
                sku=query.get("sku", ""),
                quantity=int(query.get("qty", "1")),
                amount_cents=int(query.get("cents", "0")),
            )
            placed = await flows.get("order_pipeline").create(params=order, id=f"order-{parts[1]}")
            return Response.json({"id": placed.id})
        if request.method == "POST" and parts[0] == "expenses":
            expenses = flows.get("expense_approval")
            if len(parts) == 2:
                asked = await expenses.create(
                    params=ApprovalParams(parts[1], amount_cents=int(query.get("cents", "0"))),
                    id=f"expense-{parts[1]}",
                )
                return Response.json({"id": asked.id})
            if len(parts) == 3 and parts[2] in ("approve", "reject"):
                decision = {"approved": parts[2] == "approve"}
                await expenses.get(f"expense-{parts[1]}").send_event("approval", decision)
                return Response.json(decision)
        if request.method == "POST" and parts[0] == "media" and len(parts) == 2:
            media = flows.get("media_pipeline")
            started = await media.create(params={"media_id": parts[1], "url": query.get("url", "")})
            return Response.json({"id": started.id})
        return Response("not found", status=404)
