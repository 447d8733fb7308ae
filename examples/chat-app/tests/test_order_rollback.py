"""The README's rollback example, kept honest by running it."""

from __future__ import annotations

import pytest
from lunora._generated import workflows as generated

from lunora_workflow.testing import WorkflowTestEnv

pytestmark = pytest.mark.asyncio


@pytest.fixture
def env(workflow_env: WorkflowTestEnv) -> WorkflowTestEnv:
    workflow_env.register_generated(generated)
    return workflow_env


async def test_a_charge_that_keeps_failing_rolls_back(env: WorkflowTestEnv) -> None:
    env.modify().mock_step_error("charge_card", RuntimeError("card service down"))
    instance = await env.create(
        "order_pipeline", {"order_id": "o1", "sku": "mug", "quantity": 1, "amount_cents": 900}
    )
    await instance.wait_for_status("errored")
    assert [s.name for s in instance.steps if s.name.startswith("lunora:rollback:")] == [
        "lunora:rollback:reserve-stock"
    ]
    assert instance.error is not None
    assert "card service down" in instance.error.message
