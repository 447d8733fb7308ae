"""Functions: discover ``query``/``mutation``/``action`` declarations and render ``api.py`` /
``server.py``.

A *function module* is any top-level module of the user's package (``lunora/messages.py``)
other than ``__init__.py``, ``workflows.py`` and ``steps.py``. Its functions are found
statically, like workflows (libcst, never imported): a top-level ``async def`` whose only
decorator is ``query``, ``mutation`` or ``action`` imported from the generated
``._generated.server`` (aliases and ``from ._generated import server`` included). The handler
must take ``(ctx, args)`` with ``args`` and the return annotated; those annotations become the
``FunctionReference[Args, Result]`` types of ``api.<module>.<function>``.

``api.py`` and ``server.py`` are written when the package has a function module, or when any
of its modules imports ``_generated.api`` / ``_generated.server`` (so a project that has no
functions gets no extra files). Sub-packages are not scanned; a function declared in one is a
warning at its name (found by pattern, not parsed), so it is never left out silently.
Extraction results are cached per file in the pipeline's
:class:`~lunora_codegen.extract.ParseCache` (``memo``), keyed like the cache's own entries.
"""

from __future__ import annotations

import hashlib
import keyword
import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lunora_codegen.diagnostics import Diagnostic, Severity, UserCodeError
from lunora_codegen.extract import (
    ImportSpec,
    ParseCache,
    TypeRef,
    _binding_node,
    _build_scope,
    _decode,
    _Locator,
    _Scope,
    _statement_bindings,
    _syntax_error_diagnostic,
    _top_level_index,
    _TypeRenderer,
    render_type,
)
from lunora_codegen.project import Project
from lunora_codegen.render import HEADER, _compile, _member_key, _section, _wrap_from
from lunora_codegen.templating import environment, pystr

if TYPE_CHECKING:
    # libcst and pydantic load only when a module must be parsed or rendered: a no-change
    # ``lunora codegen`` rerun restores these results from the on-disk cache.
    import libcst as cst

    from lunora_codegen.model import ImportModel

__all__ = [
    "FunctionDecl",
    "FunctionModule",
    "FunctionsModel",
    "build_functions",
    "extract_functions",
    "render_functions",
    "scan_functions",
]

KINDS = ("query", "mutation", "action")
_CONTEXTS = {"query": "QueryCtx", "mutation": "MutationCtx", "action": "ActionCtx"}
_NOT_FUNCTION_MODULES = frozenset({"__init__", "workflows", "steps"})
#: A module that imports the generated api/server needs them to exist.
_USES_GENERATED = re.compile(
    r"_generated\s*(?:\.\s*(?:api|server)\b|import[\s(\\]+[^)\n]*(?:\n[^)]*)?\b(?:api|server)\b)"
)
#: Names api.py binds itself; a user type spelled with one of them falls back to ``Any``.
_RESERVED = frozenset({"TYPE_CHECKING", "Any", "FunctionReference", "Api", "api", "_PACKAGE"})


@dataclass(frozen=True)
class FunctionDecl:
    """One declared function: ``name``, ``kind`` and its args/result types for ``api.py``."""

    name: str
    kind: str
    args: TypeRef
    returns: TypeRef
    line: int
    column: int


