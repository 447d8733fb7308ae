"""Workflow bodies and step bodies, and the durable calls made in them.

A *workflow body* is the handler of a ``define_workflow`` export, or any function of the
package with a parameter annotated ``WorkflowContext`` / ``WorkflowContext[...]`` (a helper
the body awaits). Its *context names* are that parameter plus plain aliases (``c = ctx``);
its *step names* are aliases of ``ctx.step`` (``step = ctx.step``).

A *step body* is code that runs inside a durable step: the callback passed to
``ctx.step.do`` (a lambda, or a ``def`` of the body or module passed by name), and the handler
of a ``define_step`` step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst

from lunora_codegen.lints.sources import SourceFile, Sources, walk

__all__ = [
    "FAN_OUT_METHODS",
    "STEP_METHODS",
    "Body",
    "DurableCall",
    "StepBody",
    "argument",
    "find_bodies",
    "find_step_bodies",
    "functions_of",
    "handler_step_body",
    "make_body",
    "step_bodies",
]

#: ``ctx.step.<method>``: the durable step API
STEP_METHODS = frozenset({"do", "sleep", "sleep_until", "wait_for_event"})
#: ``ctx.<method>`` that start durable steps of their own
CONTEXT_METHODS = frozenset({"run_step", "parallel", "spawn"})
FAN_OUT_METHODS = frozenset({"parallel", "spawn"})


def argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument at ``position`` (positional) or passed as ``keyword=``."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if position < len(positional):
        return positional[position].value
    return None


@dataclass(frozen=True)
class DurableCall:
    """A durable call: ``ctx.step.do(...)``, ``ctx.run_step(...)``, ``ctx.spawn(...)``..."""

    call: cst.Call
    #: ``step.do``, ``step.sleep``, ..., ``run_step``, ``parallel``, ``spawn``
    kind: str
    #: how the user spelled the callee (``ctx.step.do``)
    label: str

    @property
    def name_arg(self) -> cst.BaseExpression | None:
        """The step-name argument, when this call takes one."""
        if self.kind.startswith("step."):
            return argument(self.call, 0, "name")
        if self.kind == "run_step":
            return argument(self.call, 99, "name")
        return None

    @property
    def callback(self) -> cst.BaseExpression | None:
        """The function ``ctx.step.do`` runs as the step."""
        return argument(self.call, 1, "fn") if self.kind == "step.do" else None


def classify(
    call: cst.Call, ctx_names: frozenset[str], step_names: frozenset[str]
) -> DurableCall | None:
    """The durable call ``call`` is, through the given context and ``ctx.step`` names."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    receiver = func.value
    if method in STEP_METHODS:
        if isinstance(receiver, cst.Name) and receiver.value in step_names:
            return DurableCall(call, f"step.{method}", f"{receiver.value}.{method}")
        if (
            isinstance(receiver, cst.Attribute)
            and receiver.attr.value == "step"
            and isinstance(receiver.value, cst.Name)
            and receiver.value.value in ctx_names
        ):
            return DurableCall(call, f"step.{method}", f"{receiver.value.value}.step.{method}")
    if method in CONTEXT_METHODS and isinstance(receiver, cst.Name) and receiver.value in ctx_names:
        return DurableCall(call, method, f"{receiver.value}.{method}")
    return None


def _annotation_is_context(file: SourceFile, param: cst.Param) -> bool:
    if param.annotation is None:
        return False
    node = param.annotation.annotation
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if not isinstance(value, str):
            return False
        try:
            node = cst.parse_expression(value)
        except cst.ParserSyntaxError:
            return False
    if isinstance(node, cst.Subscript):
        node = node.value
    return file.runtime_attr(node) == "WorkflowContext"


@dataclass
class Body:
    """A workflow body (or a helper taking the workflow context)."""

    file: SourceFile
    function: cst.FunctionDef
    export: str | None
    ctx_names: frozenset[str]
    step_names: frozenset[str] = frozenset()
    #: the step callbacks defined or passed in this body (lambda and def nodes)
    callbacks: set[cst.CSTNode] = field(default_factory=set)
    #: callbacks passed by a name that is not defined in the body: the module-level ``def``
    #: each resolved to (``None``: none), which the gate's cache checks are still the same
    module_refs: dict[str, cst.FunctionDef | None] = field(default_factory=dict)

    @cached_property
    def nodes(self) -> list[cst.CSTNode]:
        """Every node of the body, nested functions and lambdas included, walked once."""
        return list(walk(self.function.body))

    @cached_property
    def outside(self) -> list[cst.CSTNode]:
        """The nodes of the body that do not run inside a step (callbacks left out)."""
        if not self.callbacks:
            return self.nodes
        # ``walk(self.function.body, skip=self.callbacks)``, from the nodes already walked:
        # only the (small) callbacks are walked again
        inside = {node for callback in self.callbacks for node in walk(callback)}
        return [node for node in self.nodes if node not in inside]

    @property
    def label(self) -> str:
        """``workflow "x"`` or ``function "helper"`` for messages."""
        if self.export is not None:
            return f'workflow "{self.export}"'
        return f'function "{self.function.name.value}"'

    def classify(self, call: cst.Call) -> DurableCall | None:
        """The durable call ``call`` is in this body, if any."""
        return classify(call, self.ctx_names, self.step_names)

    def durable_calls(self) -> Iterator[DurableCall]:
        """Every durable call in the body, nested functions and lambdas included."""
        for node in self.nodes:
            # ``type(...) is``: these node classes have no subclasses, and isinstance against
            # libcst's ABCs is slow (this loop runs over every node of every body)
            if type(node) is cst.Call and isinstance(node, cst.Call):
                found = self.classify(node)
                if found is not None:
                    yield found


