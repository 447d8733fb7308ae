"""The piecewise compile check of rendered modules (``render._verified``): it may only pass a
text that compiles as a whole, so a template bug still never reaches the disk."""

from __future__ import annotations

import random
from pathlib import Path, PurePosixPath

import pytest

from lunora_codegen import render
from lunora_codegen.extract import extract_source
from lunora_codegen.model import build_model


def _generated(count: int) -> str:
    source = (
        "from typing import Any\n\nfrom lunora_workflow import WorkflowContext, define_workflow\n"
    )
    source += "".join(
        f"\n\n@define_workflow\nasync def flow_{i}(ctx: WorkflowContext[Any]) -> Any:\n"
        "    return None\n"
        for i in range(count)
    )
    facts = extract_source(Path("lunora/workflows.py"), source, "workflow")
    model = build_model("lunora", facts, None)
    return render.render(model)[PurePosixPath("workflows.py")]


def _compiles(text: str) -> bool:
    try:
        compile(text, "<test>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def test_a_generated_module_is_verified_piecewise() -> None:
    text = _generated(60)
    assert len(text) > 4 * render._BIG  # the SPECS dict and class Workflows get cut
    assert render._verified(text)


def test_line_edits_never_pass_a_text_that_does_not_compile() -> None:
    text = _generated(40)
    lines = text.splitlines(keepends=True)
    chooser = random.Random(0)
    rejected = 0
    for _ in range(300):
        edited = list(lines)
        index = chooser.randrange(len(edited))
        action = chooser.choice(["drop", "repeat", "dedent", "strip-comma", "swap"])
        if action == "drop":
            del edited[index]
        elif action == "repeat":
            edited.insert(index, edited[index])
        elif action == "dedent":
            edited[index] = edited[index].lstrip(" ")
        elif action == "strip-comma":
            edited[index] = edited[index].replace(",", "", 1)
        else:
            other = chooser.randrange(len(edited))
            edited[index], edited[other] = edited[other], edited[index]
        candidate = "".join(edited)
        verified = render._verified(candidate)
        assert not verified or _compiles(candidate), (action, index)
        rejected += not verified
    assert rejected > 50  # the edits did break things


@pytest.mark.parametrize(
    "text",
    [
        # a dict and a set element are each fine alone under `{`, not together
        "X = {\n" + "".join(f"    'k{i}': {i},\n" for i in range(400)) + "    'set-like',\n}\n",
        # positional after keyword arguments is not cut at all (only class and dict shapes)
        "f(\n" + "".join(f"    k{i}={i},\n" for i in range(400)) + "    1,\n)\n",
        # members that compile alone under the class line, not with each other
        "class K:\n  a = 0\n" + "".join(f"    a{i} = {i}\n" for i in range(400)),
        # a member of a big class that does not compile
        "class K:\n" + "".join(f"    a{i} = {i}\n" for i in range(400)) + "    def f(:\n",
        # a statement that only makes sense after another
        "x = 1\n" + "y = 2\n" * 900 + "global x\n",
    ],
)
def test_shapes_that_do_not_compile_are_not_verified(text: str) -> None:
    assert len(text) > render._BIG
    assert not _compiles(text)
    assert not render._verified(text)


def test_a_template_bug_raises_render_error() -> None:
    text = _generated(60).replace('name="flow-7",\n', 'name="flow-7"\n', 1)
    with pytest.raises(render.RenderError, match="does not compile"):
        render._compile(PurePosixPath("workflows.py"), text)
