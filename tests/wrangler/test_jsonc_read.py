"""The JSONC fast path reads exactly what json5 reads, and leaves everything else to json5.

Documents are built token by token: JSON values (ints, floats in every spelling, unicode and
escapes, duplicate keys) with comments, blank space and trailing commas drawn between every
pair of tokens, sometimes with one JSON5-only token mixed in (single quotes, unquoted keys,
hex, ``+1``, ``.5``, ``Infinity``, ``\\x41``, a line continuation, non-ASCII whitespace) or a
syntax error. For every document:

* :func:`load_jsonc` returns exactly ``json5.loads``'s data (same types, same key order, same
  float bits) or raises the same ``ValueError`` message;
* a document whose tokens are all JSONC is read by the fast path (so the fast path is really
  used), and one with a JSON5-only token is not (so json5 stays the reader).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any

import json5
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lunora_codegen.jsonc_read import fast_load, load_jsonc, strict_json

from .jsonc_gen import GeneratedDoc, documents

EXAMPLES = int(os.environ.get("LUNORA_WRANGLER_EXAMPLES", "2000"))
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def same(a: Any, b: Any) -> bool:
    """Equal data, told apart by type, key order and float bits (``-0.0``, ``1`` vs ``1.0``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a.hex() == b.hex() if not math.isnan(a) else math.isnan(b)
    return bool(a == b)


def test_same_can_fail() -> None:
    assert not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not same([1], [1.0])
    assert not same(0.0, -0.0)
    assert not same(True, 1)
    assert same({"a": [1.5, None]}, {"a": [1.5, None]})


# -- documents ------------------------------------------------------------------------------

NUMBERS = ["0", "-0", "7", "-12", "1.5", "-0.0", "1e5", "1E+5", "2.5e-3", "1e400", "-1e-400",
           "123456789012345678901234567890", "0.1000000000000000055511151231257827"]  # fmt: skip
STRINGS = ['"plain"', '"// not a comment"', '"/* nor this */"', '"a, ]"', '"q\\"uote"',
           '"\\u00e9\\u65E5"', '"\\/slash\\\\"', '"\\b\\f\\n\\r\\t"', '"é ✓ 日本"', '"\\ud800"',
           '"\\udc00"', '"\\ud83d\\ude00"', '"\u2028"', '""']  # fmt: skip
KEYS = ['"a"', '"b"', '"workflows"', '"é"', '"\\u0061"', '""']
COMMENTS = ["// line", "//", "/* block */", "/**/", "/* multi\n line */", '/* "x": [1, */',
            "// ] } , \"", "/* // */"]  # fmt: skip
SPACES = ["", " ", "\n", "\r\n", "\t", "  "]
# JSON5 beyond JSONC, as (token, where it may stand: "value" or "key" or "space")
JSON5_ONLY = [("'single'", "value"), ("0x1F", "value"), ("+1", "value"), (".5", "value"),
              ("5.", "value"), ("Infinity", "value"), ("-Infinity", "value"), ("NaN", "value"),
              ('"\\x41"', "value"), ('"\\\'"', "value"), ('"\\v\\0"', "value"),
              ('"line \\\ncontinued"', "value"), ('"raw\ttab"', "value"), ("unquoted", "key"),
              ("'sq'", "key"), ("\u00a0", "space"), ("\u2028", "space"), ("\ufeff", "space"),
              ("\u3000", "space")]  # fmt: skip
ERRORS = ["[,]", "{,}", "[1,,]", "[1 2]", "[1/**/2]", '{"a" 1}', '{"a":}', "[1", "/* open",
          '"open', "01", "-", "[-/**/1]", "tru", "[1]]"]  # fmt: skip


@dataclass
class Doc:
    """A generated text and what went into it: ``"jsonc"`` tokens only, one ``"json5"``-only
    token, or an inserted ``"error"`` (which may happen to leave a valid document)."""

    text: str
    kind: str


@st.composite
def jsonc_texts(draw: st.DrawFn) -> Doc:
    """A document of JSONC tokens; sometimes with one JSON5-only token or one error."""
    parts: list[str] = []
    extra = draw(st.sampled_from(["none", "none", "json5", "error"]))
    json5_token = draw(st.sampled_from(JSON5_ONLY))
    slot = {"used": False}

    def trivia() -> None:
        for _ in range(draw(st.integers(0, 2))):
            parts.append(draw(st.sampled_from(SPACES)))
            if draw(st.integers(0, 3)) == 0:
                comment = draw(st.sampled_from(COMMENTS))
                parts.append(comment)
                if comment.startswith("//"):
                    parts.append(draw(st.sampled_from(["\n", "\r\n", "\r"])))
        # (a leading U+FEFF is a BOM, which JSONC allows too)
        wanted = extra == "json5" and json5_token[1] == "space" and not slot["used"]
        if wanted and "".join(parts) and draw(st.booleans()):
            parts.append(json5_token[0])
            slot["used"] = True

    def special(kind: str) -> bool:
        wanted = extra == "json5" and json5_token[1] == kind and not slot["used"]
        if wanted and draw(st.integers(0, 2)) == 0:
            parts.append(json5_token[0])
            slot["used"] = True
            return True
        return False

    def value(depth: int) -> None:
        kind = draw(st.integers(0, 5)) if depth < 3 else draw(st.integers(0, 3))
        if special("value"):
            return
        if kind == 0:
            parts.append(draw(st.sampled_from(NUMBERS)))
        elif kind == 1:
            parts.append(draw(st.sampled_from(STRINGS)))
        elif kind == 2:
            parts.append(draw(st.sampled_from(["true", "false", "null"])))
        elif kind == 3:
            number = draw(
                st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
            )
            text = draw(st.text(max_size=6))
            parts.append(
                json.dumps(draw(st.sampled_from([number, text])), ensure_ascii=draw(st.booleans()))
            )
        else:
            container(depth, kind == 4)

    def container(depth: int, is_object: bool) -> None:
        parts.append("{" if is_object else "[")
        count = draw(st.integers(0, 4))
        for index in range(count):
            trivia()
            if is_object:
                if not special("key"):
                    parts.append(draw(st.sampled_from(KEYS)))
                trivia()
                parts.append(":")
                trivia()
            value(depth + 1)
            trivia()
            if index < count - 1 or draw(st.booleans()):
                parts.append(",")
        trivia()
        parts.append("}" if is_object else "]")

    if draw(st.booleans()):
        parts.append("\ufeff")
    trivia()
    value(0)
    trivia()
    if extra == "error":
        error = draw(st.sampled_from(ERRORS))
        cut = draw(st.integers(0, len(parts)))
        parts.insert(cut, error)
    text = "".join(parts)
    kind = "error" if extra == "error" else "json5" if slot["used"] else "jsonc"
    return Doc(text, kind)


def _json5(text: str) -> tuple[Any, str | None]:
    try:
        return json5.loads(text), None
    except ValueError as error:
        return None, str(error)


def _escapes_a_surrogate(text: str) -> bool:
    # json joins an escaped surrogate pair, json5 does not: such texts go to json5
    return re.search(r"\\u[dD][89abAB]", text) is not None


@pytest.mark.slow
@PROFILE
@given(doc=jsonc_texts())
def test_fast_path_reads_what_json5_reads(doc: Doc) -> None:
    expected, error = _json5(doc.text)
    if error is not None:
        with pytest.raises(ValueError) as caught:
            load_jsonc(doc.text)
        assert str(caught.value) == error
        assert fast_load(doc.text) is None
        return
    assert same(load_jsonc(doc.text), expected), doc.text
    fast = fast_load(doc.text)
    if doc.kind == "jsonc" and not _escapes_a_surrogate(doc.text):
        assert fast is not None, doc.text  # JSONC goes the fast way
    if doc.kind == "json5":
        assert fast is None, doc.text  # anything beyond JSONC is json5's
    if fast is not None:
        assert same(fast[1], expected)
        assert same(json.loads(fast[0]), expected)


@pytest.mark.slow
@settings(PROFILE, max_examples=max(1, EXAMPLES // 4))  # the property test reads these too
@given(doc=documents())
def test_generated_wrangler_configs_take_the_fast_path(doc: GeneratedDoc) -> None:
    fast = fast_load(doc.text)
    assert fast is not None
    assert same(fast[1], json5.loads(doc.text))
    assert fast[1] == doc.data


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ('{"a": 1, "b": 2, "a": 3}', {"a": 3, "b": 2}),  # json5: last value, first position
        ('{"a": [1, 2,], /* c */ "b": {"c": "d",},}', {"a": [1, 2], "b": {"c": "d"}}),
        ('\ufeff// banner\r\n{"x": "// y"} // end', {"x": "// y"}),
    ],
)
def test_jsonc_examples(text: str, data: Any) -> None:
    assert fast_load(text) is not None
    assert same(load_jsonc(text), data)
    assert same(json5.loads(text), data)


@pytest.mark.parametrize(
    "text",
    [
        "[,]",
        "{,}",
        "[1/**/2]",
        "[-/**/1]",
        '["\\ud83d\\ude00"]',
        "[Infinity]",
        "{'a': 1}",
        "{a: 1}",
        "[0x10]",
        '["a\\\nb"]',
        "[1,\u00a0]",
    ],
)
def test_json5_decides(text: str) -> None:
    assert fast_load(text) is None
    expected, error = _json5(text)
    if error is None:
        assert same(load_jsonc(text), expected)
    else:
        with pytest.raises(ValueError, match=r"^<string>:"):
            load_jsonc(text)


def test_strict_json_keeps_strings_and_drops_only_trivia() -> None:
    text = '{"u": "/* x */ // y ,]", /* a */ "v": [1, 2 /* b */ ,], // c\n}'
    strict = strict_json(text)
    assert strict is not None
    assert json.loads(strict) == {"u": "/* x */ // y ,]", "v": [1, 2]}


def test_load_returns_a_fresh_object() -> None:
    text = '{"workflows": [{"binding": "A"}]}'
    first = load_jsonc(text)
    first["workflows"].append("mutated")
    assert load_jsonc(text) == {"workflows": [{"binding": "A"}]}
    slow = "{workflows: [1]}"
    load_jsonc(slow)["workflows"].append(2)
    assert load_jsonc(slow) == {"workflows": [1]}
