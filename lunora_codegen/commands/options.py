"""Options that several ``lunora`` subcommands share, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

__all__ = ["PROJECT_DIR", "PROJECT_HELP", "project_option"]

_F = TypeVar("_F", bound=Callable[..., object])

#: ``--project DIR``'s type. ``exists=True``: discovery walks up from the folder given, so a
#: mistyped folder would otherwise fall through to whatever project encloses the cwd and
#: regenerate, lint, run or serve that one instead (a usage error, exit 2).
PROJECT_DIR = click.Path(exists=True, file_okay=False, path_type=Path)

PROJECT_HELP = (
    "Project folder (it must exist; default: the nearest one at or above the current "
    "directory with a wrangler config or pyproject.toml)."
)


def project_option(*, dest: str = "project_dir", help: str = PROJECT_HELP) -> Callable[[_F], _F]:
    """The ``--project DIR`` option every project-aware command takes (``None`` when absent)."""
    return click.option("--project", dest, type=PROJECT_DIR, default=None, help=help)
