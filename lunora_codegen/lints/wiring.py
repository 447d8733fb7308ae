"""Wiring: ``workflow_unknown_target``, ``workflow_unused``, ``workflow_not_exported`` and
``config_compat_date``.

Starts are found by call shape, in every module of the package and the worker entry:

* ``workflows(env).get("x")`` where ``workflows`` is imported from ``<package>._generated.
  workflows`` (under any alias), and ``.get`` on a name assigned from such a call;
* ``<ctx>.workflows.get("x")`` where the object holding ``workflows`` is a workflow context
  parameter or is spelled ``ctx`` / ``context`` (``self.ctx.workflows.get`` included);
* ``branch("x", ...)`` where ``branch`` comes from ``lunora_workflow``;
* ``<ctx>.spawn("x", ...)`` on a context as above (``pool.spawn(...)``, ``pexpect.spawn(...)``
  are not workflow starts).

The workflow is the first argument (``name=`` for ``get``, ``workflow=`` for ``branch`` and
``spawn``): a string literal or a top-level string constant, or, for ``branch``/``spawn``, the
definition itself (an export of workflows.py, by name or through an import). Anything else is a
*dynamic* start: never reported as unknown, and it silences ``workflow_unused`` for the whole
project.

The worker-entry and config checks are the wrangler reconciler's (``lunora_codegen.wrangler.
checks``), re-labelled with these codes.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import libcst as cst

from lunora_codegen.diagnostics import Diagnostic, Severity, display_path
from lunora_codegen.lints.bodies import Body, argument
from lunora_codegen.lints.registry import rule
from lunora_codegen.lints.sources import SourceFile, Sources, dotted
from lunora_codegen.model import ProjectModel
from lunora_codegen.project import Project

__all__ = ["Start", "check_config_lints", "check_targets", "find_starts"]

_GENERATED_FACTORY = "_generated.workflows.workflows"
_CONTEXT_SPELLINGS = frozenset({"ctx", "context"})


@dataclass(frozen=True)
class Start:
    """A call that starts (or gets a handle on) a workflow by name."""

    file: SourceFile
    call: cst.Call
    #: how the callee is spelled: ``workflows(self.env).get``, ``ctx.spawn``, ``branch``
    shape: str
    name_node: cst.BaseExpression
    #: the workflow's export name, or ``None`` when it is computed
    name: str | None
    #: the workflow was passed as its definition, not by a string
    is_reference: bool = False


class _StartFinder:
    def __init__(
        self, file: SourceFile, ctx_names: frozenset[str], exports: frozenset[str], is_home: bool
    ) -> None:
        self.file = file
        self.ctx_names = ctx_names
        self.exports = exports
        #: this file is workflows.py, where the exports are plain names
        self.is_home = is_home
        self.handle_names: set[str] = set()

    def _definition(self, node: cst.BaseExpression) -> str | None:
        """The export a reference to a workflow definition names (``branch(image_tag, ...)``,
        ``ctx.spawn(workflows.image_tag, ...)``), else ``None``."""
        if self.is_home and isinstance(node, cst.Name) and node.value in self.exports:
            return node.value
        qualified = self.file.qualify(node)
        if qualified is None:
            return None
        module, _, name = qualified.rpartition(".")
        if name in self.exports and module.rsplit(".", 1)[-1] == "workflows":
            return name
        return None

    def _is_factory_call(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        qualified = self.file.qualify(node.func)
        return qualified is not None and (
            qualified == _GENERATED_FACTORY or qualified.endswith("." + _GENERATED_FACTORY)
        )

    def _is_context(self, node: cst.BaseExpression) -> bool:
        """A workflow/function context: a context parameter, or spelled ``ctx``/``context``."""
        text = dotted(node)
        if text is None or text.split(".")[0] in self.file.imports:
            return False  # a module attribute is not a context
        return text in self.ctx_names or text.rsplit(".", 1)[-1] in _CONTEXT_SPELLINGS

    def _is_context_handle(self, node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "workflows"
            and self._is_context(node.value)
        )

    def is_handle(self, node: cst.BaseExpression) -> bool:
        return (
            self._is_factory_call(node)
            or self._is_context_handle(node)
            or (isinstance(node, cst.Name) and node.value in self.handle_names)
        )

    def collect_handle_names(self, nodes: Iterable[cst.CSTNode] | None = None) -> None:
        """Names assigned a workflows handle, among ``nodes`` (every node of the file by
        default), in order: ``h = workflows(env)`` then ``h2 = h``."""
        for node in self.file.nodes if nodes is None else nodes:
            if isinstance(node, cst.Assign) and self.is_handle(node.value):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        self.handle_names.add(target.target.value)

    def start(self, call: cst.Call) -> Start | None:
        func = call.func
        keyword: str | None = None  # how the workflow argument is spelled as a keyword
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if method == "get" and self.is_handle(receiver):
                keyword = "name"
            elif method == "spawn" and self._is_context(receiver):
                keyword = "workflow"
        if keyword is None and self.file.runtime_attr(func) == "branch":
            keyword = "workflow"
        if keyword is None:
            return None
        name_node = argument(call, 0, keyword)
        if name_node is None:
            return None
        shape = self.file.code(func)
        literal = self.file.literal(name_node)
        if literal is not None:
            return Start(self.file, call, shape, name_node, literal)
        # branch()/spawn() also take the definition itself: a static start of that export
        definition = self._definition(name_node) if keyword == "workflow" else None
        return Start(self.file, call, shape, name_node, definition, is_reference=True)


def find_starts(sources: Sources, bodies: list[Body], exports: frozenset[str]) -> list[Start]:
    """Every workflow start in the package and the worker entry, in file order."""
    starts: list[Start] = []
    for file in sources.files:
        ctx_names = frozenset(n for b in bodies if b.file is file for n in b.ctx_names)
        finder = _StartFinder(file, ctx_names, exports, is_home=file is sources.workflows)
        finder.collect_handle_names()
        for node in file.nodes:
            if isinstance(node, cst.Call):
                start = finder.start(node)
                if start is not None:
                    starts.append(start)
    return starts


def _suggestion(name: str, model: ProjectModel) -> str | None:
    for workflow in model.workflows:
        if name == workflow.name and name != workflow.export:
            return (
                f'"{name}" is the deployed name of "{workflow.export}"; '
                f'these calls take the export name: "{workflow.export}"'
            )
        if name in (workflow.class_name, workflow.binding):
            return f'"{name}" names the export "{workflow.export}"; pass "{workflow.export}"'
    close = difflib.get_close_matches(name, [w.export for w in model.workflows], n=1)
    if close:
        return f'did you mean "{close[0]}"?'
    return None


def check_targets(project: Project, model: ProjectModel, starts: list[Start]) -> list[Diagnostic]:
    """``workflow_unknown_target`` for every start naming no export, and ``workflow_unused``
    for every export nothing starts (unless some start is dynamic)."""
    unknown = rule("workflow_unknown_target")
    exports = {w.export for w in model.workflows}
    where = display_path(project.workflows_file, project.root)
    found: list[Diagnostic] = []
    for start in starts:
        if start.name is None or start.is_reference or start.name in exports:
            continue
        declared = (
            f"which {where} does not export"
            if model.has_workflows_module
            else f"but there is no {where}"
        )
        found.append(
            unknown.diagnostic(
                start.file.where(start.name_node),
                f'`{start.shape}("{start.name}")` references workflow "{start.name}", {declared}',
                hint=_suggestion(start.name, model),
            )
        )
    if any(start.name is None for start in starts):
        return found
    started = {start.name for start in starts}
    unused = rule("workflow_unused")
    for workflow in model.workflows:
        if workflow.export in started:
            continue
        position = workflow.position
        found.append(
            unused.diagnostic(
                (position.path, position.line, position.column),
                f'workflow "{workflow.export}" is declared but nothing in this project starts it '
                f'(no `workflows(env).get("{workflow.export}")`, `ctx.workflows.get`, `branch` '
                "or `ctx.spawn` names it)",
            )
        )
    return found


#: wrangler check code -> (lint code, severity); ``None`` drops it: an entry that does not
#: parse (LW100) is already a ``source_error`` from reading the package
_CONFIG_CODES: dict[str, tuple[str, Severity] | None] = {
    "LW100": None,
    "LW101": ("workflow_not_exported", Severity.ERROR),
    "LW102": ("workflow_not_exported", Severity.ERROR),
    "LW103": ("workflow_not_exported", Severity.ERROR),
    # imported but left out of a literal __all__: exported today, at risk from linters
    "LW104": ("workflow_not_exported", Severity.WARNING),
    "LW105": ("config_compat_date", Severity.WARNING),
    "LW106": ("config_compat_date", Severity.WARNING),
}
_NEEDS_CLASSES = frozenset({"LW101", "LW102"})


def check_config_lints(project: Project, model: ProjectModel | None) -> list[Diagnostic]:
    """``workflow_not_exported`` and ``config_compat_date``, from the reconciler's checks.

    Without a model (codegen rejected the declarations) only the config is checked. A missing
    or broken ``main`` is a ``workflow_not_exported`` error only when there are classes to
    export.
    """
    # imported here so that `lunora codegen`'s gate, which skips these lints, does not load
    # the reconciler
    from lunora_codegen.wrangler.checks import check_config

    if project.config_path is None or not project.config_path.is_file():
        return []
    classes = [w.class_name for w in model.workflows] if model is not None else []
    found: list[Diagnostic] = []
    for diagnostic in check_config(
        project.config_path, classes, entry_path=project.entry_path, package=project.package_name
    ):
        original = diagnostic.code or ""
        if original not in _CONFIG_CODES:
            found.append(diagnostic)
            continue
        mapped = _CONFIG_CODES[original]
        if mapped is None or (original in _NEEDS_CLASSES and not classes):
            continue
        code, severity = mapped
        found.append(dataclasses.replace(diagnostic, code=code, severity=severity))
    return found
