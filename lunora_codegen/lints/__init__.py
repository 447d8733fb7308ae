"""Advisor lints: wiring mistakes and replay non-determinism, found statically.

``lunora check`` runs them all (:func:`run_lints`); ``lunora codegen`` runs the error-level
wiring and step-call lints first and writes nothing while one reports an error
(:func:`codegen_gate`). Every rule is registered in :data:`RULES` with its code, severity,
title and docs anchor (``docs/lints.md#<code>``).
"""

from lunora_codegen.lints.registry import DOCS_URL, RULES, Rule, rule
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
