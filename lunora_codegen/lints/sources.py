"""The files the lints read: every module of the user's package (except ``_generated/``) and the
worker entry, parsed once with libcst, with their imports resolved to qualified names.

Import resolution is module-wide and flow-insensitive: ``import time as t`` anywhere in a file
(top level or inside a function) makes ``t.time()`` resolve to ``time.time``. A local variable
that shadows an imported name is the one case this gets wrong; it is rare enough not to matter
for lints that only look for a handful of well-known names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import libcst as cst

from lunora_codegen.diagnostics import Diagnostic
from lunora_codegen.extract import ModuleTree, parse_tree
from lunora_codegen.lints.registry import rule
from lunora_codegen.project import Project

__all__ = [
    "SourceFile",
    "Sources",
    "children",
    "constants_of",
    "dotted",
    "imports_of",
    "load_sources",
    "package_files",
    "walk",
]


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else ``None``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


#: dataclass fields of libcst nodes that hold only whitespace, brackets and separators
_TRIVIA = frozenset(
    {
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "comma",
        "semicolon",
        "newline",
        "trailing_whitespace",
        "colon",
        "equal",
        "empty_lines",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}
#: type -> is it a libcst node; libcst classes are ABCs, and ``isinstance`` against an ABC
#: goes through ``ABCMeta.__instancecheck__``, which was a third of the walk's time
_IS_NODE: dict[type, bool] = {}


def _is_node(value: object) -> bool:
    kind = type(value)
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The syntax children of ``node`` (whitespace and brackets left out), in field order.

    libcst's own ``node.children`` runs a visitor per call, which made the lints several times
    slower than the parse; reading the dataclass fields directly costs a fraction of it.
    """
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node)
            if f.name not in _TRIVIA and not f.name.startswith("whitespace")
        )
        _FIELDS[kind] = names
    found: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        if _is_node(value):
            found.append(value)
        elif type(value) is tuple or type(value) is list:
            found.extend(item for item in value if _is_node(item))
    return found


def walk(node: cst.CSTNode, skip: Collection[cst.CSTNode] = frozenset()) -> Iterator[cst.CSTNode]:
    """Every node below ``node`` (itself included), parents before children, siblings in
    order; subtrees rooted at a node in ``skip`` are left out."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current in skip:
            continue
        yield current
        stack.extend(reversed(children(current)))


def _import_module(node: cst.ImportFrom) -> str:
    module = dotted(node.module) if node.module is not None else ""
    return "." * len(node.relative) + (module or "")


def imports_of(nodes: list[cst.CSTNode]) -> dict[str, str]:
    """local name -> the qualified name it is bound to, for every import among ``nodes`` (a
    later import of a name wins, as in a module read top to bottom)."""
    names: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name) or ""
                local = alias.evaluated_alias
                if local is None:
                    top = full.split(".")[0]
                    names[top] = top
                else:
                    names[local] = full
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            base = _import_module(node)
            for alias in node.names:
                name = dotted(alias.name) or ""
                local = alias.evaluated_alias or name
                names[local] = f"{base}.{name}" if not base.endswith(".") else f"{base}{name}"
    return names


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def constants_of(module: cst.Module) -> dict[str, str]:
    """Top-level names assigned exactly once, from a string literal (``WELCOME = "welcome"``)."""
    seen: dict[str, int] = {}
    values: dict[str, str] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign):
                targets, value = [t.target for t in small.targets], small.value
            elif isinstance(small, cst.AnnAssign | cst.AugAssign):
                targets, value = [small.target], small.value
            for target in targets:
                if isinstance(target, cst.Name):
                    seen[target.value] = seen.get(target.value, 0) + 1
                    text = _string(value) if value is not None else None
                    if text is not None:
                        values[target.value] = text
    return {name: text for name, text in values.items() if seen.get(name) == 1}


@dataclass
class SourceFile:
    """One parsed module of the project."""

    path: Path
    tree: ModuleTree
    #: local name -> qualified name (``t`` -> ``time``, ``now`` -> ``datetime.datetime``)
    imports: dict[str, str] = field(default_factory=dict)
    #: top-level string constants
    constants: dict[str, str] = field(default_factory=dict)

    @property
    def module(self) -> cst.Module:
        """The libcst module."""
        return self.tree.module

    @cached_property
    def nodes(self) -> list[cst.CSTNode]:
        """Every node of the module, walked once."""
        return list(walk(self.tree.module))

    @cached_property
    def function_defs(self) -> dict[str, cst.FunctionDef]:
        """Top-level functions by name (the last one wins, as at runtime)."""
        return {s.name.value: s for s in self.module.body if isinstance(s, cst.FunctionDef)}

    def where(self, node: cst.CSTNode) -> tuple[Path, int, int]:
        """``(path, line, column)`` of ``node`` for a diagnostic."""
        line, column = self.tree.position(node)
        return self.path, line, column

    def code(self, node: cst.CSTNode) -> str:
        """The source text of ``node``, on one line."""
        return " ".join(self.module.code_for_node(node).split())

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The qualified name a name/attribute chain refers to through an import, else None."""
        text = dotted(node)
        if text is None:
            return None
        head, dot, rest = text.partition(".")
        target = self.imports.get(head)
        if target is None:
            return None
        return f"{target}{dot}{rest}"

    def runtime_attr(self, node: cst.BaseExpression) -> str | None:
        """``branch`` for a name bound to ``lunora_workflow.branch`` (or a submodule's)."""
        if isinstance(node, cst.Name):
            if node.value in self.tree.runtime_names:
                return self.tree.runtime_names[node.value]
        elif (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value in self.tree.runtime_modules
        ):
            return node.attr.value
        qualified = self.qualify(node)
        if qualified is not None and qualified.split(".")[0] == "lunora_workflow":
            return qualified.rsplit(".", 1)[-1]
        return None

    def literal(self, node: cst.BaseExpression) -> str | None:
        """A string literal, or a top-level string constant's value."""
        text = _string(node)
        if text is None and isinstance(node, cst.Name):
            return self.constants.get(node.value)
        return text


