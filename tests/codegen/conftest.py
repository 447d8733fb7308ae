"""Shared helpers for the codegen tests: fixture projects copied into tmp_path."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "codegen"
EXAMPLE = REPO / "examples" / "chat-app"
BIN = Path(sys.executable).parent
UPDATE_GOLDEN = os.environ.get("LUNORA_UPDATE_GOLDEN") == "1"

#: every folder under fixtures/codegen/ is a golden case: an input project plus expected/
GOLDEN_CASES = sorted(d.name for d in FIXTURES.iterdir() if d.is_dir())


def copy_project(source: Path, destination: Path) -> Path:
    """Copy a fixture project (without its ``expected/`` goldens or generated output)."""
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns("expected", "_generated", "__pycache__", ".mypy_cache"),
    )
    return destination


@pytest.fixture(autouse=True)
def lunora_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the CLI's on-disk parse cache out of the user's home during tests."""
    folder = tmp_path / "lunora-cache"
    monkeypatch.setenv("LUNORA_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def make_project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a throwaway project from ``{relative path: text}`` and return its root."""

    def build(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        if "pyproject.toml" not in files and "wrangler.jsonc" not in files:
            (root / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "0"\n')
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return build


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below ``folder`` with its mtime_ns and bytes."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
