"""The pytest plugin as a user's suite sees it: autoloaded by its entry point, no conftest."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

NON_DETERMINISTIC = """
import itertools
from typing import Any

from lunora_workflow.entrypoint import WorkflowEntrypoint

counter = itertools.count()


class Drifts(WorkflowEntrypoint):
    async def run(self, event: Any, step: Any) -> Any:
        @step.do(f"step-{next(counter)}")  # a new name on every replay
        async def first() -> int:
            return 1

        await first()
        await step.sleep("nap", "1 second")
        return None
"""


def test_the_plugin_is_registered_under_pytest11() -> None:
    found = [e for e in entry_points(group="pytest11") if e.name == "lunora_workflow"]
    assert [e.value for e in found] == ["lunora_workflow.testing.pytest_plugin"]


def test_the_fixture_and_the_mode_marker_need_no_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_user="""
import pytest


async def test_default(workflow_env):
    assert workflow_env.mode == "implicit"
    assert workflow_env.instances == []


@pytest.mark.workflow_mode("legacy")
async def test_legacy(workflow_env):
    assert workflow_env.mode == "legacy"
"""
    )
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=2)


def test_an_engine_failure_nobody_looked_at_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(drifts=NON_DETERMINISTIC)
    pytester.makepyfile(
        test_user="""
from drifts import Drifts


async def test_ignores_the_outcome(workflow_env):
    workflow_env.register(Drifts, name="drifts")
    await workflow_env.create("drifts")
    await workflow_env.run_until_idle()


async def test_looks_at_the_outcome(workflow_env):
    workflow_env.register(Drifts, name="drifts")
    instance = await workflow_env.create("drifts")
    await instance.wait_for_status("errored")
    assert instance.error.name == "NonDeterminismError"
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_ignores_the_outcome*",
            "*workflow engine failures nobody checked:*",
            "*non-deterministic replay at step call #1*",
        ]
    )
