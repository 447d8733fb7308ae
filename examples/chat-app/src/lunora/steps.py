"""Reusable, validated durable steps for the chat-app's workflows."""

from __future__ import annotations

from dataclasses import dataclass

from lunora_workflow import NonRetryableError, RollbackContext, StepContext, define_step


@dataclass
class ChargeArgs:
    order_id: str
    amount_cents: int


@dataclass
class Receipt:
    receipt_id: str
    amount_cents: int


@define_step(
    retries={"limit": 3, "delay": "10 seconds", "backoff": "exponential"},
    timeout="30 seconds",
)
async def charge_card(ctx: StepContext, args: ChargeArgs) -> Receipt:
    """Charge the customer's card for an order."""
    if args.amount_cents <= 0:
        raise NonRetryableError(f"order {args.order_id} has nothing to charge")
    if ctx.attempt > 1:
        ctx.log.warn("retrying charge", order_id=args.order_id, attempt=ctx.attempt)
    return Receipt(receipt_id=f"rcpt-{args.order_id}", amount_cents=args.amount_cents)


@charge_card.rollback
async def refund_card(ctx: RollbackContext[ChargeArgs, Receipt]) -> None:
    """Refund the charge when a later step of the order fails."""
    receipt = ctx.output.receipt_id if ctx.output is not None else None
    ctx.log.info("refunding", order_id=ctx.args.order_id, receipt=receipt)


@dataclass
class ReserveArgs:
    order_id: str
    sku: str
    quantity: int


@define_step(name="reserve-stock")
def reserve_stock(ctx: StepContext, args: ReserveArgs) -> dict[str, str | int]:
    """Hold stock for an order; released by the rollback below if the order fails."""
    return {"reservation": f"res-{args.order_id}", "sku": args.sku, "quantity": args.quantity}


@reserve_stock.rollback
def release_stock(ctx: RollbackContext[ReserveArgs, dict[str, str | int]]) -> None:
    """Give the held stock back."""
    ctx.log.info("releasing stock", order_id=ctx.args.order_id)
