"""Span scanner for JSONC/JSON5 text: where every object member and array element starts and ends.

``json5`` gives the *values* of a wrangler config but no positions, so the reconciler cannot
edit the text through it. This scanner walks the same text and records byte-exact spans (as
``str`` offsets) for every container, member, key, value and separating comma. It understands
``//`` and ``/* */`` comments, both quote styles with escapes, unquoted JSON5 keys and bare
scalars (numbers, ``true``, ``Infinity``), so a ``"workflows": [`` inside a string or a comment
is never mistaken for the real key.

It is a *span* scanner, not a validator: callers load the text first
(:mod:`lunora_codegen.jsonc_read`: json5's data, and json5's syntax errors with a line and
column) and only then scan it. When
the scanner meets something it cannot place it raises :class:`ScanError` with an offset.

Why a scanner rather than a library (evaluated 2026-11, see docs/wrangler.md and
shared/reference/codegen.md §3):

* ``json5`` (dpranke, the reader we use) has no round-trip model and no spans.
* ``json5kit`` (0.4.0, 2023) fails on a ``/** */`` banner; ``jsoncgx`` rejects trailing commas,
  which every wrangler template uses; ``jsonc-document`` rejects trailing commas too;
  ``commentjson`` drops comments on write.
* ``json-five`` round-trips, but installs the same top-level ``json5`` package as the reader
  (the two corrupt each other's files).
* ``json5-document`` keeps spans and would do, but needs Python >= 3.12 and is weeks old; we
  support 3.11. The scanner sits behind :func:`scan`, so it can replace it later.
* ``jsonc-edit`` drives a Node daemon that ``npm install``s at first use: not for a Python CLI.

About 200 lines, no dependencies. Runs of whitespace, comments, strings and bare tokens are
matched by regexes and only containers are walked in Python: ~12 ms for a 110 KB config with
1,000 workflows, where json5 takes ~1.5 s.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = [
    "ArrayNode",
    "Element",
    "Member",
    "Node",
    "ObjectNode",
    "ScalarNode",
    "ScanError",
    "line_col",
    "line_start",
    "scan",
    "scan_shared",
    "skip_trivia",
]

# JSON5 whitespace (ECMAScript WhiteSpace + LineTerminator), including the BOM.
_WHITESPACE = frozenset(" \t\n\r\v\f\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)
_DELIMITERS = frozenset(",:[]{}\"'/") | _WHITESPACE


class ScanError(ValueError):
    """The text is not JSONC/JSON5 this scanner can place; ``offset`` is where it gave up."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass
class ScalarNode:
    """A string, number, boolean, null or other bare JSON5 literal: ``text[start:end]``."""

    start: int
    end: int


@dataclass
class Element:
    """One array element and the offset of the comma after it (``None`` when there is none)."""

    value: Node
    comma: int | None = None

    @property
    def start(self) -> int:
        """Where the element's value starts."""
        return self.value.start

    @property
    def end(self) -> int:
        """Where the element's value ends (exclusive)."""
        return self.value.end


@dataclass
class Member:
    """One ``key: value`` pair: the decoded key, the key token's span, the value and its comma."""

    key: str
    key_start: int
    key_end: int
    value: Node
    comma: int | None = None

    @property
    def start(self) -> int:
        """Where the member starts (its key token)."""
        return self.key_start

    @property
    def end(self) -> int:
        """Where the member's value ends (exclusive)."""
        return self.value.end


@dataclass
class ArrayNode:
    """``[ ... ]``: ``start`` is the ``[``, ``end`` is one past the ``]``."""

    start: int
    end: int
    elements: list[Element] = field(default_factory=list)


@dataclass
class ObjectNode:
    """``{ ... }``: ``start`` is the ``{``, ``end`` is one past the ``}``."""

    start: int
    end: int
    members: list[Member] = field(default_factory=list)

    def get(self, key: str) -> Member | None:
        """The member named ``key``; the last one when it repeats (json5 keeps the last too)."""
        found = None
        for member in self.members:
            if member.key == key:
                found = member
        return found


Node = ScalarNode | ArrayNode | ObjectNode


# The same sets as regex classes: matching a run in C is what keeps a 1,000-entry config fast.
_WS_CLASS = "[" + "".join(sorted(_WHITESPACE)).replace("\\", "") + "]"
_TRIVIA = re.compile(rf"(?:{_WS_CLASS}++|//[^\n\r\u2028\u2029]*+|/\*(?s:.*?)\*/)*+")
_STRINGS = {
    '"': re.compile(r'"(?:[^"\\]++|\\(?:\r\n|[\s\S]))*+"'),
    "'": re.compile(r"'(?:[^'\\]++|\\(?:\r\n|[\s\S]))*+'"),
}
_BARE = re.compile("(?:[^" + re.escape("".join(sorted(_DELIMITERS | {"\\"}))) + r"]++|\\[\s\S]?)++")


# One ``key: scalar,`` object member with the trivia around it, in one match: at 1,000
# workflows the config is ~3,000 such members, and walking each token in Python (the general
# path below) was most of a scan. Anything else (a container value, an unterminated string or
# comment, the nesting limit) takes the general path, which also gives the errors.
_SCALAR = "|".join(f"(?:{pattern.pattern})" for pattern in _STRINGS.values()) + f"|{_BARE.pattern}"
_SCALAR_MEMBER = re.compile(
    rf"(?P<key>{_SCALAR}){_TRIVIA.pattern}:{_TRIVIA.pattern}(?P<value>{_SCALAR})"
    rf"{_TRIVIA.pattern}(?:(?P<comma>,){_TRIVIA.pattern})?"
)
_MAX_DEPTH = 500


