"""The validated model between extraction and rendering.

:func:`build_model` turns the facts extracted from ``workflows.py`` and ``steps.py`` into a
frozen :class:`ProjectModel`, sorted by export name, after checking what only the whole project
can tell: invalid export or deployed names, and two exports whose class, binding or deployed
name would collide. Every problem becomes a ``path:line:col`` diagnostic; all of them are
raised together as one :class:`~lunora_codegen.diagnostics.UserCodeError`.

The pydantic validators re-check the invariants (sorted, unique) so that a bug in the builder
can never reach the renderer; users only ever see the diagnostics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from lunora_codegen.diagnostics import Diagnostic, UserCodeError
from lunora_codegen.extract import ImportSpec, ModuleFacts, TypeRef, WorkflowDecl
from lunora_workflow import naming

__all__ = [
    "ImportModel",
    "ModelMemo",
    "ProjectModel",
    "SourcePosition",
    "StepModel",
    "TypeModel",
    "WorkflowBinding",
    "WorkflowModel",
    "build_model",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourcePosition(_Frozen):
    """Where a declaration is: the file, and the 1-based line and column of its name."""

    path: Path
    line: int
    column: int


class ImportModel(_Frozen):
    """An import the generated module needs for a type reference."""

    module: str
    name: str | None = None
    alias: str | None = None


class TypeModel(_Frozen):
    """A Params or Output type as the generated module spells it (``Any`` if unresolvable)."""

    text: str
    imports: tuple[ImportModel, ...] = ()
    written: str | None = None
    resolved: bool = True


class WorkflowBinding(_Frozen):
    """One ``workflows[]`` entry of the wrangler config, as the reconciler wants it."""

    binding: str
    class_name: str
    name: str


class WorkflowModel(_Frozen):
    """One exported workflow with every name derived from it."""

    export: str
    class_name: str
    binding: str
    name: str
    name_override: str | None
    form: Literal["decorator", "call"]
    handler: str
    params: TypeModel
    output: TypeModel
    position: SourcePosition


class StepModel(_Frozen):
    """One reusable step from ``steps.py`` (for lints; steps generate no code)."""

    export: str
    name: str
    name_override: str | None
    form: Literal["decorator", "call"]
    handler: str
    is_async: bool
    position: SourcePosition


class ProjectModel(_Frozen):
    """Everything the renderer and the reconciler need, sorted by export name."""

    package: str
    has_workflows_module: bool
    workflows: tuple[WorkflowModel, ...] = ()
    steps: tuple[StepModel, ...] = ()

    @model_validator(mode="after")
    def _invariants(self) -> Self:
        exports = [w.export for w in self.workflows]
        if exports != sorted(exports):
            raise ValueError("workflows must be sorted by export name")
        for attribute in ("export", "class_name", "binding", "name"):
            values = [getattr(w, attribute) for w in self.workflows]
            if len(set(values)) != len(values):
                raise ValueError(f"workflow {attribute}s must be unique")
        step_exports = [s.export for s in self.steps]
        if step_exports != sorted(step_exports):
            raise ValueError("steps must be sorted by export name")
        return self

    @property
    def bindings(self) -> list[WorkflowBinding]:
        """``(binding, class_name, name)`` per workflow, in export order, for the reconciler."""
        return [
            WorkflowBinding(binding=w.binding, class_name=w.class_name, name=w.name)
            for w in self.workflows
        ]


def _type_model(ref: TypeRef) -> TypeModel:
    return TypeModel(
        text=ref.text,
        imports=tuple(_import_model(spec) for spec in ref.imports),
        written=ref.written,
        resolved=ref.resolved,
    )


def _import_model(spec: ImportSpec) -> ImportModel:
    return ImportModel(module=spec.module, name=spec.name, alias=spec.alias)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _collisions(
    workflows: list[WorkflowModel],
) -> list[Diagnostic]:
    """Two exports that would generate the same class, binding or deployed name."""
    diagnostics: list[Diagnostic] = []
    by_position = sorted(workflows, key=lambda w: (w.position.line, w.position.column, w.export))
    owners: dict[tuple[str, str], WorkflowModel] = {}
    for workflow in by_position:
        clashes: list[str] = []
        first: WorkflowModel | None = None
        for label, value in (
            ("class", workflow.class_name),
            ("binding", workflow.binding),
            ("workflow name", workflow.name),
        ):
            owner = owners.get((label, value))
            if owner is None:
                owners[(label, value)] = workflow
                continue
            first = first or owner
            clashes.append(f"{label} {value!r}")
        if first is not None:
            where = f"line {first.position.line}"
            diagnostics.append(
                Diagnostic(
                    workflow.position.path,
                    workflow.position.line,
                    workflow.position.column,
                    f"workflow {workflow.export!r} collides with {first.export!r} ({where}): "
                    f"both produce {_join(clashes)}",
                    hint="rename one export, or give it a different name=",
                )
            )
    return diagnostics


def _workflow_entry(decl: WorkflowDecl, path: Path) -> WorkflowModel | Diagnostic:
    """The model of one declaration, or the diagnostic that keeps it out of the model: a
    function of ``decl`` and ``path`` alone (what :class:`ModelMemo` relies on)."""
    position = SourcePosition(path=path, line=decl.line, column=decl.column)
    problem = naming.export_name_problem(decl.export)
    if problem is not None:
        return Diagnostic(position.path, position.line, position.column, problem)
    if decl.name_override is None:
        # name= is checked where it is written; a name derived from a long export must
        # be checked too, or Cloudflare rejects it only at deploy time
        problem = naming.deployed_name_problem(naming.deployed_name(decl.export))
        if problem is not None:
            return Diagnostic(
                position.path,
                position.line,
                position.column,
                f"{problem} (derived from the export {decl.export!r})",
                hint="give it a shorter name= (at most 64 characters)",
            )
    return WorkflowModel(
        export=decl.export,
        class_name=naming.class_name(decl.export),
        binding=naming.binding_name(decl.export),
        name=naming.deployed_name(decl.export, decl.name_override),
        name_override=decl.name_override,
        form=decl.form,
        handler=decl.handler,
        params=_type_model(decl.params),
        output=_type_model(decl.output),
        position=position,
    )


class ModelMemo:
    """Per-workflow models carried from one :func:`build_model` call to the next.

    A workflow's model (or the diagnostic that keeps it out) is a pure function of its
    declaration and the file's path (:func:`_workflow_entry`), and both are immutable,
    hashable values compared field by field, so an entry is reused exactly when a fresh
    build would compute an equal one. Only the entries the latest build used are kept.
    """

    def __init__(self) -> None:
        self._previous: dict[tuple[WorkflowDecl, Path], WorkflowModel | Diagnostic] = {}
        self._current: dict[tuple[WorkflowDecl, Path], WorkflowModel | Diagnostic] = {}

    def workflow(self, decl: WorkflowDecl, path: Path) -> WorkflowModel | Diagnostic:
        """``_workflow_entry(decl, path)``, reused when the last build saw an equal pair."""
        key = (decl, path)
        found = self._current.get(key)
        if found is None:
            found = self._previous.get(key)
            if found is None:
                found = _workflow_entry(decl, path)
            self._current[key] = found
        return found

    def rotate(self) -> None:
        """Start a new build: forget the declarations the last one did not use."""
        self._previous, self._current = self._current, {}


def build_model(
    package: str,
    workflows_facts: ModuleFacts | None,
    steps_facts: ModuleFacts | None,
    memo: ModelMemo | None = None,
) -> ProjectModel:
    """Validate the extracted facts and build the model; raise :class:`UserCodeError` listing
    every problem (extraction problems included) when there is any.

    ``memo`` (kept by ``lunora dev`` between runs) reuses the per-workflow models of
    declarations seen in the previous build; the result is the same without it."""
    diagnostics: list[Diagnostic] = []
    workflows: list[WorkflowModel] = []
    steps: list[StepModel] = []
    if workflows_facts is not None:
        diagnostics.extend(workflows_facts.diagnostics)
        if memo is not None:
            memo.rotate()
        for decl in workflows_facts.workflows:
            entry = (
                memo.workflow(decl, workflows_facts.path)
                if memo is not None
                else _workflow_entry(decl, workflows_facts.path)
            )
            if isinstance(entry, Diagnostic):
                diagnostics.append(entry)
            else:
                workflows.append(entry)
        diagnostics.extend(_collisions(workflows))
    if steps_facts is not None:
        diagnostics.extend(steps_facts.diagnostics)
        step_names: dict[str, StepModel] = {}
        for step_decl in steps_facts.steps:
            position = SourcePosition(
                path=steps_facts.path, line=step_decl.line, column=step_decl.column
            )
            # the runtime names a step after its handler function unless name= is given
            name = (
                step_decl.name_override
                if step_decl.name_override is not None
                else step_decl.handler
            )
            message: str | None = None
            if name in step_names:
                other = step_names[name]
                message = (
                    f"step {step_decl.export!r} has the same name {name!r} as step "
                    f"{other.export!r} (line {other.position.line}); step names must be unique"
                )
            if message is not None:
                diagnostics.append(
                    Diagnostic(position.path, position.line, position.column, message)
                )
                continue
            step = StepModel(
                export=step_decl.export,
                name=name,
                name_override=step_decl.name_override,
                form=step_decl.form,
                handler=step_decl.handler,
                is_async=step_decl.is_async,
                position=position,
            )
            step_names[name] = step
            steps.append(step)
    if any(d.is_error for d in diagnostics):
        raise UserCodeError(sorted(set(diagnostics)))
    return ProjectModel(
        package=package,
        has_workflows_module=workflows_facts is not None,
        workflows=tuple(sorted(workflows, key=lambda w: w.export)),
        steps=tuple(sorted(steps, key=lambda s: s.export)),
    )
