"""``render._cut`` (the piecewise compile check's cutter) cuts exactly where the line-start
rule says: compared with a reference that applies ``^`` (MULTILINE) patterns, on random
texts and on real generated modules."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lunora_codegen import render

_RULE = r"(?![\s#)\]}]|(?:else|elif|except|finally)\b)"
_REFERENCE = {
    render._TOP: re.compile("^" + _RULE, re.MULTILINE),
    render._MEMBER: re.compile("^    " + _RULE, re.MULTILINE),
}


def _reference_cut(text: str, pattern: re.Pattern[str]) -> list[str]:
    """The cutter as first written: every ``^`` match not after a decorator line."""
    cuts = [0]
    for match in _REFERENCE[pattern].finditer(text):
        at = match.start()
        if at == 0 or at <= cuts[-1]:
            continue
        previous = text.rfind("\n", 0, at - 1) + 1
        if text[previous:at].lstrip().startswith("@"):
            continue
        cuts.append(at)
    cuts.append(len(text))
    return [text[a:b] for a, b in itertools.pairwise(cuts) if b > a]


_LINE = st.sampled_from(
    [
        "",
        "x = 1",
        "class A:",
        "    def f(self) -> None: ...",
        "    @overload",
        "@decorator",
        "    x = {",
        "# comment",
        "    # comment",
        ")",
        "}",
        "]",
        "else:",
        "elif x:",
        "except E:",
        "finally:",
        "elsewhere = 1",
        "     five",
        "\tx",
        "  two",
        '"""doc',
        "\r",
        " ",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=30), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_random_texts_cut_like_the_reference(lines: list[str], newline: str, end: bool) -> None:
    text = newline.join(lines) + (newline if end else "")
    for pattern in (render._TOP, render._MEMBER):
        assert render._cut(text, pattern) == _reference_cut(text, pattern)


def test_generated_modules_cut_like_the_reference() -> None:
    generated = Path(__file__).parents[2] / "examples/chat-app/src/lunora/_generated"
    texts = [path.read_text(encoding="utf-8") for path in sorted(generated.glob("*.py"))]
    assert texts
    for text in texts:
        for statement in _reference_cut(text, render._TOP):
            assert render._cut(statement, render._MEMBER) == _reference_cut(
                statement, render._MEMBER
            )
        assert render._cut(text, render._TOP) == _reference_cut(text, render._TOP)
