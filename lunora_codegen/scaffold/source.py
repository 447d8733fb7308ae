"""Minimal, byte-preserving edits to a user's Python module with libcst.

Everything here returns a *new* tree or text and never writes: the caller validates the whole
result first and only then writes it. libcst round-trips source exactly, so every byte outside
the statements we touch (an import we extend, an ``__all__`` we grow) stays as it was:
comments, blank lines, quotes, trailing commas, line endings.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider

from lunora_codegen.diagnostics import Diagnostic, UserCodeError

__all__ = [
    "Binding",
    "add_to_dunder_all",
    "append_block",
    "bindings",
    "ensure_from_import",
    "find_binding",
    "imports_name",
    "parse_user_module",
    "position",
    "sort_key",
]


@dataclass(frozen=True)
class Binding:
    """A module-level name and the node that binds it (for locating it in messages)."""

    name: str
    node: cst.CSTNode


def parse_user_module(path: Path, text: str) -> cst.Module:
    """Parse ``text`` (the contents of ``path``) or raise a located :class:`UserCodeError`.

    CPython's ``compile()`` gives the better message and position for a syntax error, so it is
    asked first on the error path (and only there: it costs a second parse).
    """
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        line, column, message = error.raw_line, error.raw_column + 1, error.message
        try:
            compile(text, str(path), "exec", dont_inherit=True)
        except SyntaxError as syntax:
            line, column = syntax.lineno or line, syntax.offset or column
            message = syntax.msg
        raise UserCodeError([Diagnostic(path, line, column, f"syntax error: {message}")]) from None


def _assigned_names(target: cst.BaseExpression) -> Iterator[cst.Name]:
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _assigned_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _assigned_names(target.value)


def _small_statement_bindings(statement: cst.BaseSmallStatement) -> Iterator[Binding]:
    if isinstance(statement, cst.Assign):
        for assign_target in statement.targets:
            for name in _assigned_names(assign_target.target):
                yield Binding(name.value, name)
    elif isinstance(statement, cst.AnnAssign):
        for name in _assigned_names(statement.target):
            yield Binding(name.value, name)
    elif isinstance(statement, cst.Import):
        for alias in statement.names:
            bound = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
            yield Binding(bound, alias)
    elif isinstance(statement, cst.ImportFrom) and not isinstance(statement.names, cst.ImportStar):
        for alias in statement.names:
            yield Binding(alias.evaluated_alias or alias.evaluated_name, alias)


def _block_statements(block: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(block, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=block.body)]
    assert isinstance(block, cst.IndentedBlock)
    return block.body


def _statement_bindings(statement: cst.BaseStatement) -> Iterator[Binding]:
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        yield Binding(statement.name.value, statement.name)
    elif isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            yield from _small_statement_bindings(small)
    elif isinstance(statement, cst.If):
        # ``if TYPE_CHECKING:`` blocks and platform switches bind module-level names too.
        for inner in _block_statements(statement.body):
            yield from _statement_bindings(inner)
        if statement.orelse is not None:
            orelse = statement.orelse
            inner_statements: Sequence[cst.BaseStatement] = (
                [orelse] if isinstance(orelse, cst.If) else _block_statements(orelse.body)
            )
            for inner in inner_statements:
                yield from _statement_bindings(inner)
    elif isinstance(statement, cst.Try):
        blocks = [statement.body, *(handler.body for handler in statement.handlers)]
        if statement.orelse is not None:
            blocks.append(statement.orelse.body)
        if statement.finalbody is not None:
            blocks.append(statement.finalbody.body)
        for block in blocks:
            for inner in _block_statements(block):
                yield from _statement_bindings(inner)
    elif isinstance(statement, cst.With):
        for inner in _block_statements(statement.body):
            yield from _statement_bindings(inner)


def bindings(module: cst.Module) -> Iterator[Binding]:
    """Every name bound at module level, in source order (defs, classes, assignments, imports)."""
    for statement in module.body:
        yield from _statement_bindings(statement)


def find_binding(module: cst.Module, name: str) -> Binding | None:
    """The first module-level binding of ``name``, or ``None``."""
    return next((binding for binding in bindings(module) if binding.name == name), None)


def position(module: cst.Module, node: cst.CSTNode) -> tuple[int, int]:
    """1-based ``(line, column)`` of ``node``; computed only when a message needs it."""
    # unsafe_skip_copy keeps node identity, so ``node`` (found in ``module``) is a valid key.
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    start = wrapper.resolve(PositionProvider)[node].start
    return start.line, start.column + 1


def sort_key(name: str) -> tuple[int, str, str]:
    """isort's ``order-by-type`` (ruff's default): CONSTANTS, then Classes, then everything else."""
    if name.isupper() and len(name) > 1:
        rank = 0
    elif name[:1].isupper():
        rank = 1
    else:
        rank = 2
    return rank, name.lower(), name


_Item = TypeVar("_Item", cst.ImportAlias, cst.Element)


def _comma_of(item: cst.ImportAlias | cst.Element) -> cst.Comma | cst.MaybeSentinel:
    return item.comma


def _insert_item(
    items: Sequence[_Item],
    new: _Item,
    keys: Sequence[str],
    key: str,
    opener: cst.BaseParenthesizableWhitespace | None,
) -> list[_Item]:
    """Insert ``new`` into a comma-separated sequence, copying the sequence's own comma style.

    The new item goes at its sorted place when the sequence is sorted, else at the end. The
    sequence's trailing-comma state (and the whitespace before the closing bracket) moves to
    whichever item ends up last.
    """
    ordered = [sort_key(k) for k in keys]
    index: int = len(items)
    if ordered == sorted(ordered):
        index = next((i for i, k in enumerate(ordered) if k > sort_key(key)), len(items))
    separator: cst.Comma | None = next(
        (c for c in (_comma_of(item) for item in items[:-1]) if isinstance(c, cst.Comma)), None
    )
    if separator is not None:
        separator = _without_comments(separator)
    if separator is None:
        if isinstance(opener, cst.ParenthesizedWhitespace):
            separator = cst.Comma(whitespace_after=opener)
        else:
            separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    trailing = _comma_of(items[-1]) if items else cst.MaybeSentinel.DEFAULT
    merged: list[_Item] = list(items)
    merged.insert(index, new)
    out: list[_Item] = []
    for position_, item in enumerate(merged):
        if position_ == len(merged) - 1:
            out.append(item.with_changes(comma=trailing))
        elif item is items[-1] or not isinstance(_comma_of(item), cst.Comma):
            out.append(item.with_changes(comma=separator))
        else:
            out.append(item)
    return out


def _without_comments(comma: cst.Comma) -> cst.Comma:
    """A copy of ``comma`` whose line break carries no comment or blank lines of the original.

    The separator is copied from a neighbour, and a neighbour's ``# comment`` belongs to it.
    """
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        after = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return comma.with_changes(whitespace_after=after)


def _exploded(node: cst.ImportFrom, indent: str) -> cst.ImportFrom:
    """``from m import (\n    a,\n    b,\n)``: the form ruff format gives a too-long import."""

    def line_break(last_line: str) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(),
            indent=True,
            last_line=cst.SimpleWhitespace(last_line),
        )

    assert not isinstance(node.names, cst.ImportStar)
    count = len(node.names)
    aliases = [
        alias.with_changes(
            comma=cst.Comma(whitespace_after=line_break(indent if i < count - 1 else ""))
        )
        for i, alias in enumerate(node.names)
    ]
    return node.with_changes(
        names=aliases,
        lpar=cst.LeftParen(whitespace_after=line_break(indent)),
        rpar=cst.RightParen(),
    )


def _module_name(node: cst.ImportFrom) -> str | None:
    if node.relative or node.module is None:
        return None
    return get_full_name_for_node(node.module)


def imports_name(module: cst.Module, source: str, name: str) -> bool:
    """True when a top-level ``from <source> import <name>`` (or ``*``) binds ``name`` unaliased."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.ImportFrom) or _module_name(small) != source:
                continue
            if isinstance(small.names, cst.ImportStar):
                return True
            for alias in small.names:
                if alias.evaluated_name == name and alias.evaluated_alias in (None, name):
                    return True
    return False


