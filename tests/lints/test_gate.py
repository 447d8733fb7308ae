"""The fast lint gate (``lints/gate.py``): the same findings as the full lints, and caches that
re-lint only what changed."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lunora_codegen.diagnostics import Diagnostic, Severity, UserCodeError
from lunora_codegen.extract import ParseCache
from lunora_codegen.lints import GATING_CODES, codegen_gate, run_lints
from lunora_codegen.lints.gate import FAST_CODES, GateStats
from lunora_codegen.pipeline import generate
from lunora_codegen.project import Project, load_project
from lunora_codegen.watch.incremental import IncrementalParser
from tests.lints.conftest import CASES, EXAMPLE, FIXTURES

HEAD = "from typing import Any\n\nfrom lunora_workflow import WorkflowContext, define_workflow\n"


def _flow(name: str, body: str = '    await ctx.step.sleep("settle", "1 minute")\n') -> str:
    return f"\n\n@define_workflow\nasync def {name}(ctx: WorkflowContext[Any]) -> None:\n{body}"


def _reference(project: Project) -> list[Diagnostic]:
    """What the gate must find: the full lints, restricted to the gating codes and errors."""
    model = generate(project).model
    found = run_lints(project, model, only=GATING_CODES)
    return [d for d in found if d.severity is Severity.ERROR]


def test_every_gating_rule_has_a_fast_path() -> None:
    assert GATING_CODES == FAST_CODES


@pytest.mark.parametrize("case", [*CASES, "example"])
def test_gate_matches_the_full_lints(case: str) -> None:
    project = load_project(EXAMPLE if case == "example" else FIXTURES / case)
    try:
        model = generate(project).model
    except UserCodeError:
        pytest.skip("codegen rejects this fixture before the gate runs")
    expected = _reference(project)
    cache = ParseCache()
    assert codegen_gate(project, model, cache) == expected
    assert codegen_gate(project, model, cache) == expected  # from the caches


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_one_function_edit_relints_only_that_function(make_project: Any) -> None:
    flows = "".join(_flow(f"flow_{i}") for i in range(30))
    root = make_project({"lunora/__init__.py": "", "lunora/workflows.py": HEAD + flows})
    project = load_project(root)
    cache = ParseCache(parse=IncrementalParser().parse)
    stats = GateStats()
    assert codegen_gate(project, generate(project, cache=cache).model, cache, stats) == []
    assert stats.statements_linted == 32  # two import lines and 30 workflows

    # an unawaited step in one workflow: only that statement is linted again
    _edit(
        project.workflows_file,
        'async def flow_7(ctx: WorkflowContext[Any]) -> None:\n    await ctx.step.sleep("settle"',
        'async def flow_7(ctx: WorkflowContext[Any]) -> None:\n    ctx.step.sleep("settle"',
    )
    stats = GateStats()
    model = generate(project, cache=cache).model
    (finding,) = codegen_gate(project, model, cache, stats)
    assert stats.statements_linted == 1
    assert (finding.code, finding.line, finding.column) == ("unawaited_step", 43, 5)

    # lines inserted above it: the position follows (findings are never served from a cache)
    _edit(
        project.workflows_file,
        "\n\n@define_workflow\nasync def flow_0",
        "\n\n\n\n@define_workflow\nasync def flow_0",
    )
    (finding,) = codegen_gate(project, generate(project, cache=cache).model, cache)
    assert finding.line == 45

    _edit(
        project.workflows_file, '    ctx.step.sleep("settle"', '    await ctx.step.sleep("settle"'
    )
    stats = GateStats()
    assert codegen_gate(project, generate(project, cache=cache).model, cache, stats) == []
    assert stats.statements_linted <= 2  # the fixed workflow (and flow_0, re-parsed with it)


def test_a_changed_callback_is_relinted_through_the_body_that_passes_it(
    make_project: Any,
) -> None:
    source = HEAD + (
        "\n\ndef record(ctx: Any) -> int:\n    return 1\n"
        + _flow("flow", '    await ctx.step.do("record", record)\n')
    )
    root = make_project({"lunora/__init__.py": "", "lunora/workflows.py": source})
    project = load_project(root)
    cache = ParseCache(parse=IncrementalParser().parse)
    assert codegen_gate(project, generate(project, cache=cache).model, cache) == []
    # only the module-level callback changes; the body passing it is the same node
    _edit(
        project.workflows_file,
        "    return 1\n",
        '    ctx.step.sleep("nested", "1 minute")\n    return 1\n',
    )
    findings = codegen_gate(project, generate(project, cache=cache).model, cache)
    assert [d.code for d in findings] == ["step_in_step"]
    assert findings == _reference(project)


def test_unknown_targets_follow_the_model_and_other_files(make_project: Any) -> None:
    api = (
        "from typing import Any\n\nfrom ._generated.workflows import workflows\n\n\n"
        'async def start(env: Any) -> None:\n    await workflows(env).get("flow_a").create()\n'
    )
    root = make_project(
        {
            "lunora/__init__.py": "",
            "lunora/workflows.py": HEAD + _flow("flow_a"),
            "lunora/api.py": api,
        }
    )
    project = load_project(root)
    cache = ParseCache()
    assert codegen_gate(project, generate(project, cache=cache).model, cache) == []
    # the start's file is unchanged, but the workflow it names is gone
    _edit(project.workflows_file, "def flow_a", "def flow_b")
    findings = codegen_gate(project, generate(project, cache=cache).model, cache)
    assert [(d.code, d.path.name, d.line) for d in findings] == [
        ("workflow_unknown_target", "api.py", 7)
    ]
    assert findings == _reference(project)


def test_a_module_without_bodies_or_starts_is_not_parsed(make_project: Any) -> None:
    models = "from dataclasses import dataclass\n\n\n@dataclass\nclass Params:\n    id: str\n"
    root = make_project(
        {
            "lunora/__init__.py": "",
            "lunora/workflows.py": HEAD + _flow("flow"),
            "lunora/models.py": models,
        }
    )
    project = load_project(root)
    cache = ParseCache()
    stats = GateStats()
    codegen_gate(project, generate(project, cache=cache).model, cache, stats)
    assert stats.files_analysed == 1  # workflows.py, from the pipeline's tree


def test_the_gate_results_survive_the_on_disk_cache(make_project: Any, tmp_path: Path) -> None:
    starts = (
        "from typing import Any\n\nfrom lunora_workflow import WorkflowContext\n\n\n"
        "async def helper(ctx: WorkflowContext[Any]) -> None:\n"
        '    await ctx.workflows.get("flow").create()\n'
    )
    root = make_project(
        {
            "lunora/__init__.py": "",
            "lunora/workflows.py": HEAD + _flow("flow"),
            "lunora/starts.py": starts,
        }
    )
    project = load_project(root)
    for path in root.rglob("*.py"):
        # saved a while ago: not racy (see extract.RACY_WINDOW_NS), so stamps are trusted
        os.utime(path, ns=(time.time_ns() - 10**10, time.time_ns() - 10**10))
    disk = tmp_path / "cache.pickle"
    cache = ParseCache()
    assert codegen_gate(project, generate(project, cache=cache).model, cache) == []
    cache.save(disk)

    restored = ParseCache.load(disk)
    stats = GateStats()
    assert codegen_gate(project, generate(project, cache=restored).model, restored, stats) == []
    assert (stats.files_analysed, restored.reads, restored.parsed) == (0, 0, 0)
    assert restored.dirty is False

    # a bad start in a file the rerun does not parse otherwise is still found
    _edit(root / "lunora" / "starts.py", 'get("flow")', 'get("flo")')
    restored = ParseCache.load(disk)
    findings = codegen_gate(project, generate(project, cache=restored).model, restored)
    assert [(d.code, d.path.name) for d in findings] == [("workflow_unknown_target", "starts.py")]


def test_one_walk_gives_every_body_like_its_own_walk() -> None:
    from lunora_codegen.lints.bodies import functions_of
    from lunora_codegen.lints.gate import _walk
    from lunora_codegen.lints.sources import walk

    module = cst.parse_module(
        "class K:\n    x = 1\n\n    def a(self):\n        return [i for i in y]\n\n"
        "    async def b(self, c):\n        def inner():\n            pass\n        await c\n"
    )
    (statement,) = module.body
    bodies = {f.body for f in functions_of(statement)}
    nodes, slices = _walk(statement, bodies)
    assert nodes == list(walk(statement))
    assert len(slices) == 2
    for body, found in slices.items():
        assert found == list(walk(body))
