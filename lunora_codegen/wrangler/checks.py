"""Checks on the wrangler config and the worker entry that lunora reports but never fixes.

* ``LW101`` ``main`` is missing; ``LW102`` the file it names does not exist;
  ``LW100`` the entry does not parse.
* ``LW103`` the worker entry does not export a generated class (wrangler binds
  ``workflows[].class_name`` to a class the entry module exports, so the deploy would fail);
  ``LW104`` it imports the class but leaves it out of a literal ``__all__``.
* ``LW105`` ``compatibility_flags`` lacks ``python_workers`` (wrangler refuses a ``.py`` main).
* ``LW106`` ``compatibility_date`` is missing or older than 2026-04-21, the date from which
  workerd uses the vendored Python SDK (``enable_python_external_sdk``) lunora relies on.
* ``LW108`` ``compatibility_flags`` opts out of what lunora runs on
  (``disable_python_workflows``, ``disable_python_external_sdk``).

All are warnings with a hint: these are the user's decisions, and a tool that quietly bumps a
compatibility date changes runtime behaviour behind their back.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from lunora_codegen.diagnostics import Diagnostic, Severity
from lunora_codegen.jsonc_read import load_jsonc
from lunora_codegen.wrangler.jsonc_scan import ObjectNode, line_col, scan_shared
from lunora_codegen.wrangler.reconcile import BOM, read_config_text
from lunora_codegen.wrangler.toml_edit import TomlConfig

__all__ = [
    "MIN_COMPATIBILITY_DATE",
    "EntryExports",
    "PreviousClasses",
    "check_config",
    "entry_exports",
    "generated_classes",
    "remember_generated_classes",
]

#: workerd switches to the vendored ``workers-runtime-sdk`` on this date (cloudflare.md §1.1).
MIN_COMPATIBILITY_DATE = "2026-04-21"
_GENERATED_MODULE = ("_generated", "workflows")
#: opt-out flags that take away what lunora runs on (cloudflare.md §1.1, flag table)
_DISABLING_FLAGS = {
    "disable_python_workflows": "workerd then never dispatches a Python workflow's run()",
    "disable_python_external_sdk": (
        "workerd then uses its built-in Python SDK instead of the vendored one lunora needs"
    ),
}


def _warning(path: Path, where: tuple[int, int], message: str, code: str, hint: str) -> Diagnostic:
    return Diagnostic(
        path, where[0], where[1], message, severity=Severity.WARNING, code=code, hint=hint
    )


def generated_classes(workflows_file: Path) -> frozenset[str]:
    """Classes a previously generated ``_generated/workflows.py`` declared (empty if none).

    Pass them to :func:`~lunora_codegen.wrangler.reconcile` as ``previous_classes`` *before*
    codegen overwrites the module, so entries for renamed or deleted workflows are found.
    Files without the ``@generated`` marker are ignored: they are not ours.
    """
    return _declared_classes(_read_source(workflows_file))


class PreviousClasses(Collection[str]):
    """:func:`generated_classes` of a module, parsed only when the answer depends on it.

    The module is *read* at construction (before codegen overwrites it) but parsed on the
    first question about a name it mentions: at 1,000 workflows ``ast.parse`` of the generated
    module takes ~0.3 s, and the reconciler asks only about entries whose class is no longer
    generated and that do not carry lunora's naming fingerprint, which is rare (a class name
    the text does not contain is answered by a substring test).
    """

    def __init__(self, workflows_file: Path) -> None:
        self._source = _read_source(workflows_file)
        self._parsed: frozenset[str] | None = None

    def _classes(self) -> frozenset[str]:
        if self._parsed is None:
            self._parsed = _classes_of(self._source)
        return self._parsed

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or name not in self._source:
            return False
        return name in self._classes()

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes())

    def __len__(self) -> int:
        return len(self._classes())


def remember_generated_classes(workflows_file: Path) -> None:
    """Read the classes of a just-written ``_generated/workflows.py`` now, so that the next
    run's :class:`PreviousClasses` of the same text finds them without parsing.

    ``lunora dev`` calls it after a run has written and reported, off the save-to-written
    path: a renamed workflow whose class-to-binding derivation is not unique (``wf_save_3``:
    ``WfSave3Workflow`` / ``WORKFLOW_WF_SAVE_3``) makes the next run ask about the old class,
    which cost a ~15 ms parse at 1,000 workflows on every such save.
    """
    _classes_of(_read_source(workflows_file))


@functools.lru_cache(maxsize=2)
def _classes_of(source: str) -> frozenset[str]:
    fast = _declared_classes_fast(source)
    return fast if fast is not None else _declared_classes(source)


def _read_source(workflows_file: Path) -> str:
    try:
        return workflows_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _declared_classes(source: str) -> frozenset[str]:
    if "@generated" not in source[:500]:
        return frozenset()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return frozenset()
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(_base_name(base) == "WorkflowEntrypoint" for base in node.bases)
    )


# Python string literals (any prefix lexes like none, except f-strings: see below) and
# comments, consumed so that nothing inside them is read; and top-level ``class`` lines.
_PY_LEXEME = re.compile(
    r"'''(?:[^'\\]++|\\[\s\S]|'(?!''))*+'''"
    r'|"""(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""'
    r"|'(?:[^'\\\n]++|\\[\s\S])*+'"
    r'|"(?:[^"\\\n]++|\\[\s\S])*+"'
    r"|#[^\n]*+"
    r"|\n(class\b[^\n]*+)",  # not ``^``: a known first character lets the search skip ahead
)
# A quote right after an ``f``/``fr`` prefix (or after ``if``, or inside a string: harmless
# false alarms). In Python 3.12 an f-string may nest the quote it is written with, so those
# files go to ``ast``. The quote comes first so that the search skips ahead to quotes.
_F_QUOTE = re.compile(r"""['"](?:(?<=[fF].)|(?<=[fF][rR].))""")
_CLASS_HEADER = re.compile(r"class[ \t]+(\w+)[ \t]*(?:\(([^()]*)\))?[ \t]*:")
_DOTTED = re.compile(r"[^\W\d]\w*(?:[ \t]*\.[ \t]*[^\W\d]\w*)*")


