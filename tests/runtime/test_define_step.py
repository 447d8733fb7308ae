"""define_step and ctx.run_step: validation before/after, config override, rollback wiring."""

from __future__ import annotations

from typing import Any

import pytest

from lunora_workflow import (
    RollbackContext,
    StepConfig,
    StepContext,
    StepDefinition,
    WorkflowContext,
    define_step,
    define_workflow,
)
from lunora_workflow.errors import (
    InvalidConfigError,
    InvalidStepNameError,
    ReservedStepNameError,
    StepArgsError,
    WorkflowDefinitionError,
)

from . import flows
from .conftest import Runner
from .sdk_step import FakeStep, Memo


@define_step(name="typed", retries={"limit": 1, "delay": "5 seconds"}, timeout="1 minute")
async def typed(ctx: StepContext, args: flows.Item) -> flows.Hold:
    ctx.log.info("typed", attempt=ctx.attempt)
    return {"hold": args.name, "amount": args.amount}


@define_step
def liar(ctx: StepContext, args: int) -> flows.Hold:
    return {"hold": "x"}  # type: ignore[typeddict-item]


@define_step
def untyped(ctx, args):  # type: ignore[no-untyped-def]
    return {"ctx": [ctx.name, ctx.count, ctx.attempt, dict(ctx.config)], "args": args}


def test_decorator_forms() -> None:
    assert isinstance(typed, StepDefinition)
    assert typed.name == "typed"
    assert typed.config == {"retries": {"limit": 1, "delay": "5 seconds"}, "timeout": "1 minute"}
    assert liar.name == "liar"
    assert liar.config is None
    assert typed.args_type is flows.Item
    assert typed.returns_type is flows.Hold

    def body(ctx: StepContext, args: str) -> str:
        return args

    called = define_step(handler=body, name="call-form", config=StepConfig(timeout=5000))
    assert called.name == "call-form"
    assert called.config == {"timeout": 5000}
    assert called.args_type is str


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"handler": 3}, "define_step: handler must be a function (the step body), got 3"),
        ({"handler": lambda ctx: 1}, "must take (ctx, args), it takes 1 positional parameter(s)"),
        (
            {"handler": lambda c, a: 1, "name": ""},
            "define_step: `name` must be a non-empty string (the durable step label)",
        ),
        (
            {"handler": lambda c, a: 1, "name": "lunora:x"},
            'define_step: step name "lunora:x" is reserved',
        ),
        (
            {"handler": lambda c, a: 1, "name": "x", "rollback": 5},
            'step "x": `rollback` must be a function when provided',
        ),
        (
            {
                "handler": lambda c, a: 1,
                "name": "x",
                "retries": {"limit": 1},
                "config": {"timeout": 1},
            },
            'step "x": pass either config= or retries=/timeout=, not both',
        ),
    ],
)
def test_define_step_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        define_step(**kwargs)
    assert message in str(caught.value)


def test_bad_step_config_names_the_step() -> None:
    with pytest.raises(InvalidConfigError, match=r'^step "c": timeout \'eventually\' is not'):
        define_step(handler=lambda c, a: 1, name="c", timeout="eventually")


def test_rollback_registration() -> None:
    step: StepDefinition[Any, Any] = define_step(handler=lambda c, a: 1, name="r")

    @step.rollback(timeout="10 seconds")
    def undo(ctx: RollbackContext[Any, Any]) -> None: ...

    assert step.rollback_handler is undo
    assert step.rollback_config == {"timeout": "10 seconds"}
    with pytest.raises(WorkflowDefinitionError, match="a rollback is already registered"):
        step.rollback(lambda ctx: None)


