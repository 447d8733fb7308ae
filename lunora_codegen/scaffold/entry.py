"""Re-exporting a generated workflow class from the worker entry (``main`` in wrangler config).

wrangler finds a workflow's class only among the entry module's names, so a new workflow needs
``from lunora._generated.workflows import OrderPipelineWorkflow`` there. This module plans that
edit: it extends an existing ``from <package>._generated.workflows import (...)`` or adds one,
and grows a literal ``__all__`` when the entry has one. When the entry cannot be edited safely
(missing, unparsable, the package not importable from it), the plan carries the line to add
by hand instead, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lunora_codegen.diagnostics import UserCodeError, display_path
from lunora_codegen.project import Project
from lunora_codegen.render import detect_line_length
from lunora_codegen.scaffold import source

__all__ = ["EntryPlan", "generated_module", "plan_entry_reexport"]


@dataclass(frozen=True)
class EntryPlan:
    """What to do to the worker entry: write ``new_text`` to ``path``, or tell the user."""

    path: Path | None
    new_text: str | None
    message: str


def generated_module(project: Project) -> str:
    """The import path of ``<package>/_generated/workflows.py`` as seen from the worker entry.

    Python Workers import modules relative to the entry's folder, so ``src/lunora`` next to
    ``src/entry.py`` is ``lunora``. Falls back to the package's own name when the package is
    not below the entry's folder (the user must then fix their layout anyway).
    """
    if project.entry_path is not None:
        try:
            relative = project.package_dir.resolve().relative_to(
                project.entry_path.parent.resolve()
            )
        except ValueError:
            pass
        else:
            if relative.parts:
                return ".".join((*relative.parts, "_generated", "workflows"))
    return f"{project.package_name}._generated.workflows"


def plan_entry_reexport(project: Project, class_name: str) -> EntryPlan:
    """Plan the re-export of ``class_name`` from the worker entry."""
    module_name = generated_module(project)
    line = f"from {module_name} import {class_name}"
    entry = project.entry_path
    if entry is None:
        return EntryPlan(None, None, f"no worker entry (`main`) is configured; add `{line}` to it")
    where = display_path(entry)
    if not entry.is_file():
        return EntryPlan(None, None, f"the worker entry {where} does not exist; add `{line}` to it")
    text = entry.read_text(encoding="utf-8")
    try:
        module = source.parse_user_module(entry, text)
    except UserCodeError as error:
        return EntryPlan(None, None, f"{error}\n  left {where} alone; add `{line}` to it by hand")
    if source.imports_name(module, module_name, class_name):
        return EntryPlan(entry, None, f"{where} already re-exports {class_name}")
    taken = source.find_binding(module, class_name)
    if taken is not None:
        row, column = source.position(module, taken.node)
        return EntryPlan(
            None,
            None,
            f"{where}:{row}:{column} already binds {class_name} to something else; "
            f"make it `{line}` by hand",
        )
    first_party = frozenset({module_name.split(".")[0]})
    module, _added = source.ensure_from_import(
        module, module_name, [class_name], first_party, line_length=detect_line_length(entry.parent)
    )
    module, in_all = source.add_to_dunder_all(module, class_name)
    message = f"re-exported {class_name} from {where}"
    if in_all is None:
        message += f" (its __all__ is not a literal list: add {class_name!r} to it by hand)"
    elif in_all:
        message += " (and added it to __all__)"
    return EntryPlan(entry, module.code, message)
