"""The findings of the gating lints, fast enough to run on every ``lunora codegen`` and every
save in ``lunora dev``.

:func:`gate_findings` finds what ``run_lints(project, model, only=FAST_CODES)`` finds (a
test holds the two equal on every lint fixture); ``runner.codegen_gate`` filters and sorts
them the same way. It is fast because every one of these lints is local to one module: the
bodies, their step callbacks, the starts, and the imports, constants, context and handle
names they are resolved through all live in the file they are found in. So:

* the codegen inputs (``workflows.py``, ``steps.py``) are not parsed again: the pipeline's
  :class:`~lunora_codegen.extract.ParseCache` hands over the trees it parsed (in
  ``lunora dev``, from the incremental parser);
* a file whose bytes are unchanged keeps its result, kept by sha256 in ``ParseCache.memo``
  and so saved with the on-disk cache: a no-change CLI rerun reads no file;
* within a changed file, results are kept per top-level statement, keyed by the statement's
  node (the incremental parser keeps the nodes of unchanged statements) and by the
  file-level context the lints read through, so a one-function edit re-lints that function;
* a module other than the codegen inputs is parsed only when its text can hold what these
  lints look for (see :data:`_NEEDLES`).

Only clean results are kept: a statement or file with a finding is linted again on every
run, so a diagnostic's position always comes from the current tree.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lunora_codegen.diagnostics import Diagnostic
from lunora_codegen.extract import EntryKind, ParseCache, module_tree
from lunora_codegen.project import Project

if TYPE_CHECKING:
    # The lint machinery (libcst, pydantic) loads only when the gate runs: a no-change
    # ``lunora codegen`` rerun unpickles :class:`_FileResult` from the on-disk cache, which
    # imports this module, and runs no lint.
    import libcst as cst

    from lunora_codegen.lints.bodies import Body, StepBody
    from lunora_codegen.lints.sources import SourceFile
    from lunora_codegen.lints.wiring import Start
    from lunora_codegen.model import ProjectModel

__all__ = ["FAST_CODES", "GateStats", "gate_findings"]

#: the lints this module runs; ``runner.codegen_gate`` runs any other gating lint the slow way
FAST_CODES = frozenset({"workflow_unknown_target", "step_in_step", "unawaited_step"})

#: A module can hold a workflow body only if it spells ``WorkflowContext`` (a helper is a body
#: by that annotation; handlers live in workflows.py, which is always read), and a start only
#: if it spells ``workflows`` (``workflows(env).get``, ``ctx.workflows.get``), ``branch`` or
#: ``spawn``: the names these lints match come from the source text itself.
_NEEDLES = ("WorkflowContext", "workflows", "branch", "spawn")

_MEMO = "lints:gate"
_SCRATCH = "lints:gate:statements"


@dataclass(frozen=True)
class _FileResult:
    """A file without findings: saved with the on-disk cache."""

    sha256: str
    kind: str
    #: the literal workflow names its starts use
    starts: frozenset[str]


@dataclass
class _Statement:
    """What the gate knows about one top-level statement node (in memory only)."""

    #: imports bound anywhere in the statement, in order
    imports: dict[str, str]
    #: every assignment and call in it, in walk order (for handle names and starts)
    assigns: list[cst.CSTNode]
    calls: list[cst.Call]
    #: the context its bodies were linted in, when they were clean (``None``: not clean)
    body_key: Hashable = None
    #: the context names of its bodies
    ctx_names: frozenset[str] = frozenset()
    #: module-level ``def`` s its bodies pass by name as step callbacks (see ``Body``)
    module_refs: tuple[tuple[str, cst.FunctionDef | None], ...] = ()
    #: the context its starts were found in, and their literal workflow names
    starts_key: Hashable = None
    starts: frozenset[str] = frozenset()


def _walk(
    root: cst.CSTNode, marked: Collection[cst.CSTNode]
) -> tuple[list[cst.CSTNode], dict[cst.CSTNode, list[cst.CSTNode]]]:
    """``list(walk(root))``, and ``list(walk(node))`` for every ``node`` in ``marked``, in
    one pass: a cold gate walks every body once instead of twice (the walk is most of its
    cost). A node's subtree is done when the stack shrinks back below where it was popped."""
    from lunora_codegen.lints.sources import children  # deferred: see TYPE_CHECKING above

    nodes: list[cst.CSTNode] = []
    slices: dict[cst.CSTNode, list[cst.CSTNode]] = {}
    open_marks: list[tuple[cst.CSTNode, int, int]] = []  # (node, start, stack depth)
    stack: list[cst.CSTNode] = [root]
    while stack:
        while open_marks and len(stack) <= open_marks[-1][2]:
            node, start, _depth = open_marks.pop()
            slices[node] = nodes[start:]
        current = stack.pop()
        if current in marked:
            open_marks.append((current, len(nodes), len(stack)))
        nodes.append(current)
        stack.extend(reversed(children(current)))
    for node, start, _depth in open_marks:
        slices[node] = nodes[start:]
    return nodes, slices


