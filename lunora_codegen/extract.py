"""Extraction: read ``workflows.py`` / ``steps.py`` with libcst and lift their declarations.

User code is never imported. Only the top level of a module is looked at (``module.body``):
imports (to resolve aliases such as ``from lunora_workflow import define_workflow as dw`` and
``import lunora_workflow as lw``), top-level names (to know which annotation names are defined
here), and the ``define_workflow`` / ``define_step`` declarations in both their decorator and
call forms.

Speed: a libcst parse is the floor for this tool, and position metadata costs 2-3x the parse,
so positions are computed only on the error path (:class:`_Locator`). The positions the model
carries on the happy path come from a cheap one-pass scan of the source for top-level
``def``/``class``/assignment lines (:func:`_top_level_index`). Top-level statements start in
column 1, so this is exact unless a triple-quoted string contains a line that looks like one
of them before the real definition; diagnostics always use exact positions.

The result of extracting a file is pure, picklable data (:class:`ModuleFacts`), cached per file
by ``(mtime_ns, size, sha256)`` in a :class:`ParseCache` that a long-lived process (watch mode)
keeps between runs, re-parsing only files that changed.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
import pickle
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lunora_codegen.diagnostics import Diagnostic

if TYPE_CHECKING:
    # libcst (and the runtime package, for naming) load only when a file must be parsed: a
    # no-change ``lunora codegen`` rerun restores the facts from the on-disk cache instead.
    import libcst as cst
    from libcst.metadata import CodeRange

__all__ = [
    "RUNTIME_PACKAGE",
    "ImportSpec",
    "ModuleFacts",
    "ModuleTree",
    "ParseCache",
    "ParsedFile",
    "StepDecl",
    "TypeRef",
    "WorkflowDecl",
    "extract_source",
    "module_tree",
    "parse_tree",
]

#: The runtime package whose ``define_workflow`` / ``define_step`` / ``WorkflowContext`` we match.
RUNTIME_PACKAGE = "lunora_workflow"

#: Names the generated module may use unqualified because they are builtins (``dict[str, int]``).
_BUILTIN_TYPES = frozenset(
    name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
) - {"BaseException", "Exception"}

Form = Literal["decorator", "call"]


@dataclass(frozen=True)
class ImportSpec:
    """One import the generated module needs: ``from module import name as alias`` or
    ``import module as alias`` (``name is None``). ``module`` is as written from the generated
    module's point of view (relative imports gain one leading dot)."""

    module: str
    name: str | None
    alias: str | None = None

    @property
    def local(self) -> str:
        """The name this import binds in the generated module."""
        if self.alias is not None:
            return self.alias
        if self.name is not None:
            return self.name
        return self.module.split(".")[0]


@dataclass(frozen=True)
class TypeRef:
    """A Params/Output type as the generated module spells it.

    ``text`` is a canonical rendering (``_workflows.WelcomeParams``, ``dict[str, object]``,
    ``Any``); ``imports`` are what ``text`` needs besides ``_workflows``; ``written`` is the
    annotation as the user wrote it; ``resolved`` is False when it fell back to ``Any``.
    """

    text: str
    imports: tuple[ImportSpec, ...] = ()
    written: str | None = None
    resolved: bool = True


ANY_TYPE = TypeRef(text="Any", resolved=False)


@dataclass(frozen=True)
class WorkflowDecl:
    """A ``define_workflow`` export found in ``workflows.py``."""

    export: str
    name_override: str | None
    form: Form
    handler: str
    params: TypeRef
    output: TypeRef
    line: int
    column: int


@dataclass(frozen=True)
class StepDecl:
    """A ``define_step`` definition found in ``steps.py``."""

    export: str
    name_override: str | None
    form: Form
    handler: str
    is_async: bool
    line: int
    column: int


