"""``lunora generate workflow|step``: plan every edit, validate it, then write.

A scaffold touches up to three files (the target module, a new package ``__init__.py``, the
worker entry). All of them are computed and checked in memory first; a refused name, a syntax
error in the user's file or a template bug raises before any byte is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import libcst as cst

from lunora_codegen.diagnostics import Diagnostic, UserCodeError, display_path
from lunora_codegen.project import Project
from lunora_codegen.render import detect_line_length
from lunora_codegen.scaffold import source
from lunora_codegen.scaffold.entry import plan_entry_reexport
from lunora_codegen.scaffold.errors import NameTakenError
from lunora_codegen.scaffold.files import write_atomic
from lunora_codegen.scaffold.names import ExportName, normalize_export_name
from lunora_codegen.scaffold.templates import render
from lunora_workflow.naming import class_name as workflow_class_name
from lunora_workflow.naming import words

__all__ = [
    "FileEdit",
    "ScaffoldPlan",
    "apply_plan",
    "plan_step",
    "plan_workflow",
    "scaffold_step",
    "scaffold_workflow",
    "step_args_class",
]

Kind = Literal["workflow", "step"]


@dataclass(frozen=True)
class FileEdit:
    """One file to write, and a past-tense line saying what writing it does."""

    path: Path
    text: str
    summary: str


@dataclass(frozen=True)
class ScaffoldPlan:
    """Everything one ``lunora generate`` call will write, plus notes for the user."""

    kind: Kind
    name: ExportName
    edits: tuple[FileEdit, ...]
    notes: tuple[str, ...] = field(default=())


def step_args_class(name: str) -> str:
    """The args dataclass scaffolded with a step: ``charge_order`` -> ``ChargeOrderArgs``."""
    return "".join(word[:1].upper() + word[1:] for word in words(name)) + "Args"


def _refuse_taken(kind: Kind, name: str, module: cst.Module, path: Path, wanted: str) -> None:
    taken = source.find_binding(module, wanted)
    if taken is None:
        return
    line, column = source.position(module, taken.node)
    where = f"{display_path(path)}:{line}:{column}"
    if wanted == name:
        raise NameTakenError(f'{kind} "{name}" already exists in {where} — pick a different name')
    raise NameTakenError(
        f'{kind} "{name}" needs the name {wanted}, which already exists in {where} '
        "— pick a different name"
    )


def _refuse_colliding_workflow(name: str, module: cst.Module, path: Path) -> None:
    """Two exports that derive the same class (``order_pipeline`` / ``orderPipeline``) collide."""
    wanted = workflow_class_name(name)
    for binding in source.bindings(module):
        # Classes, constants, private helpers and imports are never workflow exports.
        if binding.name == name or not binding.name[:1].islower():
            continue
        if isinstance(binding.node, cst.ImportAlias):
            continue
        if words(binding.name) == words(name):
            line, column = source.position(module, binding.node)
            raise NameTakenError(
                f'workflow "{name}" would generate the same class {wanted} as '
                f'"{binding.name}" in {display_path(path)}:{line}:{column} '
                "— pick a different name"
            )


def _checked(path: Path, original: str, new_text: str) -> str:
    """``new_text`` if it compiles; a located user error if the user's own file does not."""
    try:
        compile(new_text, str(path), "exec", dont_inherit=True)
    except SyntaxError:
        try:
            compile(original, str(path), "exec", dont_inherit=True)
        except SyntaxError as error:
            diagnostic = Diagnostic(
                path, error.lineno or 1, error.offset or 1, f"syntax error: {error.msg}"
            )
            raise UserCodeError([diagnostic]) from None
        raise  # our template produced bad code: a bug, shown with its traceback
    return new_text