async def test_run_step_validates_and_returns_typed_output(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(typed, {"name": "a", "amount": 2})

    memo = Memo()
    assert await run(flow, memo=memo) == {"hold": "a", "amount": 2}
    assert memo.issued == [("typed", 1, "ran")]


async def test_invalid_args_never_start_the_step(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(typed, {"name": "a", "amount": "two"})

    memo = Memo()
    with pytest.raises(StepArgsError) as caught:
        await run(flow, memo=memo)
    assert str(caught.value) == 'step "typed" args.amount: expected int, got str'
    assert memo.issued == []


async def test_dataclass_instance_args_are_checked_too(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(typed, flows.Item(name="a", amount="2"))  # type: ignore[arg-type]

    with pytest.raises(StepArgsError, match=r'^step "typed" args.amount: expected int, got str$'):
        await run(flow)


async def test_wrong_return_is_non_retryable_and_names_the_step(
    run: Runner, sdk_module: type[Exception]
) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(liar, 1, config={"retries": {"limit": 4}})

    memo = Memo()
    with pytest.raises(sdk_module) as caught:
        await run(flow, memo=memo)
    assert str(caught.value) == (
        'step "liar" returned a value that does not match Hold: output.amount: '
        "required key is missing"
    )
    assert memo.ran("liar") == 1


async def test_config_override_replaces_instead_of_merging(implicit: bool, run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        await ctx.run_step(typed, {"name": "a", "amount": 1}, config={"timeout": "2 minutes"})
        await ctx.run_step(typed, {"name": "b", "amount": 1})
        await ctx.run_step(typed, {"name": "c", "amount": 1}, config=None)
        return await ctx.run_step(untyped, 7, name="renamed")

    memo = Memo()
    out = await run(flow, memo=memo)
    assert out == {"ctx": ["renamed", 1, 1, {}], "args": 7}
    assert [i[0] for i in memo.issued] == ["typed", "typed", "typed", "renamed"]


async def test_config_override_reaches_the_sdk(implicit: bool) -> None:
    from .test_steps import _context

    step = FakeStep(implicit=implicit)
    ctx = _context(step)
    await ctx.run_step(typed, {"name": "a", "amount": 1}, config={"timeout": "2 minutes"})
    await ctx.run_step(typed, {"name": "b", "amount": 1})
    await ctx.run_step(typed, {"name": "c", "amount": 1}, config=None)
    assert step.configs == [
        ("typed", {"timeout": "2 minutes"}),
        ("typed", {"retries": {"limit": 1, "delay": "5 seconds"}, "timeout": "1 minute"}),
        ("typed", None),
    ]


def test_a_rollback_must_take_the_rollback_context() -> None:
    step: StepDefinition[Any, Any] = define_step(handler=lambda c, a: 1, name="hold")

    def two(ctx: Any, extra: Any) -> None: ...

    message = (
        'step "hold" rollback: the rollback '
        "'test_a_rollback_must_take_the_rollback_context.<locals>.two' must take one argument "
        "(ctx: RollbackContext[Args, Output]), it takes 2 positional parameter(s)"
    )
    with pytest.raises(WorkflowDefinitionError) as caught:
        # A two-argument rollback is a type error too; the runtime check is what is under test.
        step.rollback(two)  # type: ignore[arg-type]
    assert str(caught.value) == message
    with pytest.raises(WorkflowDefinitionError, match="it takes 0 positional parameter"):
        # Zero arguments: also a type error on purpose (misc: mypy cannot infer the lambda;
        # the other codes are the async overload's, reported when no overload matches).
        define_step(handler=lambda c, a: 1, name="hold", rollback=lambda: None)  # type: ignore[arg-type,misc,return-value]
    assert step.rollback_handler is None

    def with_default(ctx: Any, extra: Any = None) -> None: ...

    assert step.rollback(with_default) is with_default  # callable with one argument: fine


def test_a_step_with_a_rollback_needs_room_for_the_rollback_step_name() -> None:
    # "lunora:rollback:" takes 16 of Cloudflare's 256 characters: a longer label would only
    # fail during compensation, where a refused rollback is logged and skipped.
    fits: StepDefinition[Any, Any] = define_step(
        handler=lambda c, a: 1, name="x" * 240, rollback=lambda c: None
    )
    assert fits.name == "x" * 240
    too_long = "x" * 241
    expected = (
        f'define_step: the rollback step name of "{too_long}" \'lunora:rollback:xxxxxxxxxxxxxxxx'
        "xxxxxxxx'... is 257 characters long; Cloudflare allows at most 256"
    )
    with pytest.raises(WorkflowDefinitionError) as caught:
        define_step(handler=lambda c, a: 1, name=too_long, rollback=lambda c: None)
    assert str(caught.value) == expected

    # no rollback: fine
    plain: StepDefinition[Any, Any] = define_step(handler=lambda c, a: 1, name=too_long)
    with pytest.raises(WorkflowDefinitionError) as caught:
        plain.rollback(lambda c: None)
    assert str(caught.value) == expected
    assert plain.rollback_handler is None


async def test_run_step_checks_the_rollback_name_of_an_override(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(flows.reserve, flows.Item(name="a", amount=1), name="y" * 241)

    memo = Memo()
    with pytest.raises(InvalidStepNameError, match=r"^ctx\.run_step: the rollback step name of"):
        await run(flow, memo=memo)
    assert memo.issued == []


async def test_run_step_rejects_reserved_override_and_non_steps(run: Runner) -> None:
    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(typed, {"name": "a", "amount": 1}, name="lunora:x")

    with pytest.raises(
        ReservedStepNameError, match=r'^ctx\.run_step: step name "lunora:x" is reserved'
    ):
        await run(flow)

    @define_workflow
    async def flow2(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(lambda c, a: 1, 1)  # type: ignore[call-overload]

    with pytest.raises(TypeError, match=r"ctx\.run_step expects a define_step step"):
        await run(flow2)


async def test_step_context_members(run: Runner) -> None:
    seen: list[Any] = []

    @define_step(name="ctx-check", retries={"limit": 2, "delay": 0})
    def check(ctx: StepContext, args: None) -> int:
        seen.append((ctx.attempt, ctx.name, ctx.count, dict(ctx.config), ctx.env))
        if ctx.attempt == 1:
            raise RuntimeError("first attempt fails")
        return ctx.attempt

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run_step(check, None)

    assert await run(flow, env={"KEY": "v"}) == 2
    config = {"retries": {"limit": 2, "delay": 0}}
    assert seen == [
        (1, "ctx-check", 1, config, {"KEY": "v"}),
        (2, "ctx-check", 1, config, {"KEY": "v"}),
    ]
