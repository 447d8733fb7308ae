"""The incremental libcst parser gives exactly what a whole-file parse gives, faster."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lunora_codegen.watch.incremental import IncrementalParser, split_top_level

REPO = Path(__file__).resolve().parents[2]

TRICKY = {
    "brackets at column 1": "x = [\n1,\n]\ny = 2\n",
    "if/else at top level": "if x:\n    pass\nelse:\n    pass\ny = 1\n",
    "try/except/finally": "try:\n    a()\nexcept E:\n    b()\nfinally:\n    c()\nz = 1\n",
    "stacked decorators with comments": (
        "@a\n# between\n@b(1)\ndef f():\n    pass\n\n\n@c\nclass K:\n    pass\n"
    ),
    "module docstring with column-1 lines": '"""Doc\ndef not_code():\n"""\nx = 1\n',
    "string with column-1 lines": "x = '''\nclass Nope:\n'''\ny = 2\n",
    "backslash continuation": "z = 1 + \\\n2\nw = 3\n",
    "header comments": "# one\n# two\n\nimport os\n\n# lead\nx = 1\n",
    "trailing comments": (
        "def f():\n    x = 1\n    # indented tail\n# column-1 tail\n\ny = 2\n# end\n"
    ),
    "crlf": "a = 1\r\nb = 2\r\n\r\ndef f():\r\n    return 1\r\n",
    "tabs": "def f():\n\treturn 1\ndef g():\n\treturn 2\n",
    "no trailing newline": "a = 1\nb = 2",
    "empty": "",
    "only blank lines": "\n\n",
    "quotes and hashes": 'x = \'a#b\'  # c\ny = "q\\""\nz = 3\n',
    "one-line compound": "class A: pass\nif x: y = 1\nz = 2\n",
    "match statement": "match x:\n    case 1:\n        pass\ny = 1\n",
}


def _same_as_full_parse(source: str) -> IncrementalParser:
    parser = IncrementalParser()
    module = parser.parse(source)
    assert module.code == source
    assert module.deep_equals(cst.parse_module(source))
    return parser


@pytest.mark.parametrize("source", list(TRICKY.values()), ids=list(TRICKY))
def test_tricky_sources_parse_like_a_whole_file(source: str) -> None:
    assert "".join(split_top_level(source)) == source
    parser = _same_as_full_parse(source)
    if len(split_top_level(source)) > 1:
        assert parser.fallbacks == 0


def test_the_projects_own_modules_parse_like_whole_files() -> None:
    paths = sorted(
        [
            *(REPO / "examples").rglob("*.py"),
            *(REPO / "lunora_codegen" / "scaffold").rglob("*.py"),
            *(REPO / "lunora_codegen" / "watch").rglob("*.py"),
            *(REPO / "fixtures" / "scaffold").rglob("*.py"),
        ]
    )
    assert len(paths) > 10
    for path in paths:
        _same_as_full_parse(path.read_text(encoding="utf-8"))


def test_an_edit_reparses_only_the_changed_statement() -> None:
    blocks = [f"\n\ndef f{i}(x: int) -> int:\n    return x + {i}\n" for i in range(50)]
    parser = IncrementalParser()
    parser.parse("import os\n" + "".join(blocks))
    blocks[17] = "\n\ndef f17(x: int) -> int:\n    return x * 17  # changed\n"
    edited = "import os\n" + "".join(blocks)
    module = parser.parse(edited)
    assert parser.parsed_chunks == 1
    assert module.deep_equals(cst.parse_module(edited))


def test_a_syntax_error_raises_like_a_whole_file_parse() -> None:
    parser = IncrementalParser()
    parser.parse("a = 1\nb = 2\n")
    with pytest.raises(cst.ParserSyntaxError):
        parser.parse("a = 1\ndef broken(:\n    pass\nb = 2\n")
    assert parser.fallbacks == 1
    assert parser.parse("a = 1\nb = 3\n").code == "a = 1\nb = 3\n"


_STATEMENTS = st.sampled_from(
    [
        *TRICKY.values(),
        "import os\n",
        "from a import (\n    b,\n    c,\n)\n",
        "@dec\nasync def g():\n    await x\n",
        "# a comment\n",
        "\n",
        "x: int = 1\n",
        "s = f'{x!r:>{w}}'\n",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_STATEMENTS, min_size=1, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_random_modules_parse_like_whole_files(parts: list[str], newline: str) -> None:
    source = "".join(part.replace("\r\n", "\n") for part in parts).replace("\n", newline)
    try:
        expected = cst.parse_module(source)
    except cst.ParserSyntaxError:
        with pytest.raises(cst.ParserSyntaxError):
            IncrementalParser().parse(source)
        return
    module = IncrementalParser().parse(source)
    assert module.code == source
    assert module.deep_equals(expected)


def test_unchanged_statements_keep_their_nodes() -> None:
    """Callers cache per statement node (the lint gate): an edit must not renew the nodes of
    the statements around it, even those that take the blank lines before them along."""
    parser = IncrementalParser()
    blocks = [f"\n\ndef f{i}():\n    return {i}\n" for i in range(6)]
    before = parser.parse("import os\n" + "".join(blocks)).body
    blocks[2] = "\n\ndef f2():\n    return 'edited'\n"
    after = parser.parse("import os\n" + "".join(blocks)).body
    kept = [index for index in range(len(after)) if after[index] is before[index]]
    assert kept == [0, 1, 2, 4, 5, 6]  # all but the edited f2


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b")


def _reference_cuts(source: str) -> list[str]:
    """``split_top_level`` as first written, one Python test per line: the oracle for the
    one-regex version."""
    cuts: list[int] = []
    seen_start = False
    previous_was_decorator = False
    for match in _LINE.finditer(source):
        line = match.group(0)
        if line[:1] in " \t\f\r\n#)]}" or _CONTINUATION.match(line):
            continue
        if seen_start and not previous_was_decorator:
            cuts.append(match.start())
        seen_start = True
        previous_was_decorator = line.startswith("@")
    bounds = [0, *cuts, len(source)]
    return [source[a:b] for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize("source", list(TRICKY.values()), ids=list(TRICKY))
def test_the_cuts_match_the_line_by_line_rule(source: str) -> None:
    assert split_top_level(source) == _reference_cuts(source)
    for newline in ("\r", "\r\n"):
        other = source.replace("\n", newline)
        assert split_top_level(other) == _reference_cuts(other)


_PIECES = st.sampled_from(
    [
        *("\n", "\r", "\r\n", " ", "\t", "\f", "\x0b", "\u2028"),
        *("#", "@", ")", "]", "}", "'''", "\\", "é", "x", "def f():"),
        *("else", "elif", "except", "finally", "elsewhere", "except_"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_random_texts_cut_like_the_line_by_line_rule(pieces: list[str]) -> None:
    source = "".join(pieces)
    assert split_top_level(source) == _reference_cuts(source)


def test_the_projects_own_modules_cut_like_the_line_by_line_rule() -> None:
    for path in sorted((REPO / "lunora_codegen").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert split_top_level(source) == _reference_cuts(source), path