def _plan_module(
    project: Project,
    kind: Kind,
    name: str,
    path: Path,
    block: str,
    module_template: str,
    imports: tuple[tuple[str, tuple[str, ...]], ...],
    taken_names: tuple[str, ...],
    context: dict[str, str],
) -> list[FileEdit]:
    edits: list[FileEdit] = []
    where = display_path(path)
    original = path.read_text(encoding="utf-8") if path.is_file() else ""
    if not original.strip():
        text = render(module_template, **context)
        summary = f"created {where} with {kind} {name}"
        if not project.package_dir.is_dir():
            init = project.package_dir / "__init__.py"
            doc = '"""Durable workflows and steps, wired up by `lunora codegen`."""\n'
            edits.append(FileEdit(init, doc, f"created {display_path(init)}"))
        edits.append(FileEdit(path, _checked(path, original, text), summary))
        return edits
    module = source.parse_user_module(path, original)
    for wanted in taken_names:
        _refuse_taken(kind, name, module, path, wanted)
    if kind == "workflow":
        _refuse_colliding_workflow(name, module, path)
    added: list[str] = []
    line_length = detect_line_length(path.parent)
    for source_module, names in imports:
        module, new_names = source.ensure_from_import(
            module, source_module, names, line_length=line_length
        )
        added.extend(new_names)
    text = source.append_block(module.code, block, module.default_newline)
    summary = f"appended {kind} {name} to {where}"
    if added:
        summary += f" (imported {', '.join(added)})"
    edits.append(FileEdit(path, _checked(path, original, text), summary))
    return edits


def _wrap_def(project: Project, one_line_def: str) -> str:
    """ "1" when the ``def`` line would pass the project's (ruff) line length, else ""."""
    return "" if len(one_line_def) <= detect_line_length(project.package_dir) else "1"


def plan_workflow(project: Project, given: str) -> ScaffoldPlan:
    """Plan ``lunora generate workflow --name <given>`` without writing anything."""
    name = normalize_export_name(given, "workflow")
    package = display_path(project.package_dir, project.root)
    signature = (
        f"async def {name.name}(ctx: WorkflowContext[dict[str, object]]) -> dict[str, object]:"
    )
    context = {"name": name.name, "package": package, "wrap_def": _wrap_def(project, signature)}
    edits = _plan_module(
        project,
        "workflow",
        name.name,
        project.workflows_file,
        render("workflow.py.jinja", **context),
        "workflows_module.py.jinja",
        (("lunora_workflow", ("WorkflowContext", "define_workflow")),),
        (name.name,),
        context,
    )
    entry = plan_entry_reexport(project, workflow_class_name(name.name))
    notes: list[str] = []
    if entry.path is not None and entry.new_text is not None:
        edits.append(FileEdit(entry.path, entry.new_text, entry.message))
    else:
        notes.append(entry.message)
    return ScaffoldPlan("workflow", name, tuple(edits), tuple(notes))


def plan_step(project: Project, given: str) -> ScaffoldPlan:
    """Plan ``lunora generate step --name <given>`` without writing anything."""
    name = normalize_export_name(given, "step")
    args_class = step_args_class(name.name)
    signature = f"async def {name.name}(ctx: StepContext, args: {args_class}) -> dict[str, object]:"
    context = {
        "name": name.name,
        "args_class": args_class,
        "wrap_def": _wrap_def(project, signature),
    }
    edits = _plan_module(
        project,
        "step",
        name.name,
        project.steps_file,
        render("step.py.jinja", **context),
        "steps_module.py.jinja",
        (
            ("dataclasses", ("dataclass",)),
            ("lunora_workflow", ("StepContext", "define_step")),
        ),
        (name.name, args_class),
        context,
    )
    return ScaffoldPlan("step", name, tuple(edits))


def apply_plan(plan: ScaffoldPlan) -> None:
    """Write every planned file (each one atomically)."""
    for edit in plan.edits:
        write_atomic(edit.path, edit.text)


def scaffold_workflow(project: Project, given: str) -> ScaffoldPlan:
    """Append a new workflow to ``<package>/workflows.py`` and re-export it from the entry."""
    plan = plan_workflow(project, given)
    apply_plan(plan)
    return plan


def scaffold_step(project: Project, given: str) -> ScaffoldPlan:
    """Append a new ``define_step`` (with its args dataclass) to ``<package>/steps.py``."""
    plan = plan_step(project, given)
    apply_plan(plan)
    return plan
