"""Errors the scaffolder raises. Each leaves every user file untouched.

Exception tree::

    LunoraToolError (lunora_codegen.diagnostics)
     +-- ScaffoldError           base: ``lunora generate`` cannot do what was asked (exit 2)
          +-- InvalidNameError   ``--name`` is not a valid export name
          +-- NameTakenError     ``--name`` is already defined in the target module
"""

from __future__ import annotations

from lunora_codegen.diagnostics import LunoraToolError

__all__ = ["InvalidNameError", "NameTakenError", "ScaffoldError"]


class ScaffoldError(LunoraToolError):
    """``lunora generate`` was asked for something it cannot do; nothing was written."""

    # A bad ``--name`` is a usage error, like click's UsageError.
    exit_code = 2


class InvalidNameError(ScaffoldError):
    """The requested name is not a valid, public Python export name."""


class NameTakenError(ScaffoldError):
    """The requested name (or a name it needs) is already bound in the target module."""
