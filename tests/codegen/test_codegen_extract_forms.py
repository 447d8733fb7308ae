"""Declaration forms the golden fixtures do not cover: a star import of the runtime, and what
a nested declaration is (and is not) reported for."""

from __future__ import annotations

from pathlib import Path

from lunora_codegen.extract import extract_source

STAR = (
    "from lunora_workflow import *\n\n\n"
    "@define_workflow(name='hello')\n"
    "async def welcome(ctx: WorkflowContext[int]) -> str:\n    return 'hi'\n"
)


def test_star_import_of_the_runtime_is_recognised() -> None:
    facts = extract_source(Path("workflows.py"), STAR, "workflow")
    assert facts.diagnostics == ()
    [workflow] = facts.workflows
    assert (workflow.export, workflow.name_override) == ("welcome", "hello")
    assert (workflow.params.text, workflow.output.text) == ("int", "str")


def test_star_import_of_another_module_binds_nothing() -> None:
    source = STAR.replace("lunora_workflow", "somewhere_else")
    facts = extract_source(Path("workflows.py"), source, "workflow")
    assert facts.workflows == ()


def test_nested_steps_and_function_bodies_are_not_reported() -> None:
    steps = (
        "from lunora_workflow import StepContext, define_step\n\n\n"
        "if True:\n\n    @define_step\n    async def s(ctx: StepContext, args: int) -> int:\n"
        "        return args\n"
    )
    assert extract_source(Path("steps.py"), steps, "step").diagnostics == ()
    factory = (
        "from lunora_workflow import WorkflowContext, define_workflow\n\n\n"
        "def make() -> object:\n    if True:\n\n        @define_workflow\n"
        "        async def inner(ctx: WorkflowContext[int]) -> int:\n            return 1\n\n"
        "    return inner\n"
    )
    assert extract_source(Path("workflows.py"), factory, "workflow").diagnostics == ()
