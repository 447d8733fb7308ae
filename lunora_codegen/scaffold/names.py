"""What ``--name`` may be, and how other spellings become a Python export name.

Python exports are snake_case (PEP 8, and what the naming rules in
:mod:`lunora_workflow.naming` assume), so the scaffolder *converts* the other spellings users
bring from the TypeScript original instead of refusing them: ``orderPipeline``,
``OrderPipeline`` and ``order-pipeline`` all become ``order_pipeline``, and the command says
so. Anything that is still not a valid, public Python identifier afterwards is refused.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from lunora_codegen.scaffold.errors import InvalidNameError
from lunora_workflow.naming import export_name_problem, words

__all__ = ["ExportName", "normalize_export_name"]

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# camelCase, PascalCase and kebab-case inputs are converted; anything else is judged as given.
_CONVERTIBLE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class ExportName:
    """A validated export name, and the spelling the user typed."""

    name: str
    given: str

    @property
    def converted(self) -> bool:
        """True when the user's spelling was changed to snake_case."""
        return self.name != self.given


def normalize_export_name(given: str, kind: str) -> ExportName:
    """Validate ``given`` as the export name of a ``kind`` ("workflow" or "step").

    Raises :class:`InvalidNameError` naming the rule that was broken.
    """
    raw = given.strip()
    if not raw:
        raise InvalidNameError(f"invalid {kind} name: name must be a non-empty string")
    name = raw
    if not _SNAKE.match(raw) and _CONVERTIBLE.match(raw):
        name = "_".join(words(raw.replace("-", "_")))
    problem = export_name_problem(name)
    if problem is not None:
        problem = problem.replace("workflow export", f"{kind} export", 1)
        raise InvalidNameError(f"invalid {kind} name {given!r}: {problem}")
    if keyword.iskeyword(name):
        raise InvalidNameError(f"invalid {kind} name {given!r}: {name!r} is a Python keyword")
    return ExportName(name=name, given=given)
