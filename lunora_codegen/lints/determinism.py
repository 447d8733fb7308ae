"""Replay safety: ``nondeterministic_call`` and ``step_name_not_literal``.

A workflow body re-runs from the top on every replay while step results come from storage, so
anything the body computes outside a step must come out the same on every run.

``step_name_not_literal`` decides whether a step name is *replay-stable* with a small,
flow-insensitive taint analysis of the body (see docs/lints.md for the user-facing rule). A
value is stable when it is built only from:

* literals, top-level constants, imported names (module state fixed at import), and ``ctx``'s
  instance-fixed members: ``ctx.params``, ``ctx.event``, ``ctx.export``;
* the results of awaited durable calls (``x = await ctx.step.do(...)``: on a replay ``x`` is the
  stored result);
* local names all of whose assignments are stable, loop variables over stable iterables
  (``range``, ``enumerate``, params lists, ...), parameters of nested functions;
* operators, f-strings, subscripts, displays and comprehensions of stable values; methods
  called on stable values; a fixed set of pure builtins (``str``, ``len``, ``range``,
  ``enumerate``, ``sorted``, ...) and pure stdlib modules (``json``, ``math``, ``hashlib``,
  ``re``, ``uuid.uuid5``, ...).

Anything else is unstable: a clock/random/uuid call, an ``await`` of something that is not a
durable call (I/O outside a step), ``ctx.env`` / ``ctx.workflows``, a set (its iteration order
depends on string hashing, which is randomised per process) unless an order-insensitive
builtin consumes it, and calls to other functions, whose result lunora cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from lunora_codegen.diagnostics import Diagnostic
from lunora_codegen.lints.bodies import Body
from lunora_codegen.lints.registry import rule
from lunora_codegen.lints.sources import SourceFile, dotted

__all__ = ["check_nondeterministic_calls", "check_step_names", "nondeterministic_reason"]

# --------------------------------------------------------------------------------------------
# Non-deterministic calls

#: qualified function -> why it is not deterministic
_CLOCKS = frozenset(
    f"time.{name}"
    for name in (
        "time",
        "time_ns",
        "monotonic",
        "monotonic_ns",
        "perf_counter",
        "perf_counter_ns",
        "process_time",
        "process_time_ns",
        "thread_time",
        "thread_time_ns",
    )
) | frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
    }
)
#: these read the clock only when called without their time argument: name -> max arg count
_CLOCK_DEFAULTS = {
    "time.localtime": 0,
    "time.gmtime": 0,
    "time.ctime": 0,
    "time.asctime": 0,
    "time.strftime": 1,
}
_RANDOM_IDS = frozenset({"uuid.uuid1", "uuid.uuid4", "uuid.uuid6", "uuid.uuid7"})
_ENTROPY = frozenset({"os.urandom", "os.getrandom"})
_WHOLE_MODULES = {"random": "random", "secrets": "secrets"}


def nondeterministic_reason(qualified: str, call: cst.Call) -> str | None:
    """``"clock"``, ``"random"`` or ``"id"`` when calling ``qualified`` so is not
    deterministic; ``None`` otherwise."""
    if qualified in _CLOCKS:
        return "clock"
    limit = _CLOCK_DEFAULTS.get(qualified)
    if limit is not None:
        return "clock" if sum(1 for a in call.args if not a.keyword) <= limit else None
    if qualified in _RANDOM_IDS:
        return "id"
    if qualified in _ENTROPY:
        return "random"
    module = qualified.split(".")[0]
    if module in _WHOLE_MODULES and "." in qualified:
        # random.Random(seed) is a seeded generator: deterministic
        if qualified == "random.Random" and call.args:
            return None
        return "random"
    return None


_HINTS = {
    "clock": "read the clock inside a step so the value is recorded "
    '(`now = await ctx.step.do("read-clock", time.time)`), or use ctx.event.timestamp '
    "(when the instance was created)",
    "random": "draw it inside a step so it is recorded "
    '(`n = await ctx.step.do("roll", lambda: random.random())`), or seed '
    "random.Random(ctx.event.instance_id)",
    "id": "create the id inside a step so it is recorded, or derive it from "
    "ctx.event.instance_id (uuid.uuid5)",
}


def check_nondeterministic_calls(bodies: list[Body]) -> list[Diagnostic]:
    """``nondeterministic_call``: clock/random/uuid calls in a body outside a step."""
    lint = rule("nondeterministic_call")
    found: list[Diagnostic] = []
    for body in bodies:
        for node in body.outside:
            if not isinstance(node, cst.Call):
                continue
            qualified = body.file.qualify(node.func)
            if qualified is None:
                continue
            reason = nondeterministic_reason(qualified, node)
            if reason is None:
                continue
            found.append(
                lint.diagnostic(
                    body.file.where(node),
                    f"`{body.file.code(node)}` in {body.label} runs outside a step: the body "
                    "re-runs on every replay, so this value changes between runs while step "
                    "results are replayed from storage",
                    hint=_HINTS[reason],
                )
            )
    return found


# --------------------------------------------------------------------------------------------
# Replay-stable values

#: builtins that are pure functions of their arguments
_PURE_BUILTINS = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "repr",
        "format",
        "len",
        "range",
        "enumerate",
        "zip",
        "sorted",
        "reversed",
        "min",
        "max",
        "sum",
        "abs",
        "round",
        "any",
        "all",
        "tuple",
        "list",
        "dict",
        "map",
        "filter",
        "chr",
        "ord",
        "hex",
        "divmod",
        "isinstance",
    }
)
#: builtins whose result does not depend on the iteration order of their argument
_ORDER_INSENSITIVE = frozenset({"len", "sorted", "min", "max", "sum", "any", "all", "bool"})
#: stdlib modules whose functions are pure (by qualified prefix)
_PURE_MODULES = (
    "json.",
    "math.",
    "hashlib.",
    "re.",
    "string.",
    "textwrap.",
    "base64.",
    "binascii.",
    "itertools.",
    "functools.",
    "operator.",
    "unicodedata.",
    "urllib.parse.",
    "html.",
    "shlex.",
    "decimal.",
    "fractions.",
    "uuid.uuid3",
    "uuid.uuid5",
    "uuid.UUID",
    "datetime.",
    "dataclasses.",
)
#: ``ctx.<member>`` values that are fixed for an instance
_CTX_STABLE = frozenset({"params", "event", "export"})


def _is_set(node: cst.BaseExpression, file: SourceFile) -> bool:
    if isinstance(node, cst.Set | cst.SetComp):
        return True
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in {"set", "frozenset"}
        and node.func.value not in file.imports
    )


@dataclass
class Stability:
    """Which values of one body are replay-stable; see the module docstring."""

    body: Body
    #: local name -> the expressions assigned to it (``None`` for an always-stable binding)
    sources: dict[str, list[cst.BaseExpression | None]] = field(default_factory=dict)
    #: local name -> the unstable expression it comes from (source text)
    unstable: dict[str, str] = field(default_factory=dict)
    #: top-level names that are unstable (``BOOT = time.time()``)
    module_unstable: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._module_state()
        self._collect()
        self._solve()

    # -- bindings ---------------------------------------------------------------------------

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.sources.setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind(element.value, value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, value)

    def _collect(self) -> None:
        for node in self.body.nodes:
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    self._bind(target.target, node.value)
            elif isinstance(node, cst.AnnAssign | cst.AugAssign | cst.NamedExpr):
                if node.value is not None:
                    self._bind(node.target, node.value)
            elif isinstance(node, cst.For | cst.CompFor):
                self._bind(node.target, node.iter)
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                self._bind(node.asname.name, node.item)
            elif isinstance(node, cst.FunctionDef | cst.Lambda):
                params = node.params
                for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                    self._bind(param.name, None)

    def _module_state(self) -> None:
        """Top-level names computed at import time from something unstable."""
        for statement in self.body.file.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.Assign | cst.AnnAssign) or small.value is None:
                    continue
                culprit = self.culprit(small.value, top_level=True)
                if culprit is None:
                    continue
                targets = (
                    [t.target for t in small.targets]
                    if isinstance(small, cst.Assign)
                    else [small.target]
                )
                for target in targets:
                    if isinstance(target, cst.Name):
                        self.module_unstable[target.value] = culprit

    def _solve(self) -> None:
        changed = True
        while changed:  # monotone: names only ever become unstable
            changed = False
            for name, values in self.sources.items():
                if name in self.unstable or name in self.body.ctx_names:
                    continue
                for value in values:
                    culprit = None if value is None else self.culprit(value)
                    if culprit is not None:
                        self.unstable[name] = culprit
                        changed = True
                        break

    # -- values -----------------------------------------------------------------------------

    def culprit(
        self, node: cst.BaseExpression, *, unordered_ok: bool = False, top_level: bool = False
    ) -> str | None:
        """The source text of the first unstable part of ``node``; ``None`` when stable."""
        file = self.body.file
        if isinstance(
            node,
            cst.SimpleString
            | cst.ConcatenatedString
            | cst.Integer
            | cst.Float
            | cst.Imaginary
            | cst.Ellipsis
            | cst.Lambda,
        ):
            return None
        if isinstance(node, cst.Name):
            return self._name(node.value, top_level)
        if isinstance(node, cst.FormattedString):
            return self._all(
                (p.expression for p in node.parts if isinstance(p, cst.FormattedStringExpression)),
                top_level,
            )
        if isinstance(node, cst.Attribute):
            root = node
            while isinstance(root, cst.Attribute) and isinstance(root.value, cst.Attribute):
                root = root.value
            if (
                isinstance(root, cst.Attribute)
                and isinstance(root.value, cst.Name)
                and root.value.value in self.body.ctx_names
                and not top_level
            ):
                return None if root.attr.value in _CTX_STABLE else _quote(file.code(root))
            return self.culprit(node.value, top_level=top_level)
        if isinstance(node, cst.Subscript):
            parts: list[cst.BaseExpression] = [node.value]
            for item in node.slice:
                index = item.slice
                if isinstance(index, cst.Index):
                    parts.append(index.value)
                elif isinstance(index, cst.Slice):
                    parts.extend(x for x in (index.lower, index.upper) if x is not None)
            return self._all(parts, top_level)
        if isinstance(node, cst.BinaryOperation):
            return self._all((node.left, node.right), top_level)
        if isinstance(node, cst.BooleanOperation):
            return self._all((node.left, node.right), top_level)
        if isinstance(node, cst.UnaryOperation):
            return self.culprit(node.expression, top_level=top_level)
        if isinstance(node, cst.Comparison):
            # membership in a set does not depend on its order
            return self._all(
                (node.left, *(c.comparator for c in node.comparisons)),
                top_level,
                unordered_ok=True,
            )
        if isinstance(node, cst.IfExp):
            return self._all((node.test, node.body, node.orelse), top_level)
        if _is_set(node, file):
            if unordered_ok:
                return self._all(list(_set_parts(node)), top_level)
            return _quote(file.code(node))
        if isinstance(node, cst.Tuple | cst.List):
            return self._all((e.value for e in node.elements), top_level)
        if isinstance(node, cst.Dict):
            values: list[cst.BaseExpression] = []
            for entry in node.elements:
                if isinstance(entry, cst.DictElement):
                    values.extend((entry.key, entry.value))
                else:
                    values.append(entry.value)
            return self._all(values, top_level)
        if isinstance(node, cst.ListComp | cst.GeneratorExp | cst.DictComp):
            elements = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
            return self._all([*elements, *_comp_iters(node.for_in)], top_level)
        if isinstance(node, cst.Await):
            awaited = node.expression
            if isinstance(awaited, cst.Call) and self.body.classify(awaited) is not None:
                return None  # a durable call's result is replayed from storage
            return _quote(file.code(node))
        if isinstance(node, cst.Call):
            return self._call(node, top_level)
        return _quote(file.code(node))

    def _all(
        self, nodes: Iterable[cst.BaseExpression], top_level: bool, *, unordered_ok: bool = False
    ) -> str | None:
        for item in nodes:
            culprit = self.culprit(item, top_level=top_level, unordered_ok=unordered_ok)
            if culprit is not None:
                return culprit
        return None

    def _name(self, name: str, top_level: bool) -> str | None:
        if not top_level:
            if name in self.body.ctx_names:
                return None
            if name in self.unstable:
                return f"`{name}` (from {self.unstable[name]})"
            if name in self.sources:
                return None
        if name in self.module_unstable:
            return f"`{name}` (from {self.module_unstable[name]})"
        return None

    def _call(self, call: cst.Call, top_level: bool) -> str | None:
        file = self.body.file
        args = [a.value for a in call.args]
        qualified = file.qualify(call.func)
        if qualified is not None:
            if nondeterministic_reason(qualified, call) is not None:
                return _quote(file.code(call))
            if qualified.startswith(_PURE_MODULES):
                return self._all(args, top_level)
            return _quote(file.code(call))
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
            known_local = not top_level and name in self.sources
            if name in _PURE_BUILTINS and not known_local:
                return self._all(args, top_level, unordered_ok=name in _ORDER_INSENSITIVE)
            return _quote(file.code(call))
        if isinstance(func, cst.Attribute):
            if not top_level and self.body.classify(call) is not None:
                return _quote(file.code(call))  # an un-awaited durable call is a coroutine
            # a method of a stable value (str.lower, dict.get, ...) is stable
            receiver = self.culprit(func.value, top_level=top_level)
            if receiver is not None:
                return receiver
            if dotted(func) is not None and isinstance(func.value, cst.Name):
                # ``helper.compute()`` on a top-level object: lunora cannot see inside
                name = func.value.value
                if (
                    name not in self.sources
                    and name not in self.body.ctx_names
                    and name not in file.constants
                ):
                    return _quote(file.code(call))
            return self._all(args, top_level)
        return _quote(file.code(call))


def _quote(text: str) -> str:
    return f"`{text}`"


def _set_parts(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(node, cst.Set):
        for element in node.elements:
            yield element.value
    elif isinstance(node, cst.SetComp):
        yield node.elt
        yield from _comp_iters(node.for_in)
    elif isinstance(node, cst.Call):
        for arg in node.args:
            yield arg.value


def _comp_iters(comp: cst.CompFor | None) -> Iterator[cst.BaseExpression]:
    while comp is not None:
        yield comp.iter
        yield from (condition.test for condition in comp.ifs)
        comp = comp.inner_for_in


def check_step_names(bodies: list[Body]) -> list[Diagnostic]:
    """``step_name_not_literal``: step names that can differ between replays."""
    lint = rule("step_name_not_literal")
    found: list[Diagnostic] = []
    for body in bodies:
        stability: Stability | None = None
        for node in body.outside:
            if not isinstance(node, cst.Call):
                continue
            durable = body.classify(node)
            if durable is None or durable.name_arg is None:
                continue
            name = durable.name_arg
            if isinstance(name, cst.SimpleString | cst.ConcatenatedString):
                continue
            stability = stability or Stability(body)
            culprit = stability.culprit(name)
            if culprit is None:
                continue
            found.append(
                lint.diagnostic(
                    body.file.where(name),
                    f"the step name of `{durable.label}` in {body.label} is computed from "
                    f"{culprit}, which can differ on a replay; the engine finds a step's "
                    "stored result by its name, so a changed name re-runs the step",
                )
            )
    return found
