"""Precise text edits on JSONC: replace a value, append items to a container, remove elements.

Every function returns :class:`TextEdit` s against the *original* text (never a reformatted
copy); :func:`apply_edits` splices them in. Edits only ever delete the value tokens being
replaced, whitespace, separating commas, or (when pruning) whole array elements; comments and
everything else outside the spliced spans stay byte-for-byte. New text follows the file's own
style: its newline (LF or CRLF), its indent unit (tabs or N spaces, detected), its
trailing-comma habit, and single-line versus multi-line layout of the container being edited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lunora_codegen.wrangler.jsonc_scan import (
    ArrayNode,
    Element,
    Member,
    Node,
    ObjectNode,
    ScalarNode,
    line_start,
)

__all__ = [
    "Style",
    "TextEdit",
    "append_items",
    "apply_edits",
    "detect_style",
    "dumps_inline",
    "remove_elements",
    "replace_value",
]

_HSPACE = re.compile(r"[ \t]*")


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace ``original[start:end]`` with ``text`` (an insertion when ``start == end``)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Style:
    """How the file writes: newline, one indent level, and whether lists end with a comma."""

    newline: str
    indent: str
    trailing_comma: bool


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Splice non-overlapping ``edits`` into ``text``. Raises ``ValueError`` if two overlap."""
    out: list[str] = []
    pos = 0
    for edit in sorted(edits):
        if edit.start < pos:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        out.append(text[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def _line_indent(text: str, pos: int) -> str:
    start = line_start(text, pos)
    match = _HSPACE.match(text, start)
    return match.group(0) if match else ""


def _starts_line(text: str, pos: int) -> bool:
    return text[line_start(text, pos) : pos].strip(" \t") == ""


def _children(node: ArrayNode | ObjectNode) -> Sequence[Element | Member]:
    return node.elements if isinstance(node, ArrayNode) else node.members


def _walk(node: Node) -> list[ArrayNode | ObjectNode]:
    found: list[ArrayNode | ObjectNode] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ScalarNode):
            continue
        found.append(current)
        stack.extend(child.value for child in _children(current))
    return found


def detect_style(text: str, root: Node) -> Style:
    """The file's newline, indent unit and trailing-comma habit (tab is the fallback indent)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    indent: str | None = None
    with_comma = without_comma = 0
    # The shallowest container whose first child starts a line tells the indent unit, the way
    # editors detect it; the difference between child and container line indents is one level.
    for container in sorted(_walk(root), key=lambda c: c.start):
        children = _children(container)
        if not children:
            continue
        multiline = "\n" in text[container.start : children[0].start]
        if multiline:
            if children[-1].comma is not None:
                with_comma += 1
            else:
                without_comma += 1
        if indent is None and multiline and _starts_line(text, children[0].start):
            outer = _line_indent(text, container.start)
            inner = _line_indent(text, children[0].start)
            if inner.startswith(outer) and len(inner) > len(outer):
                indent = inner[len(outer) :]
    if indent is None:
        # Nothing to learn from: a tab, like the wrangler templates (and C3) use.
        match = re.search(r"^( +)\S", text, re.MULTILINE)
        indent = match.group(1) if match and not re.search(r"^\t", text, re.MULTILINE) else "\t"
    return Style(newline=newline, indent=indent, trailing_comma=with_comma > without_comma)


def dumps_inline(value: object) -> str:
    """A JSON value on one line, unicode kept as is (the way people write it by hand)."""
    return json.dumps(value, ensure_ascii=False)


def replace_value(member: Member, value: object) -> TextEdit:
    """Replace ``member``'s value token with ``value`` (used for scalar fields only)."""
    return TextEdit(member.value.start, member.value.end, dumps_inline(value))


#: Renders one new item given (its indent, whether the container is multi-line).
ItemRenderer = Callable[[str, bool], str]


def append_items(
    text: str,
    node: ArrayNode | ObjectNode,
    items: Sequence[ItemRenderer],
    style: Style,
    *,
    removed: frozenset[int] = frozenset(),
    inline: bool = False,
) -> list[TextEdit]:
    """Edits that append ``items`` after the last kept child of ``node``.

    ``removed`` are indexes of children that :func:`remove_elements` takes out in the same
    pass; the new items go after the last child that stays, so the two sets of edits never
    overlap. ``inline`` keeps an empty one-line container on one line (used when everything
    around it is on one line too).
    """
    if not items:
        return []
    children = _children(node)
    close = node.end - 1
    kept = [child for i, child in enumerate(children) if i not in removed]
    trailing = children[-1].comma is not None if children else style.trailing_comma
    nl = style.newline
    edits: list[TextEdit] = []
    if kept:
        last = kept[-1]
        after = last.comma + 1 if last.comma is not None else last.end
        lead = "" if last.comma is not None else ","
        if "\n" in text[last.end : close]:
            if _starts_line(text, last.start):
                indent = _line_indent(text, last.start)
            else:
                indent = _line_indent(text, close) + style.indent
            rendered = [render(indent, True) for render in items]
            if _starts_line(text, close):
                if lead:
                    edits.append(TextEdit(last.end, last.end, lead))
                body = "".join(
                    f"{indent}{r}{_sep(i, len(rendered), trailing)}{nl}"
                    for i, r in enumerate(rendered)
                )
                edits.append(TextEdit(line_start(text, close), line_start(text, close), body))
            else:
                body = "".join(
                    f"{nl}{indent}{r}{_sep(i, len(rendered), trailing)}"
                    for i, r in enumerate(rendered)
                )
                edits.append(TextEdit(after, after, lead + body))
        else:
            rendered = [render("", False) for render in items]
            body = "".join(
                f" {r}{_sep(i, len(rendered), trailing)}" for i, r in enumerate(rendered)
            )
            edits.append(TextEdit(after, after, lead + body))
        return edits

    inner = text[node.start + 1 : close]
    if inline and not children and "\n" not in inner:
        rendered = [render("", False) for render in items]
        body = ", ".join(rendered)
        stripped = inner.rstrip(" \t")
        start = node.start + 1 + len(stripped)
        return [TextEdit(start, close, (" " if stripped else "") + body)]
    outer = _line_indent(text, node.start)
    indent = outer + style.indent
    rendered = [render(indent, True) for render in items]
    lines = [f"{indent}{r}{_sep(i, len(rendered), trailing)}" for i, r in enumerate(rendered)]
    if "\n" in inner and _starts_line(text, close):
        at = line_start(text, close)
        return [TextEdit(at, at, "".join(line + nl for line in lines))]
    if children:
        # Every element is being pruned: put the new ones just before the bracket.
        return [TextEdit(close, close, "".join(nl + line for line in lines) + nl + outer)]
    # Empty and on one line (``[]``, ``[ /* none */ ]``): open it up, keeping any comment.
    stripped = inner.rstrip(" \t")
    start = node.start + 1 + len(stripped)
    body = "".join(nl + line for line in lines) + nl + outer
    return [TextEdit(start, close, body)]


def _sep(index: int, count: int, trailing: bool) -> str:
    return "," if index < count - 1 or trailing else ""


def remove_elements(
    text: str, node: ArrayNode, removed: frozenset[int], *, appending: bool
) -> list[TextEdit]:
    """Edits that delete the elements at ``removed`` (with their commas) from ``node``.

    A removed element that sits alone on its line takes the whole line with it; comments before
    it and after its comma on the same line stay. ``appending`` says whether
    :func:`append_items` adds items in the same pass (then the last kept element keeps its
    comma as the separator).
    """
    edits: list[TextEdit] = []
    elements = node.elements
    for index in sorted(removed):
        element = elements[index]
        start = element.start
        if element.comma is not None and text[element.end : element.comma].strip():
            # A comment between the value and its comma is the user's: keep it, drop the rest.
            edits.append(TextEdit(start, element.end, ""))
            edits.append(TextEdit(element.comma, element.comma + 1, ""))
            continue
        end = element.comma + 1 if element.comma is not None else element.end
        rest = text[end : _line_end(text, end)]
        if _starts_line(text, start) and rest.strip(" \t\r") == "":
            start = line_start(text, start)
            end = _line_end(text, end)
            end = end + 1 if end < len(text) else end
        else:
            end += len(_HSPACE.match(text, end).group(0))  # type: ignore[union-attr]
            if index == len(elements) - 1 and not _starts_line(text, start):
                start = len(text[:start].rstrip(" \t"))
        edits.append(TextEdit(start, end, ""))
    edits = _merge(edits)
    kept = [i for i in range(len(elements)) if i not in removed]
    last_removed = elements and (len(elements) - 1) in removed
    if kept and last_removed and not appending and elements[-1].comma is None:
        comma = elements[kept[-1]].comma
        if comma is not None:
            edits.append(TextEdit(comma, comma + 1, ""))
    return edits


def _merge(deletions: list[TextEdit]) -> list[TextEdit]:
    # Neighbouring removals may claim the same whitespace; deleting the union is what both meant.
    merged: list[TextEdit] = []
    for edit in sorted(deletions):
        if merged and edit.start <= merged[-1].end:
            merged[-1] = TextEdit(merged[-1].start, max(merged[-1].end, edit.end), "")
        else:
            merged.append(edit)
    return merged


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end