def _context_param(file: SourceFile, function: cst.FunctionDef, is_handler: bool) -> str | None:
    params = [*function.params.posonly_params, *function.params.params]
    params += list(function.params.kwonly_params)
    for param in params:
        if _annotation_is_context(file, param):
            return param.name.value
    if is_handler and params:
        return params[0].name.value
    return None


def _aliases(nodes: list[cst.CSTNode], ctx: str) -> tuple[frozenset[str], frozenset[str]]:
    ctx_names = {ctx}
    step_names: set[str] = set()
    # exact type first (see durable_calls); isinstance narrows the type
    assigns = [n for n in nodes if type(n) is cst.Assign and isinstance(n, cst.Assign)]
    changed = True
    while changed:  # ``c = ctx; s = c.step`` in any order
        changed = False
        for assign in assigns:
            value = assign.value
            for target in assign.targets:
                if not isinstance(target.target, cst.Name):
                    continue
                name = target.target.value
                if isinstance(value, cst.Name) and value.value in ctx_names:
                    if name not in ctx_names:
                        ctx_names.add(name)
                        changed = True
                elif (
                    isinstance(value, cst.Attribute)
                    and value.attr.value == "step"
                    and isinstance(value.value, cst.Name)
                    and value.value.value in ctx_names
                    and name not in step_names
                ):
                    step_names.add(name)
                    changed = True
    return frozenset(ctx_names), frozenset(step_names)


def _callbacks(body: Body) -> set[cst.CSTNode]:
    """The lambdas and defs ``ctx.step.do`` runs as steps in this body."""
    local_defs: dict[str, cst.FunctionDef] = {}
    for node in body.nodes:
        if type(node) is cst.FunctionDef and isinstance(node, cst.FunctionDef):
            local_defs.setdefault(node.name.value, node)
    module_defs = body.file.function_defs
    found: set[cst.CSTNode] = set()
    for durable in body.durable_calls():
        callback = durable.callback
        if isinstance(callback, cst.Lambda):
            found.add(callback)
        elif isinstance(callback, cst.Name):
            target = local_defs.get(callback.value)
            if target is None:
                target = module_defs.get(callback.value)
                body.module_refs[callback.value] = target
            if target is not None:
                found.add(target)
    return found


def functions_of(statement: cst.CSTNode) -> Iterator[cst.FunctionDef]:
    """The functions a top-level statement defines: itself, or a class's methods (not nested
    functions: they belong to their body)."""
    if isinstance(statement, cst.FunctionDef):
        yield statement
    elif isinstance(statement, cst.ClassDef):
        for inner in statement.body.body:
            if isinstance(inner, cst.FunctionDef):
                yield inner


def _functions(module: cst.Module) -> Iterator[cst.FunctionDef]:
    """Top-level functions and methods of ``module``."""
    for statement in module.body:
        yield from functions_of(statement)


def make_body(
    file: SourceFile,
    function: cst.FunctionDef,
    export: str | None,
    nodes: list[cst.CSTNode] | None = None,
) -> Body | None:
    """The workflow body ``function`` is (``export``: the workflow it is the handler of), or
    ``None`` when it takes no workflow context. ``nodes``: ``list(walk(function.body))`` when
    the caller has it already."""
    ctx = _context_param(file, function, is_handler=export is not None)
    if ctx is None:
        return None
    body = Body(file, function, export, frozenset({ctx}))
    if nodes is not None:
        body.nodes = nodes  # fills the cached property
    body.ctx_names, body.step_names = _aliases(body.nodes, ctx)
    body.callbacks = _callbacks(body)
    return body


def find_bodies(sources: Sources) -> list[Body]:
    """Every workflow body of the project: handlers first, then context-taking helpers."""
    bodies: list[Body] = []
    handlers: dict[cst.FunctionDef, str] = {}
    if sources.workflows is not None:
        handlers = {fn: export for export, fn in sources.workflows.tree.handlers.items()}
    for file in sources.files:
        for function in _functions(file.module):
            export = handlers.get(function) if file is sources.workflows else None
            body = make_body(file, function, export)
            if body is not None:
                bodies.append(body)
    return bodies


@dataclass(frozen=True)
class StepBody:
    """Code that runs inside a durable step, and the context names that reach outside it."""

    file: SourceFile
    node: cst.CSTNode
    ctx_names: frozenset[str]
    step_names: frozenset[str]
    #: what the step is, for messages
    label: str


def step_bodies(bodies: list[Body]) -> list[StepBody]:
    """The step callbacks of ``bodies``."""
    found: list[StepBody] = []
    for body in bodies:
        for callback in body.callbacks:
            found.append(
                StepBody(
                    body.file,
                    callback,
                    body.ctx_names,
                    body.step_names,
                    f"the step callback in {body.label}",
                )
            )
    return found


def handler_step_body(file: SourceFile, export: str, function: cst.FunctionDef) -> StepBody | None:
    """The handler of the ``define_step`` step ``export`` as a step body (its first parameter
    is the step context), or ``None`` when it takes no parameter."""
    params = [*function.params.posonly_params, *function.params.params]
    if not params:
        return None
    ctx = params[0].name.value
    return StepBody(file, function, frozenset({ctx}), frozenset(), f'step "{export}"')


def find_step_bodies(sources: Sources, bodies: list[Body]) -> list[StepBody]:
    """Step callbacks of every workflow body, and the ``define_step`` handlers."""
    found = step_bodies(bodies)
    if sources.steps is not None:
        for export, function in sources.steps.tree.handlers.items():
            handler = handler_step_body(sources.steps, export, function)
            if handler is not None:
                found.append(handler)
    return found
