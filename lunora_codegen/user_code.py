"""Importing the user's project on this machine, for the commands that run its code.

``lunora codegen`` never imports user code; ``lunora run`` and the Studio do, through the
generated ``<package>/_generated/workflows.py`` (which imports the user's ``workflows.py``).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path
from types import ModuleType

from lunora_codegen.diagnostics import LunoraToolError, display_path
from lunora_codegen.project import Project

__all__ = ["GeneratedImportError", "import_generated_workflows", "module_root"]


class GeneratedImportError(LunoraToolError):
    """The generated workflows module is missing, or importing it (or the user's code) failed."""


def module_root(project: Project) -> Path:
    """Where Python Workers resolve the project's imports: the directory of wrangler's ``main``.

    Without a ``main``, the directory holding the package.
    """
    return project.entry_path.parent if project.entry_path else project.package_dir.parent


def import_generated_workflows(project: Project, *, search_root: Path | None = None) -> ModuleType:
    """Import ``<package>._generated.workflows`` afresh, with ``search_root`` on ``sys.path``.

    ``search_root`` defaults to :func:`module_root`. The package is imported again even when
    it was imported before: another project's package of the same name may be loaded (tests,
    restarts), or this one's code may have changed since.

    Raises :class:`GeneratedImportError` naming the generated file when it does not exist,
    and the file and line where importing failed when the user's code raises.
    """
    generated = project.generated_dir / "workflows.py"
    if not generated.is_file():
        raise GeneratedImportError(
            f"{display_path(generated)} does not exist: run `lunora codegen` in "
            f"{display_path(project.root)} first"
        )
    root = str((search_root if search_root is not None else module_root(project)).resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    package = project.package_name
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    try:
        return importlib.import_module(f"{package}._generated.workflows")
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{display_path(Path(frames[-1].filename))}:{frames[-1].lineno}: " if frames else ""
        raise GeneratedImportError(
            f"{where}cannot import {package}._generated.workflows: {type(error).__name__}: {error}"
        ) from error
