"""The lints' reading layer: the extract seam (parse_tree), fast child walking, imports."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from lunora_codegen.extract import parse_tree
from lunora_codegen.lints.sources import SourceFile, children, imports_of, walk
from tests.lints.conftest import EXAMPLE, FIXTURES

SOURCE = """\
import lunora_workflow as lw
from lunora_workflow import define_workflow as dw, WorkflowContext as Ctx
from datetime import datetime as dt


@dw
async def first(ctx: Ctx[dict]) -> None:
    await ctx.step.do("a", lambda: dt.now())


async def _second(ctx: "Ctx[dict]") -> None:
    import time as t
    await ctx.step.sleep(f"b-{t.time()}", "1 second")


second = lw.define_workflow(handler=_second, name="two")
"""


def test_parse_tree_gives_handlers_aliases_and_lazy_positions() -> None:
    tree = parse_tree(Path("workflows.py"), SOURCE, "workflow")
    assert sorted(tree.handlers) == ["first", "second"]
    assert tree.handlers["second"].name.value == "_second"
    assert tree.runtime_names == {
        "dw": "define_workflow",
        "Ctx": "WorkflowContext",
    }
    assert tree.runtime_modules == frozenset({"lw"})
    assert tree.position(tree.handlers["first"].name) == (7, 11)
    assert parse_tree(Path("api.py"), SOURCE).handlers == {}


def test_imports_resolve_aliases_and_local_imports() -> None:
    tree = parse_tree(Path("workflows.py"), SOURCE, "workflow")
    file = SourceFile(path=Path("workflows.py"), tree=tree)
    file.imports = imports_of(file.nodes)
    assert file.imports["dt"] == "datetime.datetime"
    assert file.imports["t"] == "time"
    assert file.runtime_attr(cst.parse_expression("lw.branch")) == "branch"
    assert file.runtime_attr(cst.parse_expression("Ctx")) == "WorkflowContext"
    assert file.qualify(cst.parse_expression("dt.now")) == "datetime.datetime.now"
    assert file.qualify(cst.parse_expression("unknown.now")) is None


def _libcst_walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found = [node]
    for child in node.children:
        found.extend(_libcst_walk(child))
    return found


_MEANINGFUL = (
    cst.Name,
    cst.Call,
    cst.Attribute,
    cst.SimpleString,
    cst.FormattedString,
    cst.Await,
    cst.Lambda,
    cst.FunctionDef,
    cst.Assign,
    cst.For,
    cst.Import,
    cst.ImportFrom,
)


def test_children_reaches_every_meaningful_node_libcst_reaches() -> None:
    """The fast field walk drops only whitespace and brackets, never code."""
    paths = [*FIXTURES.rglob("*.py"), *(EXAMPLE / "src").rglob("*.py")]
    assert len(paths) > 20
    for path in paths:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
        mine = {id(n) for n in walk(module) if isinstance(n, _MEANINGFUL)}
        theirs = {id(n) for n in _libcst_walk(module) if isinstance(n, _MEANINGFUL)}
        assert mine == theirs, path
        assert all(isinstance(c, cst.CSTNode) for c in children(module))
