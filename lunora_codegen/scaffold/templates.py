"""Rendering of the scaffold templates in ``templates/scaffold/``.

The templates live at the top of the repository (``templates/``) in a checkout and inside the
toolchain package (``lunora_codegen/templates``) in an installed wheel; both are looked up.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

import lunora_codegen

__all__ = ["render", "templates_dir"]


def templates_dir() -> Path:
    """The folder holding ``scaffold/*.jinja`` (wheel layout first, then the checkout)."""
    package = Path(lunora_codegen.__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "scaffold").is_dir():
            return candidate
    raise FileNotFoundError(
        f"lunora's templates/scaffold folder is missing (looked under {package})"
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    """Render ``scaffold/<template>`` with ``context``; the text always ends with one newline."""
    text = _environment().get_template(f"scaffold/{template}").render(**context)
    return text.rstrip("\n") + "\n"
