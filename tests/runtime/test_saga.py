"""Saga compensation: reverse order, durable rollbacks, failures, crash + replay."""

from __future__ import annotations

from typing import Any

import pytest

from lunora_workflow import NonRetryableError

from . import flows
from .conftest import Captured, Runner
from .sdk_step import Memo, StepFailed


def _params(items: list[str], fail_after: int, how: str) -> dict[str, Any]:
    return {"items": items, "fail_after": fail_after, "fail_how": how}


async def test_success_runs_no_rollback(run: Runner) -> None:
    journal = flows.reset()
    memo = Memo()
    out = await run(flows.order, _params(["a", "b"], -1, "none"), memo=memo)
    assert out == {"held": ["h-a", "h-b"]}
    assert journal.events == ["reserve a", "reserve b", "note reserved"]
    assert not any(name.startswith("lunora:") for name, _, _ in memo.issued)


async def test_failure_after_zero_completed_steps(run: Runner, logs: Captured) -> None:
    journal = flows.reset()
    memo = Memo()
    with pytest.raises(RuntimeError, match=r"^payment service down$"):
        await run(flows.order, _params(["a"], 0, "body"), memo=memo)
    assert journal.events == ["note reserved"]
    assert [i for i in memo.issued if i[0].startswith("lunora:")] == []
    assert "rolling back" not in logs.text()


async def test_failure_after_one_completed_step(run: Runner) -> None:
    journal = flows.reset()
    memo = Memo()
    with pytest.raises(RuntimeError, match="payment service down"):
        await run(flows.order, _params(["a", "b"], 1, "body"), memo=memo)
    assert journal.events == ["reserve a", "note reserved", "release a (h-a)"]
    assert journal.rollback_errors == ["RuntimeError: payment service down"]
    assert ("lunora:rollback:reserve", 1, "ran") in memo.issued


async def test_failure_after_three_completed_steps_rolls_back_in_reverse(
    run: Runner, logs: Captured
) -> None:
    journal = flows.reset()
    memo = Memo()
    with pytest.raises(RuntimeError, match="payment service down"):
        await run(flows.order, _params(["a", "b", "c"], -1, "body"), memo=memo)
    assert journal.events == [
        "reserve a",
        "reserve b",
        "reserve c",
        "note reserved",
        "release c (h-c)",
        "release b (h-b)",
        "release a (h-a)",
    ]
    rollbacks = [i for i in memo.issued if i[0].startswith("lunora:")]
    # Same name three times: the platform's per-name count tells them apart.
    assert rollbacks == [
        ("lunora:rollback:reserve", 1, "ran"),
        ("lunora:rollback:reserve", 2, "ran"),
        ("lunora:rollback:reserve", 3, "ran"),
    ]
    assert (
        "[workflow:test_flow] workflow failed; rolling back completed steps "
        '{"error": "RuntimeError: payment service down", '
        '"steps": ["reserve", "reserve", "reserve"]}'
    ) in logs.text()


async def test_a_failing_rollback_is_logged_and_the_others_still_run(
    run: Runner, logs: Captured
) -> None:
    journal = flows.reset()
    journal.failing_rollbacks["b"] = -1  # always fails
    memo = Memo()
    with pytest.raises(RuntimeError, match="payment service down"):
        await run(flows.order, _params(["a", "b", "c"], -1, "body"), memo=memo)
    assert journal.events[-2:] == ["release c (h-c)", "release a (h-a)"]
    assert (
        "error",
        "[workflow:test_flow] rollback failed; continuing with the remaining rollbacks "
        '{"step": "reserve", "error": "StepFailed: cannot release b"}',
    ) in logs.lines


async def test_a_rollback_is_retried_with_its_rollback_config(run: Runner) -> None:
    journal = flows.reset()
    memo = Memo()
    with pytest.raises(RuntimeError):
        await run(flows.order_with_charge, {"fail": True}, memo=memo)
    assert journal.events == [
        "charge x",
        "refund x (5) attempt 1",
    ]
    assert [c for c in memo.issued if c[0] == "lunora:rollback:charge"] == [
        ("lunora:rollback:charge", 1, "ran")
    ]


async def test_crash_mid_compensation_resumes_without_repeating_rollbacks(run: Runner) -> None:
    journal = flows.reset()
    journal.crash_rollbacks.add("b")  # after c's rollback finished, the instance is evicted
    memo = Memo()
    with pytest.raises(RuntimeError, match="payment service down"):
        await run(flows.order, _params(["a", "b", "c"], -1, "body"), memo=memo)
    assert journal.events == [
        "reserve a",
        "reserve b",
        "reserve c",
        "note reserved",
        "release c (h-c)",
        # replay: reserve/note come from the memo, c's rollback too; b and a run once each
        "release b (h-b)",
        "release a (h-a)",
    ]
    assert memo.ran("lunora:rollback:reserve") == 4  # c, b (crashed), b again, a
    issued_second_run = memo.issued[len(memo.issued) // 2 :]
    assert ("lunora:rollback:reserve", 1, "cached") in issued_second_run


async def test_non_retryable_error_in_the_body(run: Runner, sdk_module: type[Exception]) -> None:
    journal = flows.reset()
    with pytest.raises(sdk_module, match=r"^order cancelled$") as caught:
        await run(flows.order, _params(["a"], -1, "nonretryable-body"))
    assert journal.events == ["reserve a", "note reserved", "release a (h-a)"]
    assert isinstance(caught.value.__context__, NonRetryableError)
    # the rollback saw the original (portable) error
    assert journal.rollback_errors == ["NonRetryableError: order cancelled"]


async def test_non_retryable_error_inside_a_step(run: Runner, sdk_module: type[Exception]) -> None:
    journal = flows.reset()
    memo = Memo()
    with pytest.raises(sdk_module, match=r"^cannot charge -1$"):
        await run(flows.order, _params(["a", "b"], -1, "nonretryable-step"), memo=memo)
    # the step was not retried despite retries={"limit": 2}
    assert memo.ran("charge") == 1
    # charge failed, so it is not compensated; the reservations are
    assert journal.events == [
        "reserve a",
        "reserve b",
        "note reserved",
        "charge all",
        "release b (h-b)",
        "release a (h-a)",
    ]


async def test_failing_inline_step_triggers_compensation(run: Runner) -> None:
    journal = flows.reset()
    memo = Memo()
    with pytest.raises(StepFailed, match="kaboom"):
        await run(flows.order, _params(["a"], -1, "step"), memo=memo)
    assert journal.events == ["reserve a", "note reserved", "explode", "explode", "release a (h-a)"]


async def test_suspension_never_compensates(run: Runner, logs: Captured) -> None:
    journal = flows.reset()
    memo = Memo()
    out = await run(flows.order_that_sleeps, None, memo=memo)
    assert out == "done"
    assert journal.events == ["reserve z", "after sleep"]
    assert not any(name.startswith("lunora:") for name, _, _ in memo.issued)
    assert logs.lines == []


async def test_concurrent_steps_roll_back_in_reverse_start_order(run: Runner) -> None:
    journal = flows.reset()
    with pytest.raises(RuntimeError, match="after both"):
        await run(flows.concurrent)
    # completion order was fast, slow; compensation follows the (deterministic) start order
    assert journal.events == ["fast f", "slow s", "undo fast", "undo slow"]
