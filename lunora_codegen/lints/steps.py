"""How steps are called: ``step_in_step``, ``unawaited_step`` and ``duplicate_step_name``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import libcst as cst

from lunora_codegen.diagnostics import Diagnostic
from lunora_codegen.lints.bodies import Body, DurableCall, StepBody, argument, classify
from lunora_codegen.lints.registry import rule
from lunora_codegen.lints.sources import children, walk

__all__ = ["check_duplicate_step_names", "check_step_in_step", "check_unawaited_steps"]


def check_step_in_step(step_bodies: list[StepBody]) -> list[Diagnostic]:
    """``step_in_step``: a durable call made from inside a step's code."""
    lint = rule("step_in_step")
    found: list[Diagnostic] = []
    for step in step_bodies:
        inner = step.node.body if isinstance(step.node, cst.Lambda | cst.FunctionDef) else step.node
        for node in walk(inner):
            if not isinstance(node, cst.Call):
                continue
            durable = classify(node, step.ctx_names, step.step_names)
            if durable is None:
                continue
            found.append(
                lint.diagnostic(
                    step.file.where(node),
                    f"`{durable.label}` is called inside {step.label}: steps do not nest, so "
                    "this is not a durable step of the workflow (it re-runs with every attempt "
                    "of the outer step and its result is not recorded on its own)",
                )
            )
    return found


def _loads(body: Body) -> Counter[str]:
    """How many times each name is read in the body (assignment targets excluded)."""
    targets: set[cst.CSTNode] = set()
    for node in body.nodes:
        bound: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            bound = [t.target for t in node.targets]
        elif isinstance(node, cst.AnnAssign | cst.For | cst.CompFor | cst.NamedExpr):
            bound = [node.target]
        for target in bound:
            targets.update(n for n in walk(target) if isinstance(n, cst.Name))
    return Counter(
        node.value for node in body.nodes if isinstance(node, cst.Name) and node not in targets
    )


def _function_call(body: Body, call: cst.Call) -> str | None:
    """``ctx.run`` when ``call`` is ``ctx.run(...)`` (a function call, awaited like a step)."""
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "run"
        and isinstance(func.value, cst.Name)
        and func.value.value in body.ctx_names
    ):
        return f"{func.value.value}.run"
    return None


def check_unawaited_steps(bodies: list[Body]) -> list[Diagnostic]:
    """``unawaited_step``: a step call (or ``ctx.run``) used as a statement, or assigned to a
    name that is never used. Durable calls inside step callbacks are ``step_in_step``'s."""
    lint = rule("unawaited_step")
    found: list[Diagnostic] = []
    for body in bodies:
        loads: Counter[str] | None = None
        outside: set[cst.CSTNode] | None = None  # built on the first candidate call only
        for node in body.nodes:
            call: cst.BaseExpression | None = None
            dropped_name: str | None = None
            # the exact type first: isinstance against libcst's ABCs is slow, and this loop
            # sees every node of every body (the isinstance after it only narrows the type)
            kind = type(node)
            if kind is cst.Expr and isinstance(node, cst.Expr):
                call = node.value
            elif (
                kind is cst.Assign
                and isinstance(node, cst.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0].target, cst.Name)
            ):
                call = node.value
                dropped_name = node.targets[0].target.value
            if call is None or not isinstance(call, cst.Call):
                continue
            if outside is None:
                outside = set(body.outside)
            durable = body.classify(call) if node in outside else None
            label = durable.label if durable is not None else _function_call(body, call)
            if label is None:
                continue
            if dropped_name is not None:
                loads = loads if loads is not None else _loads(body)
                if loads[dropped_name] > 0:
                    continue  # awaited (or gathered, returned, ...) later
            what = (
                "is never awaited"
                if dropped_name is None
                else f"is assigned to `{dropped_name}`, which is never used"
            )
            found.append(
                lint.diagnostic(
                    body.file.where(call),
                    f"`{label}(...)` in {body.label} {what}: it returns a coroutine, "
                    "and a coroutine that is not awaited never runs",
                    hint=f"write `await {body.file.code(call.func)}(...)`",
                )
            )
    return found


@dataclass(frozen=True)
class _Use:
    name: str
    node: cst.CSTNode
    #: (id of an if/match node, branch index) for every branch the call sits in
    branches: tuple[tuple[int, int], ...]

    def exclusive(self, other: _Use) -> bool:
        """True when the two calls sit in different branches of one ``if``/``match``."""
        mine = dict(self.branches)
        return any(key in mine and mine[key] != branch for key, branch in other.branches)


#: other scopes, and loops: a name repeated there is expected
_NOT_BODY = (
    cst.FunctionDef,
    cst.Lambda,
    cst.ClassDef,
    cst.While,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
)


class _NameCollector:
    """Literal step names of one body, outside loops and nested functions, in source order."""

    def __init__(self, body: Body, step_names: dict[str, str]) -> None:
        self.body = body
        self.step_names = step_names
        self.uses: list[_Use] = []

    def name_of(self, durable: DurableCall) -> str | None:
        file = self.body.file
        arg = durable.name_arg
        if arg is not None:
            return file.literal(arg)
        if durable.kind != "run_step":
            return None
        step = argument(durable.call, 0, "step")
        if not isinstance(step, cst.Name):
            return None
        qualified = file.qualify(step) or step.value
        return self.step_names.get(qualified.rsplit(".", 1)[-1])

    def visit(self, node: cst.CSTNode, branches: tuple[tuple[int, int], ...]) -> None:
        if isinstance(node, _NOT_BODY):
            return
        if isinstance(node, cst.For):
            self.visit(node.target, branches)
            self.visit(node.iter, branches)
            if node.orelse is not None:
                self.visit(node.orelse, branches)
            return
        if isinstance(node, cst.Call):
            durable = self.body.classify(node)
            if durable is not None:
                name = self.name_of(durable)
                if name is not None:
                    self.uses.append(_Use(name, node, branches))
        if isinstance(node, cst.If | cst.IfExp):
            key = id(node)
            self.visit(node.test, branches)
            self.visit(node.body, (*branches, (key, 0)))
            if node.orelse is not None:
                self.visit(node.orelse, (*branches, (key, 1)))
            return
        if isinstance(node, cst.Match):
            self.visit(node.subject, branches)
            for index, case in enumerate(node.cases):
                self.visit(case, (*branches, (id(node), index)))
            return
        for child in children(node):
            self.visit(child, branches)


def check_duplicate_step_names(bodies: list[Body], step_names: dict[str, str]) -> list[Diagnostic]:
    """``duplicate_step_name``: one literal step name used twice in a body, outside loops.

    ``step_names`` maps ``define_step`` exports to their durable names, for ``ctx.run_step``
    calls without ``name=``.
    """
    lint = rule("duplicate_step_name")
    found: list[Diagnostic] = []
    for body in bodies:
        collector = _NameCollector(body, step_names)
        for child in children(body.function.body):
            collector.visit(child, ())
        seen: dict[str, list[_Use]] = {}
        for use in collector.uses:
            earlier = [u for u in seen.get(use.name, []) if not u.exclusive(use)]
            seen.setdefault(use.name, []).append(use)
            if not earlier:
                continue
            first_line = body.file.where(earlier[0].node)[1]
            found.append(
                lint.diagnostic(
                    body.file.where(use.node),
                    f'step name "{use.name}" is used again in {body.label} (first at line '
                    f"{first_line}); Cloudflare keys a step by name and occurrence, so this is "
                    f'a second, separate step "{use.name}" that also runs, and the timeline '
                    "shows both under one name",
                )
            )
    return found
