"""Which files ``lunora dev`` watches, and a content snapshot of them.

Watched: ``*.py`` under the user's package (not ``_generated/``, tests or caches), the wrangler
config, the project's ``pyproject.toml``, and the worker entry the config's ``main`` names (its
re-exports of the generated classes are checked on every run, so a warning about them must go
away when the user fixes the entry). Everything else (``.venv``, ``node_modules``,
``.wrangler``, the rest of ``src/``, editors' temp files) is ignored.

Directories are watched *non-recursively*, one by one: a recursive watch of the project root
would put an inotify watch on every folder of ``node_modules`` and ``.venv``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from lunora_codegen.project import CONFIG_NAMES, Project

__all__ = [
    "EXCLUDED_DIRS",
    "InputFilter",
    "Snapshot",
    "digest",
    "input_files",
    "snapshot",
    "watch_dirs",
]

#: Folder names never looked into, wherever they appear under the package.
EXCLUDED_DIRS = frozenset(
    {
        "_generated",
        "__pycache__",
        "tests",
        "test",
        ".venv",
        "venv",
        "node_modules",
        ".wrangler",
        ".git",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)

#: path -> sha256 of its bytes (``None``: the file is missing or unreadable).
Snapshot = dict[Path, str | None]


def _is_test_module(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


class InputFilter:
    """A ``watchfiles`` filter: True for changes that can affect ``lunora codegen``'s output."""

    def __init__(self, project: Project) -> None:
        self.root = project.root.resolve()
        self.package = project.package_dir.resolve()
        configs = {self.root / name for name in CONFIG_NAMES}
        if project.config_path is not None:
            configs.add(project.config_path.resolve())
        #: the files that decide the project's layout (a change reloads the project)
        self.configs = frozenset({*configs, self.root / "pyproject.toml"})
        #: the worker entry (``main``): only its checks read it, the layout does not depend on it
        self.entry = project.entry_path.resolve() if project.entry_path is not None else None
        self.singles = self.configs | ({self.entry} if self.entry is not None else set())

    def is_package_dir(self, path: Path) -> bool:
        """True for the package folder and its non-excluded subfolders."""
        try:
            relative = path.relative_to(self.package)
        except ValueError:
            return False
        return not any(part in EXCLUDED_DIRS or part.startswith(".") for part in relative.parts)

    def accepts(self, path: Path) -> bool:
        """True for an input file (it need not exist: deletions count too)."""
        if path in self.singles:
            return True
        if path.suffix != ".py" or _is_test_module(path.name) or path.name.startswith("."):
            return False
        return self.is_package_dir(path.parent)

    def __call__(self, change: object, raw_path: str) -> bool:
        path = Path(raw_path)
        if self.accepts(path):
            return True
        # A new sub-package, or a folder on the way to a package that does not exist yet, must
        # be seen, so that the watcher can start watching it.
        if self.is_package_dir(path):
            return path != self.package
        return path != self.root and self.package.is_relative_to(path)


def watch_dirs(project: Project) -> list[Path]:
    """Every folder to watch (non-recursively): the root, the folders of the config and the
    entry, the package tree."""
    rules = InputFilter(project)
    dirs = {rules.root, *(p.parent for p in rules.singles)}
    if rules.package.is_dir():
        for folder, subdirs, _files in os.walk(rules.package):
            subdirs[:] = sorted(
                d for d in subdirs if d not in EXCLUDED_DIRS and not d.startswith(".")
            )
            dirs.add(Path(folder))
    else:
        # No package yet: watch the deepest existing folder on its way, to see it appear.
        ancestor = next((p for p in rules.package.parents if p.is_dir()), rules.root)
        if ancestor.is_relative_to(rules.root):
            dirs.add(ancestor)
    return sorted(d for d in dirs if d.is_dir())


def input_files(project: Project) -> Iterator[Path]:
    """Every existing input file, in a stable order."""
    rules = InputFilter(project)
    for single in sorted(rules.singles):
        if single.is_file():
            yield single
    for folder in watch_dirs(project):
        if not rules.is_package_dir(folder):
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed since it was listed (a branch switch): it holds no inputs now
        for entry in entries:
            path = Path(entry.path)
            if entry.is_file() and rules.accepts(path):
                yield path


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def snapshot(project: Project) -> Snapshot:
    """The content hash of every input file (missing files are absent)."""
    return {path: _digest(path) for path in input_files(project)}


def digest(path: Path) -> str | None:
    """The content hash of one file, ``None`` when it is missing or unreadable."""
    return _digest(path)
