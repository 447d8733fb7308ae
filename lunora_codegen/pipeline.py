"""The codegen pipeline: discover -> extract -> model -> render -> plan -> write or check.

:func:`generate` is pure (it reads the user's files, writes nothing) and returns the in-memory
:class:`GeneratedFiles`; golden tests, ``--check`` and watch mode all start from it.
:func:`run` then plans every change (the generated modules, plus whatever the registered
:class:`Planner` steps want, e.g. the wrangler-config reconciler) and applies them unless
``check`` is set. Nothing is written when any diagnostic is an error: :func:`generate` raises
:class:`~lunora_codegen.diagnostics.UserCodeError` before any planning happens.

A run that changes nothing stays light: with a warm :class:`ParseCache` (kept in memory by
``lunora dev``, restored from disk by a one-shot ``lunora codegen``) nothing is parsed,
modelled or rendered, the lint gate and the wrangler reconciler are skipped while every file
they read is unchanged since they last came back clean (:data:`_GATE_MEMO`, :data:`_PLAN_MEMO`),
and libcst, pydantic, Jinja, json5 and tomlkit are never imported (a test holds the CLI to
that; project discovery still reads ``main`` from a JSON/JSONC wrangler config with json5).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from lunora_codegen.diagnostics import LunoraToolError, UserCodeError, display_path
from lunora_codegen.extract import EntryKind, ModuleFacts, ParseCache
from lunora_codegen.functions import (
    FunctionsModel,
    build_functions,
    render_functions,
    scan_functions,
)
from lunora_codegen.project import Project
from lunora_codegen.render import ViewMemo, detect_line_length, render
from lunora_codegen.write import FileChange, apply, plan_generated

if TYPE_CHECKING:
    # pydantic (the model) loads only when a model must be built: see the module docstring
    from lunora_codegen.model import ProjectModel

__all__ = [
    "GeneratedFiles",
    "ModelOutline",
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
class ModelOutline:
    """What a run that changes nothing needs from the model, as plain data (no pydantic)."""

    package: str
    has_workflows_module: bool
    #: every workflow export, sorted
    exports: tuple[str, ...]
    #: ``(binding, class_name, name)`` per workflow, in export order
    bindings: tuple[tuple[str, str, str], ...]

    @classmethod
    def of(cls, model: ProjectModel) -> ModelOutline:
        """The outline of ``model``."""
        return cls(
            package=model.package,
            has_workflows_module=model.has_workflows_module,
            exports=tuple(w.export for w in model.workflows),
            bindings=tuple((w.binding, w.class_name, w.name) for w in model.workflows),
        )


def _digest_files(files: dict[PurePosixPath, str]) -> str:
    digest = hashlib.sha256()
    for relative, text in sorted(files.items()):
        digest.update(f"{relative}\0{len(text)}\0{text}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class GeneratedFiles:
    """The result of :func:`generate`: the model and the text of every generated module.

    The on-disk cache stores it without its pydantic :attr:`model` (see ``__getstate__``):
    :attr:`outline` answers what a no-change run asks, and :attr:`model` is rebuilt from
    :attr:`sources` the first time something needs it.
    """

    project: Project
    outline: ModelOutline
    #: path relative to ``project.generated_dir`` -> text
    files: dict[PurePosixPath, str]
    #: the function modules (``query``/``mutation``/``action``) behind ``api.py``/``server.py``
    functions: FunctionsModel | None = None
    #: the facts of ``workflows.py`` and ``steps.py`` the model was built from
    sources: tuple[ModuleFacts | None, ModuleFacts | None] = (None, None)
    #: sha256 of :attr:`files` (part of the reconciler's skip key)
    digest: str = ""
    _model: ProjectModel | None = field(default=None, repr=False, compare=False)

    @property
    def model(self) -> ProjectModel:
        """The validated model (rebuilt from :attr:`sources` after a restore from disk)."""
        if self._model is None:
            # deferred: a no-change run never needs the pydantic model
            from lunora_codegen.model import build_model

            # same facts as when it was first built, so this cannot raise
            object.__setattr__(self, "_model", build_model(self.outline.package, *self.sources))
        assert self._model is not None
        return self._model

    def __getstate__(self) -> dict[str, object]:
        # pickled without the model: unpickling it would import pydantic
        return {**self.__dict__, "_model": None}

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


#: folders never searched for a misplaced package (dependencies, virtualenvs, build output)
_NOT_SEARCHED = frozenset({"node_modules", "_generated", "__pycache__", "build", "dist"})


def _misplaced_packages(project: Project) -> list[Path]:
    """Folders named like the package, up to two levels below the root, that hold Python
    modules: where a user who put the package in the wrong place most likely put it."""
    name = project.package_dir.name
    found: list[Path] = []
    for pattern in (name, f"*/{name}", f"*/*/{name}"):
        for folder in sorted(project.root.glob(pattern)):
            parts = folder.relative_to(project.root).parts[:-1]
            if any(part.startswith(".") or part in _NOT_SEARCHED for part in parts):
                continue
            if folder.is_dir() and any(folder.glob("*.py")):
                found.append(folder)
    return found


def _missing_package(project: Project) -> str:
    """Say where the package was looked for and why, what codegen reads from it (workflows
    *and* function modules: a project may have either), and where a misplaced one is."""
    where = display_path(project.package_dir)
    if project.entry_path is not None and project.config_path is not None:
        main = project.entry_path.relative_to(project.root).as_posix()
        why = f" (beside the worker entry {main}, main in {project.config_path.name})"
    else:
        why = ""
    message = (
        f"no lunora package at {where}{why}: codegen reads workflows from "
        f"{display_path(project.workflows_file)} and functions from the other modules of "
        f"{where}/; create it, or set `package` under [tool.lunora] in pyproject.toml"
    )
    found = _misplaced_packages(project)
    if found:
        relative = found[0].relative_to(project.root).as_posix()
        message += (
            f"; {display_path(found[0])}/ holds Python modules: if that is your package, set "
            f'`package = "{relative}"` under [tool.lunora] or move it to {where}'
        )
    return message


def generate(project: Project, *, cache: ParseCache | None = None) -> GeneratedFiles:
    """Read ``workflows.py`` and ``steps.py`` and render ``_generated/`` in memory.

    Raises :class:`UserCodeError` with every diagnostic when the user's files have problems.
    Pass a long-lived ``cache`` to re-parse only files that changed since the last call.
    """
    if not project.package_dir.is_dir():
        raise PackageNotFoundError(_missing_package(project))
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
    # deferred: pydantic loads only when something changed and the model must be built
    from lunora_codegen.model import ModelMemo, build_model

    # in memory only (``scratch`` is never saved): unpickling models would import pydantic
    model_memo = cache.scratch.get(_MODEL_MEMO)
    if not isinstance(model_memo, ModelMemo):
        model_memo = cache.scratch[_MODEL_MEMO] = ModelMemo()
    try:
        model = build_model(project.package_name, workflows, steps, model_memo)
    except UserCodeError as error:
        # report the function modules' problems in the same run
        extra = [d for module in functions.modules for d in module.diagnostics]
        raise UserCodeError({*error.diagnostics, *extra}) from None
    build_functions(functions)
    view_memo = cache.scratch.get(_VIEW_MEMO)
    if not isinstance(view_memo, ViewMemo):
        view_memo = cache.scratch[_VIEW_MEMO] = ViewMemo()
    files = render(model, line_length=line_length, memo=view_memo)
    files = dict(sorted({**files, **render_functions(functions, line_length=line_length)}.items()))
    generated = GeneratedFiles(
        project=project,
        outline=ModelOutline.of(model),
        files=files,
        functions=functions,
        sources=(workflows, steps),
        digest=_digest_files(files),
        _model=model,
    )
    cache.memo["generate"] = _Memo(
        project, workflows, steps, line_length, generated, functions=functions
    )
    return generated


#: ``ParseCache.scratch`` key of the per-workflow model memo (``model.ModelMemo``)
_MODEL_MEMO = "model"
#: ``ParseCache.scratch`` key of the per-workflow render memo (``render.ViewMemo``)
_VIEW_MEMO = "render:views"


@dataclass(frozen=True)
class _Memo:
    project: Project
    workflows: ModuleFacts | None
    steps: ModuleFacts | None
    line_length: int
    generated: GeneratedFiles
    functions: FunctionsModel | None = None


def _lint_inputs(project: Project) -> list[Path]:
    """The files the lint gate reads (``lints.sources.package_files`` is the same list; that
    module imports libcst, so the no-change check asks the project directly)."""
    return project.source_files()


#: ``cache.memo`` key: the inputs the lint gate last found nothing in
_GATE_MEMO = "pipeline:gate"


def _gate_key(project: Project, outline: ModelOutline, cache: ParseCache) -> object | None:
    """Everything the gate's verdict depends on: each file's bytes (by the cache's stamps, so
    an unchanged file is not read), the exports, and the project layout. ``None`` when a file
    cannot be read (the gate decides what that means)."""
    stamps: list[tuple[Path, EntryKind, str]] = []
    for path in _lint_inputs(project):
        kind: EntryKind = (
            "workflow"
            if path == project.workflows_file
            else "step"
            if path == project.steps_file
            else "source"
        )
        try:
            stamps.append((path, kind, cache.digest(path, kind)))
        except OSError:
            return None
    return (project, outline.exports, outline.has_workflows_module, tuple(stamps))


def _gate(project: Project, generated: GeneratedFiles, cache: ParseCache) -> None:
    """Run the error-level lints unless every file they read is as when they last passed.

    The gate's verdict is a function of the files' bytes and the exports (its own per-file
    results in ``cache.memo`` are kept by the same keys); only a clean verdict is kept, so a
    finding is always reported from the current files.
    """
    key = _gate_key(project, generated.outline, cache)
    if key is not None and cache.memo.get(_GATE_MEMO) == key:
        return
    # deferred: the lints import libcst
    from lunora_codegen.lints import codegen_gate

    blocking = codegen_gate(project, generated.model, cache)
    if blocking:
        raise UserCodeError(blocking)
    if key is not None:
        cache.memo[_GATE_MEMO] = key


#: ``cache.memo`` key: the inputs the default planners last wanted no change for
_PLAN_MEMO = "pipeline:plan"


@dataclass(frozen=True)
class _PlanMemo:
    key: object
    warnings: tuple[str, ...]


def _file_stamp(path: Path | None) -> str:
    """sha256 of a file's bytes; ``""`` when there is no such file. Raises ``OSError``."""
    if path is None or not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _plan_key(project: Project, generated: GeneratedFiles, *, prune: bool) -> object | None:
    """What the wrangler reconciler reads: the config, ``pyproject.toml`` (its environments),
    the worker entry (its checks), the bindings, and the previous ``_generated/workflows.py``
    (the caller makes sure it is exactly ``generated.files``, so their digest stands for it).
    ``None`` when one of the files cannot be read (the reconciler decides what that means)."""
    try:
        config = _file_stamp(project.config_path)
        pyproject = _file_stamp(project.root / "pyproject.toml")
        entry = _file_stamp(project.entry_path)
    except OSError:
        return None
    outline = generated.outline
    return (project, prune, outline.bindings, generated.digest, config, pyproject, entry)


