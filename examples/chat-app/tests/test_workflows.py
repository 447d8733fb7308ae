"""The chat-app's workflows, tested with lunora-workflow's public testing API only.

``workflow_env`` comes from the ``lunora_workflow`` pytest plugin (installed with the package):
a fresh in-memory Workflows engine with a virtual clock, so the one-minute and seven-day waits
below cost nothing.
"""

from __future__ import annotations

import datetime
import itertools

import pytest
from lunora._generated import workflows as generated
from lunora.workflows import ApprovalParams, WelcomeOutput, WelcomeParams

from lunora_workflow.testing import WorkflowTestEnv

pytestmark = pytest.mark.asyncio


@pytest.fixture
def env(workflow_env: WorkflowTestEnv) -> WorkflowTestEnv:
    workflow_env.register_generated(generated)
    return workflow_env


async def test_channel_welcome_greets_waits_a_minute_then_posts_a_tip(env: WorkflowTestEnv) -> None:
    handle = generated.workflows(env.env).get("channel_welcome")
    await handle.create(params=WelcomeParams(channel_id="c1", user_name="Ada"), id="welcome-c1")
    instance = env.instance("welcome-c1")

    await instance.wait_for_status("complete")

    status = await handle.get("welcome-c1").status()
    assert status.output == WelcomeOutput(channel_id="c1", posted=2)
    assert [(s.kind, s.name) for s in instance.steps] == [
        ("do", "greet"),
        ("sleep", "settle"),
        ("do", "tips"),
    ]
    # the greeting went through the `messages.send` mutation, with a replay-stable dedup id
    assert instance.step("greet").output == {
        "message_id": "channel_welcome/welcome-c1#do0.1",
        "channel_id": "c1",
        "text": "Welcome, Ada!",
    }
    assert instance.step("settle").duration_ms == 60_000
    assert instance.replays == 1  # the sleep hibernated the instance once


async def test_expense_is_paid_once_approved(env: WorkflowTestEnv) -> None:
    handle = generated.workflows(env.env).get("expense_approval")
    await handle.create(params=ApprovalParams(request_id="r1", amount_cents=4200), id="r1")
    instance = env.instance("r1")

    await instance.wait_for_status("waiting")
    assert instance.step("await-approval").event_type == "approval"
    await env.advance("3 days")  # the manager takes their time
    await handle.get("r1").send_event("approval", {"approved": True})
    await instance.wait_for_status("complete")

    assert instance.output == {"request_id": "r1", "approved": True}
    assert instance.step("pay-out").output == {"paid": 4200}


async def test_a_rejected_expense_fails_without_retrying(env: WorkflowTestEnv) -> None:
    instance = await env.create("expense_approval", {"request_id": "r2", "amount_cents": 10})
    await instance.send_event("approval", {"approved": False})  # sent before the wait: buffered

    await instance.wait_for_status("errored")

    assert instance.error is not None
    assert instance.error.name == "NonRetryableError"
    assert "r2 was rejected" in instance.error.message
    assert [s.name for s in instance.steps] == ["notify-approver", "await-approval"]


async def test_an_unanswered_expense_times_out_after_seven_days(env: WorkflowTestEnv) -> None:
    instance = await env.create("expense_approval", {"request_id": "r3", "amount_cents": 10})

    await instance.wait_for_status("errored")

    assert instance.error is not None
    assert instance.error.name == "WorkflowTimeoutError"
    assert env.now == datetime.datetime(2026, 1, 8, tzinfo=datetime.UTC)


async def test_order_charge_retries_with_exponential_backoff(env: WorkflowTestEnv) -> None:
    env.modify("o1").mock_step_error("charge_card", ConnectionError("gateway down"), times=2)
    instance = await env.create(
        "order_pipeline",
        {"order_id": "o1", "sku": "mug", "quantity": 2, "amount_cents": 1500},
        id="o1",
    )

    await instance.wait_for_status("complete")

    assert instance.output == {"receipt_id": "rcpt-o1", "reservation": "res-o1"}
    attempts = instance.step("charge_card").attempts
    assert [a.success for a in attempts] == [False, False, True]
    # charge_card: 3 retries, 10 seconds, exponential -> waits of 10 s then 20 s.
    assert [b.start_ms - a.start_ms for a, b in itertools.pairwise(attempts)] == [
        10_000,
        20_000,
    ]


async def test_a_failed_charge_releases_the_reserved_stock(env: WorkflowTestEnv) -> None:
    env.modify("o2").mock_step_error("charge_card", ConnectionError("gateway down"))
    instance = await env.create(
        "order_pipeline",
        {"order_id": "o2", "sku": "mug", "quantity": 1, "amount_cents": 900},
        id="o2",
    )

    await instance.wait_for_status("errored")

    assert len(instance.step("charge_card").attempts) == 4  # 1 + 3 retries
    assert instance.step("lunora:rollback:reserve-stock").status == "complete"
    assert "send-receipt" not in [s.name for s in instance.steps]


async def test_mocking_the_charge_result(env: WorkflowTestEnv) -> None:
    env.modify("o3").mock_step_result(
        "charge_card", {"receipt_id": "rcpt-mocked", "amount_cents": 1}
    )
    instance = await env.create(
        "order_pipeline",
        {"order_id": "o3", "sku": "mug", "quantity": 1, "amount_cents": 1},
        id="o3",
    )

    await instance.wait_for_status("complete")

    assert instance.output["receipt_id"] == "rcpt-mocked"