@dataclass(frozen=True)
class ModuleFacts:
    """Everything codegen needs from one module; pure data, safe to cache and pickle."""

    path: Path
    workflows: tuple[WorkflowDecl, ...] = ()
    steps: tuple[StepDecl, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


# --------------------------------------------------------------------------------------------
# Source-level helpers


_TOP_LEVEL = re.compile(
    r"^(?:(?:async[ \t]+)?def|class)[ \t]+([A-Za-z_]\w*)|^([A-Za-z_]\w*)[ \t]*(?::(?!=)|=(?!=))",
    re.MULTILINE,
)


def _top_level_index(source: str) -> dict[str, list[tuple[int, int]]]:
    """name -> [(line, column)] of top-level ``def``/``class``/assignment lines, in order.

    One regex pass over the source: ~1% of a libcst parse, against 200-300% for positions.
    """
    index: dict[str, list[tuple[int, int]]] = {}
    line = 1
    last = 0
    for match in _TOP_LEVEL.finditer(source):
        line += source.count("\n", last, match.start())
        last = match.start()
        group = 1 if match.group(1) is not None else 2
        index.setdefault(match.group(group), []).append((line, match.start(group) - last + 1))
    return index


class _Locator:
    """Exact positions of libcst nodes, computed once per file and only when asked for."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        """``(line, column)``, both 1-based, of ``node``'s first character."""
        if self._positions is None:
            # deferred: libcst loads only when a file is parsed
            from libcst.metadata import MetadataWrapper, PositionProvider

            wrapper = MetadataWrapper(self._module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        code_range = self._positions[node]
        return code_range.start.line, code_range.start.column + 1


def _syntax_error_diagnostic(path: Path, source: str, error: cst.ParserSyntaxError) -> Diagnostic:
    """CPython's own message and location for a file libcst could not parse."""
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as syntax:
        line = syntax.lineno or 1
        column = syntax.offset or 1
        return Diagnostic(path, line, max(column, 1), f"syntax error: {syntax.msg}")
    except ValueError as value_error:  # e.g. source code string cannot contain null bytes
        return Diagnostic(path, 1, 1, f"syntax error: {value_error}")
    # libcst rejected something CPython accepts (a newer grammar): report libcst's location.
    return Diagnostic(path, error.raw_line, error.raw_column + 1, f"syntax error: {error.message}")


def _decode(path: Path, data: bytes) -> tuple[str | None, Diagnostic | None]:
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Diagnostic(path, line, column, f"cannot decode file as UTF-8: {error.reason}")


# --------------------------------------------------------------------------------------------
# Import aliases and top-level names


@dataclass
class _Scope:
    """What the top level of a module binds: runtime aliases, imports and definitions."""

    #: local names bound to ``lunora_workflow.<attr>``: local -> attr
    runtime_names: dict[str, str] = field(default_factory=dict)
    #: local names bound to the runtime module itself (``import lunora_workflow as lw``)
    runtime_modules: set[str] = field(default_factory=set)
    #: local name -> import that binds it (for type references)
    imports: dict[str, ImportSpec] = field(default_factory=dict)
    #: names defined in this module (def, class, assignment, type alias)
    defined: set[str] = field(default_factory=set)
    #: top-level function definitions by name (the last one wins, as at runtime)
    functions: dict[str, tuple[int, cst.FunctionDef]] = field(default_factory=dict)


def _dotted(node: cst.BaseExpression) -> str | None:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _module_text(node: cst.ImportFrom) -> str:
    dots = "." * len(node.relative)
    module = _dotted(node.module) if node.module is not None else ""
    return f"{dots}{module or ''}"


def _is_runtime_module(module: str) -> bool:
    return module == RUNTIME_PACKAGE or module.startswith(RUNTIME_PACKAGE + ".")


def _for_generated(module: str) -> str:
    """Rewrite an import's module as seen from ``<package>/_generated/``."""
    return "." + module if module.startswith(".") else module


def _scan_import(stmt: cst.Import | cst.ImportFrom, scope: _Scope) -> None:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    if isinstance(stmt, cst.Import):
        for alias in stmt.names:
            module = _dotted(alias.name) or ""
            local = alias.evaluated_alias
            if local is None:
                # ``import a.b`` binds ``a``; a reference ``a.b.X`` needs ``import a.b``.
                top = module.split(".")[0]
                scope.imports[top] = ImportSpec(module=module, name=None)
                if module == RUNTIME_PACKAGE:
                    scope.runtime_modules.add(top)
            else:
                scope.imports[local] = ImportSpec(module=module, name=None, alias=local)
                if module == RUNTIME_PACKAGE:
                    scope.runtime_modules.add(local)
        return
    module = _module_text(stmt)
    if isinstance(stmt.names, cst.ImportStar):
        if module == RUNTIME_PACKAGE:
            # ``from lunora_workflow import *`` binds the runtime's public names; without
            # them ``@define_workflow`` would not be recognised and the module would
            # silently generate nothing
            for name in _runtime_public_names():
                scope.runtime_names[name] = name
        # names behind any other star import are unknown: types using them become Any
        return
    for alias in stmt.names:
        name = _dotted(alias.name) or ""
        local = alias.evaluated_alias or name
        if _is_runtime_module(module):
            scope.runtime_names[local] = name
        spec_alias = None if local == name else local
        scope.imports[local] = ImportSpec(
            module=_for_generated(module), name=name, alias=spec_alias
        )


def _runtime_public_names() -> tuple[str, ...]:
    """What ``from lunora_workflow import *`` binds: the runtime package's ``__all__``."""
    # deferred: the runtime package loads only when a file is parsed (naming needs it anyway)
    import lunora_workflow

    return tuple(lunora_workflow.__all__)


def _is_type_checking(test: cst.BaseExpression) -> bool:
    return _dotted(test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


def _assigned_names(stmt: cst.BaseSmallStatement) -> list[str]:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    names: list[str] = []
    if isinstance(stmt, cst.Assign):
        for target in stmt.targets:
            names.extend(_target_names(target.target))
    elif isinstance(stmt, cst.AnnAssign | cst.AugAssign):
        names.extend(_target_names(stmt.target))
    elif isinstance(stmt, cst.TypeAlias):
        names.append(stmt.name.value)
    return names


def _target_names(target: cst.BaseExpression) -> list[str]:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        out: list[str] = []
        for element in target.elements:
            out.extend(_target_names(element.value))
        return out
    return []


def _build_scope(module: cst.Module) -> _Scope:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    scope = _Scope()
    for index, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import | cst.ImportFrom):
                    _scan_import(small, scope)
                else:
                    scope.defined.update(_assigned_names(small))
        elif isinstance(stmt, cst.FunctionDef):
            scope.defined.add(stmt.name.value)
            scope.functions[stmt.name.value] = (index, stmt)
        elif isinstance(stmt, cst.ClassDef):
            scope.defined.add(stmt.name.value)
        elif isinstance(stmt, cst.If) and _is_type_checking(stmt.test):
            body = stmt.body
            if isinstance(body, cst.IndentedBlock):
                for inner in body.body:
                    if isinstance(inner, cst.SimpleStatementLine):
                        for small in inner.body:
                            if isinstance(small, cst.Import | cst.ImportFrom):
                                _scan_import(small, scope)
    return scope


# --------------------------------------------------------------------------------------------
# Type references


class _UnresolvableError(Exception):
    """An annotation piece the generated module cannot spell; the whole type becomes Any."""


_TYPING_MODULES = frozenset({"typing", "typing_extensions"})
_GENERATED_TYPING = frozenset({"TYPE_CHECKING", "Any", "Literal", "overload"})


class _TypeRenderer:
    """Render an annotation canonically (ruff-format stable) with names resolved for
    ``<package>/_generated/workflows.py``."""

    #: Subscripts whose string arguments are values, not forward references (``Annotated``'s
    #: first argument is still a type).
    _VALUE_STRINGS = frozenset({"Literal", "Annotated"})

    def __init__(self, scope: _Scope) -> None:
        self._scope = scope
        self.imports: list[ImportSpec] = []
        #: every question this renderer asked the scope, with the answer: the whole of what
        #: a rendering depends on besides the node itself (see :meth:`TypeMemo.render`)
        self.lookups: dict[tuple[bool, str], object] = {}

    def _defines(self, name: str) -> bool:
        """Whether the module defines ``name`` (recorded in :attr:`lookups`)."""
        answer = name in self._scope.defined
        self.lookups[(True, name)] = answer
        return answer

    def _imported(self, name: str) -> ImportSpec | None:
        """The import that binds ``name`` (recorded in :attr:`lookups`)."""
        answer = self._scope.imports.get(name)
        self.lookups[(False, name)] = answer
        return answer

    def render(self, node: cst.BaseExpression, *, value: bool = False) -> str:
        """The annotation ``node`` spelled for the generated module, or
        :class:`_UnresolvableError`. A string is a forward reference (``"P"``, also nested:
        ``list["P"]``) and is resolved like the name it holds: copied verbatim it would name
        nothing in the generated module. Only with ``value`` (inside ``Literal[...]`` or the
        metadata of ``Annotated[...]``) is a string kept as a string."""
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
            text = node.evaluated_value
            if not isinstance(text, str):
                raise _UnresolvableError
            if value:
                return json.dumps(text, ensure_ascii=False)
            try:
                inner = cst.parse_expression(text.strip())
            except cst.ParserSyntaxError:
                raise _UnresolvableError from None
            if isinstance(inner, cst.SimpleString | cst.ConcatenatedString):
                raise _UnresolvableError  # a string inside a string is no type
            return self.render(inner)
        if isinstance(node, cst.Name):
            return self._name(node.value)
        if isinstance(node, cst.Attribute):
            dotted = _dotted(node)
            if dotted is None:
                raise _UnresolvableError
            head, _, rest = dotted.partition(".")
            return f"{self._name(head, qualified=True)}.{rest}"
        if isinstance(node, cst.Subscript):
            legacy = self._typing_name(node.value)
            items = []
            for index, element in enumerate(node.slice):
                if not isinstance(element.slice, cst.Index) or element.slice.star is not None:
                    raise _UnresolvableError
                values = legacy == "Literal" or (legacy == "Annotated" and index > 0)
                items.append(self.render(element.slice.value, value=values))
            # Optional[X] / Union[A, B] are spelled X | None / A | B (what ruff's UP rules want)
            if legacy == "Optional" and len(items) == 1:
                return f"{items[0]} | None"
            if legacy == "Union" and items:
                return " | ".join(items)
            return f"{self.render(node.value)}[{', '.join(items)}]"
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return f"{self.render(node.left)} | {self.render(node.right)}"
        if isinstance(node, cst.Integer):
            return node.value
        if isinstance(node, cst.Ellipsis):
            return "..."
        if isinstance(node, cst.List):
            return "[" + ", ".join(self.render(e.value) for e in node.elements) + "]"
        raise _UnresolvableError

    def _typing_name(self, node: cst.BaseExpression) -> str | None:
        """``Optional`` for ``Optional`` / ``typing.Optional`` / ``t.Optional`` and the like."""
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        if isinstance(node, cst.Name):
            spec = self._imported(node.value)
            if spec is not None and spec.module in _TYPING_MODULES and spec.name is not None:
                return spec.name
            return None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            spec = self._imported(node.value.value)
            if spec is not None and spec.name is None and spec.module in _TYPING_MODULES:
                return node.attr.value
        return None

    def _name(self, name: str, *, qualified: bool = False) -> str:
        if name == "None":
            return "None"
        if self._defines(name):
            return f"_workflows.{name}"
        spec = self._imported(name)
        if spec is not None:
            if spec.module in _TYPING_MODULES and spec.name in _GENERATED_TYPING:
                return spec.name  # already imported by the generated module
            self.imports.append(spec)
            return spec.local
        if name in _BUILTIN_TYPES and not qualified:
            return name
        raise _UnresolvableError


class WrittenMemo:
    """The source text of annotation nodes, carried from one extraction of a file to the next.

    ``module.code_for_node`` regenerates the text from the tree, and for 1,000 workflows that
    was most of an extraction. With ``lunora dev``'s incremental parser, an unchanged
    statement keeps its node objects between saves, so the text is looked up by node identity
    (libcst nodes hash by identity). Only the nodes seen by the latest extraction are kept.
    """

    def __init__(self) -> None:
        self._previous: dict[cst.CSTNode, str] = {}
        self._current: dict[cst.CSTNode, str] = {}
        self._previous_types: dict[cst.CSTNode, _RenderedType] = {}
        self._current_types: dict[cst.CSTNode, _RenderedType] = {}

    def text(self, module: cst.Module, node: cst.CSTNode) -> str:
        """``module.code_for_node(node)``, from the memo when ``node`` was seen last time."""
        text = self._current.get(node)
        if text is None:
            text = self._previous.get(node)
            if text is None:
                text = module.code_for_node(node)
            self._current[node] = text
        return text

    def type_ref(self, node: cst.BaseExpression, scope: _Scope, written: str) -> TypeRef:
        """``render_type(node, _TypeRenderer(scope), written)``, reusing the rendering of the
        last extraction that saw ``node``.

        A rendering is a function of the node (libcst nodes are immutable, so the same object
        is the same annotation) and of the answers the renderer got from the scope: whether
        the module defines a name, and which import binds it. Every such question goes
        through :meth:`_TypeRenderer._defines` / :meth:`_TypeRenderer._imported`, which record
        it with its answer. When the current scope gives the same answers to the recorded
        questions, a fresh renderer would take the same path and spell the same text with
        the same imports; otherwise (an import or alias changed, a name became defined) the
        type is rendered again.
        """
        found = self._current_types.get(node)
        if found is None:
            found = self._previous_types.get(node)
        if found is None or not found.holds_in(scope):
            renderer = _TypeRenderer(scope)
            try:
                text = renderer.render(node)
            except _UnresolvableError:
                found = _RenderedType("Any", (), False, tuple(renderer.lookups.items()))
            else:
                imports = tuple(dict.fromkeys(renderer.imports))
                found = _RenderedType(text, imports, True, tuple(renderer.lookups.items()))
        self._current_types[node] = found
        return TypeRef(
            text=found.text, imports=found.imports, written=written, resolved=found.resolved
        )

    def rotate(self) -> None:
        """Start a new extraction: forget the nodes the last one did not use."""
        self._previous, self._current = self._current, {}
        self._previous_types, self._current_types = self._current_types, {}


@dataclass(frozen=True)
class _RenderedType:
    """One type rendering and the scope answers it was made with (see ``WrittenMemo``)."""

    text: str
    imports: tuple[ImportSpec, ...]
    resolved: bool
    #: ``((True, name), defined?)`` and ``((False, name), import or None)`` pairs
    lookups: tuple[tuple[tuple[bool, str], object], ...]

    def holds_in(self, scope: _Scope) -> bool:
        """True when ``scope`` answers every recorded question as it was answered then."""
        for (is_definition, name), answer in self.lookups:
            now = name in scope.defined if is_definition else scope.imports.get(name)
            if now != answer:
                return False
        return True


def _type_ref(
    node: cst.BaseExpression | None,
    scope: _Scope,
    module: cst.Module,
    memo: WrittenMemo | None = None,
    renderer: _TypeRenderer | None = None,
) -> TypeRef:
    if node is None:
        return ANY_TYPE
    written = memo.text(module, node) if memo is not None else module.code_for_node(node)
    if memo is not None and renderer is None:
        return memo.type_ref(node, scope, written)
    return render_type(node, renderer if renderer is not None else _TypeRenderer(scope), written)


def render_type(node: cst.BaseExpression, renderer: _TypeRenderer, written: str) -> TypeRef:
    """``node`` (an annotation, ``written`` as in the source) spelled by ``renderer``: the one
    type renderer of both generated modules (``workflows.py`` and ``api.py``, whose renderer
    only spells the module's own names differently). A type it cannot spell becomes ``Any``."""
    try:
        text = renderer.render(node)
    except _UnresolvableError:
        return TypeRef(text="Any", written=written, resolved=False)
    return TypeRef(text=text, imports=tuple(dict.fromkeys(renderer.imports)), written=written)


# --------------------------------------------------------------------------------------------
# Declarations

#: how a message names the compound statement a declaration is nested in
_BLOCK_KEYWORDS = {
    "If": "an `if`",
    "Try": "a `try`",
    "TryStar": "a `try`",
    "With": "a `with`",
    "For": "a `for`",
    "While": "a `while`",
    "Match": "a `match`",
}

#: keyword arguments the runtime's define_workflow / define_step accept
_KEYWORDS = {
    "workflow": frozenset({"handler", "name"}),
    "step": frozenset(
        {"handler", "name", "retries", "timeout", "config", "rollback", "rollback_config"}
    ),
}


@dataclass
class _Found:
    """A ``define_*`` use before validation."""

    export: str
    form: Form
    call: cst.Call | None
    handler: cst.FunctionDef
    handler_name: str
    anchor: cst.CSTNode
    index: int


class _Extractor:
    def __init__(
        self,
        path: Path,
        source: str,
        module: cst.Module,
        kind: str,
        memo: WrittenMemo | None = None,
    ) -> None:
        self.path = path
        self.memo = memo
        self.source = source
        self.module = module
        self.kind = kind  # "workflow" | "step"
        self.scope = _build_scope(module)
        self.locator = _Locator(module)
        self.problems: list[tuple[cst.CSTNode, str]] = []
        self._index: dict[str, list[tuple[int, int]]] | None = None
        self._names: list[list[str]] | None = None

    # -- matching ----------------------------------------------------------------------------

    def _runtime_attr(self, node: cst.BaseExpression) -> str | None:
        """``define_workflow`` for ``dw`` / ``lw.define_workflow`` / ``define_workflow``."""
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        if isinstance(node, cst.Name):
            return self.scope.runtime_names.get(node.value)
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value in self.scope.runtime_modules
        ):
            return node.attr.value
        return None

    @property
    def factory(self) -> str:
        return "define_workflow" if self.kind == "workflow" else "define_step"

    def _is_factory(self, node: cst.BaseExpression) -> bool:
        return self._runtime_attr(node) == self.factory

    # -- scanning ----------------------------------------------------------------------------

    def scan(self) -> list[_Found]:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        found: list[_Found] = []
        for index, stmt in enumerate(self.module.body):
            if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
                for decorator in stmt.decorators:
                    expr = decorator.decorator
                    call = expr if isinstance(expr, cst.Call) else None
                    target = call.func if call is not None else expr
                    if not self._is_factory(target):
                        continue
                    if isinstance(stmt, cst.ClassDef):
                        self.problems.append(
                            (decorator, f"@{self.factory} must decorate a function, not a class")
                        )
                        break
                    found.append(
                        _Found(
                            export=stmt.name.value,
                            form="decorator",
                            call=call,
                            handler=stmt,
                            handler_name=stmt.name.value,
                            anchor=stmt.name,
                            index=index,
                        )
                    )
                    if len(stmt.decorators) > 1:
                        self.problems.append(
                            (
                                decorator,
                                f"@{self.factory} must be the only decorator of "
                                f"{stmt.name.value!r}",
                            )
                        )
                    break
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._scan_assignment(small, index, found)
            elif isinstance(stmt, cst.BaseCompoundStatement) and self.kind == "workflow":
                # (a nested define_step still works: steps are used by reference and
                # generate no code)
                self._scan_nested(stmt, stmt)
        return found

    def _scan_nested(self, block: cst.BaseCompoundStatement, node: cst.CSTNode) -> None:
        """Report workflows declared inside a top-level ``if``/``try``/``with``/``for``/
        ``while``/``match`` block: codegen reads only the top level, so such a workflow would
        silently get no generated class. Function and class bodies are not looked into."""
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        for child in node.children:
            if isinstance(child, cst.Call) and self._is_factory(child.func):
                self._report_nested(block, child)
                continue
            if isinstance(child, cst.FunctionDef | cst.ClassDef):
                for decorator in child.decorators:
                    expr = decorator.decorator
                    if self._is_factory(expr.func if isinstance(expr, cst.Call) else expr):
                        self._report_nested(block, decorator)
                continue
            if isinstance(child, cst.Lambda):
                continue
            self._scan_nested(block, child)

    def _report_nested(self, block: cst.BaseCompoundStatement, node: cst.CSTNode) -> None:
        keyword = _BLOCK_KEYWORDS.get(type(block).__name__, "a compound")
        self.problems.append(
            (
                node,
                f"{self.factory} inside {keyword} block: lunora codegen reads only top-level "
                f"declarations, so this {self.kind} would get no generated class; move it to "
                "the top level of the module",
            )
        )

    def _scan_assignment(
        self, small: cst.BaseSmallStatement, index: int, found: list[_Found]
    ) -> None:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        value: cst.BaseExpression | None
        targets: list[cst.BaseExpression]
        if isinstance(small, cst.Assign):
            value = small.value
            targets = [t.target for t in small.targets]
        elif isinstance(small, cst.AnnAssign):
            value = small.value
            targets = [small.target]
        elif isinstance(small, cst.Expr):
            value = small.value
            targets = []
        else:
            return
        if not isinstance(value, cst.Call) or not self._is_factory(value.func):
            return
        if len(targets) != 1 or not isinstance(targets[0], cst.Name):
            where: cst.CSTNode = targets[0] if targets else value
            self.problems.append(
                (
                    where,
                    f"{self.factory}(...) must be assigned to exactly one plain name "
                    f"(`my_{self.kind} = {self.factory}(handler=...)`)",
                )
            )
            return
        target = targets[0]
        assert isinstance(target, cst.Name)
        handler_node = self._handler_arg(value)
        if handler_node is None:
            self.problems.append(
                (
                    value,
                    f"{self.factory}(...) needs a handler: `{self.factory}(handler=my_function)`",
                )
            )
            return
        if not isinstance(handler_node, cst.Name):
            self.problems.append(
                (
                    handler_node,
                    "handler= must name a function defined at the top level of this module",
                )
            )
            return
        handler_name = handler_node.value
        entry = self.scope.functions.get(handler_name)
        if entry is None:
            self.problems.append(
                (
                    handler_node,
                    f"handler {handler_name!r} is not a function defined at the top level "
                    "of this module",
                )
            )
            return
        handler_index, handler = entry
        if handler_index > index:
            self.problems.append(
                (
                    handler_node,
                    f"handler {handler_name!r} is defined below this line; "
                    "define it first (the module runs top to bottom)",
                )
            )
            return
        found.append(
            _Found(
                export=target.value,
                form="call",
                call=value,
                handler=handler,
                handler_name=handler_name,
                anchor=target,
                index=index,
            )
        )

    def _handler_arg(self, call: cst.Call) -> cst.BaseExpression | None:
        for position, arg in enumerate(call.args):
            if arg.keyword is None and arg.star == "" and position == 0:
                return arg.value
            if arg.keyword is not None and arg.keyword.value == "handler":
                return arg.value
        return None

    # -- validation of one declaration --------------------------------------------------------

    def _name_override(self, call: cst.Call | None) -> str | None:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        if call is None:
            return None
        allowed = _KEYWORDS[self.kind]
        override: str | None = None
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value not in allowed:
                self.problems.append(
                    (
                        arg.keyword,
                        f"{self.factory}() got an unexpected keyword argument "
                        f"{arg.keyword.value!r} (it takes {', '.join(sorted(allowed))})",
                    )
                )
                continue
            if arg.star:
                self.problems.append(
                    (arg, f"{self.factory}(...) takes no */** arguments; write them out")
                )
                continue
            if arg.keyword is None or arg.keyword.value != "name":
                continue
            value = arg.value
            literal = (
                value.evaluated_value
                if isinstance(value, cst.SimpleString | cst.ConcatenatedString)
                else None
            )
            if not isinstance(literal, str):
                self.problems.append((value, "`name` must be a string literal"))
                continue
            problem = self._name_problem(literal)
            if problem is not None:
                self.problems.append((value, problem))
                continue
            override = literal
        return override

    def _name_problem(self, name: str) -> str | None:
        # deferred: the runtime package loads only when a file is parsed
        from lunora_workflow import naming

        if self.kind == "workflow":
            return naming.deployed_name_problem(name)
        if not name.strip():
            return "step name must not be empty"
        if name.startswith(naming.RESERVED_STEP_PREFIX):
            return (
                f"step name {name!r} starts with {naming.RESERVED_STEP_PREFIX!r}, "
                "which is reserved for lunora's own durable steps"
            )
        return None

    def _check_positional(self, found: _Found) -> None:
        call = found.call
        if call is None:
            return
        limit = 0 if found.form == "decorator" else 1
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if len(positional) > limit:
            self.problems.append(
                (
                    positional[limit],
                    f"{self.factory}(...) takes keyword arguments only "
                    + ("(name=...)" if found.form == "decorator" else "after the handler"),
                )
            )

    def _params_type(self, found: _Found, function: cst.FunctionDef) -> TypeRef:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        params = function.params
        ordered = [*params.posonly_params, *params.params]
        if not ordered:
            self.problems.append(
                (
                    function.name,
                    f"workflow handler {function.name.value!r} must take the context as its "
                    "first parameter: `async def handler(ctx: WorkflowContext[Params]) -> Output`",
                )
            )
            return ANY_TYPE
        extra = [*ordered[1:], *(p for p in params.kwonly_params if p.default is None)]
        if extra:
            self.problems.append(
                (
                    extra[0],
                    f"workflow handler {function.name.value!r} must take exactly one "
                    f"parameter, the context; remove {extra[0].name.value!r}",
                )
            )
        first = ordered[0]
        if first.annotation is None:
            return ANY_TYPE  # unannotated context: Params is Any (documented in docs/codegen.md)
        annotation = first.annotation.annotation
        if isinstance(annotation, cst.SimpleString | cst.ConcatenatedString):
            value = annotation.evaluated_value
            if isinstance(value, str):
                with contextlib.suppress(cst.ParserSyntaxError):
                    annotation = cst.parse_expression(value)
        if self._runtime_attr(annotation) == "WorkflowContext":
            return ANY_TYPE
        if isinstance(annotation, cst.Subscript) and self._runtime_attr(annotation.value) == (
            "WorkflowContext"
        ):
            elements = annotation.slice
            if len(elements) == 1 and isinstance(elements[0].slice, cst.Index):
                return _type_ref(elements[0].slice.value, self.scope, self.module, self.memo)
        self.problems.append(
            (
                first.annotation.annotation,
                f"the context parameter {first.name.value!r} must be annotated "
                "`WorkflowContext[Params]` (imported from lunora_workflow)",
            )
        )
        return ANY_TYPE

    def _check_step_handler(self, function: cst.FunctionDef) -> None:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        params = function.params
        ordered = [*params.posonly_params, *params.params]
        if isinstance(params.star_arg, cst.Param):
            return  # *args takes whatever is passed
        if len(ordered) != 2:
            self.problems.append(
                (
                    function.name,
                    f"step handler {function.name.value!r} must take two parameters "
                    f"(ctx: StepContext, args), it takes {len(ordered)}",
                )
            )

    def _position(self, name: str, occurrence: int) -> tuple[int, int]:
        if self._index is None:
            self._index = _top_level_index(self.source)
        spots = self._index.get(name, [])
        return spots[occurrence] if occurrence < len(spots) else (1, 1)

    def extract(self) -> ModuleFacts:
        found = self.scan()
        workflows: list[WorkflowDecl] = []
        steps: list[StepDecl] = []
        exported: set[str] = set()
        occurrences = self._occurrences(found)
        for item in found:
            if item.export in exported:
                continue  # reported by _check_rebinding; keep the first declaration only
            exported.add(item.export)
            # the cheap index lists top-level bindings in order: count earlier ones
            occurrence = occurrences.get((item.index, item.export), 0)
            line, column = self._position(item.export, occurrence)
            self._check_positional(item)
            name = self._name_override(item.call)
            function = item.handler
            is_async = function.asynchronous is not None
            if self.kind == "workflow":
                if not is_async:
                    self.problems.append(
                        (
                            function.name,
                            f"workflow handler {function.name.value!r} must be an `async def`",
                        )
                    )
                params = self._params_type(item, function)
                returns = function.returns.annotation if function.returns is not None else None
                output = _type_ref(returns, self.scope, self.module, self.memo)
                workflows.append(
                    WorkflowDecl(
                        export=item.export,
                        name_override=name,
                        form=item.form,
                        handler=item.handler_name,
                        params=params,
                        output=output,
                        line=line,
                        column=column,
                    )
                )
            else:
                self._check_step_handler(function)
                steps.append(
                    StepDecl(
                        export=item.export,
                        name_override=name,
                        form=item.form,
                        handler=item.handler_name,
                        is_async=is_async,
                        line=line,
                        column=column,
                    )
                )
        self._check_rebinding(found)
        diagnostics = tuple(
            Diagnostic(self.path, *self.locator.position(node), message)
            for node, message in self.problems
        )
        return ModuleFacts(
            path=self.path,
            workflows=tuple(workflows),
            steps=tuple(steps),
            diagnostics=diagnostics,
        )

    def _statement_names(self) -> list[list[str]]:
        """The names each top-level statement binds (computed once per file)."""
        if self._names is None:
            self._names = [_statement_bindings(stmt) for stmt in self.module.body]
        return self._names

    def _occurrences(self, found: list[_Found]) -> dict[tuple[int, str], int]:
        """For each declaration, how many top-level bindings of its name come before it: the
        index into the cheap position index."""
        targets = {(item.index, item.export) for item in found}
        counts: dict[str, int] = {}
        occurrences: dict[tuple[int, str], int] = {}
        for index, names in enumerate(self._statement_names()):
            for name in names:
                if (index, name) in targets:
                    occurrences[(index, name)] = counts.get(name, 0)
                counts[name] = counts.get(name, 0) + 1
        return occurrences

    def _check_rebinding(self, found: list[_Found]) -> None:
        """Each export must be bound exactly once at the top level: a second binding (another
        declaration, a def, a class or an assignment) silently replaces the workflow."""
        exports = {item.export: item for item in found}
        if not exports:
            return
        first_seen: dict[str, int] = {}
        for index, names in enumerate(self._statement_names()):
            for name in names:
                if name not in exports:
                    continue
                if name not in first_seen:
                    first_seen[name] = index
                    continue
                node = _binding_node(self.module.body[index], name)
                self.problems.append(
                    (
                        node,
                        f"{self.kind} export {name!r} is bound more than once at the top "
                        "level; each export must be defined exactly once",
                    )
                )


def _statement_bindings(stmt: cst.BaseStatement) -> list[str]:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
        return [stmt.name.value]
    if isinstance(stmt, cst.SimpleStatementLine):
        names: list[str] = []
        for small in stmt.body:
            if isinstance(small, cst.Assign | cst.AnnAssign | cst.TypeAlias):
                names.extend(_assigned_names(small))
        return names
    return []


def _binding_node(stmt: cst.BaseStatement, name: str) -> cst.CSTNode:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
        return stmt.name
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            for target in _iter_target_nodes(small):
                if target.value == name:
                    return target
    return stmt


def _iter_target_nodes(small: cst.BaseSmallStatement) -> Iterator[cst.Name]:
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    targets: Sequence[cst.BaseExpression] = ()
    if isinstance(small, cst.Assign):
        targets = [t.target for t in small.targets]
    elif isinstance(small, cst.AnnAssign):
        targets = [small.target]
    elif isinstance(small, cst.TypeAlias):
        yield small.name
        return
    stack = list(targets)
    while stack:
        target = stack.pop(0)
        if isinstance(target, cst.Name):
            yield target
        elif isinstance(target, cst.Tuple | cst.List):
            stack.extend(e.value for e in target.elements)


def extract_source(
    path: Path,
    source: str,
    kind: Literal["workflow", "step"],
    parse: Callable[[str], cst.Module] | None = None,
) -> ModuleFacts:
    """Extract the ``define_workflow`` (``kind="workflow"``) or ``define_step`` declarations
    of one module's source. Problems come back as diagnostics in the result, never raised.

    ``parse`` must behave like ``libcst.parse_module``, its default (watch mode passes an
    incremental parser that re-parses only the top-level statements that changed)."""
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    try:
        module = (parse or cst.parse_module)(source)
    except cst.ParserSyntaxError as error:
        return ModuleFacts(path=path, diagnostics=(_syntax_error_diagnostic(path, source, error),))
    return _Extractor(path, source, module, kind).extract()


# --------------------------------------------------------------------------------------------
# The per-file cache

#: A file modified less than this long before we read it is *racy* (git's term): a later
#: save of the same size within the same filesystem timestamp tick would leave
#: ``(mtime_ns, size)`` unchanged, so its content is hashed again until the entry is older.
#: Two seconds covers the coarsest common timestamps (FAT; HFS+ and some network filesystems
#: have one second) and clock skew between a network filesystem and this machine.
RACY_WINDOW_NS = 2_000_000_000

#: what a cache entry is for: the two codegen inputs, or any other module the lints read
EntryKind = Literal["workflow", "step", "source"]


@dataclass
class _CacheEntry:
    mtime_ns: int
    size: int
    sha256: str
    kind: str
    facts: ModuleFacts
    #: wall clock (``time.time_ns``) just before the bytes were read
    read_ns: int = 0
    # In memory only (see __getstate__): the decoded source and the libcst module, kept so
    # the lint gate reuses the pipeline's parse instead of parsing the file again.
    source: str | None = None
    module: cst.Module | None = None
    #: the source was parsed and did not parse
    broken: bool = False
    memo: WrittenMemo | None = None

    def fresh(self, stat: os.stat_result) -> bool:
        """True when ``stat`` proves the file unchanged since it was read."""
        return (
            self.mtime_ns == stat.st_mtime_ns
            and self.size == stat.st_size
            and self.read_ns - self.mtime_ns >= RACY_WINDOW_NS
        )

    def __getstate__(self) -> dict[str, object]:
        # libcst trees are large and rebuilt cheaply from the incremental parser; the on-disk
        # cache only needs the facts and the stamps
        return {**self.__dict__, "source": None, "module": None, "broken": False, "memo": None}


@dataclass(frozen=True)
class ParsedFile:
    """One module as the lints read it: its bytes' hash, its text and its libcst tree."""

    path: Path
    sha256: str
    #: ``None`` when the file is not valid UTF-8
    source: str | None
    #: ``None`` when the file does not parse
    module: cst.Module | None


class ParseCache:
    """Extraction results per file, keyed by ``(mtime_ns, size, sha256)``.

    Like black's cache: a file whose ``mtime_ns`` and size are unchanged is not read again
    (unless it was *racy*, see :data:`RACY_WINDOW_NS`); a touched file is read and hashed, and
    re-parsed only when its bytes changed. Keep one instance alive (``lunora dev``) to
    re-parse only the files that changed between runs. The libcst trees of the latest parse
    stay in memory (never on disk) for the lint gate (:meth:`parsed_file`).
    """

    def __init__(self, parse: Callable[[str], cst.Module] | None = None) -> None:
        #: the libcst parser (``lunora dev`` passes ``watch.incremental.IncrementalParser``);
        #: ``None`` is ``libcst.parse_module``, looked up only when a file must be parsed
        self._parse = parse
        self._entries: dict[Path, _CacheEntry] = {}
        #: how many files the last :meth:`extract` calls parsed (for tests and benchmarks)
        self.parsed = 0
        #: how many times a file's bytes were read (for tests and benchmarks)
        self.reads = 0
        #: results later stages derive from these facts (see ``pipeline.generate``)
        self.memo: dict[str, object] = {}
        #: like ``memo`` but never saved: derived state that holds libcst nodes (the lints)
        self.scratch: dict[str, object] = {}
        self._loaded: set[Path] = set()
        self._loaded_memo: dict[str, object] = {}
        #: an entry's stamps changed without a re-parse (worth saving: the next run skips
        #: hashing that file)
        self._restamped = False

    def _current(self, path: Path, kind: EntryKind) -> _CacheEntry:
        """The entry of ``path``, re-read (and re-extracted) when the file changed.

        Raises ``OSError`` when the file cannot be read.
        """
        stat = os.stat(path)
        entry = self._entries.get(path)
        if entry is not None and entry.kind == kind and entry.fresh(stat):
            return entry
        read_ns = time.time_ns()
        data = path.read_bytes()
        self.reads += 1
        digest = hashlib.sha256(data).hexdigest()
        if entry is not None and entry.kind == kind and entry.sha256 == digest:
            entry.mtime_ns, entry.size, entry.read_ns = stat.st_mtime_ns, stat.st_size, read_ns
            self._restamped = True
            return entry
        source, problem = _decode(path, data)
        module: cst.Module | None = None
        broken = False
        memo: WrittenMemo | None = None
        if kind == "source":
            facts = ModuleFacts(path=path)
        elif source is None:
            assert problem is not None
            facts = ModuleFacts(path=path, diagnostics=(problem,))
        else:
            # the memo of the previous version: unchanged statements keep their nodes
            memo = entry.memo if entry is not None and entry.memo is not None else WrittenMemo()
            memo.rotate()
            import libcst as cst  # deferred: libcst loads only when a file is parsed

            try:
                module = (self._parse or cst.parse_module)(source)
            except cst.ParserSyntaxError as error:
                diagnostic = _syntax_error_diagnostic(path, source, error)
                facts = ModuleFacts(path=path, diagnostics=(diagnostic,))
                broken = True
            else:
                facts = _Extractor(path, source, module, kind, memo).extract()
            self.parsed += 1
        entry = _CacheEntry(
            stat.st_mtime_ns,
            stat.st_size,
            digest,
            kind,
            facts,
            read_ns,
            source,
            module,
            broken,
            memo,
        )
        self._entries[path] = entry
        return entry

    def extract(self, path: Path, kind: Literal["workflow", "step"]) -> ModuleFacts:
        """The facts of ``path``, from the cache when the file has not changed."""
        try:
            return self._current(path, kind).facts
        except OSError as error:
            self._entries.pop(path, None)
            reason = error.strerror or type(error).__name__
            return ModuleFacts(
                path=path, diagnostics=(Diagnostic(path, 1, 1, f"cannot read file: {reason}"),)
            )

    def digest(self, path: Path, kind: EntryKind) -> str:
        """The sha256 of ``path``'s bytes, without reading the file when its stamps prove it
        unchanged. Raises ``OSError`` when it cannot be read."""
        return self._current(path, kind).sha256

    def text(self, path: Path, kind: EntryKind) -> str | None:
        """The decoded source of ``path`` (``None`` when it is not UTF-8). Raises ``OSError``
        when it cannot be read."""
        entry = self._current(path, kind)
        if entry.source is None:
            # an entry restored from disk keeps no text
            data = path.read_bytes()
            self.reads += 1
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                # changed since it was stamped: start over so stamps, facts and text agree
                self._entries.pop(path, None)
                return self.text(path, kind)
            entry.source, _problem = _decode(path, data)
        return entry.source

    def parsed_file(self, path: Path, kind: EntryKind) -> ParsedFile:
        """``path`` read, decoded and parsed; the codegen inputs (``workflow``/``step``) give
        the very tree :meth:`extract` used. Raises ``OSError`` when it cannot be read."""
        source = self.text(path, kind)
        entry = self._entries[path]
        if entry.module is None and not entry.broken and source is not None:
            import libcst as cst  # deferred: libcst loads only when a file is parsed

            # A lint-only module is parsed whole: the incremental parser keeps a small window
            # of recent chunks, sized for the codegen inputs it is there for.
            parse = cst.parse_module if kind == "source" else self._parse or cst.parse_module
            try:
                entry.module = parse(source)
            except cst.ParserSyntaxError:
                entry.broken = True
        return ParsedFile(path, entry.sha256, source, entry.module)

    def forget(self, path: Path) -> None:
        """Drop one file from the cache (watch mode: the file was deleted)."""
        self._entries.pop(path, None)

    def recheck(self, path: Path) -> None:
        """Make the next lookup of ``path`` read and hash it whatever its stamps say (watch
        mode: an event says it changed). Unlike :meth:`forget` this keeps the entry, so an
        unchanged file is not parsed again and a changed one still reuses the previous
        version's annotation texts."""
        entry = self._entries.get(path)
        if entry is not None:
            entry.read_ns = entry.mtime_ns  # as racy as an entry can be

    # -- on disk, for one-shot CLI runs ------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> ParseCache:
        """A cache restored from ``path``; an empty one when it is missing, unreadable, or was
        written by another version of the extractor (see :func:`cache_fingerprint`)."""
        cache = cls()
        try:
            with open(path, "rb") as handle:
                # the fingerprint first, alone: a cache another version wrote is not unpickled
                # (its classes may be gone, or import what this version keeps lazy)
                if pickle.load(handle) != cache_fingerprint():
                    return cache
                entries, memo = pickle.load(handle)
        except Exception:  # a missing, truncated or foreign cache file is simply not used
            return cache
        if isinstance(entries, dict):
            cache._entries = entries
            cache._loaded = set(entries)
            if isinstance(memo, dict):
                cache.memo = memo
                cache._loaded_memo = dict(memo)
        return cache

    @property
    def dirty(self) -> bool:
        """True when something was parsed, dropped, re-stamped or re-derived since
        :meth:`load`."""
        if self.parsed > 0 or self._restamped or set(self._entries) != self._loaded:
            return True
        return self.memo.keys() != self._loaded_memo.keys() or any(
            self.memo[key] is not self._loaded_memo[key] for key in self.memo
        )

    def save(self, path: Path) -> None:
        """Store the entries at ``path`` (atomically; a failure only costs the next run time)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(temp, "wb") as handle:
                # one dump keeps shared references, so memo entries still point at the
                # very facts objects they were derived from
                pickle.dump(cache_fingerprint(), handle, protocol=5)
                pickle.dump((self._entries, self.memo), handle, protocol=5)
            os.replace(temp, path)
        except OSError:
            return


@lru_cache(maxsize=1)
def cache_fingerprint() -> str:
    """Identifies the code that produced cached results: the toolchain modules facts, rendered
    output and lint results depend on, the templates, and the Python version, so an upgrade of
    lunora or Python never reads stale results."""
    from lunora_codegen.templating import templates_dir

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(sys.version.encode())
    names = ("extract", "model", "render", "pipeline", "functions")
    sources = [here / f"{name}.py" for name in names]
    # the lint gate keeps its per-file results in ``memo`` too, and the pipeline keeps the
    # verdicts of the gate and of the wrangler reconciler
    sources += sorted((here / "lints").glob("*.py"))
    sources += sorted((here / "wrangler").glob("*.py"))
    # the model's class, binding and deployed names come from the runtime's naming rules
    naming = here.parent / "lunora_workflow" / "naming.py"
    if naming.is_file():
        sources.append(naming)
    for source in [*sources, *sorted((templates_dir() / "generated").glob("*.jinja"))]:
        digest.update(source.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# The parsed tree, for the lints (lunora_codegen.lints)


@dataclass(frozen=True)
class ModuleTree:
    """One module's libcst tree, its runtime aliases and its declarations' handler functions.

    Unlike :class:`ModuleFacts` this holds libcst nodes, so it is built on demand by the lints
    and never cached. Positions are computed lazily, only for nodes a lint reports.
    """

    path: Path
    module: cst.Module
    #: local name -> ``lunora_workflow`` attribute it is bound to (``dw`` -> ``define_workflow``)
    runtime_names: Mapping[str, str]
    #: local names bound to the runtime module itself (``import lunora_workflow as lw``)
    runtime_modules: frozenset[str]
    #: export -> the handler ``def`` of each ``define_workflow`` / ``define_step`` declaration
    handlers: Mapping[str, cst.FunctionDef]
    locator: _Locator = field(repr=False, compare=False)

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        """``(line, column)``, both 1-based, of ``node``'s first character."""
        return self.locator.position(node)


def module_tree(
    path: Path, source: str, module: cst.Module, kind: Literal["workflow", "step"] | None = None
) -> ModuleTree:
    """The :class:`ModuleTree` of an already parsed ``module`` (see :func:`parse_tree`)."""
    extractor = _Extractor(path, source, module, kind or "workflow")
    handlers: dict[str, cst.FunctionDef] = {}
    if kind is not None:
        for item in extractor.scan():
            handlers.setdefault(item.export, item.handler)
    return ModuleTree(
        path=path,
        module=module,
        runtime_names=dict(extractor.scope.runtime_names),
        runtime_modules=frozenset(extractor.scope.runtime_modules),
        handlers=handlers,
        locator=extractor.locator,
    )


def parse_tree(
    path: Path, source: str, kind: Literal["workflow", "step"] | None = None
) -> ModuleTree:
    """Parse ``source`` and find its ``define_workflow`` (``kind="workflow"``) or
    ``define_step`` declarations the way extraction does. Raises ``libcst.ParserSyntaxError``;
    declaration problems are left to :func:`extract_source` to report."""
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    return module_tree(path, source, cst.parse_module(source), kind)
