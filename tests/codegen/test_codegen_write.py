"""The writer's promises about the files it touches: permission bits, symlinks, and never
overwriting a file the user saved between planning and writing."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from lunora_codegen.pipeline import run
from lunora_codegen.project import load_project
from lunora_codegen.write import FileChange, FileChangedError, apply, write_atomic

WORKFLOWS = (
    "from lunora_workflow import WorkflowContext, define_workflow\n\n\n"
    "@define_workflow\nasync def {name}(ctx: WorkflowContext[int]) -> int:\n    return 1\n"
)
CONFIG = (
    '// mine\n{\n  "name": "t",\n  "main": "src/entry.py",\n'
    '  "compatibility_date": "2026-06-01",\n  "compatibility_flags": ["python_workers"],\n}\n'
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _project(root: Path, export: str = "welcome") -> Path:
    (root / "src" / "lunora").mkdir(parents=True)
    (root / "src" / "entry.py").write_text("from lunora._generated.workflows import *\n")
    (root / "src" / "lunora" / "__init__.py").write_text("")
    (root / "src" / "lunora" / "workflows.py").write_text(WORKFLOWS.format(name=export))
    (root / "wrangler.jsonc").write_text(CONFIG)
    return root


@pytest.mark.usefixtures("umask_022")
def test_new_files_get_the_umask_default_not_0600(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path))
    result = run(project)
    assert result.applied
    for path in project.generated_dir.glob("*.py"):
        assert _mode(path) == 0o644, path


@pytest.mark.usefixtures("umask_022")
def test_rewritten_files_keep_their_permission_bits(tmp_path: Path) -> None:
    root = _project(tmp_path)
    config = root / "wrangler.jsonc"
    config.chmod(0o664)
    project = load_project(root)
    run(project)
    generated = project.generated_dir / "workflows.py"
    generated.chmod(0o640)
    assert "WORKFLOW_WELCOME" in config.read_text()

    (root / "src" / "lunora" / "workflows.py").write_text(WORKFLOWS.format(name="greet"))
    result = run(project)
    assert {c.path for c in result.changes} >= {generated, config}
    assert "WORKFLOW_GREET" in config.read_text()
    assert config.read_text().startswith("// mine\n")
    assert _mode(config) == 0o664
    assert _mode(generated) == 0o640


def test_a_symlinked_config_is_written_through(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    shared = tmp_path / "shared.jsonc"
    (root / "wrangler.jsonc").rename(shared)
    (root / "wrangler.jsonc").symlink_to(shared)
    run(load_project(root))
    assert (root / "wrangler.jsonc").is_symlink()
    assert "WORKFLOW_WELCOME" in shared.read_text()


def test_a_file_saved_after_planning_is_not_overwritten(tmp_path: Path) -> None:
    root = _project(tmp_path)
    project = load_project(root)
    planned = run(project, check=True)
    config = root / "wrangler.jsonc"
    assert config in {c.path for c in planned.changes}
    saved = CONFIG.replace('"t"', '"renamed"')
    config.write_text(saved)  # the user saves while lunora is between plan and write

    with pytest.raises(FileChangedError, match=r"wrangler\.jsonc changed"):
        apply(planned.changes)
    assert config.read_text() == saved
    assert not project.generated_dir.exists()  # nothing else was written either


def test_a_change_already_on_disk_is_not_a_conflict(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("old\n")
    change = FileChange(path=target, old="old\n", new="new\n")
    write_atomic(target, "new\n")  # someone (another run) wrote the same result first
    apply([change])
    assert target.read_text() == "new\n"
    gone = FileChange(path=tmp_path / "gone.py", old="x\n", new=None)
    apply([gone])  # already deleted: nothing to do
    assert not list(tmp_path.glob(".*.tmp"))