_SECTION_FUTURE, _SECTION_STDLIB, _SECTION_THIRD_PARTY, _SECTION_FIRST_PARTY = range(4)


def _section(node: cst.Import | cst.ImportFrom, first_party: frozenset[str]) -> int:
    if isinstance(node, cst.ImportFrom):
        if node.relative:
            return _SECTION_FIRST_PARTY
        full = _module_name(node) or ""
    else:
        full = node.names[0].evaluated_name
    top = full.split(".")[0]
    if top == "__future__":
        return _SECTION_FUTURE
    if top in sys.stdlib_module_names:
        return _SECTION_STDLIB
    if top in first_party:
        return _SECTION_FIRST_PARTY
    return _SECTION_THIRD_PARTY


def _longest_line(code: str) -> int:
    return max((len(line) for line in code.splitlines()), default=0)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _import_of(statement: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Import | cst.ImportFrom):
            return small
    return None


def ensure_from_import(
    module: cst.Module,
    source: str,
    names: Sequence[str],
    first_party: frozenset[str] = frozenset(),
    line_length: int | None = None,
) -> tuple[cst.Module, list[str]]:
    """Make ``from <source> import <names>`` hold at module level; returns the names added.

    Missing names join the first existing non-star ``from <source> import ...`` (at their sorted
    place, in that statement's own comma style). A one-line import that grows past
    ``line_length`` is exploded into one name per line, as ruff format would. When there is no
    such import, one new statement is inserted in the leading import block, in its isort
    section (future, stdlib, third-party, first-party), so a formatter has nothing to move.
    """
    missing = [n for n in names if not imports_name(module, source, n)]
    if not missing:
        return module, []
    body = list(module.body)
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small_index, small in enumerate(statement.body):
            if (
                isinstance(small, cst.ImportFrom)
                and _module_name(small) == source
                and not isinstance(small.names, cst.ImportStar)
            ):
                aliases = list(small.names)
                opener = small.lpar.whitespace_after if small.lpar is not None else None
                for name in sorted(missing, key=sort_key):
                    aliases = _insert_item(
                        aliases,
                        cst.ImportAlias(name=cst.Name(name)),
                        [a.evaluated_name for a in aliases],
                        name,
                        opener,
                    )
                new_small = small.with_changes(names=aliases)
                smalls = [
                    *statement.body[:small_index],
                    new_small,
                    *statement.body[small_index + 1 :],
                ]
                grown = statement.with_changes(body=smalls)
                if (
                    line_length is not None
                    and len(statement.body) == 1
                    and small.lpar is None
                    and _longest_line(module.code_for_node(grown)) > line_length
                ):
                    grown = grown.with_changes(body=[_exploded(new_small, module.default_indent)])
                body[index] = grown
                return module.with_changes(body=body), missing

    new_statement = cst.parse_statement(
        f"from {source} import {', '.join(sorted(missing, key=sort_key))}\n",
        config=module.config_for_parsing,
    )
    new_import = _import_of(new_statement)
    assert new_import is not None
    section = _section(new_import, first_party)
    start = 1 if body and _is_docstring(body[0]) else 0
    block_end = start  # one past the last statement of the leading import block
    insert_at: int | None = None
    previous_section: int | None = None
    for index in range(start, len(body)):
        found = _import_of(body[index])
        if found is None:
            break
        block_end = index + 1
        if _section(found, first_party) <= section:
            insert_at, previous_section = index + 1, _section(found, first_party)
    if insert_at is None:
        # Nothing sorts before it: the new import opens the block, right after the docstring.
        insert_at = start
        leading: Sequence[cst.EmptyLine] = [cst.EmptyLine()] if start else []
        first = body[insert_at] if block_end > start else None
        if isinstance(first, cst.SimpleStatementLine) and not any(
            line.comment for line in first.leading_lines
        ):
            # Take over the blank line after the docstring; the old first import, now in a
            # later section, gets a blank line of its own.
            leading = first.leading_lines
            body[insert_at] = first.with_changes(leading_lines=[cst.EmptyLine()])
    else:
        leading = [] if previous_section == section else [cst.EmptyLine()]
    new_statement = new_statement.with_changes(leading_lines=leading)
    body.insert(insert_at, new_statement)
    return module.with_changes(body=body), missing


