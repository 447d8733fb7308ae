# ruff: noqa: E501  (config texts and messages read best unsplit)
"""Bad configs: a diagnostic naming file, line and column, and the file left untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from lunora_codegen.diagnostics import UserCodeError
from lunora_codegen.wrangler import WorkflowBinding, reconcile, reconcile_text

WELCOME = WorkflowBinding("WORKFLOW_CHANNEL_WELCOME", "ChannelWelcomeWorkflow", "channel-welcome")


def _fails(tmp_path: Path, name: str, text: str) -> list[str]:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    before = path.read_bytes()
    with pytest.raises(UserCodeError) as caught:
        reconcile(path, [WELCOME])
    assert path.read_bytes() == before
    assert caught.value.exit_code == 1
    return [d.format(relative_to=tmp_path) for d in caught.value.diagnostics]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{\n  "name": "x",\n}\n}\n',
            'wrangler.jsonc:4:1: error LW001: cannot parse wrangler.jsonc: Unexpected "}"',
        ),
        (
            '{\r\n\t"name": "x"\r\n\t"main": "a.py",\r\n}\r\n',
            'wrangler.jsonc:3:2: error LW001: cannot parse wrangler.jsonc: Unexpected """',
        ),
        (
            '{\n  "a": [1,\n',
            "wrangler.jsonc:3:1: error LW001: cannot parse wrangler.jsonc: Unexpected end of input",
        ),
        (
            "",
            "wrangler.jsonc:1:1: error LW001: cannot parse wrangler.jsonc: Empty strings are not legal JSON5",
        ),
    ],
)
def test_unparsable_jsonc(tmp_path: Path, text: str, expected: str) -> None:
    assert _fails(tmp_path, "wrangler.jsonc", text) == [expected]


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    assert _fails(tmp_path, "wrangler.json", "[1, 2]") == [
        "wrangler.json:1:1: error LW007: wrangler.json must hold an object at the top level"
    ]


def test_workflows_not_an_array(tmp_path: Path) -> None:
    text = '{\n\t"name": "x",\n\t"workflows": {"binding": "A"},\n}\n'
    assert _fails(tmp_path, "wrangler.jsonc", text) == [
        "wrangler.jsonc:3:15: error LW002: workflows must be an array, got an object"
    ]


def test_env_workflows_not_an_array(tmp_path: Path) -> None:
    text = '{\n  "env": {\n    "staging": {\n      "workflows": "nope"\n    }\n  }\n}\n'
    assert _fails(tmp_path, "wrangler.jsonc", text) == [
        "wrangler.jsonc:4:20: error LW002: env.staging.workflows must be an array, got a string"
    ]


def test_entry_not_an_object(tmp_path: Path) -> None:
    text = '{\n  "workflows": [\n    {"binding": "A", "class_name": "AWorkflow", "name": "a"},\n    "B",\n  ],\n}\n'
    assert _fails(tmp_path, "wrangler.jsonc", text) == [
        "wrangler.jsonc:4:5: error LW003: workflows[1] must be an object, got a string"
    ]


def test_duplicate_bindings(tmp_path: Path) -> None:
    text = (
        "{\n"
        '  "workflows": [\n'
        '    {"binding": "SAME", "class_name": "A", "name": "a"},\n'
        "    // a comment\n"
        '    {"binding": "SAME", "class_name": "B", "name": "b"},\n'
        "  ],\n"
        "}\n"
    )
    assert _fails(tmp_path, "wrangler.jsonc", text) == [
        "wrangler.jsonc:5:17: error LW004: duplicate binding 'SAME' in workflows (also workflows[0])"
    ]


def test_duplicate_names(tmp_path: Path) -> None:
    text = '{"workflows": [{"binding": "A", "class_name": "A", "name": "n"}, {"binding": "B", "class_name": "B", "name": "n"}]}'
    [message] = _fails(tmp_path, "wrangler.jsonc", text)
    column = text.rindex('"n"') + 1
    assert message == (
        f"wrangler.jsonc:1:{column}: error LW005: duplicate workflow name 'n' in workflows"
        " (also workflows[0]); wrangler rejects it"
    )


