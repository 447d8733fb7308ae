"""define_workflow, run_workflow (params, output, event, context members) and the entrypoint."""

from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass
from typing import Any, TypedDict

import pytest

from lunora_workflow import WorkflowContext, WorkflowDefinition, WorkflowEvent, define_workflow
from lunora_workflow.entrypoint import WorkflowEntrypoint, run_workflow
from lunora_workflow.errors import WorkflowDefinitionError, WorkflowOutputError, WorkflowParamsError
from lunora_workflow.handles import WorkflowSpec

from .conftest import Captured, Runner
from .sdk_step import FakeStep


@dataclass
class Params:
    user: str
    count: int = 1


class TD(TypedDict):
    user: str


@define_workflow
async def plain(ctx: WorkflowContext[Params]) -> dict[str, Any]:
    return {"user": ctx.params.user, "count": ctx.params.count}


@define_workflow(name="renamed-flow")
async def with_td(ctx: WorkflowContext[TD]) -> str:
    return ctx.params["user"]


async def _raw(ctx):  # type: ignore[no-untyped-def]
    return ctx.params


raw = define_workflow(handler=_raw, name="raw")


def test_forms_and_types() -> None:
    assert isinstance(plain, WorkflowDefinition)
    assert plain.name is None
    assert plain.params_type is Params
    assert plain.output_type == dict[str, Any]
    assert with_td.name == "renamed-flow"
    assert with_td.params_type is TD
    assert with_td.deployed_name("with_td") == "renamed-flow"
    assert plain.deployed_name("plain") == "plain"
    assert raw.params_type is Any
    assert raw.name == "raw"
    assert plain.__doc__ is None
    assert "plain" in repr(plain)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: define_workflow(handler=lambda ctx: 1),  # type: ignore[arg-type,return-value]
            "define_workflow: `handler` must be an async function (the workflow body)",
        ),
        (
            lambda: define_workflow(name="")(_raw),
            "define_workflow: `name` must be a non-empty string when provided",
        ),
        (
            lambda: define_workflow(name="bad name")(_raw),
            "define_workflow: workflow name 'bad name' must match",
        ),
        (
            lambda: define_workflow(_two_args),  # type: ignore[arg-type]
            "must take exactly one argument (ctx: WorkflowContext[Params]), it takes 2",
        ),
    ],
)
def test_definition_errors(call: Any, message: str) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        call()
    assert message in str(caught.value)


async def _two_args(ctx, extra):  # type: ignore[no-untyped-def]
    return None


def test_unresolvable_annotation_is_reported() -> None:
    async def handler(ctx: WorkflowContext[Missing]) -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    definition = define_workflow(handler)
    with pytest.raises(WorkflowDefinitionError, match="cannot resolve the annotations of"):
        _ = definition.params_type


async def test_params_are_parsed(run: Runner) -> None:
    assert await run(plain, {"user": "ann"}) == {"user": "ann", "count": 1}
    assert await run(with_td, {"user": "bob"}) == "bob"
    assert await run(raw, {"anything": [1]}) == {"anything": [1]}


async def test_bad_params_fail_non_retryably_naming_the_export(
    run: Runner, sdk_module: type[Exception]
) -> None:
    with pytest.raises(sdk_module) as caught:
        await run(plain, {"user": 5}, export="plain")
    assert str(caught.value) == (
        'workflow "plain": the instance params do not fit Params: '
        "params.user: expected str, got int"
    )
    assert isinstance(caught.value.__cause__, Exception)


async def test_bad_params_without_sdk_raise_the_portable_error(run: Runner) -> None:
    with pytest.raises(
        WorkflowParamsError, match=r"params: expected an object for Params, got None"
    ):
        await run(plain, None, export="plain")


@dataclass
class Out:
    when: Any


@define_workflow
async def echo_out(ctx: WorkflowContext[Any]) -> Out:
    return Out(when=ctx.params)


async def test_output_is_converted_and_checked(run: Runner) -> None:
    assert await run(echo_out, 5) == {"when": 5}
    # The double hands the payload over as it is, so a datetime reaches the output.
    with pytest.raises(WorkflowOutputError) as caught:
        await run(echo_out, datetime.datetime(2026, 1, 1), export="dated")
    assert str(caught.value) == (
        'workflow "dated" returned a value that is not JSON-serialisable at $.when: datetime'
    )


async def test_context_members(run: Runner, logs: Captured) -> None:
    seen: dict[str, Any] = {}

    @define_workflow
    async def flow(ctx: WorkflowContext[Any]) -> None:
        seen["event"] = ctx.event
        seen["env"] = ctx.env
        seen["export"] = ctx.export
        ctx.log.info("hello", n=1)
        seen["workflows"] = ctx.workflows.get("other").spec.binding

    other = WorkflowSpec.for_export("other")
    await run(flow, {"p": 1}, env={"WORKFLOW_OTHER": _Binding()}, specs={"other": other})
    assert seen["event"] == WorkflowEvent(
        instance_id="inst-1",
        payload={"p": 1},
        timestamp=datetime.datetime(2023, 11, 14, 22, 13, 20),
        workflow_name="test-flow",
    )
    assert seen["env"] == {"WORKFLOW_OTHER": seen["env"]["WORKFLOW_OTHER"]}
    assert seen["export"] == "test_flow"
    assert seen["workflows"] == "WORKFLOW_OTHER"
    assert logs.lines == [("info", '[workflow:test_flow] hello {"n": 1}')]


class _Binding:
    async def create(self, **kwargs: Any) -> Any: ...
    async def get(self, instance_id: str) -> Any: ...


def test_stand_in_entrypoint() -> None:
    entry = WorkflowEntrypoint("ctx", "env")
    assert (entry.ctx, entry.env) == ("ctx", "env")
    assert WorkflowEntrypoint.__name__ == "WorkflowEntrypoint"


SPECS = {"plain": WorkflowSpec.for_export("plain", plain)}


class PlainWorkflow(WorkflowEntrypoint):
    async def run(self, event: Any, step: Any) -> Any:
        return await run_workflow(self, plain, event, step, export="plain")


async def test_generated_class_shape_finds_specs_of_its_module(implicit: bool) -> None:
    @define_workflow
    async def probe(ctx: WorkflowContext[Any]) -> Any:
        return sorted(ctx.workflows.specs)

    class Probe(WorkflowEntrypoint):
        async def run(self, event: Any, step: Any) -> Any:
            return await run_workflow(self, probe, event, step, export="probe")

    out = await Probe(None, {}).run({"payload": None}, FakeStep(implicit=implicit))
    assert out == ["plain"]
    assert sys.modules[Probe.__module__].SPECS is SPECS
    assert await PlainWorkflow(None, {}).run(
        {"payload": {"user": "z"}, "instanceId": "i"}, FakeStep(implicit=implicit)
    ) == {"user": "z", "count": 1}


async def test_pydantic_params(run: Runner) -> None:
    pytest.importorskip("pydantic")
    from .pydantic_flows import pydantic_flow

    assert await run(pydantic_flow, {"channel_id": "c", "size": "3"}) == {
        "model": "Model",
        "size": 3,
    }
    with pytest.raises(WorkflowParamsError) as caught:
        await run(pydantic_flow, {"size": 2}, export="pyd")
    assert str(caught.value) == (
        'workflow "pyd": the instance params do not fit Model: params.channel_id: Field required'
    )
