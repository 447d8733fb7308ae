"""Module-level steps and workflows shared by the run_step and saga tests.

Defined at module level (with postponed annotations) so their types resolve through
``typing.get_type_hints``, the way users' ``steps.py``/``workflows.py`` are written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, TypedDict

from lunora_workflow import (
    NonRetryableError,
    RollbackContext,
    StepContext,
    WorkflowContext,
    define_step,
    define_workflow,
)

from .sdk_step import Suspend


@dataclass
class Journal:
    """What the steps and rollbacks of one test did, in order."""

    events: list[str] = field(default_factory=list)
    rollback_errors: list[str] = field(default_factory=list)
    #: rollbacks that fail (name -> remaining failures; -1 forever)
    failing_rollbacks: dict[str, int] = field(default_factory=dict)
    #: rollbacks that crash (suspend) once, before doing their work
    crash_rollbacks: set[str] = field(default_factory=set)


JOURNAL = Journal()


def reset() -> Journal:
    global JOURNAL
    JOURNAL = Journal()
    return JOURNAL


@dataclass
class Item:
    name: str
    amount: int


class Hold(TypedDict):
    hold: str
    amount: int


@define_step
def reserve(ctx: StepContext, args: Item) -> Hold:
    JOURNAL.events.append(f"reserve {args.name}")
    return {"hold": f"h-{args.name}", "amount": args.amount}


def _rollback(ctx: RollbackContext[Item, Hold]) -> None:
    name = ctx.args.name
    if name in JOURNAL.crash_rollbacks:
        JOURNAL.crash_rollbacks.discard(name)
        raise Suspend(f"crash while rolling back {name}")
    remaining = JOURNAL.failing_rollbacks.get(name, 0)
    if remaining:
        JOURNAL.failing_rollbacks[name] = remaining - 1
        raise RuntimeError(f"cannot release {name}")
    JOURNAL.events.append(f"release {name} ({ctx.output['hold']})")
    JOURNAL.rollback_errors.append(f"{type(ctx.error).__name__}: {ctx.error}")


reserve.rollback(_rollback)


@define_step(name="charge", retries={"limit": 2, "delay": "1 second"})
async def charge(ctx: StepContext, args: Item) -> dict[str, Any]:
    JOURNAL.events.append(f"charge {args.name}")
    if args.amount < 0:
        raise NonRetryableError(f"cannot charge {args.amount}")
    return {"charged": args.amount}


@charge.rollback(retries={"limit": 1, "delay": 0})
async def refund(ctx: RollbackContext[Item, dict[str, Any]]) -> None:
    JOURNAL.events.append(f"refund {ctx.args.name} ({ctx.output['charged']}) attempt {ctx.attempt}")


@define_step
def note(ctx: StepContext, args: str) -> str:
    """A step without rollback: never compensated."""
    JOURNAL.events.append(f"note {args}")
    return args


class OrderParams(TypedDict):
    items: list[str]
    fail_after: int
    fail_how: str


@define_workflow
async def order(ctx: WorkflowContext[OrderParams]) -> dict[str, Any]:
    """Reserve each item, then fail after ``fail_after`` reservations (-1: never)."""
    held = []
    for index, name in enumerate(ctx.params["items"]):
        if index == ctx.params["fail_after"]:
            break
        held.append(await ctx.run_step(reserve, Item(name=name, amount=index + 1)))
    await ctx.run_step(note, "reserved")
    how = ctx.params["fail_how"]
    if how == "body":
        raise RuntimeError("payment service down")
    if how == "nonretryable-body":
        raise NonRetryableError("order cancelled")
    if how == "nonretryable-step":
        await ctx.run_step(charge, Item(name="all", amount=-1))
    if how == "step":
        await ctx.step.do("explode", _explode, retries={"limit": 1, "delay": 0})
    return {"held": [hold["hold"] for hold in held]}


def _explode() -> None:
    JOURNAL.events.append("explode")
    raise ValueError("kaboom")


class ChargeParams(TypedDict):
    fail: bool


@define_workflow
async def order_with_charge(ctx: WorkflowContext[ChargeParams]) -> None:
    await ctx.run_step(charge, Item(name="x", amount=5))
    if ctx.params["fail"]:
        raise RuntimeError("later failure")


_SLEPT: set[int] = set()


@define_workflow
async def order_that_sleeps(ctx: WorkflowContext[Any]) -> str:
    """Suspends (BaseException) once mid-body, like a hibernating sleep."""
    await ctx.run_step(reserve, Item(name="z", amount=1))
    if id(JOURNAL) not in _SLEPT:
        _SLEPT.add(id(JOURNAL))
        raise Suspend("hibernate")
    JOURNAL.events.append("after sleep")
    return "done"


@define_step(name="slow")
async def slow(ctx: StepContext, args: Item) -> Hold:
    # Finishes after "fast", though it started first: wait on fast's journal entry rather than
    # on the clock (bounded, so a serialised run cannot hang; it would then fail the order check).
    for _ in range(10_000):
        if any(event.startswith("fast ") for event in JOURNAL.events):
            break
        await asyncio.sleep(0)
    JOURNAL.events.append(f"slow {args.name}")
    return {"hold": args.name, "amount": args.amount}


@define_step(name="fast")
async def fast(ctx: StepContext, args: Item) -> Hold:
    JOURNAL.events.append(f"fast {args.name}")
    return {"hold": args.name, "amount": args.amount}


@slow.rollback
def undo_slow(ctx: RollbackContext[Item, Hold]) -> None:
    JOURNAL.events.append("undo slow")


@fast.rollback
def undo_fast(ctx: RollbackContext[Item, Hold]) -> None:
    JOURNAL.events.append("undo fast")


@define_workflow
async def concurrent(ctx: WorkflowContext[Any]) -> None:
    await asyncio.gather(
        ctx.run_step(slow, Item(name="s", amount=1)), ctx.run_step(fast, Item(name="f", amount=1))
    )
    raise RuntimeError("after both")