def _declared_classes_fast(source: str) -> frozenset[str] | None:
    """:func:`_declared_classes` without building the module's AST (~0.3 s at 1,000
    workflows), or ``None`` when the text is not plainly lunora's own output.

    In valid Python a line that starts with ``class`` in column 0 outside a string literal is
    a top-level class statement (inside brackets or after a ``\\`` it would be a syntax
    error), so skipping strings and comments is enough. Anything this reading is unsure of
    goes to ``ast``: f-strings, a BOM, ``\\r`` or form feeds, a class header that spans
    lines. It does not re-check the rest of the file's syntax: a marked module that no longer
    parses still names the classes it declares.
    """
    if "@generated" not in source[:500]:
        return frozenset()
    if source.startswith("\ufeff") or "\r" in source or "\f" in source:
        return None
    if _F_QUOTE.search(source) is not None:
        return None
    classes: set[str] = set()
    for line in _PY_LEXEME.findall("\n" + source):
        if not line:
            continue  # a string or a comment
        header = _CLASS_HEADER.match(line)
        if header is None:
            return None
        name, bases = header.group(1), (header.group(2) or "").split(",")
        if bases[-1].strip() == "":
            bases.pop()  # ``class A(B,):`` or ``class A():``
        names = [base.strip() for base in bases]
        if not all(_DOTTED.fullmatch(base) for base in names):
            return None  # subscripts, keywords, calls: ``ast`` reads them
        if any(base.rsplit(".", 1)[-1].strip() == "WorkflowEntrypoint" for base in names):
            classes.add(name)
    return frozenset(classes)


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@dataclass
class EntryExports:
    """What a worker entry module exports, as far as a static reading can tell."""

    star: bool = False
    names: dict[str, cst.CSTNode] = field(default_factory=dict)  # exported name -> import/def
    generated_import: cst.CSTNode | None = None
    dunder_all: set[str] | None = None


