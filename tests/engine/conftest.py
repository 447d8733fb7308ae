"""Fixtures for the engine tests that run the example app's code on this machine."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat-app"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A copy of the example app; ``sys.path`` and the user's ``lunora`` package are restored."""
    target = tmp_path / "chat-app"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    saved_path = list(sys.path)
    yield target
    sys.path[:] = saved_path
    for name in [m for m in sys.modules if m == "lunora" or m.startswith("lunora.")]:
        del sys.modules[name]
