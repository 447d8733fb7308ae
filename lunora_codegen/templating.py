"""Finding and loading the Jinja templates, from a checkout or from an installed wheel.

In the repository the templates live in the top-level ``templates/`` folder (the design card's
layout); the wheel force-includes that folder as ``lunora_codegen/templates`` (see
``pyproject.toml``). The package copy wins when both exist, so an installed wheel never reads a
stray checkout.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from lunora_codegen.diagnostics import LunoraToolError

if TYPE_CHECKING:
    import jinja2

__all__ = ["TemplatesNotFoundError", "environment", "pystr", "templates_dir"]


class TemplatesNotFoundError(LunoraToolError):
    """Neither the wheel's nor the checkout's template folder exists (a broken install)."""

    exit_code = 2


def templates_dir() -> Path:
    """The folder holding the Jinja templates."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "generated").is_dir():
            return candidate
    raise TemplatesNotFoundError(
        f"lunora's templates are missing (looked in {package / 'templates'} and "
        f"{package.parent / 'templates'}); reinstall lunora-workflow"
    )


def pystr(value: str) -> str:
    """A Python string literal in ruff-format's style: double quotes, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared Jinja environment: strict, whitespace-controlled, no autoescaping (Python)."""
    import jinja2  # deferred: only a run that renders needs Jinja (a no-change rerun does not)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["pystr"] = pystr
    return env