def _dotted(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def entry_exports(module: cst.Module) -> EntryExports:
    """Top-level names the entry exports: generated imports, its own classes, and ``__all__``."""
    found = EntryExports()
    for statement in module.body:
        if isinstance(statement, cst.ClassDef):
            found.names[statement.name.value] = statement
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom):
                parts = tuple(_dotted(small.module).split("."))
                if parts[-2:] != _GENERATED_MODULE:
                    continue
                found.generated_import = statement
                if isinstance(small.names, cst.ImportStar):
                    found.star = True
                    continue
                for alias in small.names:
                    exported = alias.asname.name if alias.asname else alias.name
                    if isinstance(exported, cst.Name):
                        found.names[exported.value] = statement
            elif isinstance(small, cst.Assign | cst.AugAssign):
                _read_all(small, found)
    return found


def _read_all(node: cst.Assign | cst.AugAssign, found: EntryExports) -> None:
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    if not any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
        return
    if not isinstance(node.value, cst.List | cst.Tuple):
        found.dunder_all = None  # computed __all__: we cannot tell, so we do not complain
        return
    names = {
        element.value.evaluated_value
        for element in node.value.elements
        if isinstance(element.value, cst.SimpleString)
        and isinstance(element.value.evaluated_value, str)
    }
    found.dunder_all = (
        names if isinstance(node, cst.Assign) else (found.dunder_all or set()) | names
    )


def _check_entry(entry: Path, classes: Sequence[str], generated_module: str) -> list[Diagnostic]:
    try:
        source = entry.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [
            _warning(
                entry, (1, 1), f"cannot read the worker entry: {error}", "LW102", "check `main`"
            )
        ]
    return list(_entry_diagnostics(entry, source, tuple(classes), generated_module))


@functools.lru_cache(maxsize=4)
def _entry_diagnostics(
    entry: Path, source: str, classes: tuple[str, ...], generated_module: str
) -> tuple[Diagnostic, ...]:
    """The entry's warnings, a function of its text: ``lunora dev`` checks the same entry on
    every run that plans the config, and libcst costs ~0.2 ms a line."""
    return tuple(_entry_source_diagnostics(entry, source, classes, generated_module))


def _entry_source_diagnostics(
    entry: Path, source: str, classes: Sequence[str], generated_module: str
) -> list[Diagnostic]:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        try:
            compile(source, str(entry), "exec")
        except SyntaxError as error:
            where = (error.lineno or 1, error.offset or 1)
            return [
                _warning(
                    entry,
                    where,
                    f"the worker entry does not parse: {error.msg}",
                    "LW100",
                    "fix the syntax error",
                )
            ]
        return [
            _warning(
                entry, (1, 1), "the worker entry does not parse", "LW100", "fix the syntax error"
            )
        ]
    exports = entry_exports(module)
    missing = [c for c in classes if not exports.star and c not in exports.names]
    missing_set = set(missing)  # a list here made this quadratic in the number of workflows
    unlisted = [
        c
        for c in classes
        if c not in missing_set and exports.dunder_all is not None and c not in exports.dunder_all
    ]
    if not missing and not unlisted:
        return []
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    spans = wrapper.resolve(PositionProvider)

    def positions(node: cst.CSTNode | None) -> tuple[int, int]:
        if node is None or node not in spans:
            return 1, 1
        start = spans[node].start
        return start.line, start.column + 1

    diagnostics = []
    if missing:
        names = ", ".join(missing)
        diagnostics.append(
            _warning(
                entry,
                positions(exports.generated_import),
                f"the worker entry does not export {names}; wrangler binds workflows[] to classes"
                " the entry module exports, so the deploy would fail",
                "LW103",
                f"add `from {generated_module} import {names}` (or `import *`) to {entry.name}",
            )
        )
    if unlisted:
        diagnostics.append(
            _warning(
                entry,
                positions(exports.generated_import),
                f"{', '.join(unlisted)} {'is' if len(unlisted) == 1 else 'are'} imported but"
                " missing from __all__; linters see an unused import and may delete it",
                "LW104",
                "add the class names to __all__",
            )
        )
    return diagnostics


