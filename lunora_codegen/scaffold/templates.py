"""Rendering of the scaffold templates in ``templates/scaffold/`` (the shared Jinja setup)."""

from __future__ import annotations

from typing import Any

from lunora_codegen.templating import environment

__all__ = ["render"]


def render(template: str, **context: Any) -> str:
    """Render ``scaffold/<template>`` with ``context``; the text always ends with one newline."""
    text = environment().get_template(f"scaffold/{template}").render(**context)
    return text.rstrip("\n") + "\n"
