"""``lunora generate workflow|step --name NAME``: scaffold a definition, then run codegen.

Names are Python exports, so snake_case; ``orderPipeline`` or ``order-pipeline`` are converted
to ``order_pipeline`` (and the command says so). Exit codes: 0 done; 1 codegen found problems
in the user's files (the scaffold itself was written); 2 a refused name or a usage error
(nothing written).
"""

from __future__ import annotations

from pathlib import Path

import click

from lunora_codegen.commands.options import project_option
from lunora_codegen.diagnostics import UserCodeError, display_path
from lunora_codegen.pipeline import run
from lunora_codegen.project import load_project
from lunora_codegen.scaffold import ScaffoldPlan, apply_plan, plan_step, plan_workflow

__all__ = ["generate"]

_PROJECT = project_option()
_NAME = click.option(
    "--name", required=True, help="Export name, snake_case (camelCase is converted)."
)
_NO_CODEGEN = click.option(
    "--no-codegen", is_flag=True, help="Only scaffold; do not run `lunora codegen` afterwards."
)


@click.group("generate")
def generate() -> None:
    """Scaffold a workflow or a reusable step into your lunora package."""


def _finish(
    ctx: click.Context, plan: ScaffoldPlan, project_dir: Path | None, codegen: bool
) -> None:
    apply_plan(plan)
    if plan.name.converted:
        click.echo(f"using the Python export name {plan.name.name} (from {plan.name.given!r})")
    for edit in plan.edits:
        click.echo(edit.summary)
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)
    if not codegen:
        click.echo("Next: run `lunora codegen` (or keep `lunora dev` running).")
        return
    project = load_project(project_dir)
    try:
        result = run(project)
    except UserCodeError as error:
        for diagnostic in error.diagnostics:
            click.echo(diagnostic.format(), err=True)
        click.echo("lunora codegen found problems; nothing was generated.", err=True)
        ctx.exit(1)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for change in result.changes:
        click.echo(change.describe())
    if not result.changes:
        click.echo(f"{display_path(project.generated_dir)}/ is up to date.")


@generate.command("workflow")
@_NAME
@_PROJECT
@_NO_CODEGEN
@click.pass_context
def workflow(ctx: click.Context, name: str, project_dir: Path | None, no_codegen: bool) -> None:
    """Append a workflow to <package>/workflows.py and re-export its class from the entry."""
    project = load_project(project_dir)
    _finish(ctx, plan_workflow(project, name), project_dir, not no_codegen)


@generate.command("step")
@_NAME
@_PROJECT
@_NO_CODEGEN
@click.pass_context
def step(ctx: click.Context, name: str, project_dir: Path | None, no_codegen: bool) -> None:
    """Append a reusable define_step (with an args dataclass) to <package>/steps.py."""
    project = load_project(project_dir)
    _finish(ctx, plan_step(project, name), project_dir, not no_codegen)
