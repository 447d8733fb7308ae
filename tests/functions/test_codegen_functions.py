# ruff: noqa: E501 - expected diagnostics are compared verbatim, one per line
"""Codegen for functions: golden ``api.py``/``server.py`` (the fixtures' committed
``_generated/`` folders are the goldens), when the files are written at all, located
diagnostics for bad declarations, and the cache.

Refresh the goldens with ``LUNORA_UPDATE_GOLDEN=1 pytest tests/functions``; review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner

from lunora_codegen.commands.codegen import codegen
from lunora_codegen.diagnostics import UserCodeError
from lunora_codegen.extract import ParseCache
from lunora_codegen.pipeline import generate
from lunora_codegen.project import load_project

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "functions"
EXAMPLE = REPO / "examples" / "chat-app"
BIN = Path(sys.executable).parent
UPDATE = os.environ.get("LUNORA_UPDATE_GOLDEN") == "1"
GOLDEN = {"app": "fnapp", "edge": "lunora"}


@pytest.fixture(autouse=True)
def lunora_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the CLI's on-disk parse cache out of the user's home."""
    folder = tmp_path / "lunora-cache"
    monkeypatch.setenv("LUNORA_CACHE_DIR", str(folder))
    return folder


def copy(source: Path, destination: Path) -> Path:
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns("_generated", "__pycache__", ".mypy_cache"),
    )
    return destination


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    (root / "lunora").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "t"\nversion = "0"\n')
    (root / "lunora" / "__init__.py").write_text("")
    for relative, text in files.items():
        (root / relative).write_text(text, encoding="utf-8")
    return root


# -- goldens -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_golden_generated_modules(case: str, tmp_path: Path) -> None:
    root = copy(FIXTURES / case, tmp_path / case)
    generated = generate(load_project(root))
    golden_dir = FIXTURES / case / GOLDEN[case] / "_generated"
    if UPDATE:
        for rel, text in generated.files.items():
            (golden_dir / rel).write_text(text, encoding="utf-8", newline="\n")
    expected = {
        PurePosixPath(p.name): p.read_text(encoding="utf-8")
        for p in sorted(golden_dir.glob("*.py"))
    }
    assert sorted(generated.files) == sorted(expected)
    assert {"api.py", "server.py"} <= {str(p) for p in expected}
    for rel, text in expected.items():
        assert generated.files[rel] == text, f"{case}/{rel} differs from the golden"


def test_the_example_app_is_up_to_date() -> None:
    generated = generate(load_project(EXAMPLE))
    folder = EXAMPLE / "src" / "lunora" / "_generated"
    for name in ("api.py", "server.py"):
        assert generated.files[PurePosixPath(name)] == (folder / name).read_text(encoding="utf-8")
    assert generated.functions is not None
    assert "messages:send" in generated.functions.paths


def test_goldens_are_ruff_clean() -> None:
    folders = [str(FIXTURES / case / pkg / "_generated") for case, pkg in GOLDEN.items()]
    check = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", *folders], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "--no-cache", *folders],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


# -- when api.py / server.py exist ---------------------------------------------------------------

WORKFLOW = (
    "from lunora_workflow import WorkflowContext, define_workflow\n\n\n"
    "@define_workflow\nasync def w(ctx: WorkflowContext[int]) -> int:\n    return 1\n"
)


def test_no_function_modules_means_no_extra_files(tmp_path: Path) -> None:
    root = project(tmp_path, {"lunora/workflows.py": WORKFLOW, "lunora/util.py": "X = 1\n"})
    generated = generate(load_project(root))
    assert sorted(map(str, generated.files)) == ["__init__.py", "workflows.py"]


def test_functions_without_workflows_py_generate_what_applies(tmp_path: Path) -> None:
    """A package of functions only (no workflows.py, no steps.py) gets api.py and server.py,
    plus a workflows.py with no workflows (server.py types ctx.workflows with its Workflows)."""
    module = HEAD + "@query\nasync def ping(ctx: QueryCtx, args: int) -> int:\n    return args\n"
    root = project(tmp_path, {"lunora/pings.py": module})
    result = CliRunner().invoke(codegen, ["--project", str(root)])
    assert result.exit_code == 0, result.output
    folder = root / "lunora" / "_generated"
    assert sorted(p.name for p in folder.iterdir()) == [
        "__init__.py",
        "api.py",
        "server.py",
        "workflows.py",
    ]
    assert "ping: FunctionReference[int, int]" in (folder / "api.py").read_text()
    assert "SPECS: dict[str, WorkflowSpec] = {}" in (folder / "workflows.py").read_text()
    for path in folder.iterdir():
        compile(path.read_text(), str(path), "exec")


