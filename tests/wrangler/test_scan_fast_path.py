"""The scanner's one-match path for ``key: scalar`` members gives exactly what the general,
token-by-token path gives: the same spans for every node, and the same error (offset and
message) for text it cannot place. The general path is the reference: the test turns the
fast path off and scans again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lunora_codegen.wrangler import jsonc_scan
from lunora_codegen.wrangler.jsonc_scan import Node, ScanError, scan

from .jsonc_gen import GeneratedDoc, documents

NEVER = re.compile(r"(?!)")


@contextmanager
def general_path_only() -> Iterator[None]:
    saved = jsonc_scan._SCALAR_MEMBER
    jsonc_scan._SCALAR_MEMBER = NEVER
    try:
        yield
    finally:
        jsonc_scan._SCALAR_MEMBER = saved


def outcome(text: str) -> Node | tuple[int, str]:
    try:
        return scan(text)
    except ScanError as error:
        return error.offset, str(error)


def reference(text: str) -> Node | tuple[int, str]:
    with general_path_only():
        return outcome(text)


def test_the_fast_path_is_taken() -> None:
    # a fast path that never matched would make the comparisons below vacuous
    assert jsonc_scan._SCALAR_MEMBER.match('"a" : 1 ,') is not None


CASES = [
    '{"a": 1, "b": "x", c: true, "d": [1, {"e": null}], f: {g: 2},}',
    "{ 'a' /* c */ : /* c */ 'x' /* c */ , // c\n b: 1 }",
    '{"a": 1 /* unterminated',
    '{"a": 1, /* unterminated',
    '{"a" /* unterminated',
    '{"a": "unterminated',
    "{a: 1 2}",
    "{a: 1,, b: 2}",
    '{"a\\u0041": 1, "b\\"": "\\\\"}',
    "{a: Infinity, b: -0x1F, c: .5, d: +1}",
    '{"a": 1}\r\n',
    "{}",
    "{ , }",
    "{a 1}",
    '{"a": 1,}}',
]


@pytest.mark.parametrize("text", CASES)
def test_hand_written_texts_scan_alike(text: str) -> None:
    assert outcome(text) == reference(text)


@pytest.mark.parametrize("levels", [3, 4, 5, 6])
def test_the_nesting_limit_is_the_same(levels: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scalar member one level past the limit is refused on both paths (a low limit keeps
    Python's own recursion limit out of it)."""
    monkeypatch.setattr(jsonc_scan, "_MAX_DEPTH", 5)
    for text in ("[" * levels + "{a: 1}" + "]" * levels, "{a: " * levels + "1" + "}" * levels):
        assert outcome(text) == reference(text)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(doc=documents(), cut=st.integers(min_value=0), junk=st.sampled_from(["", "/*", "'", "{"]))
def test_generated_configs_and_their_truncations_scan_alike(
    doc: GeneratedDoc, cut: int, junk: str
) -> None:
    assert outcome(doc.text) == reference(doc.text)
    # cut anywhere (and maybe open a comment, a string or an object there): the errors agree
    broken = doc.text[: cut % (len(doc.text) + 1)] + junk
    assert outcome(broken) == reference(broken)
