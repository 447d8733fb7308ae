"""``ctx.run`` in-process: the fnapp fixture's workflow calls its own functions on the test
engine; dedup scopes, argument and result validation, stubs, and the function contexts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypedDict

import pytest
from fnapp import notes
from fnapp._generated import workflows as generated
from fnapp._generated.api import api
from fnapp._generated.server import MutationCtx, QueryCtx, mutation, query
from fnapp.billing import ChargeArgs, Receipt, StartArgs
from fnapp.types import Money
from pydantic import BaseModel

from lunora_workflow import StepContext, WorkflowContext, define_workflow
from lunora_workflow.calls import FunctionArgsError, FunctionResultError
from lunora_workflow.functions import (
    FunctionBuilder,
    FunctionDefinition,
    FunctionDefinitionError,
    FunctionReference,
)
from lunora_workflow.functions import (
    QueryCtx as BaseQueryCtx,
)
from lunora_workflow.log import Logger
from lunora_workflow.testing import WorkflowTestEnv


@pytest.fixture(autouse=True)
def clean_calls() -> Iterator[list[tuple[str, str | None, str | None, object]]]:
    notes.CALLS.clear()
    yield notes.CALLS
    notes.CALLS.clear()


@pytest.fixture
def env() -> WorkflowTestEnv:
    engine = WorkflowTestEnv()
    engine.register_generated(generated)
    return engine


def calls() -> list[tuple[str, str | None, str | None]]:
    return [(path, dedup, shard) for path, dedup, shard, _args in notes.CALLS]


# -- the generated references -------------------------------------------------------------------


def test_references_carry_path_kind_and_module() -> None:
    ref = api.notes.add
    assert (ref.path, ref.kind, ref.module, ref.name) == (
        "notes:add",
        "mutation",
        "fnapp.notes",
        "add",
    )
    assert api.billing.charge.kind == "action"
    assert api.notes.count_words.kind == "query"
    assert repr(ref) == "<mutation notes:add>"
    # the reference does not import its module; resolving it does, and finds the definition
    assert ref.resolve_local() is notes.add
    assert isinstance(notes.add, FunctionDefinition)
    assert notes.add == api.notes.add  # a definition is a reference to itself


def test_a_definition_knows_its_types() -> None:
    assert notes.add.args_type is notes.AddArgs
    assert notes.add.returns_type is notes.AddResult
    assert api.billing.charge.resolve_local() is not None


# -- a workflow calling its functions -------------------------------------------------------------


async def test_workflow_calls_functions_in_process_with_pinned_ids(env: WorkflowTestEnv) -> None:
    instance = await env.create("order", {"order_id": "o1"}, id="o1")
    await instance.wait_for_status("complete")

    assert instance.output == {
        "words": 3,
        "first": {"note_id": "note-2", "title": "start o1"},
        "receipt": "rcpt-o1",
        "last": {"note_id": "note-6", "title": "end o1"},
    }
    assert calls() == [
        ("notes:count_words", "order/o1#body.1", None),
        ("notes:add", "order/o1#do0.1", None),
        ("notes:count_words", "order/o1#body.1", None),  # the replay after "settle"
        ("billing:charge", "order/o1#step0.1", None),
        ("notes:add", "order/o1#step0.2", None),
        ("notes:add", "order/o1#do1.1", "o1"),
    ]
    # the handler received its args parsed into the declared types
    charge_args = notes.CALLS[3][3]
    assert charge_args == ChargeArgs(order_id="o1", amount=Money(currency="EUR", cents=500))


async def test_a_failed_workflow_rolls_back_with_the_rollback_scope(env: WorkflowTestEnv) -> None:
    instance = await env.create("order", {"order_id": "o2", "fail_after_pay": True}, id="o2")
    await instance.wait_for_status("errored")

    assert calls()[-1] == ("notes:add", "order/o2#step0rollback.1", None)
    assert notes.CALLS[-1][3] == {"title": "refund o2", "priority": "high"}


async def test_a_stub_replaces_the_function(env: WorkflowTestEnv) -> None:
    seen: list[Any] = []

    async def fake_charge(args: Any) -> dict[str, str]:
        seen.append(args)
        return {"order_id": args["order_id"], "receipt_id": "stubbed"}

    env.stub_function("billing:charge", fake_charge)
    instance = await env.create("order", {"order_id": "o3"}, id="o3")
    await instance.wait_for_status("complete")

    assert instance.output is not None
    assert instance.output["receipt"] == "stubbed"
    assert seen == [{"order_id": "o3", "amount": {"currency": "EUR", "cents": 500}}]
    assert "billing:charge" not in [path for path, _, _ in calls()]


# -- validation -------------------------------------------------------------------------------


# The ill-typed calls below are deliberate: they exercise the runtime's checks, which catch
# what a project that skips mypy would send.
@define_workflow
async def misuse(ctx: WorkflowContext[dict[str, Any]]) -> Any:
    what = ctx.params["what"]
    if what == "args":
        return await ctx.run(api.notes.add, {"title": "x", "priority": "urgent"})  # type: ignore[typeddict-item]
    if what == "missing":
        return await ctx.run(api.notes.add, {"title": "x"})  # type: ignore[typeddict-item]
    if what == "not-json":
        return await ctx.run(api.notes.count_words, {"text": object()})  # type: ignore[typeddict-item]
    if what == "result":
        return await ctx.run(api.notes.bad_result, notes.CountArgs(text="x"))
    if what == "raises":
        return await ctx.step.do(
            "boom",
            lambda: ctx.run(api.notes.add, notes.AddArgs(title="explode", priority="low")),
            retries={"limit": 1, "delay": 1_000},
        )
    raise AssertionError(what)


@pytest.mark.parametrize(
    ("what", "name", "message"),
    [
        (
            "args",
            "FunctionArgsError",
            "function notes:add args.priority: expected one of 'low', 'high', got 'urgent' "
            "(expected AddArgs)",
        ),
        (
            "missing",
            "FunctionArgsError",
            "function notes:add args.priority: required key is missing (expected AddArgs)",
        ),
        (
            "not-json",
            "FunctionArgsError",
            "function notes:count_words args: $.text: object cannot be sent to a function",
        ),
        (
            "result",
            "FunctionResultError",
            "function notes:bad_result result: expected int, got str (expected int)",
        ),
    ],
)
async def test_validation_errors_name_the_function_and_the_field(
    env: WorkflowTestEnv, what: str, name: str, message: str
) -> None:
    env.register_definition(misuse, export="misuse")
    instance = await env.create("misuse", {"what": what}, id=f"m-{what}")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert (instance.error.name, instance.error.message) == (name, message)
    if what != "result":
        assert calls() == []  # nothing was called


async def test_a_function_error_is_an_ordinary_retryable_step_failure(
    env: WorkflowTestEnv,
) -> None:
    env.register_definition(misuse, export="misuse")
    instance = await env.create("misuse", {"what": "raises"}, id="m-raises")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert (instance.error.name, instance.error.message) == (
        "RuntimeError",
        "the notes store is down",
    )
    # two attempts, the same dedup id both times
    assert calls() == [("notes:add", "misuse/m-raises#do0.1", None)] * 2


def test_args_errors_are_exported_types() -> None:
    assert issubclass(FunctionArgsError, ValueError)
    assert issubclass(FunctionResultError, ValueError)


# -- function contexts ---------------------------------------------------------------------------


async def test_a_mutation_starts_a_workflow_through_the_typed_handle(
    env: WorkflowTestEnv,
) -> None:
    from fnapp.billing import start_order

    instance_id = await start_order.invoke(env.env, StartArgs(order_id="o9"))

    assert instance_id == "order-o9"
    await env.instance("order-o9").wait_for_status("complete")


async def test_contexts_by_kind() -> None:
    from fnapp.billing import start_order

    query_ctx = notes.count_words.context({"A": 1}, dedup_id="d", shard_key="s")
    assert isinstance(query_ctx, QueryCtx)
    assert (query_ctx.env, query_ctx.dedup_id, query_ctx.shard_key) == ({"A": 1}, "d", "s")
    assert not hasattr(query_ctx, "workflows")  # queries start no workflows
    engine = WorkflowTestEnv()
    engine.register_generated(generated)
    mutation_ctx = start_order.context(engine.env)
    assert isinstance(mutation_ctx, MutationCtx)
    assert isinstance(mutation_ctx.workflows, generated.Workflows)
    assert mutation_ctx.workflows.get("order").spec.export == "order"
    assert query_ctx.log.prefix == "[query:notes:count_words]"


async def test_a_handler_can_be_called_directly_in_a_unit_test() -> None:
    ctx = notes.count_words.context(None)
    assert await notes.count_words.handler(ctx, notes.CountArgs(text="a b")) == 2


# -- declaring functions ---------------------------------------------------------------------


class EchoArgs(TypedDict):
    text: str


@dataclass
class Shout:
    text: str


@query
async def echo(ctx: QueryCtx, args: EchoArgs) -> Shout:
    return Shout(args["text"].upper())


async def test_a_function_outside_the_package_gets_its_full_module_path() -> None:
    assert echo.path == __name__.replace(".", "/") + ":echo"
    assert echo.module == __name__

    @define_workflow
    async def shout(ctx: WorkflowContext[Any]) -> Any:
        result = await ctx.run(echo, EchoArgs(text="hi"))
        assert result == Shout("HI")  # parsed back into the declared result type
        return result

    engine = WorkflowTestEnv()
    engine.register_definition(shout, export="shout")
    instance = await engine.create("shout", {}, id="s-1")
    await instance.wait_for_status("complete")
    assert instance.output == {"text": "HI"}


def test_builders_refuse_what_cannot_work() -> None:
    def sync(ctx: Any, args: Any) -> None: ...

    async def one(ctx: Any) -> None: ...

    with pytest.raises(FunctionDefinitionError, match=r"must be an `async def`"):
        mutation(sync)  # type: ignore[arg-type]
    with pytest.raises(FunctionDefinitionError, match=r"two parameters \(ctx, args\), it takes 1"):
        mutation(one)  # type: ignore[arg-type]
    with pytest.raises(FunctionDefinitionError, match="unknown function kind"):
        FunctionBuilder("job", package=None, context=BaseQueryCtx)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["send", "messages:", ":send", "a b:c", "messages:send:x"])
def test_reference_paths_are_checked(path: str) -> None:
    with pytest.raises(FunctionDefinitionError, match="is not of the form"):
        FunctionReference(path)


def test_a_subscripted_remote_reference_carries_its_types() -> None:
    ref = FunctionReference[ChargeArgs, Receipt]("payments:charge", kind="action")
    assert ref.declared_types() == (ChargeArgs, Receipt)
    assert ref.module is None
    assert ref.resolve_local() is None
    assert FunctionReference("a:b").declared_types() == (Any, Any)


def test_a_missing_module_is_not_local_but_a_broken_one_raises() -> None:
    assert FunctionReference("nothing_here:f", package="fnapp").resolve_local() is None
    assert FunctionReference("notes:no_such_function", package="fnapp").resolve_local() is None


async def test_run_on_a_hand_built_step_context_says_why_it_cannot_work() -> None:
    ctx = StepContext(attempt=1, name="x", count=1, config={}, env=None, log=Logger("[t]"))
    with pytest.raises(RuntimeError, match="only available on contexts the runtime builds"):
        _ = ctx.run(api.notes.count_words, notes.CountArgs(text="x"))


class Signup(BaseModel):
    email: str
    newsletter: bool = False


class Account(BaseModel):
    account_id: str
    newsletter: bool


async def _sign_up(ctx: QueryCtx, args: Signup) -> Account:
    return Account(account_id=f"acct-{args.email}", newsletter=args.newsletter)


_sign_up.__module__ = "fnapp.not_a_module"  # no such module: only the definition knows it
sign_up = query(_sign_up)


async def test_pydantic_models_as_args_and_result() -> None:
    seen: list[str] = []

    @define_workflow
    async def signup_flow(ctx: WorkflowContext[Any]) -> Any:
        good = await ctx.run(sign_up, Signup(email="a@b.c", newsletter=True))
        seen.append(type(good).__name__)
        try:
            await ctx.run(sign_up, {"newsletter": "perhaps"})  # type: ignore[arg-type]
        except FunctionArgsError as error:
            seen.append(str(error))
        return good

    engine = WorkflowTestEnv()
    engine.register_definition(signup_flow, export="signup_flow")
    instance = await engine.create("signup_flow", {}, id="p-1")
    await instance.wait_for_status("complete")
    assert instance.output == {"account_id": "acct-a@b.c", "newsletter": True}
    assert seen[0] == "Account"
    assert seen[1].startswith("function not_a_module:_sign_up args.email: Field required")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shard_key": 7}, "ctx.run(notes:count_words): shard_key must be a str, got 7"),
        ({"dedup_id": 7}, "ctx.run(notes:count_words): dedup_id must be a non-empty str, got 7"),
        ({"dedup_id": ""}, "ctx.run(notes:count_words): dedup_id must be a non-empty str, got ''"),
    ],
)
async def test_bad_shard_keys_and_dedup_ids_are_refused_before_the_call(
    env: WorkflowTestEnv, options: dict[str, Any], message: str
) -> None:
    @define_workflow
    async def options_flow(ctx: WorkflowContext[Any]) -> Any:
        return await ctx.run(api.notes.count_words, notes.CountArgs(text="a b"), **options)

    env.register_definition(options_flow, export="options_flow")
    instance = await env.create("options_flow", {}, id="opt-1")
    await instance.wait_for_status("errored")
    assert instance.error is not None
    assert (instance.error.name, instance.error.message) == ("TypeError", message)
    assert calls() == []
