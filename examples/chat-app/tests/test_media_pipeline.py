"""The media pipeline: three child workflows in parallel, tested with the public testing API."""

from __future__ import annotations

import pytest
from lunora._generated import workflows as generated
from lunora.workflows import MediaJob, MediaSummary

from lunora_workflow.testing import WorkflowTestEnv

pytestmark = pytest.mark.asyncio


@pytest.fixture
def env(workflow_env: WorkflowTestEnv) -> WorkflowTestEnv:
    workflow_env.register_generated(generated)
    return workflow_env


async def test_each_branch_runs_as_its_own_child_instance(env: WorkflowTestEnv) -> None:
    handle = generated.workflows(env.env).get("media_pipeline")
    job = MediaJob(media_id="m1", url="https://cdn.example.com/cats/sunny-beach.jpg")
    await handle.create(params=job, id="media-m1")
    parent = env.instance("media-m1")

    await parent.wait_for_status("complete")

    status = await handle.get("media-m1").status()
    assert status.output == MediaSummary(
        media_id="m1",
        tags=["beach", "cats", "jpg", "sunny"],
        thumbnail="thumbs/m1-256.jpg",
        words=4,
    )
    children = {i.id: i.workflow_name for i in env.instances if i.id != "media-m1"}
    assert children == {
        "media-m1-c0": "image-tag",
        "media-m1-c1": "thumbnail",
        "media-m1-c2": "transcribe",
    }
    assert [s.name for s in parent.steps] == [
        "lunora:spawn:media-m1-c0",
        "lunora:spawn:media-m1-c1",
        "lunora:spawn:media-m1-c2",
        "lunora:await:media-m1-c0",
        "lunora:await:media-m1-c1",
        "lunora:await:media-m1-c2",
        "index",
    ]


async def test_a_failing_branch_fails_the_pipeline(env: WorkflowTestEnv) -> None:
    env.modify("broken-c1").mock_step_error("render", RuntimeError("renderer down"))
    parent = await env.create(
        "media_pipeline", {"media_id": "m2", "url": "https://x/y.png"}, id="broken"
    )

    await parent.wait_for_status("errored")

    assert parent.error is not None
    assert parent.error.message.startswith('ctx.parallel: branch "thumbnail" (#1) failed: ')
    assert "renderer down" in parent.error.message
