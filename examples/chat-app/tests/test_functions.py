"""The chat-app's functions, called the way a Worker or a test calls them directly."""

from __future__ import annotations

import pytest
from lunora._generated import workflows as generated
from lunora.messages import CountArgs, OpenArgs, open_channel, word_count

from lunora_workflow.testing import WorkflowTestEnv


@pytest.fixture
def env(workflow_env: WorkflowTestEnv) -> WorkflowTestEnv:
    workflow_env.register_generated(generated)
    return workflow_env


async def test_opening_a_channel_starts_its_welcome_sequence(env: WorkflowTestEnv) -> None:
    result = await open_channel.invoke(env.env, OpenArgs(channel_id="c7", owner="Bo"))

    assert result == {"instance_id": "welcome-c7"}
    instance = env.instance("welcome-c7")
    await instance.wait_for_status("complete")
    assert instance.step("greet").output["text"] == "Welcome, Bo!"


async def test_word_count_is_a_plain_query() -> None:
    assert await word_count.invoke(None, CountArgs(text="messages stream live")) == 3
