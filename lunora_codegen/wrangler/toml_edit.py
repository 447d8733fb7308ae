"""Carry out section plans on a ``wrangler.toml`` through tomlkit.

tomlkit keeps comments, whitespace and key order of everything it is not asked to change, so
editing the parsed document in place (set a value in a ``[[workflows]]`` table, append a
table, delete one) leaves the rest of the file byte-for-byte. (wrangler's own
``experimental_patchConfig`` refuses TOML that contains a comment; this does not.)

Three tomlkit habits are corrected here: an appended table is not set off by a blank line
(we add one, as the reference notes recommend), new lines use ``\\n`` even in a CRLF file
(we convert them when the file used CRLF throughout), and a table appended to a file without
a final newline is glued onto its last line (we parse with one and take it off again).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT, Array, Comment, InlineTable, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from lunora_codegen.wrangler.plan import FIELDS, SectionPlan

__all__ = ["TomlConfig", "TomlEditError"]


class TomlEditError(ValueError):
    """A section has a shape lunora does not edit (``line``/``column`` say where)."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class TomlConfig:
    """A parsed ``wrangler.toml``: plain ``data`` for planning, positions, and the rewrite."""

    def __init__(self, text: str) -> None:
        """Parse ``text``; raises :class:`TomlEditError` with tomlkit's line and column."""
        self.text = text
        try:
            document = tomlkit.parse(text)
        except ParseError as error:
            message = re.sub(r" at line \d+ col \d+$", "", str(error))
            raise TomlEditError(message, error.line, error.col + 1) from error
        self.data: dict[str, Any] = document.unwrap()
        self._lines = text.splitlines()

    def _header(self, env: str | None, *, array: bool = True) -> re.Pattern[str]:
        prefix = "" if env is None else rf"env\s*\.\s*[\"']?{re.escape(env)}[\"']?\s*\.\s*"
        if array:
            return re.compile(rf"^\s*\[\[\s*{prefix}workflows\s*\]\]")
        return re.compile(rf"^\s*\[\s*{prefix}workflows\s*\](?!\])")

    def locate(self, env: str | None, index: int | None, key: str | None) -> tuple[int, int]:
        """Best-effort ``(line, column)`` of ``[[workflows]]`` number ``index`` (and its ``key``).

        tomlkit keeps no positions, so this matches header lines; a header spelled inside a
        multi-line string could mislead it, which only makes a message point at the wrong line.
        """
        headers = [i for i, line in enumerate(self._lines) if self._header(env).match(line)]
        if not headers:
            # ``[workflows]``: a single table where wrangler wants an array of them
            table = self._header(env, array=False)
            for i, line in enumerate(self._lines):
                if table.match(line):
                    return i + 1, line.index("[") + 1
            key_re = re.compile(r"^\s*workflows\s*=")
            for i, line in enumerate(self._lines):
                if key_re.match(line):
                    return i + 1, line.index("workflows") + 1
            return 1, 1
        at = headers[min(index or 0, len(headers) - 1)]
        if key is not None:
            key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
            for i in range(at + 1, len(self._lines)):
                line = self._lines[i]
                if line.lstrip().startswith("["):
                    break
                if key_re.match(line):
                    after = line.index("=") + 1
                    return i + 1, after + len(line[after:]) - len(line[after:].lstrip()) + 1
        return at + 1, self._lines[at].index("[") + 1

    def locate_key(self, key: str) -> tuple[int, int]:
        """``(line, column)`` of a top-level ``key = ...`` (before the first table), else 1:1."""
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i, line in enumerate(self._lines):
            if line.lstrip().startswith("["):
                break
            if key_re.match(line):
                return i + 1, len(line) - len(line.lstrip()) + 1
        return 1, 1

    def render(self, plans: Sequence[SectionPlan]) -> str:
        """The file's text after ``plans`` (a fresh parse is edited; ``self`` is unchanged)."""
        # Without a final newline tomlkit glues an appended table onto the last line
        # (``name = "a"[[workflows]]``): parse with one, and take it off again at the end.
        unterminated = bool(self.text) and not self.text.endswith("\n")
        document = tomlkit.parse(self.text + "\n" if unterminated else self.text)
        # Environments first: a new top-level [[workflows]] goes to the end of the document,
        # and _is_last must see the document as the user wrote it.
        for plan in sorted(plans, key=lambda p: p.env is None):
            if plan.is_noop:
                continue
            holder = _holder(document, plan.env)
            current = holder.get("workflows")
            if current is None:
                aot = tomlkit.aot()
                # tomlkit separates new tables, but not the last one from a table after it.
                followed = plan.env is not None and not _is_last(document, plan.env)
                for index, entry in enumerate(plan.appends):
                    last = index == len(plan.appends) - 1
                    aot.append(_table(entry, blank_after=last and followed))
                holder.append("workflows", aot)
            elif isinstance(current, AoT):
                for index, fields in plan.updates.items():
                    for key, value in fields.items():
                        current[index][key] = value
                orphans = _remove_tables(current, plan.removals)
                _append_tables(current, plan.appends)
                if orphans and len(current) > 0:
                    current[-1].value.body.extend(orphans)
                else:
                    for _key, item in orphans:
                        holder.add(item)
            elif isinstance(current, Array):
                for index, fields in plan.updates.items():
                    for key, value in fields.items():
                        current[index][key] = value
                for index in sorted(plan.removals, reverse=True):
                    del current[index]
                for entry in plan.appends:
                    inline = tomlkit.inline_table()
                    inline.update({k: entry[k] for k in FIELDS})
                    current.append(inline)
            else:  # pragma: no cover - planning reported it already
                raise TomlEditError(f"{plan.label} must be an array of tables")
        text = tomlkit.dumps(document)
        if unterminated:
            # All of them: pruning the last table leaves the blank line that set it off from
            # the one before, now at the end of the file.
            text = text.rstrip("\r\n")
        elif self.text.endswith("\n") and not text.endswith("\n"):
            text += "\n"
        if "\r\n" in self.text and "\n" not in self.text.replace("\r\n", ""):
            text = re.sub(r"(?<!\r)\n", "\r\n", text)
        return text


