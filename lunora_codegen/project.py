"""Project discovery: where the wrangler config, the worker entry and the ``lunora`` package are.

Python Workers import modules relative to the directory of ``main`` (for ``main =
"src/entry.py"`` that is ``src/``), so the user's package is ``src/lunora/`` there.
``[tool.lunora]`` in the project's ``pyproject.toml`` can override it::

    [tool.lunora]
    package = "src/lunora"          # the folder holding workflows.py, steps.py, _generated/
    config = "wrangler.jsonc"       # the wrangler config to reconcile
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lunora_codegen.diagnostics import ProjectNotFoundError

__all__ = ["CONFIG_NAMES", "Project", "find_project", "load_project", "read_wrangler_config"]

#: wrangler's own precedence (findWranglerConfig): json, then jsonc, then toml.
CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


@dataclass(frozen=True)
class Project:
    """A user's Worker project, with every path the toolchain needs resolved."""

    root: Path
    config_path: Path | None
    entry_path: Path | None
    package_dir: Path

    @property
    def generated_dir(self) -> Path:
        """``<package>/_generated``: the only folder codegen writes on its own."""
        return self.package_dir / "_generated"

    @property
    def workflows_file(self) -> Path:
        """``<package>/workflows.py``: where workflows are declared."""
        return self.package_dir / "workflows.py"

    @property
    def steps_file(self) -> Path:
        """``<package>/steps.py``: where reusable steps are declared."""
        return self.package_dir / "steps.py"

    def source_files(self) -> list[Path]:
        """The user's own modules, sorted: the package's (``_generated/``, hidden folders and
        ``__pycache__`` left out), then the worker entry when it lies outside the package."""
        files: list[Path] = []
        if self.package_dir.is_dir():
            for path in sorted(self.package_dir.rglob("*.py")):
                relative = path.relative_to(self.package_dir).parts
                if relative[0] == "_generated" or any(
                    part.startswith(".") or part == "__pycache__" for part in relative
                ):
                    continue
                files.append(path)
        entry = self.entry_path
        if entry is not None and entry.suffix == ".py" and entry.is_file() and entry not in files:
            files.append(entry)
        return files

    @property
    def package_name(self) -> str:
        """The import name of the user's package (``lunora`` by default)."""
        return self.package_dir.name


def read_wrangler_config(path: Path) -> dict[str, Any]:
    """Parse a wrangler config for discovery. Raises ``ValueError`` with a location on bad input."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".toml":
        data: Any = tomllib.loads(text)
    else:
        # JSONC through the stdlib json fast path, json5 only for JSON5 syntax or errors:
        # pure-Python json5 costs ~0.6 s on a 1,000-workflow config, paid on every run.
        from lunora_codegen.jsonc_read import load_jsonc

        data = load_jsonc(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the top level must be an object")
    return data


def find_project(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding a wrangler config or a pyproject."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in (*CONFIG_NAMES, "pyproject.toml")):
            return folder
    raise ProjectNotFoundError(
        "no wrangler.jsonc, wrangler.json, wrangler.toml or pyproject.toml found "
        f"at or above {start}"
    )


def _tool_settings(root: Path) -> dict[str, Any]:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    settings = data.get("tool", {}).get("lunora", {})
    return settings if isinstance(settings, dict) else {}


def load_project(start: Path | None = None) -> Project:
    """Discover the project at or above ``start`` (default: the current directory)."""
    root = find_project(start if start is not None else Path.cwd())
    settings = _tool_settings(root)

    config_path: Path | None = None
    if isinstance(settings.get("config"), str):
        config_path = root / settings["config"]
    else:
        config_path = next((root / n for n in CONFIG_NAMES if (root / n).is_file()), None)

    entry_path: Path | None = None
    if config_path is not None and config_path.is_file():
        try:
            main = read_wrangler_config(config_path).get("main")
        except (ValueError, OSError):
            main = None  # the reconciler reports a broken config with its exact location
        if isinstance(main, str):
            entry_path = root / main

    if isinstance(settings.get("package"), str):
        package_dir = root / settings["package"]
    elif entry_path is not None:
        package_dir = entry_path.parent / "lunora"
    else:
        package_dir = root / "lunora"
    return Project(
        root=root, config_path=config_path, entry_path=entry_path, package_dir=package_dir
    )