def _scan(statement: cst.CSTNode) -> tuple[_Statement, dict[cst.CSTNode, list[cst.CSTNode]]]:
    """The statement's facts, and the nodes of each function body in it (for ``Body``)."""
    # deferred: see the TYPE_CHECKING imports above
    import libcst as cst

    from lunora_codegen.lints.bodies import functions_of
    from lunora_codegen.lints.sources import imports_of

    bodies = {function.body for function in functions_of(statement)}
    nodes, slices = _walk(statement, bodies)
    # exact type tests: none of these classes has subclasses, and isinstance against
    # libcst's ABCs is slow
    imports: list[cst.CSTNode] = []
    assigns: list[cst.CSTNode] = []
    calls: list[cst.Call] = []
    for node in nodes:
        kind = type(node)
        if kind is cst.Call and isinstance(node, cst.Call):  # isinstance narrows the type
            calls.append(node)
        elif kind is cst.Assign:
            assigns.append(node)
        elif kind is cst.Import or kind is cst.ImportFrom:
            imports.append(node)
    return _Statement(imports=imports_of(imports), assigns=assigns, calls=calls), slices


@dataclass
class GateStats:
    """What the last :func:`gate_findings` call did (tests and benchmarks read it)."""

    #: files taken whole from the per-file results
    files_reused: int = 0
    #: files parsed or taken from the pipeline's trees and analysed
    files_analysed: int = 0
    #: top-level statements whose bodies were linted (not taken from the statement cache)
    statements_linted: int = 0


@dataclass
class _Analysis:
    findings: list[Diagnostic]
    #: starts naming a workflow that is not an export (to report with positions)
    unknown: list[Start]
    starts: frozenset[str]
    statements: dict[cst.CSTNode, _Statement]


def _analyse(
    file: SourceFile,
    kind: EntryKind,
    exports: frozenset[str],
    previous: dict[cst.CSTNode, _Statement],
    stats: GateStats,
) -> _Analysis:
    # deferred: see the TYPE_CHECKING imports above
    import libcst as cst

    from lunora_codegen.lints.bodies import (
        functions_of,
        handler_step_body,
        make_body,
        step_bodies,
    )
    from lunora_codegen.lints.steps import check_step_in_step, check_unawaited_steps
    from lunora_codegen.lints.wiring import _StartFinder

    module = file.module
    statements: dict[cst.CSTNode, _Statement] = {}
    walked: dict[cst.CSTNode, list[cst.CSTNode]] = {}
    for node in module.body:
        known = previous.get(node)
        if known is None:
            known, slices = _scan(node)
            walked.update(slices)
        statements[node] = known
    # the same flow-insensitive import map as ``sources._parse`` builds from every node
    for facts in statements.values():
        file.imports.update(facts.imports)
    handlers = {fn: export for export, fn in file.tree.handlers.items()}
    module_defs = {s.name.value: s for s in module.body if isinstance(s, cst.FunctionDef)}
    scope: Hashable = (
        kind,
        frozenset(file.imports.items()),
        frozenset(file.tree.runtime_names.items()),
        file.tree.runtime_modules,
    )
    findings: list[Diagnostic] = []
    ctx_names: set[str] = set()
    for statement, facts in statements.items():
        functions = list(functions_of(statement))
        labels = tuple(handlers.get(fn) if kind == "workflow" else None for fn in functions)
        step_export = (
            handlers.get(statement)
            if kind == "step" and isinstance(statement, cst.FunctionDef)
            else None
        )
        key = (scope, labels, step_export)
        if facts.body_key != key or any(module_defs.get(n) is not d for n, d in facts.module_refs):
            stats.statements_linted += 1
            bodies: list[Body] = []
            for function, label in zip(functions, labels, strict=True):
                body = make_body(file, function, label, walked.get(function.body))
                if body is not None:
                    bodies.append(body)
            steps: list[StepBody] = step_bodies(bodies)
            if step_export is not None:
                assert isinstance(statement, cst.FunctionDef)
                handler = handler_step_body(file, step_export, statement)
                if handler is not None:
                    steps.append(handler)
            found = check_unawaited_steps(bodies) + check_step_in_step(steps)
            findings.extend(found)
            facts.body_key = None if found else key
            facts.ctx_names = frozenset(n for b in bodies for n in b.ctx_names)
            facts.module_refs = tuple(ref for b in bodies for ref in b.module_refs.items())
        ctx_names |= facts.ctx_names
    finder = _StartFinder(file, frozenset(ctx_names), exports, is_home=kind == "workflow")
    finder.collect_handle_names(a for facts in statements.values() for a in facts.assigns)
    # exports are not part of the key: only literal names are kept, and those never go
    # through ``_definition``
    starts_key: Hashable = (
        scope,
        frozenset(file.constants.items()),
        frozenset(ctx_names),
        frozenset(finder.handle_names),
    )
    names: set[str] = set()
    unknown: list[Start] = []
    for facts in statements.values():
        if facts.starts_key != starts_key:
            found_starts = [s for c in facts.calls if (s := finder.start(c)) is not None]
            facts.starts = frozenset(
                s.name for s in found_starts if s.name is not None and not s.is_reference
            )
            facts.starts_key = starts_key
        if not facts.starts <= exports:
            # an unknown name is reported with its position: find the starts again
            found_starts = [s for c in facts.calls if (s := finder.start(c)) is not None]
            unknown.extend(s for s in found_starts if s.name is not None and not s.is_reference)
        names |= facts.starts
    return _Analysis(findings, unknown, frozenset(names), statements)


