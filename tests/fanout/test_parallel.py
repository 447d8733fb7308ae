"""ctx.parallel on the local engine: success, failures, timeouts, replays, caps, compensation."""

from __future__ import annotations

from typing import Any

import pytest

from lunora_workflow.testing import Instance, WorkflowTestEnv

from . import flows


class CountingBinding:
    """Delegates to the engine's binding and counts ``create`` calls (the spawn attempts)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.creates: list[str] = []

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        self.creates.append(kwargs.get("id", "?"))
        return await self.inner.create(*args, **kwargs)

    async def get(self, instance_id: str) -> Any:
        return await self.inner.get(instance_id)


@pytest.fixture
def engine(workflow_env: WorkflowTestEnv) -> WorkflowTestEnv:
    workflow_env.register_generated(flows)
    return workflow_env


@pytest.fixture
def counted(engine: WorkflowTestEnv) -> CountingBinding:
    binding = CountingBinding(engine.env.WORKFLOW_WORK)
    engine.env.WORKFLOW_WORK = binding
    return binding


def children(engine: WorkflowTestEnv, workflow: str = "work") -> list[Instance]:
    return [i for i in engine.instances if i.workflow_name == workflow]


def step_names(instance: Instance) -> list[str]:
    return [record.name for record in instance.steps]


def error_message(instance: Instance) -> str:
    assert instance.error is not None
    return instance.error.message


# -- success ----------------------------------------------------------------------------------


async def test_outputs_come_back_in_declaration_order(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan",
        {
            "items": [
                {"item": "slow", "delay": "3 minutes"},
                {"item": "fast"},
                {"item": "medium!", "delay": "1 minute"},
            ]
        },
        id="p1",
    )
    await parent.wait_for_status("complete")
    results = parent.output["results"]
    assert [(r["item"], r["size"]) for r in results] == [("slow", 4), ("fast", 4), ("medium!", 7)]
    assert parent.output["kind"] == "list"
    assert [c.id for c in children(engine)] == ["p1-c0", "p1-c1", "p1-c2"]
    assert all(c.status() == "complete" for c in children(engine))
    assert step_names(parent) == [
        "lunora:spawn:p1-c0",
        "lunora:spawn:p1-c1",
        "lunora:spawn:p1-c2",
        "lunora:await:p1-c0",
        "lunora:await:p1-c1",
        "lunora:await:p1-c2",
        "after",
    ]
    # Each child reported with one signal step; its params reached it without the marker.
    for index, child in enumerate(children(engine)):
        assert child.step(f"lunora:signal:{index}").status == "complete"
        assert child.params["__lunora_branch"]["event_type"] == f"lunora-branch-{child.id}"
        assert child.params["__lunora_branch"]["parent_binding"] == "WORKFLOW_FAN"


async def test_a_tuple_of_branches_returns_a_tuple(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan", {"items": [{"item": "a"}, {"item": "bb"}], "tuple_form": True}, id="t1"
    )
    await parent.wait_for_status("complete")
    assert [r["size"] for r in parent.output["results"]] == [1, 2]


@pytest.mark.workflow_mode("legacy")
async def test_legacy_step_mode(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan", {"items": [{"item": "a", "delay": "1 minute"}, {"item": "bb"}]}, id="l1"
    )
    await parent.wait_for_status("complete")
    assert [r["item"] for r in parent.output["results"]] == ["a", "bb"]


async def test_empty_fan_out_touches_no_step(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("misuse", {"how": "empty"})
    await parent.wait_for_status("complete")
    assert parent.output == {"empty": [], "tuple": []}
    assert parent.steps == []


async def test_explicit_ids_are_used_verbatim(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan", {"items": [{"item": "a"}, {"item": "b"}], "ids": ["img-1", None]}, id="e1"
    )
    await parent.wait_for_status("complete")
    # An explicit id does not use up a derived ordinal.
    assert [c.id for c in children(engine)] == ["img-1", "e1-c0"]


async def test_long_parent_ids_fold_child_ids_and_event_types(engine: WorkflowTestEnv) -> None:
    parent_id = "p" * 100
    parent = await engine.create("fan", {"items": [{"item": "a"}, {"item": "b"}]}, id=parent_id)
    await parent.wait_for_status("complete")
    ids = [c.id for c in children(engine)]
    assert all(len(i) <= 100 for i in ids)
    assert ids[0].endswith("-c0")
    assert ids[1].endswith("-c1")
    assert ids[0] != ids[1]
    types = [c.params["__lunora_branch"]["event_type"] for c in children(engine)]
    assert all(len(t) <= 100 and t.startswith("lunora-branch-") for t in types)


# -- failures ---------------------------------------------------------------------------------


async def test_the_first_failure_fails_the_group(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan",
        {
            "items": [
                {"item": "slow", "delay": "3 minutes"},
                {"item": "bad", "fail": True, "delay": "1 minute"},
                {"item": "ok"},
            ],
            "compensate": True,
        },
        id="f1",
    )
    await parent.wait_for_status("errored")
    assert error_message(parent) == 'ctx.parallel: branch "work" (#1) failed: cannot process bad'
    assert parent.error is not None
    assert parent.error.name == "NonRetryableError"
    # Fail-fast: the parent failed when the bad branch did, not when the slow one finished.
    assert engine.now.minute == 1
    assert children(engine)[0].status() == "waiting"
    # Only the sibling that had completed is compensated; the failed one never is.
    assert [i.id for i in children(engine, "undo")] == ["f1-c2-compensate"]
    # The still-running sibling is not cancelled, and finishes later without harm.
    await engine.run_until_idle()
    assert children(engine)[0].status() == "complete"
    assert parent.status() == "errored"


async def test_join_timeout_fails_the_group(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan",
        {
            "items": [{"item": "a"}, {"item": "z", "delay": "2 hours"}],
            "timeout": "1 hour",
            "compensate": True,
        },
        id="j1",
    )
    await parent.wait_for_status("errored")
    assert error_message(parent).startswith('ctx.parallel: branch "work" (#1) join failed: ')
    assert engine.now.hour == 1
    (undo,) = children(engine, "undo")
    await undo.wait_for_status("complete")
    assert undo.params == {
        "branch": "work",
        "error": {"name": "WorkflowTimeoutError", "message": "Execution timed out after 3600000ms"},
        "index": 0,
        "output": {"item": "a", "size": 1, "blob": ""},
    }


async def test_compensation_runs_in_reverse_declaration_order(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan",
        {
            "items": [
                {"item": "a"},
                {"item": "b", "delay": "1 minute"},
                {"item": "c", "delay": "2 minutes"},
                {"item": "d", "fail": True, "delay": "3 minutes"},
                {"item": "e", "delay": "10 minutes"},
            ],
            "compensate": True,
        },
        id="r1",
    )
    await parent.wait_for_status("errored")
    compensations = [n for n in step_names(parent) if n.startswith("lunora:compensate:")]
    assert compensations == [
        "lunora:compensate:r1-c2",
        "lunora:compensate:r1-c1",
        "lunora:compensate:r1-c0",
    ]
    undos = children(engine, "undo")
    assert [u.id for u in undos] == ["r1-c2-compensate", "r1-c1-compensate", "r1-c0-compensate"]
    await engine.run_until_idle()
    assert [u.output for u in undos] == [
        {"undone": "work", "index": index, "because": "cannot process d"} for index in (2, 1, 0)
    ]


async def test_no_compensate_with_means_no_compensation(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan", {"items": [{"item": "a"}, {"item": "b", "fail": True, "delay": "1 minute"}]}
    )
    await parent.wait_for_status("errored")
    assert not [n for n in step_names(parent) if n.startswith("lunora:compensate:")]
    assert children(engine, "undo") == []


async def test_an_output_over_one_mebibyte_is_a_clear_error(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("fan", {"items": [{"item": "a", "big": 1_100_000}]}, id="b1")
    await parent.wait_for_status("errored")
    message = error_message(parent)
    assert message.startswith('ctx.parallel: branch "work" (#0) failed: ')
    assert "over Cloudflare's 1048576-byte event payload limit" in message
    assert "return a reference" in message
    # The child itself succeeded: only the trip to the parent is too big.
    assert children(engine)[0].status() == "complete"


# -- replays, restarts, create-or-attach ------------------------------------------------------


async def test_parent_replays_during_the_join_never_spawn_twice(
    engine: WorkflowTestEnv, counted: CountingBinding
) -> None:
    delays = [None, "1 minute", "2 minutes", "5 minutes", "9 minutes"]
    parent = await engine.create(
        "fan", {"items": [{"item": f"i{n}", "delay": d} for n, d in enumerate(delays)]}, id="rp"
    )
    await parent.wait_for_status("complete")
    assert parent.replays >= 4  # woken by each child's event
    assert counted.creates == [f"rp-c{n}" for n in range(5)]
    assert len(children(engine)) == 5
    for n in range(5):
        assert len(parent.step(f"lunora:spawn:rp-c{n}").attempts) == 1


async def test_a_restarted_parent_attaches_to_its_finished_children(
    engine: WorkflowTestEnv, counted: CountingBinding
) -> None:
    parent = await engine.create(
        "fan", {"items": [{"item": "a"}, {"item": "bb", "delay": "1 minute"}]}, id="rs"
    )
    await parent.wait_for_status("complete")
    first = parent.output
    await parent.restart()
    await parent.wait_for_status("complete")
    assert parent.output == first
    # The restart's create calls found the ids taken and attached: no new child.
    assert counted.creates == ["rs-c0", "rs-c1", "rs-c0", "rs-c1"]
    assert len(children(engine)) == 2
    memo = parent.step("lunora:spawn:rs-c1").output
    assert memo["attached"] is True
    assert memo["outcome"]["status"] == "ok"
    # The outcome came from status(), so the restarted parent did not wait for events.
    assert not [r for r in parent.steps if r.kind == "waitForEvent"]


async def test_a_restarted_parent_attaches_to_a_running_child(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("fan", {"items": [{"item": "a", "delay": "1 hour"}]}, id="rr")
    await parent.wait_for_status("waiting")
    await parent.restart()
    await parent.wait_for_status("complete")
    assert [r["item"] for r in parent.output["results"]] == ["a"]
    assert len(children(engine)) == 1
    assert parent.step("lunora:spawn:rr-c0").output["attached"] is True


# -- refused before anything starts -----------------------------------------------------------


async def test_duplicate_explicit_ids_are_refused_before_spawning(
    engine: WorkflowTestEnv, counted: CountingBinding
) -> None:
    parent = await engine.create(
        "fan", {"items": [{"item": "a"}, {"item": "b"}], "ids": ["same", "same"]}
    )
    await parent.wait_for_status("errored")
    assert error_message(parent).startswith('ctx.parallel: duplicate branch id "same"')
    assert counted.creates == []
    assert parent.steps == []


async def test_one_hundred_branches(engine: WorkflowTestEnv) -> None:
    parent = await engine.create(
        "fan", {"items": [{"item": "x" * (n % 7 + 1)} for n in range(100)]}, id="h"
    )
    await parent.wait_for_status("complete")
    assert [r["size"] for r in parent.output["results"]] == [n % 7 + 1 for n in range(100)]
    assert len(children(engine)) == 100


async def test_one_hundred_and_one_branches_are_refused(
    engine: WorkflowTestEnv, counted: CountingBinding
) -> None:
    parent = await engine.create("misuse", {"how": "too-many"})
    await parent.wait_for_status("errored")
    assert error_message(parent) == (
        "ctx.parallel: 101 branches exceeds the cap of 100 — split the fan-out or raise the "
        "work into fewer child workflows"
    )
    assert parent.error is not None
    assert parent.error.name == "NonRetryableError"
    assert counted.creates == []
    assert parent.steps == []


async def test_an_undeclared_workflow_is_a_helpful_error(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("misuse", {"how": "unknown"})
    await parent.wait_for_status("errored")
    assert 'no workflow named "nope" (known workflows: fan, misuse, spawner, undo, work)' in (
        error_message(parent)
    )
    assert parent.steps == []


async def test_branch_params_must_be_an_object(engine: WorkflowTestEnv) -> None:
    parent = await engine.create("misuse", {"how": "scalar-params"})
    await parent.wait_for_status("errored")
    assert "params must be an object" in error_message(parent)
    assert parent.steps == []


class LossyBinding(CountingBinding):
    """The first create of each id gets through but its answer is lost (a transport error)."""

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        first = kwargs.get("id") not in self.creates
        handle = await super().create(*args, **kwargs)
        if first:
            raise ConnectionError("network connection lost")
        return handle


class DownBinding(CountingBinding):
    """Creates of ``down`` fail with a non-duplicate error, every time."""

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("id") == "down":
            self.creates.append("down")
            raise RuntimeError("Workflows service unavailable")
        return await super().create(*args, **kwargs)


async def test_a_retried_spawn_attaches_to_the_child_its_first_attempt_created(
    engine: WorkflowTestEnv,
) -> None:
    lossy = LossyBinding(engine.env.WORKFLOW_WORK)
    engine.env.WORKFLOW_WORK = lossy
    parent = await engine.create("fan", {"items": [{"item": "a"}, {"item": "bb"}]}, id="lo")
    await parent.wait_for_status("complete")
    assert [r["size"] for r in parent.output["results"]] == [1, 2]
    # Two attempts per spawn step (the second found the id taken), one child each.
    assert lossy.creates == ["lo-c0", "lo-c1", "lo-c0", "lo-c1"]
    assert len(children(engine)) == 2
    # By the retry the child had finished, so the attach read its outcome from status().
    memo = parent.step("lunora:spawn:lo-c0").output
    assert memo["attached"] is True
    assert memo["outcome"] == {"status": "ok", "value": {"item": "a", "size": 1, "blob": ""}}


async def test_a_spawn_that_keeps_failing_fails_the_call(engine: WorkflowTestEnv) -> None:
    down = DownBinding(engine.env.WORKFLOW_WORK)
    engine.env.WORKFLOW_WORK = down
    parent = await engine.create(
        "fan", {"items": [{"item": "a"}, {"item": "b"}], "ids": [None, "down"]}, id="dn"
    )
    await parent.wait_for_status("errored")
    assert "Workflows service unavailable" in error_message(parent)
    # The platform's default retries, then the failure; the sibling's spawn still completed.
    assert len(parent.step("lunora:spawn:down").attempts) == 6
    assert parent.step("lunora:spawn:dn-c0").status == "complete"
    assert not [r for r in parent.steps if r.kind == "waitForEvent"]


async def test_a_restarted_parent_reads_a_failed_child_from_status(
    engine: WorkflowTestEnv,
) -> None:
    parent = await engine.create("fan", {"items": [{"item": "q", "fail": True}]}, id="rf")
    await parent.wait_for_status("errored")
    await parent.restart()
    await parent.wait_for_status("errored")
    assert error_message(parent) == 'ctx.parallel: branch "work" (#0) failed: cannot process q'
    assert parent.step("lunora:spawn:rf-c0").output["outcome"] == {
        "status": "error",
        "error": {"name": "NonRetryableError", "message": "cannot process q"},
    }
    assert len(children(engine)) == 1


async def test_a_terminated_child_never_reports_so_its_timeout_ends_the_join(
    engine: WorkflowTestEnv,
) -> None:
    parent = await engine.create(
        "fan",
        {"items": [{"item": "a", "delay": "1 day"}], "timeout": "2 hours"},
        id="tm",
    )
    await parent.wait_for_status("waiting")
    (child,) = children(engine)
    await child.terminate()
    await parent.wait_for_status("errored")
    # Termination runs no code in the child: no signal, so only the branch timeout ends it.
    assert not [r for r in child.steps if r.name.startswith("lunora:signal")]
    assert engine.now.hour == 2
    assert error_message(parent) == (
        'ctx.parallel: branch "work" (#0) join failed: Execution timed out after 7200000ms'
    )