@dataclass(frozen=True)
class FunctionModule:
    """What one function module declares (pure data, cached and pickled like ModuleFacts)."""

    path: Path
    module: str
    functions: tuple[FunctionDecl, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    #: the module imports the generated server (it is a function module even when empty)
    imports_server: bool = False


@dataclass(frozen=True)
class FunctionsModel:
    """Every function module of the package, sorted by module name."""

    package: str
    modules: tuple[FunctionModule, ...]
    #: whether api.py/server.py are written at all
    wanted: bool
    #: functions declared in sub-packages, which are not scanned (one warning each)
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def paths(self) -> list[str]:
        """Every function path (``messages:send``), sorted."""
        return sorted(f"{m.module}:{f.name}" for m in self.modules for f in m.functions)


# --------------------------------------------------------------------------------------------
# Extraction


def _module_alias(module: str) -> str:
    # "__x" would be name-mangled inside the namespace classes of api.py
    return f"_m{module}" if module.startswith("_") else f"_{module}"


class _ApiTypeRenderer(_TypeRenderer):
    """Spell a function module's annotation for ``_generated/api.py``: names the module
    defines go through its alias (``_messages.SendArgs``) instead of ``_workflows.``."""

    def __init__(self, scope: _Scope, alias: str) -> None:
        super().__init__(scope)
        self._alias = alias
        self.uses_module = False

    def _name(self, name: str, *, qualified: bool = False) -> str:
        if name != "None" and name in self._scope.defined:
            self.uses_module = True
            return f"{self._alias}.{name}"
        return super()._name(name, qualified=qualified)


def _api_type(
    node: cst.BaseExpression, scope: _Scope, module: cst.Module, module_name: str
) -> TypeRef:
    alias = _module_alias(module_name)
    renderer = _ApiTypeRenderer(scope, alias)
    ref = render_type(node, renderer, module.code_for_node(node))
    if ref.resolved and renderer.uses_module:
        module_import = ImportSpec(module="..", name=module_name, alias=alias)
        ref = replace(ref, imports=tuple(dict.fromkeys((*ref.imports, module_import))))
    return ref


def _server_spec(spec: ImportSpec | None, package: str) -> bool:
    """True for an import of the generated server module itself."""
    if spec is None:
        return False
    if spec.name is None:
        return spec.module == f"{package}._generated.server"
    return spec.name == "server" and spec.module in (".._generated", f"{package}._generated")


def _from_server(spec: ImportSpec | None, package: str) -> bool:
    """True for ``from ._generated.server import <name>`` (or the absolute spelling)."""
    return spec is not None and spec.module in (
        ".._generated.server",
        f"{package}._generated.server",
    )


class _FunctionExtractor:
    def __init__(self, path: Path, source: str, module: cst.Module, name: str, package: str):
        self.path = path
        self.source = source
        self.module = module
        self.name = name
        self.package = package
        self.scope = _build_scope(module)
        self.locator = _Locator(module)
        self.problems: list[tuple[cst.CSTNode, str]] = []
        self._index: dict[str, list[tuple[int, int]]] | None = None

    def _server_name(self, node: cst.BaseExpression) -> str | None:
        """``mutation`` for ``mutation`` / ``m`` (aliased) / ``server.mutation``."""
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        if isinstance(node, cst.Name):
            spec = self.scope.imports.get(node.value)
            if _from_server(spec, self.package) and spec is not None:
                return spec.name
            return None
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and _server_spec(self.scope.imports.get(node.value.value), self.package)
        ):
            return node.attr.value
        return None

    def _kind(self, node: cst.BaseExpression) -> str | None:
        name = self._server_name(node)
        return name if name in KINDS else None

    def imports_server(self) -> bool:
        return any(
            _from_server(spec, self.package) or _server_spec(spec, self.package)
            for spec in self.scope.imports.values()
        )

    def _position(self, name: str, occurrence: int = 0) -> tuple[int, int]:
        if self._index is None:
            self._index = _top_level_index(self.source)
        spots = self._index.get(name, [])
        return spots[occurrence] if occurrence < len(spots) else (1, 1)

    def extract(self) -> FunctionModule:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        functions: list[FunctionDecl] = []
        declared: dict[str, int] = {}
        for index, stmt in enumerate(self.module.body):
            if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
                decl = self._declaration(stmt)
                if decl is not None and decl.name not in declared:
                    declared[decl.name] = index
                    functions.append(decl)
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._check_call_form(small)
        self._check_rebinding(declared)
        diagnostics = tuple(
            Diagnostic(self.path, *self.locator.position(node), message)
            for node, message in self.problems
        )
        return FunctionModule(
            path=self.path,
            module=self.name,
            functions=tuple(sorted(functions, key=lambda f: f.name)),
            diagnostics=diagnostics,
            imports_server=self.imports_server(),
        )

    def _declaration(self, stmt: cst.FunctionDef | cst.ClassDef) -> FunctionDecl | None:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        kind: str | None = None
        for decorator in stmt.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call) and self._kind(expr.func) is not None:
                called = self._kind(expr.func)
                self.problems.append(
                    (decorator, f"@{called} takes no arguments: write `@{called}` on its own")
                )
                return None
            kind = self._kind(expr)
            if kind is None:
                continue
            if isinstance(stmt, cst.ClassDef):
                self.problems.append((decorator, f"@{kind} must decorate a function, not a class"))
                return None
            if len(stmt.decorators) > 1:
                self.problems.append(
                    (decorator, f"@{kind} must be the only decorator of {stmt.name.value!r}")
                )
            break
        if kind is None or not isinstance(stmt, cst.FunctionDef):
            return None
        return self._function(stmt, kind)

    def _function(self, function: cst.FunctionDef, kind: str) -> FunctionDecl | None:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        name = function.name.value
        ok = True
        if function.asynchronous is None:
            self.problems.append((function.name, f"{kind} handler {name!r} must be an `async def`"))
            ok = False
        params = function.params
        ordered = [*params.posonly_params, *params.params]
        extra = (
            isinstance(params.star_arg, cst.Param)
            or params.star_kwarg is not None
            or bool(params.kwonly_params)
        )
        if len(ordered) != 2 or extra:
            self.problems.append(
                (
                    function.name,
                    f"{kind} handler {name!r} must take exactly two parameters "
                    f"(ctx: {_CONTEXTS[kind]}, args: <Args type>)",
                )
            )
            return None
        ctx_param, args_param = ordered
        if ctx_param.annotation is None:
            self.problems.append(
                (
                    ctx_param.name,
                    f"the context parameter {ctx_param.name.value!r} of {kind} {name!r} must "
                    f"be annotated `{_CONTEXTS[kind]}` (from ._generated.server)",
                )
            )
            ok = False
        else:
            context = self._server_name(ctx_param.annotation.annotation)
            if context in _CONTEXTS.values() and context != _CONTEXTS[kind]:
                self.problems.append(
                    (
                        ctx_param.annotation.annotation,
                        f"{kind} {name!r} receives a `{_CONTEXTS[kind]}`, not a `{context}`",
                    )
                )
                ok = False
        if args_param.annotation is None:
            self.problems.append(
                (
                    args_param.name,
                    f"the args parameter {args_param.name.value!r} of {kind} {name!r} must be "
                    "annotated (a pydantic model, TypedDict or dataclass)",
                )
            )
            ok = False
        if function.returns is None:
            self.problems.append(
                (
                    function.name,
                    f"{kind} {name!r} needs a return annotation (`-> None` if it returns "
                    "nothing): it types the result of ctx.run",
                )
            )
            ok = False
        if not ok:
            return None
        assert args_param.annotation is not None
        assert function.returns is not None
        line, column = self._position(name)
        return FunctionDecl(
            name=name,
            kind=kind,
            args=_api_type(args_param.annotation.annotation, self.scope, self.module, self.name),
            returns=_api_type(function.returns.annotation, self.scope, self.module, self.name),
            line=line,
            column=column,
        )

    def _check_call_form(self, small: cst.BaseSmallStatement) -> None:
        import libcst as cst  # deferred: libcst loads only when a file is parsed

        value = small.value if isinstance(small, cst.Assign | cst.AnnAssign | cst.Expr) else None
        if isinstance(value, cst.Call):
            kind = self._kind(value.func)
            if kind is not None:
                self.problems.append(
                    (value, f"use the decorator form: `@{kind}` on an `async def (ctx, args)`")
                )

    def _check_rebinding(self, declared: dict[str, int]) -> None:
        seen: dict[str, int] = {}
        for index, stmt in enumerate(self.module.body):
            for bound in _statement_bindings(stmt):
                if bound not in declared:
                    continue
                if bound in seen:
                    self.problems.append(
                        (
                            _binding_node(stmt, bound),
                            f"function {bound!r} is bound more than once at the top level "
                            f"(first at line {self._position(bound)[0]}); function names must "
                            "be unique in a module",
                        )
                    )
                seen.setdefault(bound, index)


