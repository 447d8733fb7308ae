"""The lint registry: one :class:`Rule` per code, with its severity, title and docs anchor.

The codes are stable (users grep for them, CI dashboards key on them); the docs entry of each
lives in ``docs/lints.md`` under a heading that is the code itself, so its anchor is the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lunora_codegen.diagnostics import Diagnostic, Severity

__all__ = ["DOCS_URL", "RULES", "Rule", "rule"]

#: Where ``docs/lints.md`` is published; a rule's ``help_uri`` is this plus ``#<code>``.
DOCS_URL = "https://github.com/lunora-workflow/lunora-workflow/blob/main/docs/lints.md"


@dataclass(frozen=True)
class Rule:
    """One lint: what it finds, how bad it is by default, and what to do about it."""

    code: str
    severity: Severity
    title: str
    description: str
    hint: str
    #: ``lunora codegen`` refuses to write when this rule reports an error
    gates_codegen: bool = False

    @property
    def help_uri(self) -> str:
        """The rule's entry in the published docs."""
        return f"{DOCS_URL}#{self.code}"

    def diagnostic(
        self,
        where: tuple[Path, int, int],
        message: str,
        *,
        hint: str | None = None,
        severity: Severity | None = None,
    ) -> Diagnostic:
        """A finding of this rule at ``(path, line, column)``."""
        path, line, column = where
        return Diagnostic(
            path,
            line,
            column,
            message,
            severity=severity or self.severity,
            code=self.code,
            hint=hint if hint is not None else self.hint,
        )


_RULES = (
    Rule(
        code="source_error",
        severity=Severity.ERROR,
        title="A file lunora reads does not parse or declares something codegen rejects",
        description=(
            "lunora check reports codegen's own diagnostics (bad declarations in workflows.py "
            "and steps.py) and files of the package that do not parse; the lints that need them "
            "are skipped until they are fixed."
        ),
        hint="fix the problem at this position; `lunora codegen` reports the same",
    ),
    Rule(
        code="workflow_unknown_target",
        severity=Severity.ERROR,
        title="Workflow call references an unknown workflow",
        description=(
            'workflows(env).get("x"), ctx.workflows.get("x"), branch("x", ...) or '
            'ctx.spawn("x", ...) names a workflow that workflows.py does not export; it fails '
            "at run time with an unknown-workflow error. Dynamic names are not checked."
        ),
        hint="fix the name, or add the missing define_workflow export to workflows.py",
        gates_codegen=True,
    ),
    Rule(
        code="workflow_unused",
        severity=Severity.INFO,
        title="Workflow is never started",
        description=(
            "No code in the project starts this workflow by name. It may still be started from "
            "outside (the REST API, wrangler, the Studio, another Worker); the lint stays silent "
            "when any start in the project uses a dynamic name."
        ),
        hint="start it from code, or ignore this if it is started from outside the Worker",
    ),
    Rule(
        code="workflow_not_exported",
        severity=Severity.ERROR,
        title="Worker entry does not export a generated workflow class",
        description=(
            "wrangler binds workflows[].class_name to a class the worker entry (main) exports; "
            "a generated class the entry does not re-export makes the deploy fail."
        ),
        hint="re-export the class from the worker entry: "
        "`from lunora._generated.workflows import <Class>`",
    ),
    Rule(
        code="step_name_not_literal",
        severity=Severity.WARNING,
        title="Step name can change between replays",
        description=(
            "The engine finds a step's stored result by its name (and occurrence). A name "
            "computed from a value that differs on a replay (a clock, random, I/O outside a "
            "step, set order, an unknown function) re-runs the step or never finds its result."
        ),
        hint="build step names from literals, ctx.params, loop indices and earlier step "
        "results; read clocks, randomness and I/O inside a step",
    ),
    Rule(
        code="nondeterministic_call",
        severity=Severity.WARNING,
        title="Non-deterministic call in a workflow body outside a step",
        description=(
            "The workflow body runs again from the top on every replay while step results come "
            "from storage; a clock, random or uuid value read in the body differs between runs "
            "and drifts apart from what the stored steps saw."
        ),
        hint='read it inside a step so it is recorded: `await ctx.step.do("now", time.time)`',
    ),
    Rule(
        code="step_in_step",
        severity=Severity.ERROR,
        title="Durable step called inside a step",
        description=(
            "Steps do not nest: a ctx.step / ctx.run_step / ctx.parallel / ctx.spawn call inside "
            "the callback of ctx.step.do, or inside a define_step handler, is not a durable step "
            "of the workflow and breaks replay."
        ),
        hint="call it from the workflow body, before or after the step",
        gates_codegen=True,
    ),
    Rule(
        code="unawaited_step",
        severity=Severity.ERROR,
        title="Step call is never awaited",
        description=(
            "ctx.step.do/sleep/sleep_until/wait_for_event, ctx.run_step, ctx.parallel and "
            "ctx.spawn return coroutines; one that is never awaited never runs."
        ),
        hint="add `await`",
        gates_codegen=True,
    ),
    Rule(
        code="duplicate_step_name",
        severity=Severity.INFO,
        title="Same step name used twice in one workflow body",
        description=(
            "Cloudflare keys a step by name and occurrence, so a second call with the same "
            "name is a separate step that runs; both show under one name in the timeline."
        ),
        hint="give the second step its own name so the timeline tells them apart",
    ),
    Rule(
        code="config_compat_date",
        severity=Severity.WARNING,
        title="Compatibility date too old, or python_workers missing",
        description=(
            "lunora needs compatibility_date 2026-04-21 or later (the vendored Python Workflows "
            'SDK) and compatibility_flags including "python_workers".'
        ),
        hint='set "compatibility_date" to 2026-04-21 or later and add "python_workers"',
    ),
)

#: code -> rule, in documentation order
RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def rule(code: str) -> Rule:
    """The rule registered under ``code`` (``KeyError`` for an unknown code)."""
    return RULES[code]
