"""The example app's workflows and steps, run through its generated classes on the double."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lunora_workflow.log import Logger

from .conftest import Captured
from .sdk_step import FakeStep, Memo, StepFailed, Suspend

SRC = Path(__file__).resolve().parents[2] / "examples" / "chat-app" / "src"


@pytest.fixture
def app(logs: Captured, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """``lunora._generated.workflows`` of the chat-app, imported fresh and removed after."""
    saved = {name: mod for name, mod in sys.modules.items() if name.split(".")[0] == "lunora"}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(SRC))
    # Route every workflow logger of the app into the test's capture.
    original = Logger.for_workflow.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        Logger,
        "for_workflow",
        classmethod(lambda cls, export, sink=None: original(cls, export, logs)),
    )
    try:
        yield importlib.import_module("lunora._generated.workflows")
    finally:
        sys.path.remove(str(SRC))
        for name in [n for n in sys.modules if n.split(".")[0] == "lunora"]:
            del sys.modules[name]
        sys.modules.update(saved)


async def _run(app: ModuleType, cls_name: str, payload: Any, memo: Memo, implicit: bool) -> Any:
    cls = getattr(app, cls_name)
    event = {"payload": payload, "instanceId": "i-1", "workflowName": "x", "timestamp": 0}
    for _ in range(5):
        try:
            return await cls(None, {}).run(event, FakeStep(memo, implicit=implicit))
        except Suspend:
            continue
    raise AssertionError("never finished")


async def test_channel_welcome(app: ModuleType, implicit: bool, logs: Captured) -> None:
    memo = Memo()
    out = await _run(
        app, "ChannelWelcomeWorkflow", {"channel_id": "c1", "user_name": "ann"}, memo, implicit
    )
    assert out == {"channel_id": "c1", "posted": 2}
    # the greeting is posted by the example's messages.send mutation (in-process ctx.run)
    greeting = {
        "message_id": "channel_welcome/i-1#do0.1",
        "channel_id": "c1",
        "text": "Welcome, ann!",
    }
    assert memo.results[("greet", 1)] == ("ok", greeting)
    assert memo.sleeps == [("settle", "1 minute")]
    assert logs.lines == [
        ("info", '[workflow:channel_welcome] welcome sequence complete {"channel_id": "c1"}')
    ]


ORDER = {"order_id": "o1", "sku": "sku-1", "quantity": 2, "amount_cents": 500}


async def test_order_pipeline_success(app: ModuleType, implicit: bool) -> None:
    memo = Memo()
    out = await _run(app, "OrderPipelineWorkflow", ORDER, memo, implicit)
    assert out == {"receipt_id": "rcpt-o1", "reservation": "res-o1"}
    assert [i[0] for i in memo.issued] == ["reserve-stock", "charge_card", "send-receipt"]
    assert memo.results[("send-receipt", 1)] == ("ok", {"sent_to": "o1", "receipt_id": "rcpt-o1"})


async def test_order_pipeline_rolls_back_in_reverse(
    app: ModuleType, implicit: bool, logs: Captured
) -> None:
    memo = Memo(faults={"send-receipt": "mail server down"})
    with pytest.raises(StepFailed, match="mail server down"):
        await _run(app, "OrderPipelineWorkflow", ORDER, memo, implicit)
    assert [i[0] for i in memo.issued if i[0].startswith("lunora:")] == [
        "lunora:rollback:charge_card",
        "lunora:rollback:reserve-stock",
    ]
    assert memo.ran("send-receipt") == 4  # 1 + 3 retries from its config
    text = logs.text()
    assert '"rollback": "charge_card", "attempt": 1, "order_id": "o1", "receipt": "rcpt-o1"' in text
    assert "releasing stock" in text


async def test_order_pipeline_nothing_to_charge(
    app: ModuleType, implicit: bool, sdk_module: type[Exception]
) -> None:
    memo = Memo()
    with pytest.raises(sdk_module, match=r"^order o1 has nothing to charge$"):
        await _run(app, "OrderPipelineWorkflow", {**ORDER, "amount_cents": 0}, memo, implicit)
    assert memo.ran("charge_card") == 1
    assert [i[0] for i in memo.issued if i[0].startswith("lunora:")] == [
        "lunora:rollback:reserve-stock"
    ]


async def test_expense_approval(
    app: ModuleType, implicit: bool, sdk_module: type[Exception]
) -> None:
    memo = Memo(events={"approval": [{"approved": True}]})
    out = await _run(
        app, "ExpenseApprovalWorkflow", {"request_id": "r1", "amount_cents": 9}, memo, implicit
    )
    assert out == {"request_id": "r1", "approved": True}
    assert memo.waits == [("await-approval", "approval", "7 days")]

    rejected = Memo(events={"approval": [{"approved": False}]})
    with pytest.raises(sdk_module, match=r"^expense r1 was rejected$"):
        await _run(
            app,
            "ExpenseApprovalWorkflow",
            {"request_id": "r1", "amount_cents": 9},
            rejected,
            implicit,
        )


async def test_typed_handles_of_the_app(app: ModuleType) -> None:
    from .fake_binding import FakeBinding

    binding = FakeBinding()
    handle = app.workflows({"WORKFLOW_CHANNEL_WELCOME": binding}).get("channel_welcome")
    instance = await handle.create(params={"channel_id": "c1", "user_name": "friend"})
    assert instance.id == "auto-1"
    binding.statuses["auto-1"] = {"status": "complete", "output": {"channel_id": "c1", "posted": 2}}
    status = await handle.get("auto-1").status()
    assert status.output.posted == 2
