"""The chat-app's durable workflows. `lunora codegen` turns each export into a Cloudflare
WorkflowEntrypoint class in lunora/_generated/workflows.py and wires its wrangler binding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from lunora_workflow import NonRetryableError, WorkflowContext, define_workflow

from ._generated.api import api
from .messages import SendArgs
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
    # dedup id is replay-stable, so a retried or replayed step never posts twice.
    await ctx.step.do(
        "greet",
        lambda: ctx.run(
            api.messages.send,
            SendArgs(channel_id=channel_id, text=f"Welcome, {params.user_name}!"),
            shard_key=channel_id,
        ),
    )
    # The instance hibernates here; the delay survives evictions and redeploys.
    await ctx.step.sleep("settle", "1 minute")
    await ctx.step.do(
        "tips",
        lambda: ctx.run(
            api.messages.send,
            SendArgs(channel_id=channel_id, text="Tip: messages stream live."),
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