def add_to_dunder_all(module: cst.Module, name: str) -> tuple[cst.Module, bool | None]:
    """Add ``"name"`` to a literal top-level ``__all__`` list or tuple.

    Returns ``(module, True)`` when added, ``(module, False)`` when it was already there or there
    is no ``__all__``, and ``(module, None)`` when ``__all__`` exists but is not a literal list or
    tuple of strings (the caller tells the user to add it by hand).
    """
    body = list(module.body)
    for index, statement in enumerate(body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small_index, small in enumerate(statement.body):
            if not (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and small.targets[0].target.value == "__all__"
            ):
                continue
            value = small.value
            if not isinstance(value, cst.List | cst.Tuple):
                return module, None
            keys: list[str] = []
            quote = '"'
            for element in value.elements:
                if not isinstance(element, cst.Element) or not isinstance(
                    element.value, cst.SimpleString
                ):
                    return module, None
                evaluated = element.value.evaluated_value
                if not isinstance(evaluated, str):
                    return module, None
                keys.append(evaluated)
                quote = element.value.quote
            if name in keys:
                return module, False
            if isinstance(value, cst.List):
                opener: cst.BaseParenthesizableWhitespace | None = value.lbracket.whitespace_after
            else:
                opener = value.lpar[0].whitespace_after if value.lpar else None
            elements = [e for e in value.elements if isinstance(e, cst.Element)]
            new_elements = _insert_item(
                elements,
                cst.Element(value=cst.SimpleString(f"{quote}{name}{quote}")),
                keys,
                name,
                opener,
            )
            new_small = small.with_changes(value=value.with_changes(elements=new_elements))
            smalls = [*statement.body[:small_index], new_small, *statement.body[small_index + 1 :]]
            body[index] = statement.with_changes(body=smalls)
            return module.with_changes(body=body), True
    return module, False


def append_block(text: str, block: str, newline: str = "\n") -> str:
    """``text`` followed by ``block`` after exactly two blank lines (PEP 8 between top-level defs).

    ``block`` is written with ``\\n``; it is converted to the file's own ``newline``. Trailing
    blank lines already in ``text`` count towards the two.
    """
    body = text
    if body and not body.endswith(("\n", "\r")):
        body += newline
    stripped = body.rstrip("\r\n")
    existing_blank_lines = body[len(stripped) :].count("\n") - 1 if stripped else 0
    separator = newline * max(0, 2 - existing_blank_lines) if stripped else ""
    return body + separator + block.replace("\n", newline)
