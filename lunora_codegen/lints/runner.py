"""Run the lints over a project: :func:`run_lints` for ``lunora check``, :func:`codegen_gate`
for ``lunora codegen`` (which refuses to write while a gating lint reports an error)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from lunora_codegen.diagnostics import Diagnostic, Severity, UserCodeError
from lunora_codegen.extract import ParseCache
from lunora_codegen.lints.bodies import Body, find_bodies, find_step_bodies
from lunora_codegen.lints.determinism import check_nondeterministic_calls, check_step_names
from lunora_codegen.lints.gate import FAST_CODES, GateStats, gate_findings
from lunora_codegen.lints.registry import RULES
from lunora_codegen.lints.sources import Sources, load_sources
from lunora_codegen.lints.steps import (
    check_duplicate_step_names,
    check_step_in_step,
    check_unawaited_steps,
)
from lunora_codegen.lints.wiring import check_config_lints, check_targets, find_starts
from lunora_codegen.model import ProjectModel
from lunora_codegen.project import Project

__all__ = ["GATING_CODES", "check_project", "codegen_gate", "from_codegen", "run_lints"]

#: the lints ``lunora codegen`` runs before writing (see docs/lints.md for why
#: ``workflow_not_exported`` is not among them)
GATING_CODES = frozenset(code for code, r in RULES.items() if r.gates_codegen)


def from_codegen(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Codegen's own diagnostics, labelled ``source_error`` for ``lunora check``."""
    return [
        d if d.code is not None else dataclasses.replace(d, code="source_error")
        for d in diagnostics
    ]


#: ``# lunora: ignore`` or ``# lunora: ignore[code, ...]`` (``//`` in JSONC) on the reported line
_SUPPRESS = re.compile(r"(?:#|//)\s*lunora:\s*ignore(?:\[([a-z_,\s]*)\])?")


def _suppressed(diagnostic: Diagnostic, lines: dict[Path, list[str]]) -> bool:
    if diagnostic.code == "source_error":
        return False
    if diagnostic.path not in lines:
        try:
            text = diagnostic.path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = ""
        lines[diagnostic.path] = text.splitlines()
    source = lines[diagnostic.path]
    if not 0 < diagnostic.line <= len(source):
        return False
    match = _SUPPRESS.search(source[diagnostic.line - 1])
    if match is None:
        return False
    codes = match.group(1)
    return codes is None or diagnostic.code in {c.strip() for c in codes.split(",")}


def _body_lints(
    sources: Sources, bodies: list[Body], model: ProjectModel | None
) -> dict[str, Callable[[], list[Diagnostic]]]:
    step_names = {s.export: s.name for s in model.steps} if model is not None else {}
    return {
        "step_in_step": lambda: check_step_in_step(find_step_bodies(sources, bodies)),
        "unawaited_step": lambda: check_unawaited_steps(bodies),
        "duplicate_step_name": lambda: check_duplicate_step_names(bodies, step_names),
        "nondeterministic_call": lambda: check_nondeterministic_calls(bodies),
        "step_name_not_literal": lambda: check_step_names(bodies),
    }


def run_lints(
    project: Project, model: ProjectModel | None, *, only: Collection[str] | None = None
) -> list[Diagnostic]:
    """Every finding of the selected lints (all by default), sorted and without duplicates.

    ``model`` is codegen's model of the project, or ``None`` when codegen rejected the
    declarations: the lints that need the list of workflows are then skipped.
    """

    def selected(*codes: str) -> bool:
        return only is None or any(code in only for code in codes)

    sources = load_sources(project)
    found: list[Diagnostic] = []
    if selected("source_error"):
        # syntax errors in workflows.py / steps.py are codegen's to report
        generated_inputs = {project.workflows_file, project.steps_file}
        found.extend(p for p in sources.problems if p.path not in generated_inputs)
    bodies = find_bodies(sources)
    if model is not None and selected("workflow_unknown_target", "workflow_unused"):
        exports = frozenset(w.export for w in model.workflows)
        targets = check_targets(project, model, find_starts(sources, bodies, exports))
        found.extend(d for d in targets if only is None or d.code in only)
    if selected("workflow_not_exported", "config_compat_date"):
        config = check_config_lints(project, model)
        found.extend(d for d in config if only is None or d.code in only)
    for code, lint in _body_lints(sources, bodies, model).items():
        if selected(code):
            found.extend(lint())
    lines: dict[Path, list[str]] = {}
    unique = {
        (d.path, d.line, d.column, d.code, d.message): d for d in found if not _suppressed(d, lines)
    }
    return sorted(unique.values())


def codegen_gate(
    project: Project,
    model: ProjectModel,
    cache: ParseCache | None = None,
    stats: GateStats | None = None,
) -> list[Diagnostic]:
    """The error-level findings that stop ``lunora codegen`` from writing.

    Pass the pipeline's ``cache``: the gate then reuses its parsed trees and keeps its own
    results there, per file and per statement (:mod:`lunora_codegen.lints.gate`), so it
    re-lints only what changed. The findings are those of
    ``run_lints(project, model, only=GATING_CODES)``.
    """
    found = gate_findings(project, model, cache if cache is not None else ParseCache(), stats)
    slow = GATING_CODES - FAST_CODES  # a gating rule the fast gate does not know yet
    if slow:
        found.extend(run_lints(project, model, only=slow))
    lines: dict[Path, list[str]] = {}
    unique = {
        (d.path, d.line, d.column, d.code, d.message): d for d in found if not _suppressed(d, lines)
    }
    return sorted(d for d in unique.values() if d.severity is Severity.ERROR)


def check_project(project: Project) -> list[Diagnostic]:
    """What ``lunora check`` reports: codegen's own diagnostics (as ``source_error``) and every
    lint, sorted. Writes nothing."""
    # imported here: the pipeline imports this package for its gate
    from lunora_codegen.pipeline import generate

    diagnostics: list[Diagnostic] = []
    model: ProjectModel | None = None
    try:
        model = generate(project).model
    except UserCodeError as error:
        diagnostics.extend(from_codegen(error.diagnostics))
    diagnostics.extend(run_lints(project, model))
    return sorted(set(diagnostics))