def extract_functions(path: Path, source: str, module: str, package: str) -> FunctionModule:
    """The functions declared in one module's source; problems come back as diagnostics."""
    import libcst as cst  # deferred: libcst loads only when a file is parsed

    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return FunctionModule(
            path=path,
            module=module,
            diagnostics=(_syntax_error_diagnostic(path, source, error),),
            imports_server=True,
        )
    return _FunctionExtractor(path, source, tree, module, package).extract()


# --------------------------------------------------------------------------------------------
# Discovery with a per-file cache


@dataclass(frozen=True)
class _Entry:
    mtime_ns: int
    size: int
    sha256: str
    facts: FunctionModule
    uses_generated: bool


def _candidate(path: Path) -> bool:
    stem = path.stem
    return stem.isidentifier() and not keyword.iskeyword(stem) and not stem.startswith("__")


#: A file modified this recently may be modified again within the same timestamp tick
#: ("racy git"): its unchanged (mtime, size) is not trusted, its bytes are hashed again.
_RACY_NS = 2_000_000_000


def _read(path: Path, package: str, old: _Entry | None) -> _Entry:
    stat = os.stat(path)
    racy = time.time_ns() - stat.st_mtime_ns < _RACY_NS
    if (
        old is not None
        and not racy
        and (old.mtime_ns, old.size) == (stat.st_mtime_ns, stat.st_size)
    ):
        return old
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if old is not None and old.sha256 == digest:
        return _Entry(stat.st_mtime_ns, stat.st_size, digest, old.facts, old.uses_generated)
    source, problem = _decode(path, data)
    name = path.stem
    if source is None:
        assert problem is not None
        facts = FunctionModule(path=path, module=name, diagnostics=(problem,))
        return _Entry(stat.st_mtime_ns, stat.st_size, digest, facts, False)
    uses = _USES_GENERATED.search(source) is not None
    if name in _NOT_FUNCTION_MODULES or "_generated" not in source:
        facts = FunctionModule(path=path, module=name)
    else:
        facts = extract_functions(path, source, name, package)
    return _Entry(stat.st_mtime_ns, stat.st_size, digest, facts, uses)


