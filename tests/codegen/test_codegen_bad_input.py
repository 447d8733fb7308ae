# ruff: noqa: E501 - expected diagnostics are compared verbatim, one per line
"""Bad input: each malformed project gives exact ``path:line:col: error: message`` lines,
exits 1 and writes nothing (no ``_generated/``, every input file byte-identical)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from lunora_codegen.commands.codegen import codegen

from .conftest import snapshot

H = "from lunora_workflow import WorkflowContext, define_workflow\n\n\n"
S = "from lunora_workflow import StepContext, define_step\n\n\n"

#: case -> (files of the project, the exact error lines expected on stderr)
CASES: dict[str, tuple[dict[str, str | bytes], list[str]]] = {
    "syntax_error": (
        {"lunora/workflows.py": "def f(:\n    pass\n"},
        ["lunora/workflows.py:1:7: error: syntax error: invalid syntax"],
    ),
    "unclosed_brace": (
        {"lunora/workflows.py": "x = {'a': 1,\ny = 2\n"},
        ["lunora/workflows.py:1:5: error: syntax error: '{' was never closed"],
    ),
    "steps_syntax_error": (
        {"lunora/workflows.py": H, "lunora/steps.py": S + "async def s(ctx, args)\n    return 1\n"},
        ["lunora/steps.py:4:23: error: syntax error: expected ':'"],
    ),
    "not_utf8": (
        {"lunora/workflows.py": b"x = 1\ny = '\xff'\n"},
        ["lunora/workflows.py:2:6: error: cannot decode file as UTF-8: invalid start byte"],
    ),
    "unreadable_directory": (
        {"lunora/workflows.py/keep.txt": "a directory where the module should be"},
        ["lunora/workflows.py:1:1: error: cannot read file: Is a directory"],
    ),
    "duplicate_export": (
        {
            "lunora/workflows.py": H
            + "@define_workflow\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\n@define_workflow\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 2\n"
        },
        [
            "lunora/workflows.py:10:11: error: workflow export 'a' is bound more than once at the top level; each export must be defined exactly once"
        ],
    ),
    "export_rebound": (
        {
            "lunora/workflows.py": H
            + "@define_workflow\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\na = None\n"
        },
        [
            "lunora/workflows.py:9:1: error: workflow export 'a' is bound more than once at the top level; each export must be defined exactly once"
        ],
    ),
    "class_collision": (
        {
            "lunora/workflows.py": H
            + "@define_workflow\nasync def order_pipeline(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\n@define_workflow\nasync def orderPipeline(ctx: WorkflowContext[int]) -> int:\n    return 2\n"
        },
        [
            "lunora/workflows.py:10:11: error: workflow 'orderPipeline' collides with 'order_pipeline' (line 5): both produce class 'OrderPipelineWorkflow', binding 'WORKFLOW_ORDER_PIPELINE' and workflow name 'order-pipeline'"
        ],
    ),
    "deployed_name_collision": (
        {
            "lunora/workflows.py": H
            + '@define_workflow(name="shared")\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\n@define_workflow(name="shared")\nasync def b(ctx: WorkflowContext[int]) -> int:\n    return 2\n'
        },
        [
            "lunora/workflows.py:10:11: error: workflow 'b' collides with 'a' (line 5): both produce workflow name 'shared'"
        ],
    ),
    "name_not_literal": (
        {
            "lunora/workflows.py": H
            + 'NAME = "x"\n\n\n@define_workflow(name=NAME)\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n'
        },
        ["lunora/workflows.py:7:23: error: `name` must be a string literal"],
    ),
    "name_fstring": (
        {
            "lunora/workflows.py": H
            + 'V = 2\n\n\n@define_workflow(name=f"a-{V}")\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n'
        },
        ["lunora/workflows.py:7:23: error: `name` must be a string literal"],
    ),
    "name_empty": (
        {
            "lunora/workflows.py": H
            + '@define_workflow(name="")\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n'
        },
        ["lunora/workflows.py:4:23: error: workflow name must not be empty"],
    ),
    "name_bad_chars": (
        {
            "lunora/workflows.py": H
            + '@define_workflow(name="bad name!")\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n'
        },
        [
            "lunora/workflows.py:4:23: error: workflow name 'bad name!' must match ^[a-zA-Z0-9_][a-zA-Z0-9-_]*$ (letters, digits, '-' and '_', not starting with '-')"
        ],
    ),
    "name_too_long": (
        {
            "lunora/workflows.py": H
            + '@define_workflow(name="'
            + "x" * 65
            + '")\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n'
        },
        [
            "lunora/workflows.py:4:23: error: workflow name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is 65 characters long; Cloudflare allows at most 64"
        ],
    ),
    "derived_name_too_long": (
        {
            "lunora/workflows.py": H
            + "@define_workflow\nasync def "
            + "a_" * 33
            + "b(ctx: WorkflowContext[int]) -> int:\n    return 1\n"
        },
        [
            "lunora/workflows.py:5:11: error: workflow name '"
            + "a-" * 33
            + "b' is 67 characters long; Cloudflare allows at most 64 (derived from the export '"
            + "a_" * 33
            + "b')"
        ],
    ),
    "long_export_with_short_name_is_fine_but_other_error": (
        {
            "lunora/workflows.py": H
            + '@define_workflow(name="short")\nasync def '
            + "a_" * 33
            + "b(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\nx = define_workflow()\n"
        },
        [
            "lunora/workflows.py:9:5: error: define_workflow(...) needs a handler: `define_workflow(handler=my_function)`"
        ],
    ),
    "call_without_handler": (
        {"lunora/workflows.py": H + 'a = define_workflow(name="a")\n'},
        [
            "lunora/workflows.py:4:5: error: define_workflow(...) needs a handler: `define_workflow(handler=my_function)`"
        ],
    ),
    "handler_lambda": (
        {"lunora/workflows.py": H + "a = define_workflow(handler=lambda ctx: None)\n"},
        [
            "lunora/workflows.py:4:29: error: handler= must name a function defined at the top level of this module"
        ],
    ),
    "handler_undefined": (
        {"lunora/workflows.py": H + "a = define_workflow(handler=_missing)\n"},
        [
            "lunora/workflows.py:4:29: error: handler '_missing' is not a function defined at the top level of this module"
        ],
    ),
    "handler_defined_later": (
        {
            "lunora/workflows.py": H
            + "a = define_workflow(handler=_a)\n\n\nasync def _a(ctx: WorkflowContext[int]) -> int:\n    return 1\n"
        },
        [
            "lunora/workflows.py:4:29: error: handler '_a' is defined below this line; define it first (the module runs top to bottom)"
        ],
    ),
    "handler_not_async": (
        {
            "lunora/workflows.py": H
            + "@define_workflow\ndef a(ctx: WorkflowContext[int]) -> int:\n    return 1\n"
        },
        ["lunora/workflows.py:5:5: error: workflow handler 'a' must be an `async def`"],
    ),
    "call_handler_not_async": (
        {
            "lunora/workflows.py": H
            + "def _a(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\na = define_workflow(handler=_a)\n"
        },
        ["lunora/workflows.py:4:5: error: workflow handler '_a' must be an `async def`"],
    ),
    "handler_without_context": (
        {"lunora/workflows.py": H + "@define_workflow\nasync def a() -> int:\n    return 1\n"},
        [
            "lunora/workflows.py:5:11: error: workflow handler 'a' must take the context as its first parameter: `async def handler(ctx: WorkflowContext[Params]) -> Output`"
        ],
    ),
    "handler_extra_parameter": (
        {
            "lunora/workflows.py": H
            + "@define_workflow\nasync def a(ctx: WorkflowContext[int], other: int) -> int:\n    return 1\n"
        },
        [
            "lunora/workflows.py:5:40: error: workflow handler 'a' must take exactly one parameter, the context; remove 'other'"
        ],
    ),
    "context_wrong_annotation": (
        {
            "lunora/workflows.py": H
            + "@define_workflow\nasync def a(ctx: dict[str, int]) -> int:\n    return 1\n"
        },
        [
            "lunora/workflows.py:5:18: error: the context parameter 'ctx' must be annotated `WorkflowContext[Params]` (imported from lunora_workflow)"
        ],
    ),
    "decorates_class": (
        {"lunora/workflows.py": H + "@define_workflow\nclass A:\n    pass\n"},
        ["lunora/workflows.py:4:1: error: @define_workflow must decorate a function, not a class"],
    ),
    "private_export": (
        {
            "lunora/workflows.py": H
            + "async def _h(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\n_hidden = define_workflow(handler=_h)\n"
        },
        [
            "lunora/workflows.py:8:1: error: workflow export '_hidden' must be a Python identifier that starts with a letter (a leading underscore marks a private name, which is never exported)"
        ],
    ),
    "two_targets": (
        {
            "lunora/workflows.py": H
            + "async def _h(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\na = b = define_workflow(handler=_h)\n"
        },
        [
            "lunora/workflows.py:8:1: error: define_workflow(...) must be assigned to exactly one plain name (`my_workflow = define_workflow(handler=...)`)"
        ],
    ),
    "unknown_keyword": (
        {
            "lunora/workflows.py": H
            + '@define_workflow(name="a", retries=3)\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n'
        },
        [
            "lunora/workflows.py:4:28: error: define_workflow() got an unexpected keyword argument 'retries' (it takes handler, name)"
        ],
    ),
    "decorator_positional": (
        {
            "lunora/workflows.py": H
            + '@define_workflow("a")\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n'
        },
        [
            "lunora/workflows.py:4:18: error: define_workflow(...) takes keyword arguments only (name=...)"
        ],
    ),
    "stacked_decorators": (
        {
            "lunora/workflows.py": H
            + "def traced(f):\n    return f\n\n\n@traced\n@define_workflow\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n"
        },
        ["lunora/workflows.py:9:1: error: @define_workflow must be the only decorator of 'a'"],
    ),
    "step_name_not_literal": (
        {
            "lunora/steps.py": S
            + 'N = "s"\n\n\n@define_step(name=N)\nasync def s(ctx: StepContext, args: int) -> int:\n    return args\n'
        },
        ["lunora/steps.py:7:19: error: `name` must be a string literal"],
    ),
    "step_reserved_prefix": (
        {
            "lunora/steps.py": S
            + '@define_step(name="lunora:mine")\nasync def s(ctx: StepContext, args: int) -> int:\n    return args\n'
        },
        [
            "lunora/steps.py:4:19: error: step name 'lunora:mine' starts with 'lunora:', which is reserved for lunora's own durable steps"
        ],
    ),
    "step_duplicate_names": (
        {
            "lunora/steps.py": S
            + '@define_step(name="charge")\nasync def a(ctx: StepContext, args: int) -> int:\n    return args\n\n\n@define_step(name="charge")\nasync def b(ctx: StepContext, args: int) -> int:\n    return args\n'
        },
        [
            "lunora/steps.py:10:11: error: step 'b' has the same name 'charge' as step 'a' (line 5); step names must be unique"
        ],
    ),
    "step_wrong_arity": (
        {
            "lunora/steps.py": S
            + "@define_step\nasync def s(ctx: StepContext) -> int:\n    return 1\n"
        },
        [
            "lunora/steps.py:5:11: error: step handler 's' must take two parameters (ctx: StepContext, args), it takes 1"
        ],
    ),
    "declared_inside_if": (
        {
            "lunora/workflows.py": H
            + "import os\n\nif os.environ.get('X'):\n\n    @define_workflow\n    async def a(ctx: WorkflowContext[int]) -> int:\n        return 1\n"
        },
        [
            "lunora/workflows.py:8:5: error: define_workflow inside an `if` block: lunora codegen reads only top-level declarations, so this workflow would get no generated class; move it to the top level of the module"
        ],
    ),
    "call_inside_try": (
        {
            "lunora/workflows.py": H
            + "async def h(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\ntry:\n    a = define_workflow(handler=h)\nexcept ImportError:\n    pass\n"
        },
        [
            "lunora/workflows.py:9:9: error: define_workflow inside a `try` block: lunora codegen reads only top-level declarations, so this workflow would get no generated class; move it to the top level of the module"
        ],
    ),
    "aliased_import_errors": (
        {
            "lunora/workflows.py": "import lunora_workflow as lw\nfrom lunora_workflow import define_workflow as dw\n\n\n@dw(name=1)\nasync def a(ctx: lw.WorkflowContext[int]) -> int:\n    return 1\n\n\n@lw.define_workflow\ndef b(ctx: lw.WorkflowContext[int]) -> int:\n    return 1\n"
        },
        [
            "lunora/workflows.py:5:10: error: `name` must be a string literal",
            "lunora/workflows.py:11:5: error: workflow handler 'b' must be an `async def`",
        ],
    ),
    "many_errors_at_once": (
        {
            "lunora/workflows.py": H
            + "@define_workflow(name=NAME)\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n\n\nb = define_workflow()\n",
            "lunora/steps.py": S
            + '@define_step(name="lunora:x")\nasync def s(ctx: StepContext, args: int) -> int:\n    return args\n',
        },
        [
            "lunora/steps.py:4:19: error: step name 'lunora:x' starts with 'lunora:', which is reserved for lunora's own durable steps",
            "lunora/workflows.py:4:23: error: `name` must be a string literal",
            "lunora/workflows.py:9:5: error: define_workflow(...) needs a handler: `define_workflow(handler=my_function)`",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_and_nothing_is_written(
    case: str,
    make_project: Callable[[dict[str, str | bytes]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files, expected = CASES[case]
    root = make_project({"lunora/__init__.py": "", **files})
    before = snapshot(root)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(codegen, [])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == expected
    count = len(expected)
    assert result.stderr.rstrip().endswith(
        f"Found {count} error{'' if count == 1 else 's'}; nothing was written."
    )
    assert not (root / "lunora" / "_generated").exists()
    assert snapshot(root) == before


def test_errors_leave_previous_output_untouched(
    make_project: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = H + "@define_workflow\nasync def a(ctx: WorkflowContext[int]) -> int:\n    return 1\n"
    root = make_project({"lunora/__init__.py": "", "lunora/workflows.py": good})
    monkeypatch.chdir(root)
    assert CliRunner().invoke(codegen, []).exit_code == 0
    before = snapshot(root / "lunora" / "_generated")
    (root / "lunora" / "workflows.py").write_text(good + "\n\nb = define_workflow()\n")
    result = CliRunner().invoke(codegen, [])
    assert result.exit_code == 1
    assert snapshot(root / "lunora" / "_generated") == before


def test_json_reports_diagnostics(
    make_project: Callable[[dict[str, str | bytes]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    root = make_project(
        {"lunora/__init__.py": "", "lunora/workflows.py": H + "a = define_workflow()\n"}
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(codegen, ["--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["diagnostics"] == [
        {
            "path": "lunora/workflows.py",
            "line": 4,
            "column": 5,
            "severity": "error",
            "message": "define_workflow(...) needs a handler: `define_workflow(handler=my_function)`",
        }
    ]
    assert sorted(os.listdir(root / "lunora")) == ["__init__.py", "workflows.py"]
