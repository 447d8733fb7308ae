"""The project's workflows, for the Studio: names, types, source positions and Start forms.

The Studio runs on the developer's machine, so unlike ``lunora codegen`` it may import the
user's code: it imports the generated ``<package>/_generated/workflows.py`` (which imports the
user's ``workflows.py``), reads ``SPECS`` for the names codegen chose, and takes the params
and output types from each handler's annotations (``WorkflowContext[P]`` and the return type).
Importing gives the real type objects, which is what Start forms and validation need.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

from lunora_codegen.diagnostics import LunoraToolError, display_path
from lunora_codegen.project import Project
from lunora_codegen.studio.backend import UnknownWorkflowError, WorkflowInfo
from lunora_codegen.studio.forms import describe_fields, params_kind, type_label
from lunora_codegen.user_code import GeneratedImportError, import_generated_workflows

__all__ = ["Catalog", "CatalogEntry", "CatalogError", "load_catalog"]


class CatalogError(LunoraToolError):
    """The project's generated module is missing or cannot be imported."""

    exit_code = 1


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    """One workflow: what the pages show, plus the live objects the engine and forms use."""

    info: WorkflowInfo
    spec: Any
    params_type: Any
    entrypoint_class: Any


@dataclasses.dataclass(frozen=True)
class Catalog:
    """Every workflow of the project, sorted by export name, and the imported module."""

    project: Project
    module: ModuleType
    entries: tuple[CatalogEntry, ...]
    warnings: tuple[str, ...] = ()

    @property
    def workflows(self) -> list[WorkflowInfo]:
        """The :class:`WorkflowInfo` of every workflow."""
        return [entry.info for entry in self.entries]

    def get(self, export: str) -> CatalogEntry:
        """The entry for ``export``; raises :class:`UnknownWorkflowError`."""
        for entry in self.entries:
            if entry.info.export == export:
                return entry
        known = ", ".join(e.info.export for e in self.entries) or "none"
        raise UnknownWorkflowError(f"no workflow named {export!r} (known: {known})")

    def by_name(self, name: str) -> CatalogEntry | None:
        """The entry whose export or deployed name is ``name``."""
        for entry in self.entries:
            if name in (entry.info.export, entry.info.name):
                return entry
        return None


def _handler_of(definition: Any) -> Any:
    for attribute in ("handler", "fn", "func", "__wrapped__"):
        candidate = getattr(definition, attribute, None)
        if callable(candidate):
            return candidate
    return definition if callable(definition) else None


def _types_of(definition: Any, handler: Any) -> tuple[Any, Any]:
    """(params type, output type) from the definition, else from the handler's annotations."""
    params = getattr(definition, "params_type", None)
    output = getattr(definition, "output_type", None)
    if handler is None or (params is not None and output is not None):
        return params, output
    try:
        hints = typing.get_type_hints(handler)
    except (NameError, TypeError):
        return params, output
    try:
        first = next(iter(inspect.signature(handler).parameters.values()), None)
    except (TypeError, ValueError):
        first = None
    if params is None and first is not None and first.name in hints:
        args = typing.get_args(hints[first.name])
        params = args[0] if args else None
    if output is None and "return" in hints:
        output = hints["return"]
    return params, output


def _source_of(handler: Any, root: Path) -> tuple[str | None, int | None]:
    if handler is None:
        return None, None
    target = inspect.unwrap(handler)
    try:
        file = inspect.getsourcefile(target)
        _lines, line = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return None, None
    if file is None:
        return None, None
    # getsourcelines points at the first decorator; the def line is what users search for.
    return display_path(Path(file), root), max(line, 1)


def _import_generated(project: Project) -> ModuleType:
    # The package's own parent, so the package imports even when wrangler's ``main`` (which
    # ``lunora run`` puts on sys.path) sits elsewhere.
    try:
        return import_generated_workflows(project, search_root=project.package_dir.parent)
    except GeneratedImportError as error:
        raise CatalogError(str(error)) from error


def _static_model(project: Project) -> tuple[dict[str, Any], list[str]]:
    """Codegen's model of each workflow (by export), and warnings such as stale output.

    Raises :class:`~lunora_codegen.diagnostics.UserCodeError` when the user's files have
    problems, exactly as ``lunora codegen`` would report them.
    """
    from lunora_codegen.pipeline import generate

    generated = generate(project)
    warnings: list[str] = []
    stale = sorted(
        display_path(path, project.root)
        for path, text in generated.absolute().items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    )
    if stale:
        warnings.append(
            f"generated code is out of date ({', '.join(stale)}): run `lunora codegen` and "
            "restart the Studio to pick up your latest changes"
        )
    return {w.export: w for w in generated.model.workflows}, warnings


def load_catalog(project: Project) -> Catalog:
    """Describe each workflow: names and positions from codegen's model, types by importing.

    The generated module is imported for ``SPECS`` and the live params types; codegen's static
    model supplies the types as written and the exact source positions.
    """
    static, warnings = _static_model(project)
    module = _import_generated(project)
    specs = getattr(module, "SPECS", None)
    if not isinstance(specs, dict):
        raise CatalogError(
            f"{display_path(project.generated_dir / 'workflows.py')} has no SPECS: "
            "re-run `lunora codegen` (it was written by an older version)"
        )
    entries: list[CatalogEntry] = []
    for export in sorted(specs):
        spec = specs[export]
        definition = getattr(spec, "definition", None)
        handler = _handler_of(definition)
        params, output = _types_of(definition, handler)
        file, line = _source_of(handler, project.root)
        model = static.get(export)
        params_text = type_label(params) if params is not None else None
        output_text = type_label(output) if output is not None else None
        if model is not None:
            file = display_path(model.position.path, project.root)
            line = model.position.line
            params_text = model.params.written or model.params.text
            output_text = model.output.written or model.output.text
        class_name = str(getattr(spec, "class_name", ""))
        doc = inspect.getdoc(handler) if handler is not None else None
        info = WorkflowInfo(
            export=export,
            class_name=class_name,
            binding=str(getattr(spec, "binding", "")),
            name=str(getattr(spec, "name", export)),
            params_type=params_text,
            output_type=output_text,
            source_file=file,
            source_line=line,
            doc=doc.splitlines()[0] if doc else None,
            fields=describe_fields(params),
            params_kind=params_kind(params),
        )
        entries.append(
            CatalogEntry(
                info=info,
                spec=spec,
                params_type=params,
                entrypoint_class=getattr(module, class_name, None),
            )
        )
    return Catalog(project=project, module=module, entries=tuple(entries), warnings=tuple(warnings))
