"""A no-change ``lunora codegen`` imports only what it needs, and behaves exactly the same.

A rerun with the on-disk cache parses nothing, builds no model, renders nothing, and skips the
lint gate and the wrangler reconciler while every file they read is unchanged, so libcst,
pydantic, Jinja, json5 and tomlkit (most of a rerun's time, all of it imports) must never be
imported. Each check runs a fresh interpreter: ``sys.modules`` of the test process has them all.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lunora_codegen.cli import main
from lunora_codegen.extract import ParseCache
from lunora_codegen.lints import GATING_CODES
from lunora_codegen.lints.gate import FAST_CODES
from lunora_codegen.lints.sources import package_files
from lunora_codegen.pipeline import _lint_inputs, generate
from lunora_codegen.project import load_project

from .conftest import EXAMPLE, copy_project

#: modules a run that changes nothing has no use for
HEAVY = ("libcst", "pydantic", "jinja2", "json5", "tomlkit", "lunora_workflow")

#: runs the real CLI entry point, then prints which heavy modules got imported
DRIVER = f"""
import json, sys
from lunora_codegen.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    if done.code:
        raise
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""

WORKFLOWS = """\
from __future__ import annotations

from dataclasses import dataclass

from lunora_workflow import WorkflowContext, define_workflow


@dataclass
class Params:
    user_id: str


@define_workflow(name="welcome")
async def welcome(ctx: WorkflowContext[Params]) -> None:
    await ctx.step.sleep("pause", "1 minute")
"""

ENTRY = """\
from ._generated.workflows import workflows


async def on_fetch(request, env):
    await workflows(env).get("welcome").create(params={"user_id": "u"})
"""


def _imported(*args: str) -> list[str]:
    """Run ``lunora <args>`` in a fresh interpreter; the heavy modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.splitlines()[-1])
    assert isinstance(imported, list)
    return imported


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The example app: wrangler.jsonc, workflows, steps, function modules."""
    return copy_project(EXAMPLE, tmp_path / "chat-app")


@pytest.fixture
def bare(make_project) -> Path:  # type: ignore[no-untyped-def]
    """A project with only a pyproject.toml (no wrangler config): the benchmark's shape."""
    root: Path = make_project({"lunora/__init__.py": "", "lunora/workflows.py": WORKFLOWS})
    return root


def test_a_no_change_rerun_imports_no_parser_model_renderer_or_reconciler(bare: Path) -> None:
    cold = _imported("codegen", "--project", str(bare))
    # the check can fail: a run that parses and renders does import them
    assert {"libcst", "pydantic", "jinja2"} <= set(cold)
    # the very next run already finds every verdict (the writing run recorded the
    # reconciler's verdict on the files it wrote), and so does every later one
    assert _imported("codegen", "--project", str(bare)) == []
    assert _imported("codegen", "--check", "--project", str(bare)) == []


def test_a_no_change_rerun_of_the_example_imports_none_of_them(example: Path) -> None:
    assert "libcst" in _imported("codegen", "--project", str(example))
    rerun = _imported("codegen", "--project", str(example))
    # project discovery reads `main` out of wrangler.jsonc through the stdlib-json fast path
    assert rerun == []


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["codegen", "--help"]])
def test_help_and_version_import_none_of_them(args: list[str]) -> None:
    assert _imported(*args) == []


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    # the elapsed time is the only thing allowed to differ
    return code, re.sub(r"\d+(\.\d+)? ms", "N ms", out), err


def test_a_rerun_prints_what_a_run_without_the_cache_prints(
    bare: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    args = ("codegen", "--project", str(bare))
    _cli(capsys, *args)
    rerun = _cli(capsys, *args)
    assert "warning: no wrangler config found" in rerun[2]  # replayed from the cache
    monkeypatch.setenv("LUNORA_CACHE_DIR", str(tmp_path / "another-cache"))
    assert _cli(capsys, *args) == rerun


def test_json_from_the_cache_equals_json_from_scratch(
    example: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    args = ("codegen", "--json", "--project", str(example))
    _cli(capsys, *args)
    _code, cached, _err = _cli(capsys, *args)  # the model is rebuilt from the cached facts
    monkeypatch.setenv("LUNORA_CACHE_DIR", str(tmp_path / "another-cache"))
    _code, fresh, _err = _cli(capsys, *args)
    report = json.loads(cached)
    assert report["workflows"]
    assert report["changes"] == []
    assert {**report, "elapsed_ms": 0} == {**json.loads(fresh), "elapsed_ms": 0}


def test_an_edited_wrangler_config_is_reconciled_again(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("codegen", "--project", str(example))
    _cli(capsys, *args)
    _cli(capsys, *args)
    config = example / "wrangler.jsonc"
    kept = config.read_text()
    entry = re.search(r'\s*\{\s*"binding": "WORKFLOW_IMAGE_TAG",[^}]*\},', kept)
    assert entry is not None
    config.write_text(kept.replace(entry.group(0), ""))
    code, out, _err = _cli(capsys, *args)
    assert code == 0
    assert "updated wrangler.jsonc" in out
    assert '"binding": "WORKFLOW_IMAGE_TAG"' in config.read_text()


def test_a_new_module_with_a_gating_finding_is_linted(
    bare: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("codegen", "--project", str(bare))
    _cli(capsys, *args)
    _cli(capsys, *args)
    generated = bare / "lunora" / "_generated" / "workflows.py"
    before = generated.read_bytes()
    (bare / "lunora" / "jobs.py").write_text(ENTRY.replace('get("welcome")', 'get("welcom")'))
    code, _out, err = _cli(capsys, *args)
    assert code == 1
    assert 'references workflow "welcom"' in err
    assert generated.read_bytes() == before


def test_a_rerun_with_another_flag_plans_again(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = example / "wrangler.jsonc"
    text = config.read_text()
    # an entry lunora made for a workflow that no longer exists: only --prune removes it
    stale = (
        '"workflows": [\n    {\n      "binding": "WORKFLOW_GONE",\n'
        '      "class_name": "GoneWorkflow",\n      "name": "gone",\n    },'
    )
    config.write_text(text.replace('"workflows": [', stale, 1))
    _cli(capsys, "codegen", "--project", str(example))
    _cli(capsys, "codegen", "--project", str(example))
    assert "WORKFLOW_GONE" in config.read_text()
    code, out, _err = _cli(capsys, "codegen", "--prune", "--project", str(example))
    assert code == 0, out
    assert "WORKFLOW_GONE" not in config.read_text()


def test_the_pipeline_lists_the_files_the_gate_reads(example: Path) -> None:
    package = example / "src" / "lunora"
    for relative in (".hidden/x.py", "__pycache__/y.py", "sub/z.py", "_generated/extra.py"):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text("")
    project = load_project(example)
    assert project.entry_path is not None
    assert project.entry_path.parent != package
    assert _lint_inputs(project) == package_files(project)


def test_the_gate_skip_knows_every_gating_lint() -> None:
    # The pipeline skips the gate while the files the fast gate reads are unchanged. A gating
    # lint outside the fast gate may read other files (the wrangler config): give
    # ``pipeline._gate_key`` those inputs before adding one.
    assert GATING_CODES == FAST_CODES


def test_cached_generated_files_rebuild_the_same_model(example: Path) -> None:
    generated = generate(load_project(example), cache=ParseCache())
    restored = pickle.loads(pickle.dumps(generated))
    assert restored._model is None  # stored without pydantic objects
    assert restored.model == generated.model
    assert restored.outline == generated.outline
    assert len(restored.outline.exports) == len(generated.model.workflows) > 0