def test_a_module_importing_the_api_gets_an_empty_one(tmp_path: Path) -> None:
    uses_api = "from ._generated import (\n    api,\n)\n\n" + WORKFLOW.replace(
        "return 1", "return len(str(api.api))"
    )
    root = project(tmp_path, {"lunora/workflows.py": uses_api})
    generated = generate(load_project(root))
    api_text = generated.files[PurePosixPath("api.py")]
    assert "class Api:" in api_text
    assert "    __slots__ = ()" in api_text
    assert PurePosixPath("server.py") in generated.files


def test_removing_the_last_function_module_removes_the_files(tmp_path: Path) -> None:
    module = (
        "from ._generated.server import QueryCtx, query\n\n\n"
        "@query\nasync def ping(ctx: QueryCtx, args: int) -> int:\n    return args\n"
    )
    root = project(tmp_path, {"lunora/workflows.py": WORKFLOW, "lunora/pings.py": module})
    runner = CliRunner()
    assert runner.invoke(codegen, ["--project", str(root)]).exit_code == 0
    assert (root / "lunora" / "_generated" / "api.py").is_file()
    (root / "lunora" / "pings.py").unlink()
    result = runner.invoke(codegen, ["--project", str(root)])
    assert result.exit_code == 0, result.output
    assert not (root / "lunora" / "_generated" / "api.py").exists()
    assert not (root / "lunora" / "_generated" / "server.py").exists()


# -- diagnostics ---------------------------------------------------------------------------------

HEAD = (
    "from ._generated.server import ActionCtx, MutationCtx, QueryCtx, action, mutation, query\n\n\n"
)