def skip_trivia(text: str, pos: int) -> int:
    """The first offset at or after ``pos`` that is not whitespace or a comment."""
    end = _TRIVIA.match(text, pos).end()  # type: ignore[union-attr]  # matches ""
    if text.startswith("/*", end):
        raise ScanError(end, "unterminated block comment")
    return end


def _scan_string(text: str, pos: int) -> int:
    match = _STRINGS[text[pos]].match(text, pos)
    if match is None:
        raise ScanError(len(text), "unterminated string")
    return match.end()


def _scan_bare(text: str, pos: int) -> int:
    match = _BARE.match(text, pos)
    if match is None:
        n = len(text)
        raise ScanError(pos, f"unexpected {text[pos]!r}" if pos < n else "unexpected end of input")
    return match.end()


def decode_key(token: str) -> str:
    """The key a key token spells: quotes removed and escapes decoded."""
    if token[:1] in "\"'":
        if "\\" not in token:
            return token[1:-1]
    elif "\\" not in token:
        return token
    import json5

    decoded = json5.loads("{" + token + ": 0}")
    return str(next(iter(decoded)))


def _scan_value(text: str, pos: int, depth: int) -> tuple[Node, int]:
    if depth > _MAX_DEPTH:
        raise ScanError(pos, "nesting too deep")
    pos = skip_trivia(text, pos)
    if pos >= len(text):
        raise ScanError(pos, "unexpected end of input")
    ch = text[pos]
    if ch == "{":
        return _scan_object(text, pos, depth)
    if ch == "[":
        return _scan_array(text, pos, depth)
    end = _scan_string(text, pos) if ch in "\"'" else _scan_bare(text, pos)
    return ScalarNode(pos, end), end


def _expect(text: str, pos: int, what: str) -> None:
    if pos >= len(text) or text[pos] != what:
        raise ScanError(pos, f"expected {what!r}")


def _scan_array(text: str, pos: int, depth: int) -> tuple[ArrayNode, int]:
    node = ArrayNode(pos, -1)
    pos = skip_trivia(text, pos + 1)
    while pos < len(text) and text[pos] != "]":
        value, pos = _scan_value(text, pos, depth + 1)
        element = Element(value)
        node.elements.append(element)
        pos = skip_trivia(text, pos)
        if pos < len(text) and text[pos] == ",":
            element.comma = pos
            pos = skip_trivia(text, pos + 1)
        else:
            break
    _expect(text, pos, "]")
    node.end = pos + 1
    return node, node.end


def _scan_object(text: str, pos: int, depth: int) -> tuple[ObjectNode, int]:
    node = ObjectNode(pos, -1)
    pos = skip_trivia(text, pos + 1)
    scalar_member = _SCALAR_MEMBER.match if depth < _MAX_DEPTH else None
    while pos < len(text) and text[pos] != "}":
        fast = scalar_member(text, pos) if scalar_member is not None else None
        # an unterminated comment after the member is the general path's error to report
        if fast is not None and not text.startswith("/*", fast.end()):
            key_start, key_end = fast.span("key")
            scalar = ScalarNode(*fast.span("value"))
            member = Member(decode_key(text[key_start:key_end]), key_start, key_end, scalar)
            node.members.append(member)
            pos = fast.end()
            if fast.group("comma") is None:
                break
            member.comma = fast.start("comma")
            continue
        key_start = pos
        key_end = _scan_string(text, pos) if text[pos] in "\"'" else _scan_bare(text, pos)
        pos = skip_trivia(text, key_end)
        _expect(text, pos, ":")
        value, pos = _scan_value(text, pos + 1, depth + 1)
        member = Member(decode_key(text[key_start:key_end]), key_start, key_end, value)
        node.members.append(member)
        pos = skip_trivia(text, pos)
        if pos < len(text) and text[pos] == ",":
            member.comma = pos
            pos = skip_trivia(text, pos + 1)
        else:
            break
    _expect(text, pos, "}")
    node.end = pos + 1
    return node, node.end


def scan(text: str) -> Node:
    """Spans of the one JSONC/JSON5 value in ``text`` (comments and whitespace may surround it)."""
    root, end = _scan_value(text, 0, 0)
    end = skip_trivia(text, end)
    if end != len(text):
        raise ScanError(end, "unexpected text after the top-level value")
    return root


_SHARED_SIZE = 2
_shared: OrderedDict[str, Node] = OrderedDict()
_shared_lock = threading.Lock()  # ``lunora dev`` may plan from two threads


def scan_shared(text: str) -> Node:
    """:func:`scan`, remembered for the last few texts. The reconciler and the config checks
    both scan the config on every ``lunora codegen`` / ``lunora dev`` run (~13 ms each for a
    110 KB config with 1,000 workflows); this scans it once. The nodes are shared between
    callers: read them, never change them. A text that does not scan is not remembered (the
    next call raises the same :class:`ScanError`)."""
    with _shared_lock:
        known = _shared.get(text)
        if known is not None:
            _shared.move_to_end(text)
            return known
    root = scan(text)
    with _shared_lock:
        _shared[text] = root
        while len(_shared) > _SHARED_SIZE:
            _shared.popitem(last=False)
    return root


def line_start(text: str, pos: int) -> int:
    """Offset of the first character of the line holding ``pos``."""
    return text.rfind("\n", 0, pos) + 1


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based ``(line, column)`` of offset ``pos``; ``\\r\\n`` counts as one line break."""
    line = text.count("\n", 0, pos) + 1
    return line, pos - line_start(text, pos) + 1
