# mypy: disable-error-code="untyped-decorator"
"""The SDK double refuses what the real wrapper refuses, so the runtime tests can fail."""

from __future__ import annotations

from typing import Any

import pytest

from .sdk_step import FakeStep, Memo, StepFailed


async def test_implicit_mode_accepts_ctx_and_declared_steps_only() -> None:
    step = FakeStep(implicit=True)

    @step.do()
    async def first() -> int:
        return 1

    @step.do(config={"timeout": 5})
    async def second(first: int, ctx: Any) -> list[Any]:
        return [first, ctx["step"], ctx["attempt"]]

    assert await second() == [1, {"name": "second", "count": 1}, 1]

    async def bad(raw: Any = None) -> None: ...

    with pytest.raises(TypeError, match="Received unexpected parameter raw"):
        await step.do("bad")(bad)()
    with pytest.raises(TypeError):
        step.do("x", None)  # no positional depends in implicit mode


async def test_legacy_mode_needs_a_name_and_matching_depends() -> None:
    step = FakeStep(implicit=False)

    async def takes_one(value: Any, ctx: Any) -> Any:
        return value

    with pytest.raises(TypeError, match="no 'depends' list provided"):
        await step.do("a")(takes_one)()
    with pytest.raises(
        TypeError, match=r"^Step declares 1 non-ctx parameter\(s\) but 'depends' has 0"
    ):
        await step.do("a", [])(takes_one)()
    with pytest.raises(TypeError):
        step.do(config=None)  # name is required in legacy mode

    @step.do("dep")
    async def dep() -> int:
        return 7

    assert await step.do("b", [dep])(takes_one)() == 7


async def test_memo_replays_by_name_and_count() -> None:
    memo = Memo()
    calls: list[int] = []

    async def body(ctx: Any) -> int:
        calls.append(ctx["step"]["count"])
        return len(calls)

    for _ in range(2):  # two runs of the same body
        step = FakeStep(memo)
        assert [await step.do("s")(body)(), await step.do("s")(body)()] == [1, 2]
    assert calls == [1, 2]
    assert memo.issued == [("s", 1, "ran"), ("s", 2, "ran"), ("s", 1, "cached"), ("s", 2, "cached")]


async def test_tuples_cannot_cross_the_rpc_boundary() -> None:
    step = FakeStep()

    async def pair(ctx: Any) -> Any:
        return (1, 2)

    # As in the SDK, the conversion happens inside the step callback: the attempt fails.
    with pytest.raises(StepFailed, match="<class 'tuple'> cannot be sent over RPC"):
        await step.do("pair")(pair)()
