"""The chat-app's functions: post messages, and open a channel (which starts its welcome
sequence). `lunora codegen` lists them in lunora/_generated/api.py as `api.messages.*`."""

from __future__ import annotations

from typing import TypedDict

from ._generated.server import MutationCtx, QueryCtx, mutation, query


class SendArgs(TypedDict):
    channel_id: str
    text: str


class SendResult(TypedDict):
    message_id: str
    channel_id: str
    text: str


@mutation
async def send(ctx: MutationCtx, args: SendArgs) -> SendResult:
    """Post a message to a channel.

    A workflow's call carries a replay-stable dedup id; using it as the message id makes a
    repeated delivery of the same call post nothing new.
    """
    message_id = ctx.dedup_id or f"{args['channel_id']}:{len(args['text'])}"
    return {"message_id": message_id, "channel_id": args["channel_id"], "text": args["text"]}


class OpenArgs(TypedDict):
    channel_id: str
    owner: str


class OpenResult(TypedDict):
    instance_id: str


@mutation
async def open_channel(ctx: MutationCtx, args: OpenArgs) -> OpenResult:
    """Open a channel and start its welcome sequence (a durable workflow)."""
    instance = await ctx.workflows.get("channel_welcome").create(
        params={"channel_id": args["channel_id"], "user_name": args["owner"]},
        id=f"welcome-{args['channel_id']}",
    )
    ctx.log.info("channel opened", channel_id=args["channel_id"], welcome=instance.id)
    return {"instance_id": instance.id}


class CountArgs(TypedDict):
    text: str


@query
async def word_count(ctx: QueryCtx, args: CountArgs) -> int:
    """How many words a message has (a pure read: queries get no workflow handle)."""
    return len(args["text"].split())
