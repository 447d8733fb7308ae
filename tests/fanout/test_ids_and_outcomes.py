"""Pure helpers: id folding, marker parsing, outcomes and the duplicate-instance check."""

from __future__ import annotations

import json

import pytest

from lunora_workflow import naming
from lunora_workflow.branch_marker import (
    MARKER_KEY,
    BranchMarker,
    branch_event_type,
    child_id,
    compensation_id,
    extract_marker,
    fold,
    has_marker,
    strip_marker,
)
from lunora_workflow.branch_outcome import (
    bound_outcome,
    error_outcome,
    ok_outcome,
    read_outcome,
)
from lunora_workflow.fanout import Branch, branch, is_duplicate_instance_error


def test_short_values_are_not_folded() -> None:
    assert child_id("order-1", 0) == "order-1-c0"
    assert compensation_id("order-1-c3") == "order-1-c3-compensate"
    assert branch_event_type("order-1-c3") == "lunora-branch-order-1-c3"


@pytest.mark.parametrize("length", [95, 96, 100, 250])
def test_folded_ids_fit_cloudflare_and_stay_distinct(length: int) -> None:
    parent = "a" * length
    ids = [child_id(parent, n) for n in range(12)]
    assert len(set(ids)) == 12
    for n, value in enumerate(ids):
        assert naming.instance_id_problem(value) is None
        assert value.endswith(f"-c{n}")
        assert naming.instance_id_problem(compensation_id(value)) is None
        assert compensation_id(value).endswith("-compensate")
        event_type = branch_event_type(value)
        assert naming.event_type_problem(event_type) is None
        assert event_type.startswith("lunora-branch-")
    assert len({branch_event_type(v) for v in ids}) == 12


def test_fold_is_deterministic_and_keeps_the_head() -> None:
    value = fold("x" * 120, "-tail")
    assert value == fold("x" * 120, "-tail")
    assert len(value) == 100
    assert value.startswith("xxxx")
    assert value.endswith("-tail")


def test_marker_round_trip() -> None:
    marker = BranchMarker("lunora-branch-p-c0", 3, "WORKFLOW_PARENT", "p")
    payload = {"a": 1, MARKER_KEY: marker.to_json()}
    assert has_marker(payload)
    assert extract_marker(payload) == marker
    assert strip_marker(payload) == {"a": 1}
    assert payload[MARKER_KEY] == marker.to_json()  # strip copies


def test_marker_helpers_on_other_values() -> None:
    assert not has_marker({"nested": {MARKER_KEY: {}}})
    assert not has_marker(None)
    assert not has_marker("x")
    assert not has_marker([MARKER_KEY])
    assert extract_marker(None) is None
    assert strip_marker(5) == 5
    assert strip_marker({"a": 1}) == {"a": 1}


def test_outcomes() -> None:
    assert ok_outcome(3) == {"status": "ok", "value": 3}
    assert error_outcome(TypeError("bad")) == {
        "status": "error",
        "error": {"name": "TypeError", "message": "bad"},
    }
    assert read_outcome(ok_outcome(None)) == (True, None)
    ok, error = read_outcome({"status": "weird"})
    assert not ok
    assert error.name == "MalformedBranchOutcome"


def test_an_outcome_over_one_mebibyte_becomes_a_small_error() -> None:
    big = ok_outcome("x" * (1024 * 1024))
    bounded = bound_outcome(big, what="child")
    assert bounded["status"] == "error"
    assert bounded["error"]["name"] == "BranchOutputTooLarge"
    assert "over Cloudflare's 1048576-byte event payload limit" in bounded["error"]["message"]
    assert len(json.dumps(bounded)) < 1024
    small = ok_outcome("x" * 1000)
    assert bound_outcome(small, what="child") == small


def test_duplicate_instance_errors_are_recognised() -> None:
    assert is_duplicate_instance_error(
        Exception("(instance.already_exists) Instance already exists")
    )
    assert is_duplicate_instance_error(Exception("instance ALREADY-EXISTS"))
    assert not is_duplicate_instance_error(Exception("Workflows service unavailable"))


def test_branch_builds_a_descriptor() -> None:
    described = branch("thumbnail", {"size": 64}, id="t-1", timeout="5 minutes")
    assert described == Branch("thumbnail", {"size": 64}, "t-1", "5 minutes", None)
    with pytest.raises(TypeError, match="export name or definition"):
        branch(3, {})  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="timeout"):
        branch("thumbnail", {}, timeout="soon")