def _default_plan(
    project: Project,
    generated: GeneratedFiles,
    cache: ParseCache,
    *,
    prune: bool,
    generated_unchanged: bool,
) -> PlanResult:
    """The default planners' result; when nothing they read changed since they last wanted no
    change, that verdict and its warnings without importing them (they import json5, tomlkit,
    libcst and the model)."""
    # the previous generated module is one of their inputs: only when it is on disk exactly
    # as rendered does ``generated.digest`` stand for it
    key = _plan_key(project, generated, prune=prune) if generated_unchanged else None
    memo = cache.memo.get(_PLAN_MEMO)
    if key is not None and isinstance(memo, _PlanMemo) and memo.key == key:
        return PlanResult(warnings=list(memo.warnings))
    changes: list[FileChange] = []
    warnings: list[str] = []
    for planner in default_planners():
        result = planner(project, generated.model, prune=prune)
        changes.extend(result.changes)
        warnings.extend(result.warnings)
    if key is not None and not changes:
        cache.memo[_PLAN_MEMO] = _PlanMemo(key, tuple(warnings))
    return PlanResult(changes=changes, warnings=warnings)


def _warm_plan(
    project: Project, generated: GeneratedFiles, cache: ParseCache, *, prune: bool
) -> None:
    """Record the default planners' verdict on the files just written (see ``run(warm=)``).

    Only the memo is kept: a change they still want is left to the next run, which plans it
    again and reports it; a config they cannot read now is reported by that run as well.
    """
    with contextlib.suppress(UserCodeError, LunoraToolError, OSError):
        # ``_generated/`` now holds exactly ``generated.files``
        _default_plan(project, generated, cache, prune=prune, generated_unchanged=True)


