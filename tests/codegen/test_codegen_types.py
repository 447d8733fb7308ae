"""How Params/Output annotations are spelled in the generated module (unit level)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lunora_codegen.extract import ImportSpec, extract_source
from lunora_codegen.model import build_model
from lunora_codegen.render import detect_line_length, render

HEAD = (
    "from __future__ import annotations\n\n"
    "from lunora_workflow import WorkflowContext, define_workflow\n"
)


def _params(prelude: str, annotation: str) -> tuple[str, tuple[ImportSpec, ...]]:
    source = (
        HEAD
        + prelude
        + f"\n\n@define_workflow\nasync def flow(ctx: WorkflowContext[{annotation}]) -> None:\n"
        "    return None\n"
    )
    facts = extract_source(Path("workflows.py"), source, "workflow")
    assert facts.diagnostics == ()
    (workflow,) = facts.workflows
    return workflow.params.text, workflow.params.imports


@pytest.mark.parametrize(
    ("prelude", "annotation", "text", "imports"),
    [
        ("class P: ...", "P", "_workflows.P", ()),
        ("type P = dict[str, int]", "P", "_workflows.P", ()),
        ("P = dict[str, int]", "list[P]", "list[_workflows.P]", ()),
        ("", "dict[str, object]", "dict[str, object]", ()),
        ("import typing", "typing.Optional[int]", "int | None", ()),
        ("from typing import Union", "Union[int, str, None]", "int | str | None", ()),
        ("from typing import Literal", "Literal[\"a\", 'b']", 'Literal["a", "b"]', ()),
        ("from .models import P", "P", "P", (ImportSpec("..models", "P"),)),
        ("from ..shared import P", "P", "P", (ImportSpec("...shared", "P"),)),
        ("from pkg.mod import P as Q", "Q", "Q", (ImportSpec("pkg.mod", "P", "Q"),)),
        ("import pkg.mod", "pkg.mod.P", "pkg.mod.P", (ImportSpec("pkg.mod", None),)),
        ("import pkg.mod as m", "m.P", "m.P", (ImportSpec("pkg.mod", None, "m"),)),
        ("from .models import *", "P", "Any", ()),
        ("", "Undefined", "Any", ()),
        ("", "dict[str, int](1)", "Any", ()),
        ("", "str", "str", ()),
        ("str = int", "str", "_workflows.str", ()),
        ("class P: ...", '"P"', "_workflows.P", ()),
        # a forward reference nested in a subscript names the type, like a bare one
        ("class P: ...", 'list["P"]', "list[_workflows.P]", ()),
        ("class P: ...", "dict[str, 'P | None']", "dict[str, _workflows.P | None]", ()),
        ("from .models import P", "\"list['P']\"", "list[P]", (ImportSpec("..models", "P"),)),
        ("", 'list["Nope"]', "Any", ()),
        ("", "list[\"'P'\"]", "Any", ()),
        # ... but the strings of Literal[...] and Annotated's metadata are values
        ("from typing import Literal", 'list[Literal["P"]]', 'list[Literal["P"]]', ()),
        (
            "from typing import Annotated\nclass P: ...",
            'Annotated["P", "P"]',
            'Annotated[_workflows.P, "P"]',
            (ImportSpec("typing", "Annotated"),),
        ),
        ("if TYPE_CHECKING:\n    from .models import P", "P", "P", (ImportSpec("..models", "P"),)),
    ],
)
def test_type_spelling(
    prelude: str, annotation: str, text: str, imports: tuple[ImportSpec, ...]
) -> None:
    assert _params(prelude, annotation) == (text, imports)


def test_type_shadowed_by_a_generated_name_falls_back_to_any() -> None:
    source = (
        HEAD + "from .models import Workflows\n\n\n@define_workflow\n"
        "async def flow(ctx: WorkflowContext[Workflows]) -> int:\n    return 1\n"
    )
    facts = extract_source(Path("lunora/workflows.py"), source, "workflow")
    files = render(build_model("lunora", facts, None))
    text = files[next(p for p in files if p.name == "workflows.py")]
    assert "WorkflowHandle[Any, int]" in text
    assert "from ..models import Workflows" not in text


def test_line_length_comes_from_the_nearest_config(tmp_path: Path) -> None:
    package = tmp_path / "app" / "src" / "lunora"
    package.mkdir(parents=True)
    assert detect_line_length(package) == 88
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    assert detect_line_length(package) == 120
    (tmp_path / "app" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert detect_line_length(package) == 120  # no [tool.ruff] here: ruff looks further up
    (tmp_path / "app" / "pyproject.toml").write_text("[tool.lunora]\nline-length = 99\n")
    assert detect_line_length(package) == 99
    (tmp_path / "app" / "src" / "ruff.toml").write_text("line-length = 79\n")
    assert detect_line_length(package) == 79


def test_a_nested_forward_reference_in_params_and_output_type_checks(tmp_path: Path) -> None:
    """``WorkflowContext[list["P"]] -> dict[str, "O"]`` was copied into the generated module
    as ``WorkflowHandle[list["P"], dict[str, "O"]]``, and mypy reported ``Name "P" is not
    defined`` there."""
    source = (
        HEAD + "from typing import TypedDict\n\n\nclass P(TypedDict):\n    n: int\n\n\n"
        "class O(TypedDict):\n    n: int\n\n\n@define_workflow\n"
        'async def flow(ctx: WorkflowContext[list["P"]]) -> dict[str, "O"]:\n'
        "    return {}\n"
    )
    facts = extract_source(Path("lunora/workflows.py"), source, "workflow")
    files = render(build_model("lunora", facts, None))
    text = files[next(p for p in files if p.name == "workflows.py")]
    assert "WorkflowHandle[list[_workflows.P], dict[str, _workflows.O]]" in text
    assert '"P"' not in text
    assert '"O"' not in text