@dataclass
class Sources:
    """Every file the lints read, and the ones that could not be read."""

    files: list[SourceFile]
    workflows: SourceFile | None
    steps: SourceFile | None
    problems: list[Diagnostic]


def package_files(project: Project) -> list[Path]:
    """The modules the lints read: the package's (``_generated/`` and hidden folders left out)
    and the worker entry."""
    return project.source_files()


def _parse(
    path: Path, kind: Literal["workflow", "step"] | None
) -> tuple[SourceFile | None, Diagnostic | None]:
    source_error = rule("source_error")
    try:
        source = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return None, source_error.diagnostic((path, 1, 1), f"cannot read file: {error}")
    try:
        tree = parse_tree(path, source, kind)
    except cst.ParserSyntaxError as error:
        line, column = error.raw_line, error.raw_column + 1
        message = error.message
        try:
            compile(source, str(path), "exec", dont_inherit=True)
        except SyntaxError as syntax:  # CPython's location is exact
            line, column, message = syntax.lineno or 1, max(syntax.offset or 1, 1), syntax.msg
        except ValueError:
            pass
        return None, source_error.diagnostic((path, line, column), f"syntax error: {message}")
    file = SourceFile(path=path, tree=tree, constants=constants_of(tree.module))
    file.imports = imports_of(file.nodes)
    return file, None


def load_sources(project: Project) -> Sources:
    """Parse the package's modules and the worker entry."""
    files: list[SourceFile] = []
    problems: list[Diagnostic] = []
    workflows: SourceFile | None = None
    steps: SourceFile | None = None
    for path in package_files(project):
        kind: Literal["workflow", "step"] | None = None
        if path == project.workflows_file:
            kind = "workflow"
        elif path == project.steps_file:
            kind = "step"
        parsed, problem = _parse(path, kind)
        if problem is not None:
            problems.append(problem)
        if parsed is None:
            continue
        files.append(parsed)
        if kind == "workflow":
            workflows = parsed
        elif kind == "step":
            steps = parsed
    return Sources(files=files, workflows=workflows, steps=steps, problems=problems)
