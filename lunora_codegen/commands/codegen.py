"""``lunora codegen``: generate ``lunora/_generated/`` (and reconcile the wrangler config).

Exit codes: 0 written or up to date; 1 problems in the user's files, or stale output under
``--check``; 2 usage errors and broken installs.
"""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path
from typing import Any

import click

from lunora_codegen.commands.options import project_option
from lunora_codegen.diagnostics import UserCodeError, display_path
from lunora_codegen.extract import ParseCache
from lunora_codegen.pipeline import RunResult, default_cache_path, run
from lunora_codegen.project import load_project

__all__ = ["codegen"]

STALE_HINT = "Run `lunora codegen` to regenerate."
#: ``path:line:col: warning ...``, the shape of :meth:`Diagnostic.format`
_DIAGNOSTIC = re.compile(r"[^\n]*?:\d+:\d+: (?:warning|info)\b")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _json_result(result: RunResult, check: bool) -> dict[str, Any]:
    model = result.generated.model
    return {
        "ok": not (check and result.changes),
        "mode": "check" if check else "write",
        "elapsed_ms": round(result.elapsed * 1000, 1),
        "changes": [
            {"path": display_path(c.path), "action": c.action, "summary": c.describe()}
            for c in result.changes
        ],
        "files": sorted(display_path(p) for p in result.generated.absolute()),
        "workflows": [
            {
                "export": w.export,
                "class_name": w.class_name,
                "binding": w.binding,
                "name": w.name,
                "params": w.params.text,
                "output": w.output.text,
                "path": display_path(w.position.path),
                "line": w.position.line,
                "column": w.position.column,
            }
            for w in model.workflows
        ],
        "steps": [
            {"export": s.export, "name": s.name, "path": display_path(s.position.path)}
            for s in model.steps
        ],
        "warnings": list(result.warnings),
        "diagnostics": [],
    }


def _report(error: UserCodeError, *, check: bool, as_json: bool) -> None:
    """Print every diagnostic of ``error`` (as JSON with ``--json``)."""
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": False,
                    "mode": "check" if check else "write",
                    "diagnostics": [
                        {
                            "path": display_path(d.path),
                            "line": d.line,
                            "column": d.column,
                            "severity": d.severity.value,
                            "message": d.message,
                        }
                        for d in error.diagnostics
                    ],
                },
                indent=2,
            )
        )
        return
    for diagnostic in error.diagnostics:
        click.echo(diagnostic.format(), err=True)
    count = sum(1 for d in error.diagnostics if d.is_error)
    click.echo(f"Found {_plural(count, 'error')}; nothing was written.", err=True)


@click.command("codegen")
@project_option()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any output is stale.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable JSON report.")
@click.option(
    "--prune", is_flag=True, help="Also remove stale lunora-owned wrangler workflow entries."
)
@click.pass_context
def codegen(
    ctx: click.Context, project_dir: Path | None, check: bool, as_json: bool, prune: bool
) -> None:
    """Generate lunora/_generated/ from lunora/workflows.py and lunora/steps.py.

    Reads the workflow declarations statically (your code is never imported), renders one
    Cloudflare WorkflowEntrypoint class per export plus the typed workflows(env) handle, and
    writes only the files whose content changed. With --check, nothing is written and the exit
    code is 1 when anything is out of date (for CI and pre-commit).
    """
    try:
        project = load_project(project_dir)
    except UserCodeError as error:  # a pyproject.toml that does not parse, say
        _report(error, check=check, as_json=as_json)
        ctx.exit(1)
    # One-shot runs keep parsed facts on disk so that a no-change rerun skips libcst entirely.
    cache_path = default_cache_path(project)
    cache = ParseCache.load(cache_path)
    # A one-shot process: the cyclic collector would only rescan the millions of live libcst
    # nodes (acyclic, freed by reference counting) again and again, a quarter of a cold run at
    # 1,000 workflows. Re-enabled afterwards for callers that run the command in-process.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = run(project, check=check, prune=prune, cache=cache, warm=True)
    except UserCodeError as error:
        _report(error, check=check, as_json=as_json)
        ctx.exit(1)
    finally:
        if cache.dirty:
            cache.save(cache_path)
        if collecting:
            gc.enable()

    if as_json:
        click.echo(json.dumps(_json_result(result, check), indent=2))
        ctx.exit(1 if check and result.changes else 0)

    for warning in result.warnings:
        # a formatted diagnostic already says "warning" after its position
        shaped = _DIAGNOSTIC.match(warning) is not None
        click.echo(warning if shaped else f"warning: {warning}", err=True)
    elapsed = f"{result.elapsed * 1000:.0f} ms"
    # the outline, not the model: a no-change run never builds the (pydantic) model
    count = len(result.generated.outline.exports)
    if check:
        if not result.changes:
            click.echo(f"Generated files are up to date ({_plural(count, 'workflow')}, {elapsed}).")
            return
        for change in result.changes:
            click.echo(f"stale: {display_path(change.path)} (would be {change.action}d)")
        for change in result.changes:
            click.echo(change.diff(), nl=False)
        click.echo(f"Generated files are out of date. {STALE_HINT}", err=True)
        ctx.exit(1)
    for change in result.changes:
        click.echo(change.describe())
    if result.changes:
        click.echo(
            f"lunora codegen: {_plural(count, 'workflow')}, "
            f"{_plural(len(result.changes), 'file')} changed in {elapsed}."
        )
    else:
        click.echo(f"lunora codegen: {_plural(count, 'workflow')}, up to date ({elapsed}).")
