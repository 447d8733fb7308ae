"""The codegen pipeline: discover -> extract -> model -> render -> plan -> write or check.

:func:`generate` is pure (it reads the user's files, writes nothing) and returns the in-memory
:class:`GeneratedFiles`; golden tests, ``--check`` and watch mode all start from it.
:func:`run` then plans every change (the generated modules, plus whatever the registered
:class:`Planner` steps want, e.g. the wrangler-config reconciler) and applies them unless
``check`` is set. Nothing is written when any diagnostic is an error: :func:`generate` raises
:class:`~lunora_codegen.diagnostics.UserCodeError` before any planning happens.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from lunora_codegen.diagnostics import LunoraToolError, UserCodeError, display_path
from lunora_codegen.extract import ModuleFacts, ParseCache
from lunora_codegen.functions import (
    FunctionsModel,
    build_functions,
    render_functions,
    scan_functions,
)
from lunora_codegen.lints import codegen_gate
from lunora_codegen.model import ProjectModel, build_model
from lunora_codegen.project import Project
from lunora_codegen.render import detect_line_length, render
from lunora_codegen.write import FileChange, apply, plan_generated

__all__ = [
    "GeneratedFiles",
    "PackageNotFoundError",
    "PlanResult",
    "Planner",
    "RunResult",
    "default_cache_path",
    "default_planners",
    "generate",
    "run",
]


class PackageNotFoundError(LunoraToolError):
    """The project has no ``lunora`` package folder where discovery looked."""

    exit_code = 2


@dataclass(frozen=True)
class GeneratedFiles:
    """The result of :func:`generate`: the model and the text of every generated module."""

    project: Project
    model: ProjectModel
    #: path relative to ``project.generated_dir`` -> text
    files: dict[PurePosixPath, str]
    #: the function modules (``query``/``mutation``/``action``) behind ``api.py``/``server.py``
    functions: FunctionsModel | None = None

    def absolute(self) -> dict[Path, str]:
        """The same files keyed by absolute path."""
        return {self.project.generated_dir / rel: text for rel, text in self.files.items()}


@dataclass(frozen=True)
class PlanResult:
    """What one planner wants: file changes, and warnings to show (never fatal)."""

    changes: Sequence[FileChange] = ()
    warnings: Sequence[str] = ()


class Planner(Protocol):
    """A step after rendering that edits files outside ``_generated/`` (the reconciler)."""

    def __call__(self, project: Project, model: ProjectModel, *, prune: bool) -> PlanResult:
        """Plan changes without writing anything."""
        ...


def default_planners() -> list[Planner]:
    """The planners every ``lunora codegen`` run uses after rendering.

    Today that is the wrangler-config reconciler: it keeps ``workflows[]`` of
    ``wrangler.jsonc`` / ``wrangler.json`` / ``wrangler.toml`` in step with the model.
    """
    # Imported here: the reconciler imports the model, so a module-level import would cycle.
    from lunora_codegen.wrangler.planner import wrangler_planner

    return [wrangler_planner]


@dataclass
class RunResult:
    """What :func:`run` did (or, with ``check``, would do)."""

    generated: GeneratedFiles
    changes: list[FileChange]
    warnings: list[str] = field(default_factory=list)
    applied: bool = False
    elapsed: float = 0.0

    @property
    def up_to_date(self) -> bool:
        """True when nothing needed to change."""
        return not self.changes


def _facts(cache: ParseCache, path: Path, kind: str) -> ModuleFacts | None:
    if not path.exists():
        return None
    return cache.extract(path, "workflow" if kind == "workflow" else "step")


def default_cache_path(project: Project) -> Path:
    """Where one-shot ``lunora codegen`` runs keep parsed facts between processes.

    ``$LUNORA_CACHE_DIR``, else ``$XDG_CACHE_HOME/lunora``, else ``~/.cache/lunora``; one file
    per project (like black's cache, it lives outside the project so that nothing but
    ``_generated/`` is ever written there).
    """
    base = os.environ.get("LUNORA_CACHE_DIR")
    if base:
        folder = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        folder = (Path(xdg) if xdg else Path.home() / ".cache") / "lunora"
    key = hashlib.sha256(str(project.package_dir.resolve()).encode()).hexdigest()[:16]
    return folder / f"codegen-{key}.pickle"


def generate(project: Project, *, cache: ParseCache | None = None) -> GeneratedFiles:
    """Read ``workflows.py`` and ``steps.py`` and render ``_generated/`` in memory.

    Raises :class:`UserCodeError` with every diagnostic when the user's files have problems.
    Pass a long-lived ``cache`` to re-parse only files that changed since the last call.
    """
    if not project.package_dir.is_dir():
        raise PackageNotFoundError(
            f"no lunora package at {display_path(project.package_dir)}: create "
            f"{display_path(project.workflows_file)}, or set `package` under [tool.lunora] in "
            "pyproject.toml"
        )
    cache = cache if cache is not None else ParseCache()
    workflows = _facts(cache, project.workflows_file, "workflow")
    steps = _facts(cache, project.steps_file, "step")
    functions = scan_functions(project, cache)
    line_length = detect_line_length(project.package_dir)
    # Same facts objects (nothing was re-parsed) and same settings: the output cannot differ,
    # so a long-lived cache (watch mode) skips modelling and rendering as well.
    memo = cache.memo.get("generate")
    if (
        isinstance(memo, _Memo)
        and memo.project == project
        and memo.workflows is workflows
        and memo.steps is steps
        and memo.line_length == line_length
        and memo.functions is functions
    ):
        return memo.generated
    try:
        model = build_model(project.package_name, workflows, steps)
    except UserCodeError as error:
        # report the function modules' problems in the same run
        extra = [d for module in functions.modules for d in module.diagnostics]
        raise UserCodeError({*error.diagnostics, *extra}) from None
    build_functions(functions)
    files = render(model, line_length=line_length)
    files = dict(sorted({**files, **render_functions(functions, line_length=line_length)}.items()))
    generated = GeneratedFiles(project=project, model=model, files=files, functions=functions)
    cache.memo["generate"] = _Memo(
        project, workflows, steps, line_length, generated, functions=functions
    )
    return generated


@dataclass(frozen=True)
class _Memo:
    project: Project
    workflows: ModuleFacts | None
    steps: ModuleFacts | None
    line_length: int
    generated: GeneratedFiles
    functions: FunctionsModel | None = None


def run(
    project: Project,
    *,
    check: bool = False,
    prune: bool = False,
    cache: ParseCache | None = None,
    planners: Sequence[Planner] | None = None,
    lint: bool = True,
) -> RunResult:
    """Generate, plan every change, and apply them unless ``check`` is set.

    With ``lint`` (the default), the error-level gating lints (``lunora_codegen.lints``) run
    after generation and raise :class:`UserCodeError` before anything is planned or written.
    """
    started = time.perf_counter()
    # one cache for both: the gate lints the very trees generation parsed
    cache = cache if cache is not None else ParseCache()
    generated = generate(project, cache=cache)
    if lint:
        blocking = codegen_gate(project, generated.model, cache)
        if blocking:
            raise UserCodeError(blocking)
    changes = plan_generated(project.generated_dir, generated.files)
    warnings: list[str] = []
    for planner in default_planners() if planners is None else planners:
        result = planner(project, generated.model, prune=prune)
        changes.extend(result.changes)
        warnings.extend(result.warnings)
    if not check and changes:
        apply(changes)
    return RunResult(
        generated=generated,
        changes=changes,
        warnings=warnings,
        applied=not check and bool(changes),
        elapsed=time.perf_counter() - started,
    )
