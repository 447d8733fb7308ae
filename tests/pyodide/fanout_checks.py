"""Checks of the ``runtime.fanout.*`` scenarios (tests/pyodide/scenarios_fanout.mjs).

Registered into ``CHECKS`` by test_pyodide.py; each check gets one scenario's result in one
step mode. Instance errors on Pyodide carry the whole Python traceback as the message, so the
checks read its last line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Result = dict[str, Any]

MAX_EVENT_BYTES = 1_048_576


def _inst(r: Result, instance_id: str) -> Result:
    assert "harnessError" not in r, r.get("harnessError")
    inst: Result = r["instances"][instance_id]
    return inst


def _error_line(inst: Result) -> str:
    lines = [line for line in str(inst["error"]["message"]).split("\n") if line.strip()]
    return lines[-1]


def failed_non_retryably(inst: Result, message: str) -> None:
    """The instance errored with the SDK's NonRetryableError, ``message`` its last line's text."""
    assert inst["status"] == "errored"
    assert (inst["error"].get("pythonType") or inst["error"]["name"]) == "NonRetryableError"
    assert _error_line(inst) == f"workers.workflows.NonRetryableError: {message}"


def _lines(inst: Result, prefix: str) -> list[str]:
    return [line for line in inst["timeline"] if line.startswith(prefix)]


def _spawned_once(parent: Result, child_ids: list[str]) -> None:
    """Every child was created by exactly one attempt of its spawn step; replays hit the cache."""
    for child in child_ids:
        attempts = _lines(parent, f"do lunora:spawn:{child}#1 attempt")
        assert attempts == [f"do lunora:spawn:{child}#1 attempt 1 ok"], attempts
    for line in _lines(parent, "do lunora:spawn:"):
        assert line.endswith(("attempt 1 ok", "cached")), line


def _signalled(child: Result, index: int) -> None:
    assert _lines(child, f"do lunora:signal:{index}#1") == [
        f"do lunora:signal:{index}#1 attempt 1 ok"
    ]


def check_success(r: Result, mode: str) -> None:
    parent = _inst(r, "fan-ok")
    assert parent["status"] == "complete"
    assert parent["output"] == [
        {"item": "slow", "size": 4},
        {"item": "fast", "size": 4},
        {"item": "medium!", "size": 7},
    ]
    children = [f"fan-ok-c{n}" for n in range(3)]
    assert sorted(r["instances"]) == sorted(["fan-ok", *children])
    _spawned_once(parent, children)
    # One wait per branch, each woken by the child's event (the parent replays in between).
    for child in children:
        assert _lines(parent, f"waitForEvent lunora:await:{child}#1 type lunora-branch-{child}")
        assert _lines(parent, f"waitForEvent lunora:await:{child}#1 received")
    assert parent["runs"] >= 3
    for index, child in enumerate(children):
        _signalled(_inst(r, child), index)


def check_fail_first(r: Result, mode: str) -> None:
    parent = _inst(r, "fan-fail")
    failed_non_retryably(parent, 'ctx.parallel: branch "work" (#1) failed: cannot process bad')
    assert _lines(parent, "do lunora:failed:fan-fail-c0#1") == [
        "do lunora:failed:fan-fail-c0#1 attempt 1 ok"
    ]
    # Only the sibling that had completed is compensated (not the failed one, not the slow one).
    assert [line.split("#")[0] for line in _lines(parent, "do lunora:compensate:")] == [
        "do lunora:compensate:fan-fail-c2"
    ]
    assert _inst(r, "fan-fail-c2-compensate")["output"] == {
        "undone": "work",
        "index": 2,
        "because": "cannot process bad",
    }
    # The parent failed before the slow sibling finished: its event came after the failure.
    assert parent["timeline"][-1] == "event lunora-branch-fan-fail-c0 delivered"
    assert _inst(r, "fan-fail-c0")["status"] == "complete"
    _signalled(_inst(r, "fan-fail-c1"), 1)


def check_join_timeout(r: Result, mode: str) -> None:
    parent = _inst(r, "fan-late")
    failed_non_retryably(
        parent,
        'ctx.parallel: branch "work" (#1) join failed: Execution timed out after 3600000ms',
    )
    assert _lines(parent, "waitForEvent lunora:await:fan-late-c1#1 timed out")
    assert _inst(r, "fan-late-c0-compensate")["output"] == {
        "undone": "work",
        "index": 0,
        "because": "Execution timed out after 3600000ms",
    }


def check_replay(r: Result, mode: str) -> None:
    parent = _inst(r, "fan-replay")
    assert parent["status"] == "complete"
    assert [o["item"] for o in parent["output"]] == ["i0", "i1", "i2", "i3"]
    assert parent["runs"] >= 4
    children = [f"fan-replay-c{n}" for n in range(4)]
    _spawned_once(parent, children)
    assert len(_lines(parent, "do lunora:spawn:fan-replay-c0#1 cached")) == parent["runs"] - 1
    assert sorted(r["instances"]) == sorted(["fan-replay", *children])


def check_compensation_order(r: Result, mode: str) -> None:
    parent = _inst(r, "fan-comp")
    failed_non_retryably(parent, 'ctx.parallel: branch "work" (#3) failed: cannot process d')
    assert [line.split("#")[0] for line in _lines(parent, "do lunora:compensate:")] == [
        "do lunora:compensate:fan-comp-c2",
        "do lunora:compensate:fan-comp-c1",
        "do lunora:compensate:fan-comp-c0",
    ]
    for index in (0, 1, 2):
        assert _inst(r, f"fan-comp-c{index}-compensate")["output"] == {
            "undone": "work",
            "index": index,
            "because": "cannot process d",
        }
    assert "fan-comp-c4-compensate" not in r["instances"]


def check_duplicate_ids(r: Result, mode: str) -> None:
    parent = _inst(r, "fan-dup")
    failed_non_retryably(
        parent,
        'ctx.parallel: duplicate branch id "same" (branches #0 and #1) — each branch in a '
        "group must resolve to a unique child instance id (check explicit `id` options)",
    )
    assert list(r["instances"]) == ["fan-dup"]
    assert not _lines(parent, "do ")


def check_too_large(r: Result, mode: str) -> None:
    parent = _inst(r, "fan-big")
    assert parent["status"] == "errored"
    line = _error_line(parent)
    assert line.startswith(
        'workers.workflows.NonRetryableError: ctx.parallel: branch "work" (#0) failed: '
    )
    assert f"over Cloudflare's {MAX_EVENT_BYTES}-byte event payload limit" in line
    assert "return a reference" in line
    assert _inst(r, "fan-big-c0")["status"] == "complete"


def check_hundred(r: Result, mode: str) -> None:
    parent = _inst(r, "many-100")
    assert parent["status"] == "complete"
    assert parent["output"] == [n % 7 + 1 for n in range(100)]
    children = [f"many-100-c{n}" for n in range(100)]
    assert sorted(r["instances"]) == sorted(["many-100", *children])
    _spawned_once(parent, children)


def check_hundred_and_one(r: Result, mode: str) -> None:
    parent = _inst(r, "many-101")
    failed_non_retryably(
        parent,
        "ctx.parallel: 101 branches exceeds the cap of 100 — split the fan-out or raise the "
        "work into fewer child workflows",
    )
    assert list(r["instances"]) == ["many-101"]
    assert not _lines(parent, "do ")


def check_spawn(r: Result, mode: str) -> None:
    first = _inst(r, "spawner-1")
    assert first["output"] == {"child": "spawner-1-c0", "child_status_known": True}
    assert _inst(r, "spawner-1-c0")["output"] == {"item": "abc", "size": 3}
    # Fire-and-forget: the child carries no marker, so it signals nobody.
    assert not _lines(_inst(r, "spawner-1-c0"), "do lunora:signal")
    # An id that was already taken: create failed with already_exists, the step attached.
    second = _inst(r, "spawner-2")
    assert second["output"] == {"child": "report-7", "child_status_known": True}
    assert _lines(second, "do lunora:spawn:report-7#1") == [
        "do lunora:spawn:report-7#1 attempt 1 ok"
    ]
    assert _inst(r, "report-7")["output"] == {"item": "already", "size": 7}
    assert sorted(r["instances"]) == ["report-7", "spawner-1", "spawner-1-c0", "spawner-2"]


def check_forged_marker(r: Result, mode: str) -> None:
    for forged in ("forged-1", "forged-2"):
        inst = _inst(r, forged)
        # Stripped before the Params dataclass saw it, and never obeyed.
        assert inst["output"] == {"item": "abc", "size": 3}
        assert not _lines(inst, "do lunora:signal")
    victim = _inst(r, "victim")
    assert victim["status"] == "complete"
    assert victim["output"] == [{"item": "slow", "size": 4}]
    assert [line for line in victim["timeline"] if line.startswith("event ")] == [
        "event lunora-branch-victim-c0 delivered"
    ]


def check_example_media_pipeline(r: Result, mode: str) -> None:
    parent = _inst(r, "media-1")
    assert parent["status"] == "complete", parent["error"]
    assert parent["output"] == {
        "media_id": "m1",
        "tags": ["beach", "cats", "jpg", "sunny"],
        "thumbnail": "thumbs/m1-256.jpg",
        "words": 4,
    }
    children = {"media-1-c0": "image-tag", "media-1-c1": "thumbnail", "media-1-c2": "transcribe"}
    assert {i: r["instances"][i]["workflow"] for i in children} == children
    _spawned_once(parent, list(children))
    for index, child in enumerate(children):
        _signalled(_inst(r, child), index)


FANOUT_CHECKS: dict[str, Callable[[Result, str], None]] = {
    "runtime.fanout.success": check_success,
    "runtime.fanout.fail-first": check_fail_first,
    "runtime.fanout.join-timeout": check_join_timeout,
    "runtime.fanout.replay": check_replay,
    "runtime.fanout.compensation-order": check_compensation_order,
    "runtime.fanout.duplicate-ids": check_duplicate_ids,
    "runtime.fanout.too-large": check_too_large,
    "runtime.fanout.100": check_hundred,
    "runtime.fanout.101": check_hundred_and_one,
    "runtime.fanout.spawn": check_spawn,
    "runtime.fanout.forged-marker": check_forged_marker,
    "example.media-pipeline": check_example_media_pipeline,
}