def _kind(project: Project, path: Path) -> EntryKind:
    if path == project.workflows_file:
        return "workflow"
    if path == project.steps_file:
        return "step"
    return "source"


def gate_findings(
    project: Project, model: ProjectModel, cache: ParseCache, stats: GateStats | None = None
) -> list[Diagnostic]:
    """Every finding of the :data:`FAST_CODES` lints, unsorted and not yet filtered for
    ``# lunora: ignore`` comments (``runner.codegen_gate`` does both)."""
    # deferred: see the TYPE_CHECKING imports above
    from lunora_codegen.lints.sources import SourceFile, constants_of, package_files
    from lunora_codegen.lints.wiring import check_targets

    stats = stats if stats is not None else GateStats()
    exports = frozenset(w.export for w in model.workflows)
    saved = cache.memo.get(_MEMO)
    results: dict[Path, _FileResult] = saved if isinstance(saved, dict) else {}
    scratch = cache.scratch.get(_SCRATCH)
    trees: dict[Path, dict[cst.CSTNode, _Statement]] = scratch if isinstance(scratch, dict) else {}
    fresh: dict[Path, _FileResult] = {}
    fresh_trees: dict[Path, dict[cst.CSTNode, _Statement]] = {}
    findings: list[Diagnostic] = []
    unknown: list[Start] = []
    for path in package_files(project):
        kind = _kind(project, path)
        try:
            digest = cache.digest(path, kind)
            known = results.get(path)
            if (
                known is not None
                and (known.sha256, known.kind) == (digest, kind)
                and known.starts <= exports
            ):
                fresh[path] = known
                stats.files_reused += 1
                continue
            text = cache.text(path, kind)
            if text is None or (kind == "source" and not any(n in text for n in _NEEDLES)):
                fresh[path] = _FileResult(digest, kind, frozenset())
                continue
            parsed = cache.parsed_file(path, kind)
        except OSError:
            continue  # unreadable: a source_error for `lunora check`, not a gating finding
        if parsed.module is None or parsed.source is None:
            # a syntax error: codegen reports it for its inputs, `lunora check` for the rest
            fresh[path] = _FileResult(parsed.sha256, kind, frozenset())
            continue
        stats.files_analysed += 1
        tree_kind: Literal["workflow", "step"] | None = None if kind == "source" else kind
        tree = module_tree(path, parsed.source, parsed.module, tree_kind)
        file = SourceFile(path=path, tree=tree, constants=constants_of(parsed.module))
        analysis = _analyse(file, kind, exports, trees.get(path, {}), stats)
        fresh_trees[path] = analysis.statements
        findings.extend(analysis.findings)
        unknown.extend(analysis.unknown)
        if not analysis.findings and not analysis.unknown:
            fresh[path] = _FileResult(parsed.sha256, kind, analysis.starts)
    cache.scratch[_SCRATCH] = {**{p: t for p, t in trees.items() if p in fresh}, **fresh_trees}
    if fresh != results:
        # a new object only when something changed: ``ParseCache.dirty`` compares identity
        cache.memo[_MEMO] = fresh
    findings.extend(
        d for d in check_targets(project, model, unknown) if d.code == "workflow_unknown_target"
    )
    return findings
