"""``lunora check``: run every advisor lint and report in text, JSON or SARIF 2.1.0.

Exit codes: 0 no errors (warnings and infos do not fail the run); 1 at least one error; 2
usage errors and a missing project or package.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import click

from lunora_codegen.commands.options import project_option
from lunora_codegen.diagnostics import Diagnostic, UserCodeError, display_path
from lunora_codegen.lints import RULES, check_project
from lunora_codegen.project import load_project
from lunora_codegen.sarif import source_root, to_sarif

__all__ = ["check"]


def _version() -> str:
    try:
        return version("lunora-workflow")
    except PackageNotFoundError:  # running from a checkout without an install
        return "0+unknown"


def _summary(diagnostics: list[Diagnostic]) -> dict[str, int]:
    counts = Counter(d.severity.value for d in diagnostics)
    return {"error": counts["error"], "warning": counts["warning"], "info": counts["info"]}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _json(diagnostics: list[Diagnostic], summary: dict[str, int]) -> dict[str, Any]:
    return {
        "ok": summary["error"] == 0,
        "summary": summary,
        "diagnostics": [
            {
                "path": display_path(d.path),
                "line": d.line,
                "column": d.column,
                "severity": d.severity.value,
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
                "help_uri": RULES[d.code].help_uri if d.code in RULES else None,
            }
            for d in diagnostics
        ],
    }


@click.command("check")
@project_option()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts, sarif for GitHub code scanning.",
)
@click.pass_context
def check(ctx: click.Context, project_dir: Path | None, output_format: str) -> None:
    """Lint the project: workflow wiring, step calls and replay determinism.

    Reads your code statically (it is never imported) and writes nothing. Exits 1 when any
    finding is an error; warnings and infos are printed but do not fail the run. Every code
    is documented in docs/lints.md.
    """
    try:
        project = load_project(project_dir)
    except UserCodeError as error:
        # a pyproject.toml or wrangler config that does not parse: the finding to report
        # (in the chosen format), since no lint can run without the project's layout
        diagnostics = list(error.diagnostics)
        root = project_dir if project_dir is not None else Path.cwd()
    else:
        diagnostics, root = check_project(project), project.root
    summary = _summary(diagnostics)
    failed = summary["error"] > 0

    if output_format == "json":
        click.echo(json.dumps(_json(diagnostics, summary), indent=2))
    elif output_format == "sarif":
        log = to_sarif(diagnostics, root=source_root(root), rules=RULES, version=_version())
        click.echo(json.dumps(log, indent=2))
    else:
        for diagnostic in diagnostics:
            click.echo(diagnostic.format())
        parts = [
            _plural(summary["error"], "error"),
            _plural(summary["warning"], "warning"),
            _plural(summary["info"], "info"),
        ]
        verdict = "lunora check: " + ", ".join(parts)
        click.echo(verdict + ("." if diagnostics else " (all clear)."), err=True)
    ctx.exit(1 if failed else 0)
