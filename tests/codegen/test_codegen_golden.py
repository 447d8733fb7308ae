"""Golden tests: every fixture project renders exactly its expected ``_generated/`` files.

Refresh the goldens with ``LUNORA_UPDATE_GOLDEN=1 pytest tests/codegen``; review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lunora_codegen.model import ProjectModel
from lunora_codegen.pipeline import run
from lunora_codegen.project import load_project

from .conftest import FIXTURES, GOLDEN_CASES, UPDATE_GOLDEN, copy_project


def model_json(model: ProjectModel, root: Path) -> str:
    """The model as stable JSON, with paths relative to the project root."""

    def relative(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: relative(v) for k, v in value.items()}
        if isinstance(value, list):
            return [relative(v) for v in value]
        if isinstance(value, str) and value.startswith(str(root)):
            return Path(value).relative_to(root).as_posix()
        return value

    data = relative(model.model_dump(mode="json"))
    data["bindings"] = [b.model_dump(mode="json") for b in model.bindings]
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_golden_output(case: str, tmp_path: Path) -> None:
    root = copy_project(FIXTURES / case, tmp_path / case)
    project = load_project(root)
    result = run(project)
    actual = {str(rel): text for rel, text in result.generated.files.items()}
    actual["model.json"] = model_json(result.generated.model, root)

    expected_dir = FIXTURES / case / "expected"
    if UPDATE_GOLDEN:
        if expected_dir.exists():
            for old in expected_dir.iterdir():
                old.unlink()
        expected_dir.mkdir(exist_ok=True)
        for name, text in actual.items():
            (expected_dir / name).write_text(text, encoding="utf-8", newline="\n")

    expected = {p.name: p.read_text(encoding="utf-8") for p in sorted(expected_dir.iterdir())}
    assert sorted(actual) == sorted(expected)
    for name in expected:
        assert actual[name] == expected[name], f"{case}/{name} differs from the golden"
    # what run() wrote is exactly what generate() rendered
    for rel, text in result.generated.files.items():
        written = (project.generated_dir / rel).read_bytes()
        assert written == text.encode("utf-8")
    assert not (project.generated_dir / "model.json").exists()