def test_binding_taken_by_an_entry_we_do_not_own(tmp_path: Path) -> None:
    text = '{\n  "workflows": [\n    {"binding": "WORKFLOW_CHANNEL_WELCOME", "class_name": "Mine", "name": "mine"}\n  ]\n}\n'
    assert _fails(tmp_path, "wrangler.jsonc", text) == [
        "wrangler.jsonc:3:17: error LW004: binding 'WORKFLOW_CHANNEL_WELCOME' in workflows[0] belongs to an"
        " entry lunora does not own, but lunora needs it for class 'ChannelWelcomeWorkflow'; rename one of them"
    ]


def test_class_bound_twice(tmp_path: Path) -> None:
    text = (
        '{"workflows": [\n'
        '{"binding": "A", "class_name": "ChannelWelcomeWorkflow", "name": "a"},\n'
        '{"binding": "B", "class_name": "ChannelWelcomeWorkflow", "name": "b"}\n'
        "]}"
    )
    [message] = _fails(tmp_path, "wrangler.jsonc", text)
    assert message.startswith(
        "wrangler.jsonc:3:32: error LW008: class 'ChannelWelcomeWorkflow' is bound twice in workflows"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = '{"workflows": [1, {"binding": "X", "class_name": "A", "name": "a"}, {"binding": "X", "class_name": "B", "name": "b"}]}'
    codes = [m.split(": ")[1] for m in _fails(tmp_path, "wrangler.jsonc", text)]
    assert codes == ["error LW003", "error LW004"]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "wrangler.jsonc"
    path.write_bytes(b'{\n  "name": "caf\xe9"\n}\n')
    with pytest.raises(UserCodeError) as caught:
        reconcile(path, [WELCOME])
    assert [d.format(relative_to=tmp_path) for d in caught.value.diagnostics] == [
        "wrangler.jsonc:2:15: error LW001: wrangler.jsonc is not valid UTF-8"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'name = "x"\n[[workflows]\n',
            "wrangler.toml:2:13: error LW001: cannot parse wrangler.toml: Unexpected character",
        ),
        (
            'name = "x"\nworkflows = "no"\n',
            "wrangler.toml:2:1: error LW002: workflows must be an array, got a string",
        ),
        (
            '[[workflows]]\nbinding = "S"\nclass_name = "A"\nname = "a"\n\n[[workflows]]\nbinding = "S"\nclass_name = "B"\nname = "b"\n',
            "wrangler.toml:7:11: error LW004: duplicate binding 'S' in workflows (also workflows[0])",
        ),
        (
            'name = "x"\n\n[workflows]\nbinding = "S"\n',
            "wrangler.toml:3:1: error LW002: workflows must be an array, got an object",
        ),
        (
            'name = "x"\n\n[env.staging]\nname = "y"\n\n[env.staging.workflows]\nbinding = "S"\n',
            "wrangler.toml:6:1: error LW002: env.staging.workflows must be an array, got an object",
        ),
    ],
)
def test_bad_toml(tmp_path: Path, text: str, expected: str) -> None:
    [message] = _fails(tmp_path, "wrangler.toml", text)
    assert message.startswith(expected)


def test_toml_inline_env_table_is_refused_not_mangled(tmp_path: Path) -> None:
    text = 'name = "x"\nenv = { staging = { workflows = [] } }\n'
    [message] = _fails(tmp_path, "wrangler.toml", text)
    assert "LW009" in message
    assert "inline table" in message


def test_a_bom_prefixed_toml_is_not_bad_input() -> None:
    # wrangler strips the BOM (removeBOMAndValidate); lunora edits the rest and keeps it
    text = '\ufeffname = "x"\r\n'
    result = reconcile_text(text, Path("wrangler.toml"), [WELCOME])
    assert result.new_text is not None
    assert result.new_text.startswith('\ufeffname = "x"\r\n\r\n[[workflows]]\r\n')
    assert result.old_text == text
    again = reconcile_text(result.new_text, Path("wrangler.toml"), [WELCOME])
    assert again.new_text is None
