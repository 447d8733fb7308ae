"""Shared helpers for the lint tests: fixture projects and their ``expect:`` markers."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from lunora_codegen.diagnostics import Diagnostic

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "lints"
EXAMPLE = REPO / "examples" / "chat-app"

#: ``# expect: code[, code]`` (Python) or ``// expect: code`` (JSONC) at the end of a line
#: marks the findings the line must produce; lines without a marker must produce none.
_MARKER = re.compile(r"(?:#|//)\s*expect:\s*([a-z_]+(?:\s*,\s*[a-z_]+)*)")

#: every fixture project: fixtures/lints/<code>/<case>/
CASES = sorted(
    f"{code.name}/{case.name}"
    for code in FIXTURES.iterdir()
    if code.is_dir()
    for case in code.iterdir()
    if case.is_dir()
)


def expected_findings(root: Path) -> Counter[tuple[str, int, str]]:
    """``(relative path, line, code)`` for every ``expect:`` marker under ``root``."""
    found: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(root.rglob("*")):
        if path.suffix not in {".py", ".jsonc", ".toml"} or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _MARKER.search(line)
            if match:
                for code in match.group(1).split(","):
                    found[(relative, number, code.strip())] += 1
    return found


def actual_findings(root: Path, diagnostics: list[Diagnostic]) -> Counter[tuple[str, int, str]]:
    """The same shape, from real diagnostics."""
    return Counter(
        (d.path.resolve().relative_to(root.resolve()).as_posix(), d.line, d.code or "")
        for d in diagnostics
    )


@pytest.fixture
def make_project(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a throwaway project from ``{relative path: text}`` and return its root."""

    def build(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        if "pyproject.toml" not in files and "wrangler.jsonc" not in files:
            (root / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "0"\n')
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        return root

    return build