#: ``@query`` / ``@server.mutation`` / ``@m.action`` alone on a line, then the ``async def``
_NESTED_DECL = re.compile(
    r"^@(?:[A-Za-z_]\w*\s*\.\s*)?(query|mutation|action)\s*(?:#[^\n]*)?\n"
    r"(?:@[^\n]*\n)*(async\s+def\s+)([A-Za-z_]\w*)",
    re.MULTILINE,
)


def _nested_warnings(path: Path, package_dir: Path) -> tuple[Diagnostic, ...]:
    """One warning per top-level ``query``/``mutation``/``action`` of a sub-package module.

    Read by pattern, not parsed: the module is not scanned, so this only has to find what a
    user clearly meant as a function (a decorated top-level ``async def`` in a module that
    imports the generated server) and say where it is, cheaply, on every run."""
    try:
        source = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ()
    if "_generated" not in source:
        return ()
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    relative = path.relative_to(package_dir)
    top = (package_dir / relative.parts[0]).relative_to(package_dir.parent).as_posix()
    found = []
    for match in _NESTED_DECL.finditer(source):
        line = source.count("\n", 0, match.start(3)) + 1
        column = match.start(3) - (source.rfind("\n", 0, match.start(3)) + 1) + 1
        found.append(
            Diagnostic(
                path,
                line,
                column,
                f"{match.group(1)} '{match.group(3)}' is in the sub-package {top}/ and is not "
                "part of api.py: only top-level modules of the package are scanned for "
                "functions",
                severity=Severity.WARNING,
                hint=f"move it to a module directly in {package_dir.name}/ "
                f"(e.g. {package_dir.name}/{relative.stem}.py)",
            )
        )
    return tuple(found)


def _nested_functions(package_dir: Path, cache: ParseCache) -> tuple[Diagnostic, ...]:
    """Warnings for functions declared in sub-packages (cached per file by mtime and size)."""
    old = cache.memo.get("functions:nested")
    known: dict[Path, tuple[int, int, tuple[Diagnostic, ...]]] = (
        old if isinstance(old, dict) else {}
    )
    fresh: dict[Path, tuple[int, int, tuple[Diagnostic, ...]]] = {}
    try:
        paths = sorted(package_dir.glob("*/**/*.py"))
    except OSError:
        paths = []
    for path in paths:
        parts = path.relative_to(package_dir).parts
        if parts[0] == "_generated" or any(
            part.startswith(".") or part == "__pycache__" for part in parts
        ):
            continue
        try:
            stat = os.stat(path)
        except OSError:
            continue
        entry = known.get(path)
        racy = time.time_ns() - stat.st_mtime_ns < _RACY_NS
        if entry is None or racy or entry[:2] != (stat.st_mtime_ns, stat.st_size):
            entry = (stat.st_mtime_ns, stat.st_size, _nested_warnings(path, package_dir))
        fresh[path] = entry
    if fresh != known or not isinstance(old, dict):
        cache.memo["functions:nested"] = fresh  # a new object only on change: it dirties the cache
    return tuple(d for _mtime, _size, found in fresh.values() for d in found)


