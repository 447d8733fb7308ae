"""ctx.spawn, the child side's marker handling, and the reserved params key."""

from __future__ import annotations

from typing import Any

import pytest

from lunora_workflow.branch_marker import ReservedParamsKeyError
from lunora_workflow.fanout import branch
from lunora_workflow.handles import resolve_handle
from lunora_workflow.testing import Instance, WorkflowTestEnv

from . import flows


@pytest.fixture
def engine(workflow_env: WorkflowTestEnv) -> WorkflowTestEnv:
    workflow_env.register_generated(flows)
    return workflow_env


def children(engine: WorkflowTestEnv, workflow: str = "work") -> list[Instance]:
    return [i for i in engine.instances if i.workflow_name == workflow]


# -- spawn ------------------------------------------------------------------------------------


async def test_spawn_starts_a_child_and_returns_its_handle(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("spawner", {"item": "abc", "id": None}, id="s1")
    await parent.wait_for_status("complete")
    assert parent.output == {"child": "s1-c0"}
    (child,) = children(engine)
    assert child.id == "s1-c0"
    # Fire-and-forget: no marker, no join, no signal.
    assert child.params == {"item": "abc"}
    await child.wait_for_status("complete")
    assert not [r for r in child.steps if r.name.startswith("lunora:")]
    assert [r.name for r in parent.steps] == ["lunora:spawn:s1-c0", "after-spawn"]


async def test_spawn_with_an_explicit_id_attaches_when_it_exists(engine: WorkflowTestEnv) -> None:
    existing = await engine.create("work", {"item": "already"}, id="report-7")
    parent = await engine.create("spawner", {"item": "abc", "id": "report-7"})
    await parent.wait_for_status("complete")
    assert parent.output == {"child": "report-7"}
    assert children(engine) == [existing]
    assert parent.step("lunora:spawn:report-7").output == {"id": "report-7", "attached": True}


async def test_spawn_refuses_the_marker_key(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("misuse", {"how": "spawn-marker"})
    await parent.wait_for_status("errored")
    assert parent.error is not None
    assert 'reserved branch-marker key "__lunora_branch"' in parent.error.message
    assert parent.steps == []
    assert children(engine) == []


# -- users may not send the marker ------------------------------------------------------------


async def test_create_refuses_the_marker_key(engine: WorkflowTestEnv) -> None:
    handle = resolve_handle(engine.env, "work", flows.SPECS)
    with pytest.raises(ReservedParamsKeyError, match="BAD_REQUEST"):
        await handle.create(params={"item": "a", "__lunora_branch": {"index": 0}})
    with pytest.raises(ReservedParamsKeyError):
        await handle.create_batch([{"params": {"__lunora_branch": None}}])
    assert children(engine) == []


def test_branch_refuses_the_marker_key() -> None:
    with pytest.raises(ReservedParamsKeyError, match="__lunora_branch"):
        branch("work", {"item": "a", "__lunora_branch": {}})


# -- forged or malformed markers are ignored --------------------------------------------------

GOOD = {
    "event_type": "lunora-branch-victim-c0",
    "index": 0,
    "parent_binding": "WORKFLOW_FAN",
    "parent_id": "victim",
}


@pytest.mark.parametrize(
    "marker",
    [
        pytest.param({**GOOD, "parent_binding": "SECRETS"}, id="binding-not-WORKFLOW_"),
        pytest.param({**GOOD, "event_type": "approval"}, id="event-type-not-reserved"),
        pytest.param({**GOOD, "event_type": "lunora-branch-a:b"}, id="event-type-charset"),
        pytest.param({**GOOD, "index": True}, id="index-bool"),
        pytest.param({**GOOD, "index": 100}, id="index-out-of-range"),
        pytest.param({**GOOD, "parent_id": "a:b"}, id="parent-id-charset"),
        pytest.param({**GOOD, "extra": 1}, id="extra-field"),
        pytest.param({k: v for k, v in GOOD.items() if k != "index"}, id="missing-field"),
        pytest.param("lunora-branch-x", id="not-an-object"),
    ],
)
async def test_a_malformed_marker_is_stripped_and_ignored(
    engine: WorkflowTestEnv, marker: Any
) -> None:
    victim = await engine.create(
        "fan", {"items": [{"item": "slow", "delay": "1 day"}]}, id="victim"
    )
    await victim.wait_for_status("waiting")
    child = await engine.create("work", {"item": "abc", "__lunora_branch": marker})
    await child.wait_for_status("complete")
    # The marker never reached the Params dataclass (which would reject the unknown key) ...
    assert child.output["item"] == "abc"
    # ... and nothing was sent anywhere.
    assert not [r for r in child.steps if r.name.startswith("lunora:signal")]
    assert victim.status() == "waiting"


async def test_a_marker_naming_a_missing_binding_signals_nobody(engine: WorkflowTestEnv) -> None:
    marker = {**GOOD, "parent_binding": "WORKFLOW_NOT_HERE"}
    child = await engine.create("work", {"item": "abc", "__lunora_branch": marker})
    await child.wait_for_status("complete")
    assert not [r for r in child.steps if r.name.startswith("lunora:signal")]


async def test_a_marker_naming_a_missing_parent_does_not_fail_the_child(
    engine: WorkflowTestEnv,
) -> None:
    marker = {**GOOD, "parent_id": "nobody"}
    child = await engine.create("work", {"item": "abc", "__lunora_branch": marker})
    await child.wait_for_status("complete")
    assert child.step("lunora:signal:0").status == "errored"
    assert child.output["item"] == "abc"


async def test_a_failing_child_signals_its_error(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("fan", {"items": [{"item": "q", "fail": True}]}, id="x1")
    await parent.wait_for_status("errored")
    (child,) = children(engine)
    assert child.status() == "errored"
    assert child.step("lunora:signal:0").status == "complete"
    # A bad-params child reports too (the parse fails before the handler runs).
    bad = await engine.create("work", {"nope": 1, "__lunora_branch": {**GOOD, "parent_id": "x1"}})
    await bad.wait_for_status("errored")
    assert bad.step("lunora:signal:0").status == "complete"
