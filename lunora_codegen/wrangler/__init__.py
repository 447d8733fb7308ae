"""Keep a wrangler config's ``workflows[]`` bindings in sync with the generated classes.

Public API (the codegen pipeline calls these; see docs/wrangler.md for the user-facing rules)::

    previous = generated_classes(project.generated_dir / "workflows.py")  # before codegen writes
    result = reconcile(project.config_path, bindings, prune=False,
                       environments=(), previous_classes=previous)
    result.changes, result.stale, result.warnings, result.diff()
    write_config(result)                                      # atomic; no-op when unchanged
    check_config(project.config_path, [b.class_name for b in bindings])  # warnings only

The pipeline step is :func:`lunora_codegen.wrangler.planner.wrangler_planner` (not imported
here, so that importing the reconciler does not import the pipeline). Errors in the user's
config raise :class:`lunora_codegen.diagnostics.UserCodeError`.
"""

from lunora_codegen.wrangler.checks import MIN_COMPATIBILITY_DATE, check_config, generated_classes
from lunora_codegen.wrangler.model import ReconcileResult, StaleEntry, WorkflowBinding
from lunora_codegen.wrangler.reconcile import (
    ConfigChangedError,
    ReconcileBugError,
    reconcile,
    reconcile_text,
    write_config,
)

__all__ = [
    "MIN_COMPATIBILITY_DATE",
    "ConfigChangedError",
    "ReconcileBugError",
    "ReconcileResult",
    "StaleEntry",
    "WorkflowBinding",
    "check_config",
    "generated_classes",
    "reconcile",
    "reconcile_text",
    "write_config",
]
