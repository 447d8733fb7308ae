"""The reconciler's public value types: what codegen wants bound, and what a run would change."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from lunora_codegen.diagnostics import Diagnostic
from lunora_codegen.wrangler.jsonc_edit import TextEdit

__all__ = ["ReconcileResult", "StaleEntry", "WorkflowBinding"]


@dataclass(frozen=True)
class WorkflowBinding:
    """One ``workflows[]`` entry lunora owns: ``{binding, class_name, name}`` for one export."""

    binding: str
    class_name: str
    name: str


@dataclass(frozen=True)
class StaleEntry:
    """A ``workflows[]`` entry lunora generated once whose class no longer exists."""

    section: str  # "workflows" or "env.<name>.workflows"
    binding: str | None
    class_name: str
    line: int
    column: int
    removed: bool


@dataclass(frozen=True)
class ReconcileResult:
    """What reconciling one wrangler config would do; nothing is written until :func:`write_config`.

    ``new_text`` is ``None`` when the file is already up to date. ``edits`` are the splices (in
    offsets of ``old_text``) that turn ``old_text`` into ``new_text`` for JSON/JSONC files;
    TOML files are rewritten through tomlkit and have no splice list.
    """

    path: Path
    old_text: str
    new_text: str | None
    changes: tuple[str, ...]
    stale: tuple[StaleEntry, ...]
    warnings: tuple[Diagnostic, ...]
    edits: tuple[TextEdit, ...] = ()

    @property
    def changed(self) -> bool:
        """True when writing would change the file's bytes."""
        return self.new_text is not None

    def diff(self) -> str:
        """A unified diff of the pending edit (empty when nothing changes), for ``--check``."""
        if self.new_text is None:
            return ""
        name = self.path.name
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )
