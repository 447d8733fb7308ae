"""The memos ``lunora dev`` keeps between runs give byte-for-byte what a fresh codegen gives.

Each test drives random edit sequences (add, remove, rename and move workflows; change their
Params/Output types, their ``name=`` and their form; add and drop imports, aliases and the
classes the types name) through one long-lived :class:`ParseCache` with the incremental
parser, as ``lunora dev`` does, and after every edit compares with an uncached run on the
same source: the extracted facts with :func:`extract_source` (no memo at all), the generated
files and the model (or the diagnostics) with :func:`pipeline.generate` on a fresh cache,
whose memos start empty.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from hypothesis import given, settings
from hypothesis import strategies as st

from lunora_codegen.diagnostics import UserCodeError
from lunora_codegen.extract import ParseCache, extract_source
from lunora_codegen.pipeline import generate
from lunora_codegen.project import load_project
from lunora_codegen.watch.incremental import IncrementalParser

_PYPROJECT = '[project]\nname = "memo"\nversion = "0"\n\n[tool.lunora]\npackage = "src/lunora"\n'

#: every one of these is on or off; several bind the same name differently
_IMPORTS = (
    "from typing import Optional, Union, Literal, Annotated",
    "import typing as t",
    "from typing import Any",
    "from .models import P",
    "from .models import Q as P",
    "from .models import Q",
    "import ext",
    "import ext as Alias",
    "from ext import Thing as Q",
    "from lunora_workflow import WorkflowContext as WC",
)
_CLASSES = (
    "class P:\n    pass\n",
    "class Q:\n    pass\n",
    "Alias = dict[str, int]\n",
    "if TYPE_CHECKING:\n    from .other import Out\n",
    "from typing import TYPE_CHECKING\n",
)
_TYPES = (
    "dict[str, object]",
    "P",
    "Q",
    "Out",
    "Optional[P]",
    "t.Optional[Q]",
    "list['P']",
    "'Q'",
    "Union[P, None]",
    "Literal['a', 'b']",
    "Alias",
    "ext.Thing",
    "int | None",
    "Annotated[P, 'meta']",
    "Any",
    "t.Any",
    "tuple[P, ...]",
    "Unknown",
)
_EXPORTS = ("wf_a", "wf_b", "wf_c", "WfC", "wf_d", "order_flow", "orderFlow")
_NAMES = (None, None, "custom-name", "other", "wf-a", "Bad Name!")


@dataclass
class _Workflow:
    export: str
    params: str
    output: str
    name: str | None
    call_form: bool
    context: str = "WorkflowContext"

    def text(self) -> str:
        name = "" if self.name is None else f"name={self.name!r}"
        handler = "" if not self.call_form else f"_{self.export}_handler"
        head = f"async def {handler or self.export}(ctx: {self.context}[{self.params}])"
        body = f"{head} -> {self.output}:\n    return None\n"
        if self.call_form:
            extra = f", {name}" if name else ""
            return f"{body}\n\n{self.export} = define_workflow({handler}{extra})\n"
        decorator = f"@define_workflow({name})" if name else "@define_workflow"
        return f"{decorator}\n{body}"


@dataclass
class _Source:
    imports: set[int] = field(default_factory=set)
    classes: set[int] = field(default_factory=set)
    workflows: list[_Workflow] = field(default_factory=list)

    def text(self) -> str:
        lines = ['"""Workflows."""\n\nfrom __future__ import annotations\n\n']
        lines.append("from lunora_workflow import WorkflowContext, define_workflow\n")
        lines.extend(f"{_IMPORTS[i]}\n" for i in sorted(self.imports))
        lines.extend(f"\n\n{_CLASSES[i]}" for i in sorted(self.classes))
        lines.extend(f"\n\n{workflow.text()}" for workflow in self.workflows)
        return "".join(lines)


_EDIT = st.tuples(
    st.sampled_from(
        [
            "add",
            "remove",
            "rename",
            "params",
            "output",
            "name",
            "form",
            "move",
            "import",
            "class",
            "context",
        ]
    ),
    st.integers(0, 50),
    st.integers(0, 50),
)


def _apply(source: _Source, edit: tuple[str, int, int]) -> None:
    kind, a, b = edit
    flows = source.workflows
    if kind == "import":
        source.imports ^= {a % len(_IMPORTS)}
    elif kind == "class":
        source.classes ^= {a % len(_CLASSES)}
    elif kind == "add" or not flows:
        flows.insert(
            b % (len(flows) + 1),
            _Workflow(
                _EXPORTS[a % len(_EXPORTS)],
                _TYPES[a % len(_TYPES)],
                _TYPES[b % len(_TYPES)],
                _NAMES[(a + b) % len(_NAMES)],
                call_form=bool(b % 2),
            ),
        )
    else:
        flow = flows[a % len(flows)]
        if kind == "remove":
            flows.remove(flow)
        elif kind == "rename":
            flow.export = _EXPORTS[b % len(_EXPORTS)]
        elif kind == "params":
            flow.params = _TYPES[b % len(_TYPES)]
        elif kind == "output":
            flow.output = _TYPES[b % len(_TYPES)]
        elif kind == "name":
            flow.name = _NAMES[b % len(_NAMES)]
        elif kind == "form":
            flow.call_form = not flow.call_form
        elif kind == "context":
            flow.context = "WC" if flow.context == "WorkflowContext" else "WorkflowContext"
        else:
            flows.remove(flow)
            flows.insert(b % (len(flows) + 1), flow)


def _outcome(project_root: Path, cache: ParseCache) -> object:
    """The generated files and the model, or the diagnostics when the source has errors."""
    try:
        generated = generate(load_project(project_root), cache=cache)
        return generated.files, generated.model
    except UserCodeError as error:
        return sorted(d.format() for d in error.diagnostics)


def _check_against_fresh(edits: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory(prefix="lunora-memo-") as folder:
        root = Path(folder)
        (root / "pyproject.toml").write_text(_PYPROJECT, encoding="utf-8")
        package = root / "src" / "lunora"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
        target = package / "workflows.py"
        source = _Source(imports={0}, workflows=[_Workflow("wf_a", "P", "Q", None, False)])
        warm = ParseCache(parse=IncrementalParser().parse)
        for edit in [("import", 0, 0), *edits]:
            _apply(source, edit)
            text = source.text()
            target.write_text(text, encoding="utf-8")
            warm.recheck(target)  # as lunora dev does: the watcher says it changed
            facts = warm.extract(target, "workflow")
            assert facts == extract_source(target, text, "workflow"), text
            assert _outcome(root, warm) == _outcome(root, ParseCache()), text


@settings(max_examples=40, deadline=None)
@given(st.lists(_EDIT, min_size=1, max_size=25))
def test_random_edit_sequences_generate_like_a_fresh_run(
    edits: list[tuple[str, int, int]],
) -> None:
    _check_against_fresh(edits)


def test_an_import_change_re_renders_an_unchanged_annotation() -> None:
    # the workflow statement keeps its nodes; only the scope's answer for P changes
    _check_against_fresh([("import", 3, 0), ("import", 4, 0), ("class", 0, 0), ("class", 0, 0)])


def test_an_alias_change_re_renders_a_typing_subscript() -> None:
    # Optional[P] is P | None only while Optional comes from typing; Alias is the module's
    # own alias or the imported module
    _check_against_fresh(
        [
            ("class", 0, 0),
            ("params", 0, 4),
            ("output", 0, 10),
            ("import", 0, 0),
            ("import", 0, 0),
            ("class", 2, 0),
            ("import", 7, 0),
            ("class", 2, 0),
        ]
    )


def test_a_renamed_or_renamed_back_workflow_gets_its_own_names() -> None:
    # the model memo must key on the whole declaration: export, name= and position
    _check_against_fresh(
        [
            ("add", 1, 1),
            ("rename", 0, 2),
            ("rename", 0, 0),
            ("name", 1, 2),
            ("move", 0, 1),
            ("name", 1, 0),
            ("rename", 1, 3),
        ]
    )


def test_a_workflow_repeated_word_for_word_is_reported_at_each_copy() -> None:
    # the incremental parser must not put the same nodes in the tree twice: positions of
    # the "bound more than once" diagnostics are looked up by node
    _check_against_fresh([("add", 0, 0), ("add", 0, 0), ("add", 0, 0)])


def test_repeated_chunks_share_no_nodes() -> None:
    block = "\n\n@define_workflow\nasync def wf(ctx: WorkflowContext[P]) -> Q:\n    return None\n"
    parser = IncrementalParser()
    parser.parse("import a\n" + block)
    module = parser.parse("import a\n" + block * 3)
    names: list[cst.Name] = []

    def walk(node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name):
            names.append(node)
        for child in node.children:
            walk(child)

    walk(module)
    assert len(names) == 1 + 3 * 7  # a; define_workflow, wf, ctx, WorkflowContext, P, Q, None
    assert len({id(name) for name in names}) == len(names)
