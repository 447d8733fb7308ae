"""Instance handles: resolve_handle errors, create/create_batch/get, instance methods."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from lunora_workflow import WorkflowContext, define_workflow
from lunora_workflow.errors import (
    InstanceStateError,
    InvalidConfigError,
    InvalidEventTypeError,
    InvalidInstanceIdError,
    InvalidParamsError,
    MissingBindingError,
    RollbackNotSupportedError,
    UnknownWorkflowError,
)
from lunora_workflow.handles import (
    CreateOptions,
    InstanceError,
    InstanceStatus,
    Retention,
    WorkflowHandle,
    Workflows,
    WorkflowSpec,
    resolve_handle,
)

from .fake_binding import FakeBinding


@dataclass
class Params:
    channel_id: str
    user_name: str


@dataclass
class Output:
    channel_id: str
    posted: int


@define_workflow
async def channel_welcome(ctx: WorkflowContext[Params]) -> Output:
    return Output(ctx.params.channel_id, 2)


@define_workflow(name="orders")
async def order_pipeline(ctx: WorkflowContext[Any]) -> Any:
    return None


SPECS = {
    "channel_welcome": WorkflowSpec.for_export("channel_welcome", channel_welcome),
    "order_pipeline": WorkflowSpec.for_export("order_pipeline", order_pipeline),
}


def _handle(
    binding: FakeBinding | None = None,
) -> tuple[WorkflowHandle[Params, Output], FakeBinding]:
    binding = binding or FakeBinding()
    return resolve_handle({"WORKFLOW_CHANNEL_WELCOME": binding}, "channel_welcome", SPECS), binding


def test_spec_for_export_uses_naming() -> None:
    assert SPECS["order_pipeline"] == WorkflowSpec(
        export="order_pipeline",
        binding="WORKFLOW_ORDER_PIPELINE",
        class_name="OrderPipelineWorkflow",
        name="orders",
        definition=order_pipeline,
    )


def test_unknown_workflow() -> None:
    with pytest.raises(UnknownWorkflowError) as caught:
        resolve_handle({}, "x", SPECS)
    assert (
        str(caught.value)
        == 'no workflow named "x" (known workflows: channel_welcome, order_pipeline)'
    )
    with pytest.raises(
        UnknownWorkflowError, match=r'^no workflow named "x" \(no workflows are declared\)$'
    ):
        Workflows({}, {}).get("x")


def test_missing_binding_names_the_wrangler_entry() -> None:
    with pytest.raises(MissingBindingError) as caught:
        resolve_handle(object(), "order_pipeline", SPECS)
    assert str(caught.value) == (
        'no Workflow binding "WORKFLOW_ORDER_PIPELINE" on env — add {"binding": '
        '"WORKFLOW_ORDER_PIPELINE", "class_name": "OrderPipelineWorkflow", "name": "orders"} '
        "to workflows[] in wrangler.jsonc (lunora codegen does this)"
    )
    with pytest.raises(
        MissingBindingError,
        match=r"^env.WORKFLOW_ORDER_PIPELINE is not a Workflow binding \(a str\)",
    ):
        resolve_handle({"WORKFLOW_ORDER_PIPELINE": "oops"}, "order_pipeline", SPECS)


def test_attribute_env_and_lazy_specs() -> None:
    class Env:
        WORKFLOW_CHANNEL_WELCOME = FakeBinding()

    loads: list[int] = []

    def specs() -> dict[str, WorkflowSpec]:
        loads.append(1)
        return SPECS

    workflows = Workflows(Env(), specs)
    assert loads == []
    assert workflows.get("channel_welcome").spec.export == "channel_welcome"
    workflows.get("channel_welcome")
    assert loads == [1]


async def test_create_validates_and_sends_kwargs() -> None:
    handle, binding = _handle()
    instance = await handle.create(
        params={"channel_id": "c1", "user_name": "ann"},
        id="welcome-c1",
        retention=Retention(success="7 days", error=datetime.timedelta(days=1)),
    )
    assert instance.id == "welcome-c1"
    assert binding.calls == [
        (
            "create",
            None,
            (),
            {
                "id": "welcome-c1",
                "params": {"channel_id": "c1", "user_name": "ann"},
                "retention": {"successRetention": "7 days", "errorRetention": 86_400_000},
            },
        )
    ]
    second = await handle.create(params=Params("c2", "bob"))
    assert second.id == "auto-2"
    assert binding.calls[-1][3] == {"params": {"channel_id": "c2", "user_name": "bob"}}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"params": {"channel_id": "c"}},
            InvalidParamsError,
            'workflow "channel_welcome": params do not fit Params: '
            "params.user_name: required field is missing",
        ),
        (
            {"params": None},
            InvalidParamsError,
            'workflow "channel_welcome": params do not fit Params: '
            "params: expected an object for Params, got None",
        ),
        (
            {"params": {"channel_id": "c", "user_name": "u", "x": 1}},
            InvalidParamsError,
            "params.x: unexpected field for Params",
        ),
        (
            {"params": {"channel_id": datetime.date(2026, 1, 1), "user_name": "u"}},
            InvalidParamsError,
            'workflow "channel_welcome": params are not JSON-serialisable at $.channel_id: date',
        ),
        (
            {"params": {"channel_id": "c", "user_name": "u"}, "id": "a:b"},
            InvalidInstanceIdError,
            "instance id 'a:b' must match ^[a-zA-Z0-9_][a-zA-Z0-9-_]*$",
        ),
        (
            {"params": {"channel_id": "c", "user_name": "u"}, "id": "x" * 101},
            InvalidInstanceIdError,
            "characters long; Cloudflare allows at most 100",
        ),
        (
            {"params": {"channel_id": "c", "user_name": "u"}, "retention": {"succes": "1 day"}},
            InvalidParamsError,
            "retention has unknown key(s) succes",
        ),
        (
            {"params": {"channel_id": "c", "user_name": "u"}, "retention": {"success": "1 eon"}},
            InvalidConfigError,
            "retention successRetention '1 eon' is not a duration",
        ),
    ],
)
async def test_create_refuses_bad_input_before_sending(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    handle, binding = _handle()
    with pytest.raises(error) as caught:
        await handle.create(**kwargs)
    assert message in str(caught.value)
    assert binding.calls == []


async def test_create_batch() -> None:
    handle, binding = _handle()
    instances = await handle.create_batch(
        [
            CreateOptions(params=Params("a", "x"), id="one"),
            {"params": {"channel_id": "b", "user_name": "y"}},
        ]
    )
    assert [i.id for i in instances] == ["one", "auto-2"]
    assert binding.calls == [
        (
            "create_batch",
            None,
            (
                [
                    {"id": "one", "params": {"channel_id": "a", "user_name": "x"}},
                    {"params": {"channel_id": "b", "user_name": "y"}},
                ],
            ),
            {},
        )
    ]
    assert await handle.create_batch([]) == []
    with pytest.raises(
        InvalidParamsError,
        match=r"^create_batch entry 1: workflow \"channel_welcome\": params do not fit",
    ):
        await handle.create_batch([CreateOptions(params=Params("a", "x")), {"params": {}}])
    with pytest.raises(InvalidParamsError, match="create_batch entry 0: unknown key"):
        await handle.create_batch([{"param": {}}])
    with pytest.raises(
        InvalidParamsError, match="create_batch takes at most 100 instances, got 101"
    ):
        await handle.create_batch([CreateOptions(params=Params("a", "x"))] * 101)
    with pytest.raises(InvalidInstanceIdError) as caught:
        await handle.create_batch(
            [
                CreateOptions(params=Params("a", "x"), id="same"),
                CreateOptions(params=Params("b", "y"), id="other"),
                CreateOptions(params=Params("c", "z"), id="same"),
            ]
        )
    assert str(caught.value) == (
        'create_batch entries 0 and 2 both use the id "same"; instance ids must be unique'
    )
    # each entry fits the 1 MiB params limit, together they pass the RPC limit of one call
    big = Params("a", "x" * 400_000)
    with pytest.raises(InvalidParamsError) as caught_size:
        await handle.create_batch([CreateOptions(params=big)] * 3)
    assert str(caught_size.value).startswith("create_batch: the batch is 1200")
    assert str(caught_size.value).endswith(
        "bytes of JSON, over the 1048576-byte (1 MiB) RPC limit for one call; split it into "
        "smaller batches"
    )
    assert len(binding.calls) == 1
    await handle.create_batch([CreateOptions(params=big)] * 2)  # 800 KB: sent
    assert len(binding.calls) == 2


async def test_get_is_lazy_and_methods_call_the_instance() -> None:
    handle, binding = _handle()
    instance = handle.get("inst-1")
    assert binding.calls == []
    await instance.pause()
    await instance.resume()
    await instance.terminate()
    await instance.restart()
    await instance.restart(from_step="charge", count=2)
    await instance.send_event("approval", {"approved": True})
    assert binding.calls == [
        ("get", "inst-1", (), {}),
        ("instance.pause", "inst-1", (), {}),
        ("instance.resume", "inst-1", (), {}),
        ("instance.terminate", "inst-1", (), {}),
        ("instance.restart", "inst-1", (), {}),
        ("instance.restart", "inst-1", ({"from": {"name": "charge", "count": 2}},), {}),
        ("instance.send_event", "inst-1", (), {"type": "approval", "payload": {"approved": True}}),
    ]
    with pytest.raises(InvalidInstanceIdError):
        handle.get("")


async def test_restart_from_a_sleep_or_an_event_wait() -> None:
    handle, binding = _handle()
    instance = handle.get("inst-1")
    await instance.restart(from_step="settle", kind="sleep")
    await instance.restart(from_step="approval", count=2, kind="waitForEvent")
    assert binding.calls[1:] == [
        ("instance.restart", "inst-1", ({"from": {"name": "settle", "type": "sleep"}},), {}),
        (
            "instance.restart",
            "inst-1",
            ({"from": {"name": "approval", "count": 2, "type": "waitForEvent"}},),
            {},
        ),
    ]
    calls = len(binding.calls)
    with pytest.raises(ValueError, match=r"^restart: kind must be one of do, sleep, waitForEvent"):
        await instance.restart(from_step="x", kind="wait")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^restart: count= and kind= need from_step=$"):
        await instance.restart(kind="sleep")
    assert len(binding.calls) == calls


async def test_terminate_with_rollback_is_refused_and_sends_nothing() -> None:
    # Cloudflare runs only native rollbacks on terminate; lunora's would silently not run.
    handle, binding = _handle()
    with pytest.raises(RollbackNotSupportedError) as caught:
        await handle.get("inst-1").terminate(rollback=True)
    message = str(caught.value)
    assert message.startswith(
        'workflow "channel_welcome" instance "inst-1": terminate(rollback=True) cannot run '
        "lunora rollbacks"
    )
    assert "Nothing was sent" in message
    assert isinstance(caught.value, NotImplementedError)
    assert binding.calls == []
    await handle.get("inst-1").terminate(rollback=False)
    assert binding.calls == [("get", "inst-1", (), {}), ("instance.terminate", "inst-1", (), {})]


async def test_send_event_validation() -> None:
    handle, binding = _handle()
    instance = handle.get("i")
    with pytest.raises(InvalidEventTypeError, match=r"^send_event: event type 'a b' must match"):
        await instance.send_event("a b")
    with pytest.raises(
        InvalidParamsError,
        match=r'^send_event "t": payload is not JSON-serialisable at \$\[0\]: set',
    ):
        await instance.send_event("t", [set()])
    with pytest.raises(
        InvalidParamsError, match="over Cloudflare's 1048576-byte event payload limit"
    ):
        await instance.send_event("t", "x" * 1_048_577)
    assert binding.calls == []


async def test_status_is_typed() -> None:
    handle, binding = _handle()
    binding.statuses["done"] = {"status": "complete", "output": {"channel_id": "c", "posted": 2}}
    binding.statuses["bad"] = {
        "status": "errored",
        "error": {"name": "Error", "message": "boom"},
        "output": None,
    }
    binding.statuses["weird"] = {"status": "complete", "output": {"nope": 1}}
    binding.statuses["new"] = {"status": "somethingNew"}
    assert await handle.get("done").status() == InstanceStatus(
        status="complete",
        output=Output("c", 2),
        error=None,
        raw_output={"channel_id": "c", "posted": 2},
        raw=binding.statuses["done"],
    )
    bad = await handle.get("bad").status()
    assert bad.status == "errored"
    assert bad.error == InstanceError("Error", "boom")
    assert bad.output is None
    assert (await handle.get("new").status()).status == "unknown"
    assert (await handle.get("x").status()).status == "queued"
    with pytest.raises(
        InstanceStateError,
        match=r'instance "weird": the stored output does not fit Output: '
        r"output\.nope: unexpected field",
    ):
        await handle.get("weird").status()
