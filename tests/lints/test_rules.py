"""The lints' rules case by case, on one-workflow projects built in tmp_path."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from lunora_codegen.diagnostics import Diagnostic
from lunora_codegen.lints import run_lints
from lunora_codegen.pipeline import generate
from lunora_codegen.project import load_project

HEADER = """\
import datetime
import json
import random
import time
import uuid
from time import time as now
from typing import Any

from lunora_workflow import WorkflowContext, define_workflow
import lunora_workflow as lw


def f() -> int:
    return 1


@define_workflow
async def flow(ctx: WorkflowContext[Any]) -> None:
"""


def _findings(
    make_project: Any, body: str, code: str, extra: dict[str, str] | None = None
) -> list[Diagnostic]:
    source = HEADER + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"
    root = make_project({"lunora/__init__.py": "", "lunora/workflows.py": source, **(extra or {})})
    project = load_project(root)
    findings = run_lints(project, generate(project).model, only={code})
    return [d for d in findings if d.code == code]


def _lint(
    make_project: Any, body: str, code: str, extra: dict[str, str] | None = None
) -> list[str]:
    return [d.message for d in _findings(make_project, body, code, extra)]


STABLE_NAMES = [
    'await ctx.step.do("a", f)',
    "await ctx.step.do(f\"a-{ctx.params['x']}\", f)",
    'n = await ctx.step.do("n", f)\nawait ctx.step.do(f"b-{n}", f)',
    'for i, t in enumerate(sorted(set(ctx.params["tags"]))):\n'
    '    await ctx.step.do(f"t-{i}-{t}", f)',
    'names = [f"s-{i}" for i in range(3)]\nawait ctx.step.do(names[0], f)',
    "await ctx.step.do(json.dumps(ctx.params), f)",
    'await ctx.step.do("-".join(ctx.params["parts"]), f)',
    'async def inner(n: int) -> None:\n    await ctx.step.do(f"i-{n}", f)\nawait inner(1)',
    'await ctx.step.sleep_until(f"until-{ctx.event.instance_id}", 0)',
    'await ctx.run_step(f, {}, name=f"charge-{len(ctx.params)}")',
    'x = "a" if ctx.params.get("b") else "c"\nawait ctx.step.do(x.upper(), f)',
]


@pytest.mark.parametrize("body", STABLE_NAMES)
def test_replay_stable_step_names_pass(make_project: Any, body: str) -> None:
    assert _lint(make_project, body, "step_name_not_literal") == []


UNSTABLE_NAMES = [
    ("x = ctx.env.FOO\nawait ctx.step.do(x, f)", "`x` (from `ctx.env`)"),
    ('await ctx.step.do(str(hash("a")), f)', '`hash("a")`'),
    ('for t in set(ctx.params["tags"]):\n    await ctx.step.do(t, f)', "`t` (from `set("),
    ('r = random.random()\nawait ctx.step.do(f"{r}", f)', "`r` (from `random.random()`)"),
    ('await ctx.run_step(f, {}, name=f"x-{now()}")', "`now()`"),
    ('x = "a"\nx = x + str(time.time())\nawait ctx.step.do(x, f)', "`x` (from `time.time()`)"),
    ('await ctx.step.do(f"{await ctx.env.DB.get()}", f)', "`await ctx.env.DB.get()`"),
    ("await ctx.step.do(f(), f)", "`f()`"),
]


@pytest.mark.parametrize(("body", "culprit"), UNSTABLE_NAMES)
def test_unstable_step_names_are_reported_with_their_origin(
    make_project: Any, body: str, culprit: str
) -> None:
    messages = _lint(make_project, body, "step_name_not_literal")
    assert len(messages) == 1
    assert f"is computed from {culprit}" in messages[0]


NONDETERMINISTIC = [
    "datetime.datetime.now(datetime.UTC)",
    "now()",
    "random.Random()",
    "time.localtime()",
    "time.strftime('%Y')",
    "uuid.uuid1()",
]
DETERMINISTIC = [
    "time.sleep(0)",
    "random.Random(1).random()",
    "uuid.uuid5(uuid.NAMESPACE_DNS, 'x')",
    "time.localtime(0)",
    "time.strftime('%Y', time.gmtime(0))",
    "datetime.datetime(2026, 1, 1)",
]


@pytest.mark.parametrize("call", NONDETERMINISTIC)
def test_nondeterministic_calls_in_the_body_are_reported(make_project: Any, call: str) -> None:
    assert len(_lint(make_project, f"x = {call}", "nondeterministic_call")) == 1


@pytest.mark.parametrize(
    "call", [*DETERMINISTIC, *(f"await ctx.step.do('s', lambda: {c})" for c in NONDETERMINISTIC)]
)
def test_deterministic_calls_and_calls_inside_steps_pass(make_project: Any, call: str) -> None:
    assert _lint(make_project, f"x = {call}", "nondeterministic_call") == []


def test_starts_through_every_shape(make_project: Any) -> None:
    api = """\
        from typing import Any

        import lunora_workflow as lw


        class Handler:
            def __init__(self, ctx: Any) -> None:
                self.ctx = ctx

            async def go(self, context: Any) -> None:
                await self.ctx.workflows.get("nope_a").create()
                await context.workflows.get("nope_b").create()
                await lw.branch("nope_c", {})
                await self.ctx.workflows.get("flow").create()
        """
    messages = _lint(
        make_project,
        'await ctx.step.do("a", f)',
        "workflow_unknown_target",
        {"lunora/api.py": textwrap.dedent(api)},
    )
    assert [m.split('"')[1] for m in messages] == ["nope_a", "nope_b", "nope_c"]


def test_if_else_branches_are_not_duplicates_but_try_except_are(make_project: Any) -> None:
    body = """\
        if ctx.params.get("a"):
            await ctx.step.do("x", f)
        elif ctx.params.get("b"):
            await ctx.step.do("x", f)
        else:
            await ctx.step.do("x", f)
        try:
            await ctx.step.do("y", f)
        except Exception:
            await ctx.step.do("y", f)
        """
    messages = _lint(make_project, body, "duplicate_step_name")
    assert len(messages) == 1
    assert messages[0].startswith('step name "y" is used again')


def test_a_lunora_ignore_comment_silences_the_named_codes_on_its_line(make_project: Any) -> None:
    body = """\
        x = time.time()  # lunora: ignore[nondeterministic_call]
        y = time.time()  # lunora: ignore
        z = time.time()  # lunora: ignore[step_in_step]
        """
    findings = _findings(make_project, body, "nondeterministic_call")
    first_body_line = HEADER.count("\n") + 1
    assert [d.line for d in findings] == [first_body_line + 2]


def test_an_unawaited_ctx_run_is_reported_in_the_body_and_in_callbacks(make_project: Any) -> None:
    body = """\
        ctx.run(f, {})
        async def notify() -> None:
            ctx.run(f, {"again": True})
        await ctx.step.do("notify", notify)
        await ctx.step.do("send", lambda: ctx.run(f, {}))
        await ctx.run(f, {})
        """
    messages = _lint(make_project, body, "unawaited_step")
    assert len(messages) == 2
    prefix = '`ctx.run(...)` in workflow "flow" is never awaited'
    assert all(m.startswith(prefix) for m in messages)


def test_starts_by_definition_count_and_are_not_dynamic(make_project: Any) -> None:
    workflows = (
        HEADER
        + textwrap.indent(
            "await ctx.spawn(second, {})\nawait ctx.parallel([lw.branch(workflow=third)])", "    "
        )
        + textwrap.dedent(
            """

        @define_workflow
        async def second(ctx: WorkflowContext[Any]) -> None:
            pass


        @define_workflow
        async def third(ctx: WorkflowContext[Any]) -> None:
            pass


        @define_workflow
        async def fourth(ctx: WorkflowContext[Any]) -> None:
            pass
        """
        )
    )
    api = """\
        from typing import Any

        from lunora_workflow import branch

        from . import workflows as defs


        def fan(ctx: Any) -> Any:
            return ctx.parallel([branch(defs.flow, {})])
        """
    root = make_project(
        {
            "lunora/__init__.py": "",
            "lunora/workflows.py": workflows,
            "lunora/api.py": textwrap.dedent(api),
        }
    )
    project = load_project(root)
    findings = run_lints(project, generate(project).model)
    assert [(d.code, d.message.split('"')[1]) for d in findings] == [("workflow_unused", "fourth")]