def _is_last(document: TOMLDocument, env: str) -> bool:
    keys = list(document.keys())
    envs = document.get("env")
    return bool(keys and keys[-1] == "env" and isinstance(envs, Table) and list(envs)[-1] == env)


def _holder(document: TOMLDocument, env: str | None) -> TOMLDocument | Table:
    if env is None:
        return document
    section = document["env"][env]
    if isinstance(section, InlineTable) or isinstance(document["env"], InlineTable):
        raise TomlEditError(
            f"env.{env} is an inline table; lunora only edits [env.{env}] tables"
            f" (write [[env.{env}.workflows]] entries, or turn it into a [env.{env}] table)"
        )
    if not isinstance(section, Table | Container):
        raise TomlEditError(f"env.{env} must be a table")
    return section  # type: ignore[return-value]


def _table(entry: dict[str, str], *, blank_after: bool) -> Table:
    table = tomlkit.table()
    for key in FIELDS:
        table[key] = entry[key]
    if blank_after:
        table.add(tomlkit.nl())
    return table


def _tail(table: Table) -> list[tuple[Any, Any]]:
    """Take the blank lines and comments that end ``table``'s body (tomlkit keeps the lines
    that introduce the *next* header there) out of it."""
    body = table.value.body
    tail: list[tuple[Any, Any]] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace | Comment):
        tail.insert(0, body.pop())
    return tail


def _remove_tables(aot: AoT, removals: Collection[int]) -> list[tuple[Any, Any]]:
    """Delete the tables at ``removals`` without losing a comment.

    A removed table's tail introduces what follows it, so it moves in front of the next kept
    table's header (its ``indent``, printed before ``[[``), else to the end of the previous
    kept table. Returns what found no home (every table removed) for the caller to place.
    """
    kept = [i for i in range(len(aot)) if i not in removals]
    orphans: list[tuple[Any, Any]] = []
    for index in sorted(removals):
        tail = _tail(aot[index])
        if not tail:
            continue
        after = next((k for k in kept if k > index), None)
        before = next((k for k in reversed(kept) if k < index), None)
        if after is not None:
            table = aot[after]
            text = "".join(item.as_string() for _key, item in tail)
            table.trivia.indent = text + table.trivia.indent
        elif before is not None:
            aot[before].value.body.extend(tail)
        else:
            orphans.extend(tail)
    for index in sorted(removals, reverse=True):
        del aot[index]
    return orphans


def _append_tables(aot: AoT, entries: Sequence[dict[str, str]]) -> None:
    """Append ``entries`` to ``aot`` so the file still reads right.

    tomlkit keeps the blank lines and comments that *precede* the next table as the tail of
    the previous one, so a plain append would slip the new table between a comment like
    ``# Environments ---`` and the ``[env.staging]`` it introduces. The tail moves (unchanged)
    to the end of the last new table, and a blank line separates the old table from the new.
    """
    if not entries:
        return
    tail: list[tuple[Any, Any]] = []
    if len(aot) > 0:
        body = aot[-1].value.body
        while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace | Comment):
            tail.insert(0, body.pop())
        # also when nothing follows the last table (the file ends with it)
        aot[-1].add(tomlkit.nl())
    for index, entry in enumerate(entries):
        last = index == len(entries) - 1
        table = _table(entry, blank_after=not last)
        if last:
            table.value.body.extend(tail)
        aot.append(table)
