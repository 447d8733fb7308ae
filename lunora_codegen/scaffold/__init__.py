"""Scaffolding for ``lunora generate``: append a workflow or a step to the user's package.

Edits are made with libcst and are minimal: the new definition is appended, a missing name is
added to an existing import, and the generated class is re-exported from the worker entry.
Every other byte of the user's files stays as it was.
"""

from __future__ import annotations

from lunora_codegen.scaffold.errors import InvalidNameError, NameTakenError, ScaffoldError
from lunora_codegen.scaffold.names import ExportName, normalize_export_name
from lunora_codegen.scaffold.scaffolder import (
    FileEdit,
    ScaffoldPlan,
    apply_plan,
    plan_step,
    plan_workflow,
    scaffold_step,
    scaffold_workflow,
)

__all__ = [
    "ExportName",
    "FileEdit",
    "InvalidNameError",
    "NameTakenError",
    "ScaffoldError",
    "ScaffoldPlan",
    "apply_plan",
    "normalize_export_name",
    "plan_step",
    "plan_workflow",
    "scaffold_step",
    "scaffold_workflow",
]
