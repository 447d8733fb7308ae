"""The local backend's clock (real and fast time) and the catalog's view of a project."""

from __future__ import annotations

from pathlib import Path

import pytest

from lunora_codegen.diagnostics import UserCodeError
from lunora_codegen.project import load_project
from lunora_codegen.studio.backend import InvalidRequestError, UnknownWorkflowError
from lunora_codegen.studio.catalog import Catalog, CatalogError, load_catalog
from lunora_codegen.studio.local import LocalBackend

from .conftest import copy_example

WELCOME = {"channel_id": "c", "user_name": "u"}
APPROVAL = {"request_id": "r", "amount_cents": 1}


async def test_real_time_sleeps_take_their_time(catalog: Catalog) -> None:
    # No driver task: the test moves the clock by hand, as the driver would with wall time.
    backend = LocalBackend(catalog, speed="real")
    started = await backend.start("channel_welcome", WELCOME, "w")
    assert started.status == "queued"
    await backend.drive_once(0)
    detail = await backend.instance("channel_welcome", "w")
    assert detail.summary.status == "waiting"
    settle = detail.steps[1]
    assert (settle.name, settle.type, settle.success) == ("settle", "sleep", None)
    assert settle.note is not None
    assert settle.note.startswith("sleeping until")
    await backend.drive_once(59_000)
    assert (await backend.instance("channel_welcome", "w")).summary.status == "waiting"
    await backend.drive_once(1_000)
    done = await backend.instance("channel_welcome", "w")
    assert done.summary.status == "complete"
    assert done.summary.ended is not None


async def test_fast_time_skips_sleeps_but_not_event_timeouts(catalog: Catalog) -> None:
    backend = LocalBackend(catalog, speed="fast")
    await backend.start("expense_approval", APPROVAL, "e")
    await backend.start("channel_welcome", WELCOME, "w")
    before = backend.engine.clock.now_ms
    await backend.drive_once(0)
    assert (await backend.instance("channel_welcome", "w")).summary.status == "complete"
    approval = await backend.instance("expense_approval", "e")
    assert approval.summary.status == "waiting"
    assert approval.waiting_for == ("approval",)
    # Only the one-minute sleep was skipped; the seven-day event wait still has its time.
    assert backend.engine.clock.now_ms - before == 60_000
    await backend.send_event("expense_approval", "e", "approval", {"approved": False})
    await backend.drive_once(0)
    rejected = await backend.instance("expense_approval", "e")
    assert rejected.summary.status == "errored"
    assert rejected.error is not None
    assert "rejected" in rejected.error


async def test_local_backend_refuses_what_cannot_apply(catalog: Catalog) -> None:
    backend = LocalBackend(catalog, speed="fast")
    with pytest.raises(UnknownWorkflowError):
        await backend.start("nope", {}, None)
    await backend.start("channel_welcome", WELCOME, "same")
    with pytest.raises(InvalidRequestError, match="already exists"):
        await backend.start("channel_welcome", WELCOME, "same")
    with pytest.raises(ValueError, match="speed"):
        LocalBackend(catalog, speed="warp")  # type: ignore[arg-type]


def test_local_env_has_the_wrangler_vars(catalog: Catalog) -> None:
    backend = LocalBackend(catalog)
    assert backend.engine.env.SUPPORT_EMAIL == "support@example.com"


def test_catalog_describes_each_workflow(catalog: Catalog) -> None:
    info = catalog.get("order_pipeline").info
    assert (info.class_name, info.binding, info.name) == (
        "OrderPipelineWorkflow",
        "WORKFLOW_ORDER_PIPELINE",
        "orders",
    )
    assert (info.params_type, info.output_type) == ("OrderParams", "OrderOutput")
    assert info.source_file == "src/lunora/workflows.py"
    source = (catalog.project.root / "src/lunora/workflows.py").read_text().splitlines()
    assert source[(info.source_line or 0) - 1].startswith("order_pipeline = define_workflow(")
    assert catalog.by_name("orders") is catalog.get("order_pipeline")
    assert catalog.warnings == ()


def test_catalog_needs_codegen_first(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "app")
    for generated in (project / "src/lunora/_generated").iterdir():
        generated.unlink()
    with pytest.raises(CatalogError, match="run `lunora codegen`"):
        load_catalog(load_project(project))


def test_catalog_warns_when_generated_code_is_stale(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "app")
    workflows = project / "src/lunora/workflows.py"
    workflows.write_text(
        workflows.read_text()
        + "\n\n@define_workflow\nasync def late_addition(ctx: WorkflowContext[dict]) -> None:\n"
        "    return None\n"
    )
    catalog = load_catalog(load_project(project))
    assert len(catalog.warnings) == 1
    assert "run `lunora codegen`" in catalog.warnings[0]
    # the generated module is stale: the catalog lists what it declares, without late_addition
    assert [e.info.export for e in catalog.entries] == [
        "channel_welcome",
        "expense_approval",
        "image_tag",
        "media_pipeline",
        "order_pipeline",
        "thumbnail",
        "transcribe",
    ]


def test_catalog_reports_errors_in_user_code(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "app")
    workflows = project / "src/lunora/workflows.py"
    workflows.write_text(workflows.read_text() + "\ndef broken(:\n")
    with pytest.raises(UserCodeError) as caught:
        load_catalog(load_project(project))
    assert "workflows.py:" in str(caught.value)