#: case -> (the module's body after HEAD, the exact error lines)
BAD: dict[str, tuple[str, list[str]]] = {
    "not_async": (
        "@mutation\ndef send(ctx: MutationCtx, args: int) -> int:\n    return 1\n",
        ["lunora/messages.py:5:5: error: mutation handler 'send' must be an `async def`"],
    ),
    "one_parameter": (
        "@query\nasync def ping(ctx: QueryCtx) -> int:\n    return 1\n",
        [
            "lunora/messages.py:5:11: error: query handler 'ping' must take exactly two parameters (ctx: QueryCtx, args: <Args type>)"
        ],
    ),
    "keyword_only": (
        "@query\nasync def ping(ctx: QueryCtx, args: int, *, extra: int) -> int:\n    return 1\n",
        [
            "lunora/messages.py:5:11: error: query handler 'ping' must take exactly two parameters (ctx: QueryCtx, args: <Args type>)"
        ],
    ),
    "missing_annotations": (
        "@action\nasync def act(ctx, args):\n    return 1\n",
        [
            "lunora/messages.py:5:11: error: action 'act' needs a return annotation (`-> None` if it returns nothing): it types the result of ctx.run",
            "lunora/messages.py:5:15: error: the context parameter 'ctx' of action 'act' must be annotated `ActionCtx` (from ._generated.server)",
            "lunora/messages.py:5:20: error: the args parameter 'args' of action 'act' must be annotated (a pydantic model, TypedDict or dataclass)",
        ],
    ),
    "wrong_context": (
        "@query\nasync def peek(ctx: MutationCtx, args: int) -> int:\n    return 1\n",
        ["lunora/messages.py:5:21: error: query 'peek' receives a `QueryCtx`, not a `MutationCtx`"],
    ),
    "decorator_arguments": (
        '@mutation(name="x")\nasync def send(ctx: MutationCtx, args: int) -> int:\n    return 1\n',
        [
            "lunora/messages.py:4:1: error: @mutation takes no arguments: write `@mutation` on its own"
        ],
    ),
    "stacked_decorators": (
        "import functools\n\n\n@mutation\n@functools.cache\nasync def send(ctx: MutationCtx, args: int) -> int:\n    return 1\n",
        ["lunora/messages.py:7:1: error: @mutation must be the only decorator of 'send'"],
    ),
    "class": (
        "@query\nclass Nope:\n    pass\n",
        ["lunora/messages.py:4:1: error: @query must decorate a function, not a class"],
    ),
    "call_form": (
        "async def _send(ctx: MutationCtx, args: int) -> int:\n    return 1\n\n\nsend = mutation(_send)\n",
        [
            "lunora/messages.py:8:8: error: use the decorator form: `@mutation` on an `async def (ctx, args)`"
        ],
    ),
    "duplicate": (
        "@query\nasync def ping(ctx: QueryCtx, args: int) -> int:\n    return 1\n\n\n"
        "@query\nasync def ping(ctx: QueryCtx, args: int) -> int:\n    return 2\n",
        [
            "lunora/messages.py:10:11: error: function 'ping' is bound more than once at the top level (first at line 5); function names must be unique in a module"
        ],
    ),
    "syntax_error": (
        "@query\nasync def ping(ctx: QueryCtx, args: int) -> int\n    return 1\n",
        ["lunora/messages.py:5:48: error: syntax error: expected ':'"],
    ),
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_declarations_are_located_and_nothing_is_written(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, expected = BAD[case]
    root = project(tmp_path, {"lunora/workflows.py": WORKFLOW, "lunora/messages.py": HEAD + body})
    before = snapshot(root)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(codegen, [])
    assert result.exit_code == 1, result.output
    assert [line for line in result.stderr.splitlines() if ": error: " in line] == expected
    assert not (root / "lunora" / "_generated").exists()
    assert snapshot(root) == before


def test_workflow_and_function_problems_are_reported_together(tmp_path: Path) -> None:
    broken_workflow = WORKFLOW.replace("async def w", "def w")
    root = project(
        tmp_path,
        {"lunora/workflows.py": broken_workflow, "lunora/messages.py": HEAD + BAD["not_async"][0]},
    )
    with pytest.raises(UserCodeError) as caught:
        generate(load_project(root))
    assert [(d.path.name, d.line) for d in caught.value.diagnostics] == [
        ("messages.py", 5),
        ("workflows.py", 5),
    ]


# -- cache ---------------------------------------------------------------------------------------


def test_the_cache_skips_unchanged_modules_and_sees_edits(tmp_path: Path) -> None:
    module = HEAD + "@query\nasync def ping(ctx: QueryCtx, args: int) -> int:\n    return 1\n"
    root = project(tmp_path, {"lunora/workflows.py": WORKFLOW, "lunora/messages.py": module})
    proj = load_project(root)
    cache = ParseCache()
    first = generate(proj, cache=cache)
    assert generate(proj, cache=cache) is first  # nothing changed: not even re-rendered

    path = root / "lunora" / "messages.py"
    path.write_text(module.replace("ping", "pong"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    second = generate(proj, cache=cache)
    assert second is not first
    assert "messages:pong" in second.files[PurePosixPath("api.py")]

    # the same through the on-disk cache of one-shot CLI runs
    disk = tmp_path / "cache.pickle"
    cache.save(disk)
    restored = ParseCache.load(disk)
    assert generate(proj, cache=restored).files == second.files
    path.write_text(module.replace("ping", "pang"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 2 * 10**9,) * 2)
    assert "messages:pang" in generate(proj, cache=restored).files[PurePosixPath("api.py")]


def test_a_same_size_edit_within_one_timestamp_tick_is_seen(tmp_path: Path) -> None:
    module = HEAD + "@query\nasync def ping(ctx: QueryCtx, args: int) -> int:\n    return 1\n"
    root = project(tmp_path, {"lunora/workflows.py": WORKFLOW, "lunora/messages.py": module})
    proj = load_project(root)
    cache = ParseCache()
    path = root / "lunora" / "messages.py"
    stamp = path.stat().st_mtime_ns
    assert "messages:ping" in generate(proj, cache=cache).files[PurePosixPath("api.py")]
    path.write_text(module.replace("ping", "pong"), encoding="utf-8")  # same size
    os.utime(path, ns=(stamp, stamp))  # and the same mtime: only the bytes differ
    assert "messages:pong" in generate(proj, cache=cache).files[PurePosixPath("api.py")]


def test_module_names_that_would_clash_in_api_py(tmp_path: Path) -> None:
    body = (
        HEAD
        + "class Args(TypedDict):\n    n: int\n\n\n@query\nasync def get(ctx: QueryCtx, args: Args) -> int:\n    return args['n']\n"
    )
    body = "from typing import TypedDict\n" + body
    root = project(
        tmp_path,
        {"lunora/foo_bar.py": body, "lunora/foo__bar.py": body, "lunora/_private.py": body},
    )
    api_text = generate(load_project(root)).files[PurePosixPath("api.py")]
    assert "class _FooBarApi:" in api_text
    assert "class _FooBarApi2:" in api_text
    assert "class _PrivateApi:" in api_text
    # no "__private" alias: it would be name-mangled inside the class body
    assert "from .. import _private as _m_private" in api_text
    assert "get: FunctionReference[_m_private.Args, int]" in api_text
    compile(api_text, "api.py", "exec")


def test_forward_references_nested_in_annotations_are_resolved(tmp_path: Path) -> None:
    body = (
        "from typing import Annotated, Literal, Optional, TypedDict\n\n"
        + HEAD
        + "class Item(TypedDict):\n    n: int\n\n\n"
        + '@query\nasync def a(ctx: QueryCtx, args: "list[\'Item\']") -> dict[str, "Item"]:\n'
        + "    return {}\n\n\n"
        + '@query\nasync def b(ctx: QueryCtx, args: Optional["Item"]) -> list["Nope"]:\n'
        + "    return []\n\n\n"
        + '@query\nasync def c(ctx: QueryCtx, args: Literal["Item", "x"]) -> Annotated[int, "Item"]:\n'
        + "    return 1\n"
    )
    root = project(tmp_path, {"lunora/messages.py": body})
    api_text = generate(load_project(root)).files[PurePosixPath("api.py")]
    compile(api_text, "api.py", "exec")
    flat = "".join(api_text.split())  # long annotations are wrapped over several lines
    # a quoted name inside a subscript names the module's type, as a bare one would ...
    assert "a:FunctionReference[list[_messages.Item],dict[str,_messages.Item],]" in flat
    # ... one that names nothing makes the type Any (copied, it would name nothing in api.py)
    assert "b:FunctionReference[_messages.Item|None,Any]" in flat
    # ... and the strings of Literal and Annotated are values, left as they are
    assert 'c:FunctionReference[Literal["Item","x"],Annotated[int,"Item"],]' in flat


def test_functions_in_a_sub_package_are_warned_about_at_their_position(tmp_path: Path) -> None:
    """Sub-packages are not scanned (docs/functions.md); a function declared in one used to be
    left out of api.py without a word. Each one is a warning at its name, on every run."""
    nested = (
        "from .._generated.server import MutationCtx, QueryCtx, mutation, query\n\n\n"
        "@query\nasync def find(ctx: QueryCtx, args: str) -> str:\n    return args\n\n\n"
        "async def helper() -> None:\n    pass\n\n\n"
        "@mutation  # renames a user\nasync def rename(ctx: MutationCtx, args: str) -> None:\n"
        "    pass\n"
    )
    root = project(
        tmp_path,
        {
            "lunora/workflows.py": WORKFLOW,
            "lunora/pings.py": HEAD + "@query\nasync def ping(ctx: QueryCtx, args: int) -> int:\n"
            "    return args\n",
        },
    )
    (root / "lunora/admin/deep").mkdir(parents=True)
    (root / "lunora/admin/__init__.py").write_text("")
    (root / "lunora/admin/users.py").write_text(nested, encoding="utf-8")
    (root / "lunora/admin/deep/plain.py").write_text("def f() -> None:\n    pass\n")
    expected = [
        "lunora/admin/users.py:5:11: warning: query 'find' is in the sub-package lunora/admin/ "
        "and is not part of api.py: only top-level modules of the package are scanned for "
        "functions",
        "lunora/admin/users.py:14:11: warning: mutation 'rename' is in the sub-package "
        "lunora/admin/ and is not part of api.py: only top-level modules of the package are "
        "scanned for functions",
    ]
    for _run in range(2):  # the no-change rerun (restored from the on-disk cache) repeats them
        result = CliRunner().invoke(codegen, ["--project", str(root)])
        assert result.exit_code == 0, result.output
        lines = [line for line in result.stderr.splitlines() if ": warning: " in line]
        assert [line.replace(str(root) + os.sep, "") for line in lines] == expected
        assert "hint: move it to a module directly in lunora/" in result.stderr
    api_text = (root / "lunora/_generated/api.py").read_text()
    assert "ping:" in api_text
    assert "find" not in api_text
