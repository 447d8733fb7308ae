"""The ``lunora_workflow`` pytest plugin (entry point ``pytest11``): the ``workflow_env`` fixture.

The fixture is a plain (synchronous) fixture returning a fresh
:class:`~lunora_workflow.testing.WorkflowTestEnv`; the engine does its work inside the test's
own event loop when an ``async def`` test awaits it, so it works with pytest-asyncio (what this
project uses) and with anyio's asyncio backend alike. Nothing is imported until a test asks for
the fixture, so the plugin costs nothing to suites that do not use it.

Options: ``@pytest.mark.workflow_mode("legacy")`` picks the legacy ``step.do`` signature.
At teardown the fixture fails the test if the engine detected a failure (non-determinism, a
stalled body) in an instance whose status and error the test never looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lunora_workflow.testing.engine import WorkflowTestEnv

__all__ = ["pytest_configure", "workflow_env"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``workflow_mode`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        "workflow_mode(mode): step.do signature for the workflow_env fixture "
        "('implicit' or 'legacy')",
    )


@pytest.fixture
def workflow_env(request: pytest.FixtureRequest) -> Iterator[WorkflowTestEnv]:
    """A fresh in-memory Workflows engine with a virtual clock (see docs/testing.md)."""
    from lunora_workflow.testing.engine import WorkflowTestEnv

    marker: Any = request.node.get_closest_marker("workflow_mode")
    mode = marker.args[0] if marker is not None and marker.args else "implicit"
    env = WorkflowTestEnv(mode=mode)
    yield env
    failures = env.unobserved_failures()
    if failures:
        pytest.fail(
            "workflow engine failures nobody checked:\n" + "\n".join(str(f) for f in failures),
            pytrace=False,
        )