def scan_functions(project: Project, cache: ParseCache) -> FunctionsModel:
    """Find and extract every function module of the package (cached per file).

    Returns the very same :class:`FunctionsModel` object as the previous call on ``cache``
    when no file changed, so the pipeline's memo can skip rendering.
    """
    package_dir = project.package_dir
    old_entries = cache.memo.get("functions:entries")
    entries: dict[Path, _Entry] = dict(old_entries) if isinstance(old_entries, dict) else {}
    fresh: dict[Path, _Entry] = {}
    try:
        paths = sorted(p for p in package_dir.glob("*.py") if _candidate(p))
    except OSError:
        paths = []
    for path in paths:
        try:
            fresh[path] = _read(path, project.package_name, entries.get(path))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            diagnostic = Diagnostic(path, 1, 1, f"cannot read file: {reason}")
            fresh[path] = _Entry(
                0, 0, "", FunctionModule(path, path.stem, diagnostics=(diagnostic,)), False
            )
    warnings = _nested_functions(package_dir, cache)
    previous = cache.memo.get("functions:model")
    unchanged = isinstance(old_entries, dict) and old_entries.keys() == fresh.keys()
    if unchanged and isinstance(previous, FunctionsModel) and previous.warnings == warnings:
        assert isinstance(old_entries, dict)
        if all(old_entries[path].facts is entry.facts for path, entry in fresh.items()):
            return previous
    modules = tuple(
        entry.facts
        for entry in fresh.values()
        if entry.facts.module not in _NOT_FUNCTION_MODULES
        and (entry.facts.imports_server or entry.facts.functions or entry.facts.diagnostics)
    )
    wanted = bool(modules) or any(entry.uses_generated for entry in fresh.values())
    model = FunctionsModel(
        package=project.package_name, modules=modules, wanted=wanted, warnings=warnings
    )
    cache.memo["functions:entries"] = fresh
    cache.memo["functions:model"] = model
    return model


def build_functions(model: FunctionsModel) -> FunctionsModel:
    """Raise :class:`UserCodeError` with every function diagnostic, if there is one."""
    diagnostics = [d for m in model.modules for d in m.diagnostics]
    if any(d.is_error for d in diagnostics):
        raise UserCodeError(sorted(set(diagnostics)))
    return model


# --------------------------------------------------------------------------------------------
# Rendering


@dataclass(frozen=True)
class _RefView:
    name: str
    lines: list[str]


@dataclass(frozen=True)
class _ModuleView:
    module: str
    class_name: str
    file: str
    functions: list[_RefView]


def _type_import_blocks(imports: list[ImportModel], line_length: int) -> list[list[str]]:
    """``if TYPE_CHECKING:`` import lines in ruff's isort order, sections stdlib / others /
    local. Unlike a combined ``from m import a as b, c`` ruff keeps (by default) one statement
    per aliased member, after the module's plain members."""
    plain: dict[int, set[str]] = {}
    froms: dict[int, dict[str, tuple[set[str], set[tuple[str, str]]]]] = {}
    for spec in imports:
        section = _section(spec.module)
        if spec.name is None:
            text = spec.module if spec.alias is None else f"{spec.module} as {spec.alias}"
            plain.setdefault(section, set()).add(text)
            continue
        members, aliased = froms.setdefault(section, {}).setdefault(spec.module, (set(), set()))
        if spec.alias is None:
            members.add(spec.name)
        else:
            aliased.add((spec.name, spec.alias))
    blocks: list[list[str]] = []
    for section in (0, 1, 2):
        lines = [f"import {text}" for text in sorted(plain.get(section, ()), key=str.lower)]
        modules = froms.get(section, {})
        for module in sorted(
            modules, key=lambda m: (-(len(m) - len(m.lstrip("."))), m.lstrip(".").lower())
        ):
            members, aliased = modules[module]
            if members:
                lines.extend(
                    _wrap_from(module, sorted(members, key=_member_key), "    ", line_length)
                )
            for name, alias in sorted(aliased, key=lambda pair: _member_key(pair[0])):
                lines.extend(_wrap_from(module, [f"{name} as {alias}"], "    ", line_length))
        if lines:
            blocks.append(lines)
    return blocks


