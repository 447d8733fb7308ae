"""Diagnostics: problems found in a user's files, reported as ``path:line:col: severity: message``.

Every toolchain error that points into a user file is a :class:`Diagnostic`. Commands collect
them all, print them in one go and exit 1; nothing is written when any of them is an error.

Exception tree::

    LunoraToolError            base of every toolchain error the CLI reports without a traceback
     +-- UserCodeError         one or more diagnostics in the user's files (exit 1)
     +-- ProjectNotFoundError  no wrangler config / pyproject above the start directory (exit 2)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Diagnostic",
    "LunoraToolError",
    "ProjectNotFoundError",
    "Severity",
    "UserCodeError",
    "display_path",
]


class Severity(enum.Enum):
    """How bad a diagnostic is. Only errors change the exit code or stop a write."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


def display_path(path: Path, relative_to: Path | None = None) -> str:
    """A path as users want to read it: relative to ``relative_to`` (or the cwd) when below it."""
    base = relative_to if relative_to is not None else Path.cwd()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at a place in a file. ``line`` is 1-based; ``column`` is 1-based too."""

    path: Path
    line: int
    column: int
    message: str
    severity: Severity = field(default=Severity.ERROR, compare=False)
    code: str | None = field(default=None, compare=False)
    hint: str | None = field(default=None, compare=False)

    def format(self, relative_to: Path | None = None) -> str:
        """``path:line:col: severity[ code]: message`` (the gcc/mypy/ruff shape editors link)."""
        where = f"{display_path(self.path, relative_to)}:{self.line}:{self.column}"
        label = self.severity.value if self.code is None else f"{self.severity.value} {self.code}"
        text = f"{where}: {label}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    @property
    def is_error(self) -> bool:
        """True for error-severity diagnostics."""
        return self.severity is Severity.ERROR


class LunoraToolError(Exception):
    """Base class for toolchain errors that the CLI prints without a traceback."""

    exit_code = 1


class UserCodeError(LunoraToolError):
    """The user's files have problems; ``diagnostics`` lists every one of them, sorted."""

    exit_code = 1

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: Sequence[Diagnostic] = sorted(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


class ProjectNotFoundError(LunoraToolError):
    """No project (wrangler config or pyproject) was found where the user pointed."""

    exit_code = 2