def check_config(
    config_path: Path,
    classes: Sequence[str],
    *,
    entry_path: Path | None = None,
    package: str = "lunora",
) -> list[Diagnostic]:
    """Warnings about ``config_path`` and its worker entry (see the module docstring).

    ``classes`` are the generated workflow classes the entry must export; ``entry_path``
    overrides the file ``main`` names; ``package`` is the user's package (``lunora``), used
    in hints. A config that does not parse yields no warnings: :func:`reconcile` reports it.
    """
    text = read_config_text(config_path)
    data: Any
    locate: Callable[[str], tuple[int, int]]
    if config_path.suffix == ".toml":
        try:
            config = TomlConfig(text.removeprefix(BOM))  # wrangler ignores a BOM
        except ValueError:
            return []
        data, locate = config.data, config.locate_key
    else:
        try:
            data = load_jsonc(text)
            root = scan_shared(text)  # the reconciler scanned this very text already
        except ValueError:
            return []
        if not isinstance(data, dict) or not isinstance(root, ObjectNode):
            return []

        def locate(key: str) -> tuple[int, int]:
            member = root.get(key)
            return line_col(text, member.value.start if member else root.start)

    diagnostics: list[Diagnostic] = []
    main = data.get("main")
    if not isinstance(main, str):
        diagnostics.append(
            _warning(
                config_path,
                (1, 1),
                "`main` is missing: wrangler does not know the worker entry that exports"
                " the workflow classes",
                "LW101",
                '"main": "src/entry.py"',
            )
        )
    else:
        entry = entry_path if entry_path is not None else config_path.parent / main
        if not entry.is_file():
            diagnostics.append(
                _warning(
                    config_path,
                    locate("main"),
                    f"`main` names {main!r}, which does not exist",
                    "LW102",
                    "check the path",
                )
            )
        elif entry.suffix == ".py" and classes:
            diagnostics.extend(_check_entry(entry, classes, f"{package}._generated.workflows"))

    flags = data.get("compatibility_flags")
    if not isinstance(flags, list) or "python_workers" not in flags:
        diagnostics.append(
            _warning(
                config_path,
                locate("compatibility_flags"),
                '`compatibility_flags` does not include "python_workers"; wrangler refuses'
                " a Python main without it",
                "LW105",
                'add "python_workers" to compatibility_flags',
            )
        )
    for flag in flags if isinstance(flags, list) else []:
        why = _DISABLING_FLAGS.get(flag) if isinstance(flag, str) else None
        if why is not None:
            diagnostics.append(
                _warning(
                    config_path,
                    locate("compatibility_flags"),
                    f'`compatibility_flags` includes "{flag}": {why}',
                    "LW108",
                    f'remove "{flag}" from compatibility_flags',
                )
            )
    date = data.get("compatibility_date")
    date_text = str(date) if date is not None else None
    if date_text is None or date_text < MIN_COMPATIBILITY_DATE:
        what = "is missing" if date_text is None else f"is {date_text}"
        diagnostics.append(
            _warning(
                config_path,
                locate("compatibility_date"),
                f"`compatibility_date` {what}; lunora needs {MIN_COMPATIBILITY_DATE} or later"
                " (the vendored Python Workflows SDK)",
                "LW106",
                f'set "compatibility_date" to {MIN_COMPATIBILITY_DATE} or a later date',
            )
        )
    return diagnostics