def _class_names(modules: list[str]) -> dict[str, str]:
    """``_MessagesApi`` for ``messages``; modules that would share a name get a number."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for module in sorted(modules):
        words = "".join(part[:1].upper() + part[1:] for part in module.split("_") if part)
        name, number = f"_{words}Api", 2
        while name in taken:
            name, number = f"_{words}Api{number}", number + 1
        taken.add(name)
        names[module] = name
    return names


def _reference_lines(decl: FunctionDecl, module: str, args: str, returns: str) -> list[str]:
    path = pystr(f"{module}:{decl.name}")
    kind = pystr(decl.kind)
    head = f"    {decl.name}: FunctionReference[{args}, {returns}] = FunctionReference("
    body = [f"        {path},", f"        kind={kind},", "        package=_PACKAGE,", "    )"]
    if len(head) <= _LINE_LENGTH[0]:
        return [head, *body]
    return [
        f"    {decl.name}: FunctionReference[",
        f"        {args},",
        f"        {returns},",
        "    ] = FunctionReference(",
        *body,
    ]


#: The project's line length for the render in progress (a one-slot box, set per render).
_LINE_LENGTH = [88]


def render_functions(model: FunctionsModel, *, line_length: int) -> dict[PurePosixPath, str]:
    """``api.py`` and ``server.py`` (empty when the package needs neither)."""
    from lunora_codegen.model import ImportModel  # deferred: pydantic loads only to render

    if not model.wanted:
        return {}
    _LINE_LENGTH[0] = line_length
    locals_seen: dict[str, ImportModel] = {}
    conflicted: set[str] = set()
    for module in model.modules:
        for decl in module.functions:
            for ref in (decl.args, decl.returns):
                for spec in ref.imports:
                    imported = ImportModel(module=spec.module, name=spec.name, alias=spec.alias)
                    previous = locals_seen.setdefault(spec.local, imported)
                    if previous != imported or spec.local in _RESERVED:
                        conflicted.add(spec.local)
    class_names = _class_names([m.module for m in model.modules if m.functions])

    def spell(ref: TypeRef) -> str:
        bad = conflicted | set(class_names.values())
        if not ref.resolved or any(spec.local in bad for spec in ref.imports):
            return "Any"
        return ref.text

    imports: list[ImportModel] = []
    views: list[_ModuleView] = []
    texts: list[str] = []
    for module in model.modules:
        if not module.functions:
            continue
        refs: list[_RefView] = []
        for decl in module.functions:
            args, returns = spell(decl.args), spell(decl.returns)
            for ref, text in ((decl.args, args), (decl.returns, returns)):
                texts.append(text)
                if text != "Any":
                    imports.extend(
                        ImportModel(module=s.module, name=s.name, alias=s.alias)
                        for s in ref.imports
                    )
            refs.append(_RefView(decl.name, _reference_lines(decl, module.module, args, returns)))
        views.append(
            _ModuleView(
                module=module.module,
                class_name=class_names[module.module],
                file=f"{model.package}/{module.module}.py",
                functions=refs,
            )
        )
    # typing names the type renderer leaves unimported (the generated module imports them)
    used = {name for text in texts for name in re.findall(r"\b(Any|Literal)\b", text)}
    type_imports = _type_import_blocks(imports, line_length)
    typing_imports = (["TYPE_CHECKING"] if type_imports else []) + sorted(used)
    env = environment()
    context = {
        "header": HEADER,
        "package": model.package,
        "typing_imports": typing_imports,
        "type_imports": type_imports,
        "modules": views,
        "reference_import": _wrap_from(
            "lunora_workflow.functions", ["FunctionReference"], "", line_length
        ),
    }
    files = {
        PurePosixPath("api.py"): env.get_template("generated/api.py.jinja").render(context),
        PurePosixPath("server.py"): env.get_template("generated/server.py.jinja").render(context),
    }
    for path, text in files.items():
        _compile(path, text)
    return files