def run(
    project: Project,
    *,
    check: bool = False,
    prune: bool = False,
    cache: ParseCache | None = None,
    planners: Sequence[Planner] | None = None,
    lint: bool = True,
    warm: bool = False,
) -> RunResult:
    """Generate, plan every change, and apply them unless ``check`` is set.

    With ``lint`` (the default), the error-level gating lints (``lunora_codegen.lints``) run
    after generation and raise :class:`UserCodeError` before anything is planned or written.
    ``planners=None`` means :func:`default_planners`, skipped (with their last warnings
    repeated) while nothing they read has changed since they last wanted no change.

    ``warm`` (the one-shot CLI): after writing, run the default planners once more on the
    files as written, so that the next run finds their verdict in ``cache`` and need not
    import them. ``lunora dev`` leaves it off: it would pay twice on every save.
    """
    started = time.perf_counter()
    # one cache for both: the gate lints the very trees generation parsed
    cache = cache if cache is not None else ParseCache()
    generated = generate(project, cache=cache)
    if lint:
        _gate(project, generated, cache)
    changes = plan_generated(project.generated_dir, generated.files)
    functions = generated.functions
    warnings = [d.format() for d in functions.warnings] if functions is not None else []
    if planners is None:
        planned = [
            _default_plan(project, generated, cache, prune=prune, generated_unchanged=not changes)
        ]
    else:
        planned = [planner(project, generated.model, prune=prune) for planner in planners]
    for result in planned:
        changes.extend(result.changes)
        warnings.extend(result.warnings)
    if not check and changes:
        apply(changes)
        if warm and planners is None:
            _warm_plan(project, generated, cache, prune=prune)
    return RunResult(
        generated=generated,
        changes=changes,
        warnings=warnings,
        applied=not check and bool(changes),
        elapsed=time.perf_counter() - started,
    )
