"""Advisor lints: wiring mistakes and replay non-determinism, found statically.

``lunora check`` runs them all (:func:`run_lints`); ``lunora codegen`` runs the error-level
wiring and step-call lints first and writes nothing while one reports an error
(:func:`codegen_gate`). Every rule is registered in :data:`RULES` with its code, severity,
title and docs anchor (``docs/lints.md#<code>``).
"""

from typing import TYPE_CHECKING, Any

from lunora_codegen.lints.registry import DOCS_URL, RULES, Rule, rule

if TYPE_CHECKING:
    from lunora_codegen.lints.runner import (
        GATING_CODES,
        check_project,
        codegen_gate,
        from_codegen,
        run_lints,
    )

__all__ = [
    "DOCS_URL",
    "GATING_CODES",
    "RULES",
    "Rule",
    "check_project",
    "codegen_gate",
    "from_codegen",
    "rule",
    "run_lints",
]

_RUNNER = frozenset({"GATING_CODES", "check_project", "codegen_gate", "from_codegen", "run_lints"})


def __getattr__(name: str) -> Any:
    # The runner (and libcst with it) loads on first use: a no-change ``lunora codegen`` rerun
    # unpickles the gate's cached results (``lints.gate``) but runs no lint.
    if name in _RUNNER:
        from lunora_codegen.lints import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
