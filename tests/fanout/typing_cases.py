"""Static typing of fan-out, checked by ``mypy --strict`` in test_typing.py (never executed).

Every ``assert_type`` is a claim about what a user's editor and type checker see.
"""

from __future__ import annotations

from typing import Any, TypedDict, assert_type

from lunora_workflow import WorkflowContext, define_workflow
from lunora_workflow.fanout import Branch, branch
from lunora_workflow.handles import InstanceHandle


class Tags(TypedDict):
    tags: list[str]


class Thumb(TypedDict):
    url: str


@define_workflow
async def image_tag(ctx: WorkflowContext[dict[str, str]]) -> Tags:
    return Tags(tags=[])


@define_workflow
async def thumbnail(ctx: WorkflowContext[dict[str, str]]) -> Thumb:
    return Thumb(url="")


async def body(ctx: WorkflowContext[Any]) -> None:
    # A definition carries its output type; a name needs output= (or Branch[Out]) to be typed.
    assert_type(branch(image_tag, {}), Branch[Tags])
    assert_type(branch("thumbnail", {}, output=Thumb), Branch[Thumb])
    assert_type(branch("thumbnail", {}), Branch[Any])
    assert_type(Branch[Thumb]("thumbnail", {}), Branch[Thumb])

    # A tuple keeps each branch's type, in declaration order.
    pair = await ctx.parallel((branch(image_tag, {}), branch(thumbnail, {})))
    assert_type(pair, tuple[Tags, Thumb])
    tags, thumb = pair
    assert_type(tags["tags"], list[str])
    assert_type(thumb["url"], str)

    eight = await ctx.parallel(
        (
            branch(image_tag, {}),
            branch(thumbnail, {}),
            branch(image_tag, {}),
            branch(thumbnail, {}),
            branch(image_tag, {}),
            branch(thumbnail, {}),
            branch(image_tag, {}),
            branch("x", {}, output=int),
        )
    )
    assert_type(eight, tuple[Tags, Thumb, Tags, Thumb, Tags, Thumb, Tags, int])

    # A homogeneous list gives a list of that output type.
    many = await ctx.parallel([branch(thumbnail, {"n": str(n)}) for n in range(10)])
    assert_type(many, list[Thumb])

    # Longer tuples fall back to a variadic tuple of the common type.
    nine = await ctx.parallel(tuple(branch(thumbnail, {}) for _ in range(9)))
    assert_type(nine, tuple[Thumb, ...])

    assert_type(await ctx.parallel(()), tuple[()])

    handle = await ctx.spawn(thumbnail, {})
    assert_type(handle, InstanceHandle[Thumb])
    assert_type(await ctx.spawn("thumbnail", {}), InstanceHandle[Any])
