"""Carry out section plans on a ``wrangler.jsonc`` / ``wrangler.json`` text, by span splicing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lunora_codegen.wrangler.jsonc_edit import (
    ItemRenderer,
    Style,
    TextEdit,
    append_items,
    dumps_inline,
    remove_elements,
    replace_value,
)
from lunora_codegen.wrangler.jsonc_scan import ArrayNode, Node, ObjectNode, line_col
from lunora_codegen.wrangler.plan import FIELDS, SectionPlan

__all__ = ["JsonSection", "find_sections", "json5_error_location", "plan_edits"]

_JSON5_ERROR = re.compile(r"^<string>:(\d+) (.*) at column (\d+)$", re.DOTALL)


def json5_error_location(message: str) -> tuple[int, int, str]:
    """``(line, column, message)`` from a json5 ``ValueError`` text such as
    ``<string>:4 Unexpected "}" at column 1``; line 1, column 1 when it names no place."""
    match = _JSON5_ERROR.match(message)
    if match is None:
        return 1, 1, message
    return int(match.group(1)), int(match.group(3)), match.group(2)


@dataclass
class JsonSection:
    """One place a ``workflows`` array lives: the object holding it and the array, when present."""

    env: str | None
    holder: ObjectNode
    array: Node | None  # the ``workflows`` value node (not necessarily an array: checked later)


def find_sections(root: ObjectNode, envs: Sequence[str]) -> dict[str | None, JsonSection]:
    """The top-level section and the ``env.<name>`` sections named in ``envs`` that exist."""
    found: dict[str | None, JsonSection] = {}
    member = root.get("workflows")
    found[None] = JsonSection(None, root, member.value if member else None)
    env_member = root.get("env")
    if env_member is not None and isinstance(env_member.value, ObjectNode):
        for name in envs:
            section = env_member.value.get(name)
            if section is not None and isinstance(section.value, ObjectNode):
                inner = section.value.get("workflows")
                found[name] = JsonSection(name, section.value, inner.value if inner else None)
    return found


def _entry_renderer(
    entry: dict[str, str], style: Style, spaced: bool, inline: bool
) -> ItemRenderer:
    def render(indent: str, multiline: bool) -> str:
        pairs = [f"{dumps_inline(k)}: {dumps_inline(entry[k])}" for k in FIELDS if k in entry]
        if inline or not multiline:
            body = ", ".join(pairs)
            return "{ " + body + " }" if spaced else "{" + body + "}"
        inner = indent + style.indent
        lines = [
            f"{inner}{p}{',' if i < len(pairs) - 1 or style.trailing_comma else ''}"
            for i, p in enumerate(pairs)
        ]
        return "{" + style.newline + style.newline.join(lines) + style.newline + indent + "}"

    return render


def _member_renderer(key: str, value: str) -> ItemRenderer:
    def render(indent: str, multiline: bool) -> str:
        return f"{dumps_inline(key)}: {dumps_inline(value)}"

    return render


def _array_member_renderer(entries: list[dict[str, str]], style: Style) -> ItemRenderer:
    def render(indent: str, multiline: bool) -> str:
        renderers = [_entry_renderer(e, style, spaced=True, inline=not multiline) for e in entries]
        if not multiline:
            return '"workflows": [' + ", ".join(r("", False) for r in renderers) + "]"
        inner = indent + style.indent
        last = len(renderers) - 1
        lines = [
            f"{inner}{r(inner, True)}{',' if i < last or style.trailing_comma else ''}"
            for i, r in enumerate(renderers)
        ]
        nl = style.newline
        return '"workflows": [' + nl + nl.join(lines) + nl + indent + "]"

    return render


def plan_edits(text: str, section: JsonSection, plan: SectionPlan, style: Style) -> list[TextEdit]:
    """The splices that carry out ``plan`` on ``section``."""
    if plan.is_noop:
        return []
    if section.array is None:
        return append_items(
            text, section.holder, [_array_member_renderer(plan.appends, style)], style
        )
    array = section.array
    assert isinstance(array, ArrayNode)  # the caller reported anything else as an error
    edits: list[TextEdit] = []
    for index, fields in sorted(plan.updates.items()):
        entry = array.elements[index].value
        assert isinstance(entry, ObjectNode)
        missing: list[ItemRenderer] = []
        for key in FIELDS:
            if key not in fields:
                continue
            member = entry.get(key)
            if member is not None:
                edits.append(replace_value(member, fields[key]))
            else:
                missing.append(_member_renderer(key, fields[key]))
        edits.extend(append_items(text, entry, missing, style))
    edits.extend(remove_elements(text, array, plan.removals, appending=bool(plan.appends)))
    if plan.appends:
        kept = [e for i, e in enumerate(array.elements) if i not in plan.removals]
        last = kept[-1].value if kept else None
        inline = isinstance(last, ObjectNode) and "\n" not in text[last.start : last.end]
        spaced = True
        if isinstance(last, ObjectNode) and last.members:
            spaced = text[last.start + 1 : last.members[0].start] != ""
        one_line = "\n" not in text[section.holder.start : section.holder.end]
        renderers = [_entry_renderer(e, style, spaced, inline or one_line) for e in plan.appends]
        edits.extend(
            append_items(text, array, renderers, style, removed=plan.removals, inline=one_line)
        )
    return edits


def position(text: str, node: Node | None, fallback: int = 0) -> tuple[int, int]:
    """``(line, column)`` of ``node`` (or of ``fallback`` when there is none)."""
    return line_col(text, node.start if node is not None else fallback)


def entry_position(
    text: str, section: JsonSection, index: int | None, key: str | None
) -> tuple[int, int]:
    """Where to point a problem with ``workflows[index].key`` in ``section``."""
    array = section.array
    if index is None or not isinstance(array, ArrayNode) or index >= len(array.elements):
        return position(text, array if array is not None else section.holder)
    entry = array.elements[index].value
    if key is not None and isinstance(entry, ObjectNode):
        member = entry.get(key)
        if member is not None:
            return line_col(text, member.value.start)
    return position(text, entry)


def values_equal(a: Any, b: Any) -> bool:
    """Deep equality that tells ``1`` from ``True`` and ``1.0`` (json5 may return either)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return bool(a.keys() == b.keys()) and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return bool(b != b)
    equal: bool = a == b
    return equal
