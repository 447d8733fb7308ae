"""The chat-app's durable workflows. `lunora codegen` turns each export into a Cloudflare
WorkflowEntrypoint class in lunora/_generated/workflows.py and wires its wrangler binding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from lunora_workflow import NonRetryableError, WorkflowContext, branch, define_workflow

from ._generated.api import api
from .steps import ChargeArgs, ReserveArgs, charge_card, reserve_stock


@dataclass
class WelcomeParams:
    channel_id: str
    user_name: str


@dataclass
class WelcomeOutput:
    channel_id: str
    posted: int


@define_workflow
async def channel_welcome(ctx: WorkflowContext[WelcomeParams]) -> WelcomeOutput:
    """Greet a new member, wait a minute, then post a tip."""
    params = ctx.params
    channel_id = params.channel_id
    # A durable, memoized, retried step that calls the `messages.send` mutation; the call's
    # dedup id is replay-stable, so a retried or replayed step never posts twice. (mypy checks
    # the dict against SendArgs through lunora_codegen.mypy_plugin, see pyproject.toml.)
    await ctx.step.do(
        "greet",
        lambda: ctx.run(
            api.messages.send,
            {"channel_id": channel_id, "text": f"Welcome, {params.user_name}!"},
            shard_key=channel_id,
        ),
    )
    # The instance hibernates here; the delay survives evictions and redeploys.
    await ctx.step.sleep("settle", "1 minute")
    await ctx.step.do(
        "tips",
        lambda: ctx.run(
            api.messages.send,
            {"channel_id": channel_id, "text": "Tip: messages stream live."},
            shard_key=channel_id,
        ),
    )
    ctx.log.info("welcome sequence complete", channel_id=params.channel_id)
    return WelcomeOutput(channel_id=params.channel_id, posted=2)


class OrderParams(TypedDict):
    order_id: str
    sku: str
    quantity: int
    amount_cents: int


class OrderOutput(TypedDict):
    receipt_id: str
    reservation: str


async def _order_pipeline(ctx: WorkflowContext[OrderParams]) -> OrderOutput:
    """Reserve stock, charge the card, then send the receipt; a failure rolls back in reverse."""
    order = ctx.params
    held = await ctx.run_step(
        reserve_stock,
        ReserveArgs(order_id=order["order_id"], sku=order["sku"], quantity=order["quantity"]),
    )
    receipt = await ctx.run_step(
        charge_card, ChargeArgs(order_id=order["order_id"], amount_cents=order["amount_cents"])
    )

    def send_receipt() -> dict[str, str]:
        return {"sent_to": order["order_id"], "receipt_id": receipt.receipt_id}

    await ctx.step.do(
        "send-receipt",
        send_receipt,
        retries={"limit": 3, "delay": "2 seconds", "backoff": "exponential"},
        timeout="30 seconds",
    )
    return OrderOutput(receipt_id=receipt.receipt_id, reservation=str(held["reservation"]))


# The call form, with the deployed name overridden: the binding still derives from the export.
order_pipeline = define_workflow(handler=_order_pipeline, name="orders")


@dataclass
class ApprovalParams:
    request_id: str
    amount_cents: int


@define_workflow
async def expense_approval(ctx: WorkflowContext[ApprovalParams]) -> dict[str, object]:
    """Ask a manager to approve an expense and wait (up to a week) for the answer."""
    request = ctx.params
    await ctx.step.do("notify-approver", lambda: {"notified": request.request_id})
    decision = await ctx.step.wait_for_event("await-approval", type="approval", timeout="7 days")
    if not decision.payload.get("approved"):
        raise NonRetryableError(f"expense {request.request_id} was rejected")
    await ctx.step.do("pay-out", lambda: {"paid": request.amount_cents})
    return {"request_id": request.request_id, "approved": True}


# -- Fan-out: a media pipeline ------------------------------------------------------------------
# Each branch runs as its own child workflow instance (its own memory and CPU budget, its own
# retries); the parent hibernates until every child has reported back.


@dataclass
class MediaJob:
    media_id: str
    url: str


@dataclass
class ImageTags:
    media_id: str
    tags: list[str]


@dataclass
class Thumbnail:
    media_id: str
    key: str
    width: int


@dataclass
class Transcript:
    media_id: str
    words: int
    language: str


@dataclass
class MediaSummary:
    media_id: str
    tags: list[str]
    thumbnail: str
    words: int


def _url_words(url: str) -> list[str]:
    path = url.split("://", 1)[-1].split("/", 1)[-1]
    return [word for word in path.replace(".", "/").replace("-", "/").split("/") if word]


@define_workflow
async def image_tag(ctx: WorkflowContext[MediaJob]) -> ImageTags:
    """Tag the media (a stand-in classifier: the words of its path)."""
    job = ctx.params
    tags = await ctx.step.do("classify", lambda: sorted(set(_url_words(job.url))))
    return ImageTags(media_id=job.media_id, tags=tags)


@define_workflow
async def thumbnail(ctx: WorkflowContext[MediaJob]) -> Thumbnail:
    """Render a 256 px thumbnail and store it; returns a reference, not the bytes."""
    job = ctx.params
    key = await ctx.step.do(
        "render", lambda: f"thumbs/{job.media_id}-256.jpg", retries={"limit": 3, "delay": 1000}
    )
    return Thumbnail(media_id=job.media_id, key=key, width=256)


@define_workflow
async def transcribe(ctx: WorkflowContext[MediaJob]) -> Transcript:
    """Transcribe the audio track (a stand-in: counts the path's words)."""
    job = ctx.params
    words = await ctx.step.do("speech-to-text", lambda: len(_url_words(job.url)))
    return Transcript(media_id=job.media_id, words=words, language="en")


@define_workflow
async def media_pipeline(ctx: WorkflowContext[MediaJob]) -> MediaSummary:
    """Tag, thumbnail and transcribe one upload in parallel child instances, then index it."""
    job = ctx.params
    # Branches name declared workflows by export name; output= types each result (a tuple of
    # branches gives a typed tuple back, in declaration order).
    tags, thumb, transcript = await ctx.parallel(
        (
            branch("image_tag", job, output=ImageTags),
            branch("thumbnail", job, output=Thumbnail, timeout="10 minutes"),
            branch("transcribe", job, output=Transcript, timeout="1 hour"),
        )
    )
    await ctx.step.do("index", lambda: {"media_id": job.media_id, "tags": len(tags.tags)})
    return MediaSummary(
        media_id=job.media_id, tags=tags.tags, thumbnail=thumb.key, words=transcript.words
    )
