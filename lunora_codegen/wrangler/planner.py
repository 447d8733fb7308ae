"""The codegen pipeline's wrangler step: a :class:`~lunora_codegen.pipeline.Planner`.

Wire it with ``default_planners() -> [wrangler_planner]``. It runs after rendering and before
anything is written, so the previous ``_generated/workflows.py`` is still on disk: its classes
mark the config entries lunora made (see :mod:`.plan`). It also passes on the warnings of
:func:`~lunora_codegen.wrangler.checks.check_config` (``main``, the entry's re-exports, the
``python_workers`` flag, the compatibility date). Environments named in
``[tool.lunora] environments`` of the project's ``pyproject.toml`` are reconciled even when
they have no ``workflows`` key yet.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from lunora_codegen.diagnostics import display_path
from lunora_codegen.model import ProjectModel
from lunora_codegen.pipeline import PlanResult
from lunora_codegen.project import Project
from lunora_codegen.wrangler.checks import PreviousClasses, check_config
from lunora_codegen.wrangler.model import WorkflowBinding
from lunora_codegen.wrangler.reconcile import reconcile
from lunora_codegen.write import FileChange

__all__ = ["configured_environments", "wrangler_planner"]


def configured_environments(root: Path) -> tuple[list[str], list[str]]:
    """``[tool.lunora] environments`` from ``root/pyproject.toml``, and warnings about it."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return [], []
    try:
        settings = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        return [], [f"{pyproject}: cannot read [tool.lunora] ({error})"]
    value = settings.get("lunora", {}).get("environments", []) if isinstance(settings, dict) else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [], [f"{pyproject}: [tool.lunora] environments must be a list of names"]
    return list(value), []


def wrangler_planner(project: Project, model: ProjectModel, *, prune: bool) -> PlanResult:
    """Plan the wrangler config edit for ``model``'s workflows (nothing is written here).

    Raises :class:`~lunora_codegen.diagnostics.UserCodeError` for a malformed config, before
    the pipeline writes anything.
    """
    config = project.config_path
    if config is None or not config.is_file():
        if not model.workflows:
            return PlanResult()
        if config is not None:  # named by [tool.lunora] config, but not there
            return PlanResult(
                warnings=[
                    f"{display_path(config)} (set by [tool.lunora] config in pyproject.toml)"
                    " does not exist: the workflows are not bound"
                ]
            )
        return PlanResult(
            warnings=["no wrangler config found: add wrangler.jsonc to bind the workflows"]
        )
    environments, warnings = configured_environments(project.root)
    result = reconcile(
        config,
        [WorkflowBinding(b.binding, b.class_name, b.name) for b in model.bindings],
        prune=prune,
        environments=environments,
        previous_classes=PreviousClasses(project.generated_dir / "workflows.py"),
    )
    warnings += [d.format(project.root) for d in result.warnings]
    if model.workflows:
        # what would make the deploy fail although the bindings are right: reported on every
        # run, never fixed (these are the user's decisions; see checks.py)
        checks = check_config(
            config,
            [w.class_name for w in model.workflows],
            entry_path=project.entry_path,
            package=project.package_name,
        )
        warnings += [d.format(project.root) for d in checks]
    if result.new_text is None:
        return PlanResult(warnings=warnings)
    # One change per line: a new project appends an entry per workflow at once.
    summary = f"updated {config.name}:" + "".join(f"\n  {line}" for line in result.changes)
    change = FileChange(path=config, old=result.old_text, new=result.new_text, summary=summary)
    return PlanResult(changes=[change], warnings=warnings)
