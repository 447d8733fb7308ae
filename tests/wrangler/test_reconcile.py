# ruff: noqa: E501  (config texts and messages read best unsplit)
"""Ownership, stale entries, environments, change lines and writing, on small documents."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import json5
import pytest

from lunora_codegen.diagnostics import Severity
from lunora_codegen.wrangler import (
    ConfigChangedError,
    WorkflowBinding,
    generated_classes,
    reconcile,
    reconcile_text,
    write_config,
)

WELCOME = WorkflowBinding("WORKFLOW_CHANNEL_WELCOME", "ChannelWelcomeWorkflow", "channel-welcome")
ORDERS = WorkflowBinding("WORKFLOW_ORDER_PIPELINE", "OrderPipelineWorkflow", "order-pipeline")
JSONC = Path("wrangler.jsonc")


def test_owned_entry_is_updated_in_place_and_keeps_user_fields() -> None:
    text = '{"workflows": [{"name": "old", "limits": {"steps": 9}, "class_name": "ChannelWelcomeWorkflow", "binding": "OLD"}]}'
    result = reconcile_text(text, JSONC, [WELCOME])
    assert result.new_text == (
        '{"workflows": [{"name": "channel-welcome", "limits": {"steps": 9}, "class_name":'
        ' "ChannelWelcomeWorkflow", "binding": "WORKFLOW_CHANNEL_WELCOME"}]}'
    )
    assert result.changes == (
        "workflows: ChannelWelcomeWorkflow: binding 'OLD' -> 'WORKFLOW_CHANNEL_WELCOME'",
        "workflows: ChannelWelcomeWorkflow: name 'old' -> 'channel-welcome'",
    )
    # only the two value tokens were spliced
    assert [text[e.start : e.end] for e in result.edits] == ['"old"', '"OLD"']


def test_missing_fields_of_an_owned_entry_are_inserted() -> None:
    text = '{\n  "workflows": [\n    {\n      "class_name": "ChannelWelcomeWorkflow" // mine\n    }\n  ]\n}\n'
    result = reconcile_text(text, JSONC, [WELCOME])
    assert result.new_text == (
        '{\n  "workflows": [\n    {\n      "class_name": "ChannelWelcomeWorkflow", // mine\n'
        '      "binding": "WORKFLOW_CHANNEL_WELCOME",\n      "name": "channel-welcome"\n    }\n  ]\n}\n'
    )


def test_entries_we_do_not_own_are_never_touched() -> None:
    text = (
        '{"workflows": [\n'
        ' {"binding": "X", "class_name": "ChannelWelcomeWorkflow", "name": "x", "script_name": "other"},\n'
        ' {"binding": "Y", "class_name": "Mine", "name": "y"}\n'
        "]}"
    )
    result = reconcile_text(text, JSONC, [WELCOME])
    assert result.new_text is not None
    assert result.new_text.startswith(text[: text.index("\n]}")])
    assert json5.loads(result.new_text)["workflows"][2] == {
        "binding": "WORKFLOW_CHANNEL_WELCOME",
        "class_name": "ChannelWelcomeWorkflow",
        "name": "channel-welcome",
    }
    assert not result.stale


def test_appends_follow_the_given_order() -> None:
    result = reconcile_text("{}", JSONC, [ORDERS, WELCOME])
    assert result.new_text is not None
    assert [e["class_name"] for e in json5.loads(result.new_text)["workflows"]] == [
        "OrderPipelineWorkflow",
        "ChannelWelcomeWorkflow",
    ]


def test_decoys_in_strings_and_comments_are_ignored() -> None:
    text = (
        '{\n\t"note": "\\"workflows\\": [ // not a key",\n'
        '\t/* "workflows": [{"class_name": "ChannelWelcomeWorkflow"}] */\n'
        '\t"url": "http://example.com/*not*/",\n}\n'
    )
    result = reconcile_text(text, JSONC, [WELCOME])
    assert result.new_text is not None
    assert result.new_text.startswith(text[: text.rindex("}")])
    assert json5.loads(result.new_text)["workflows"][0]["binding"] == "WORKFLOW_CHANNEL_WELCOME"


def test_stale_entries_are_reported_and_pruned_only_on_request() -> None:
    text = '{"workflows": [{"binding": "WORKFLOW_OLD_SIGNUP", "class_name": "OldSignupWorkflow", "name": "old-signup"}]}'
    kept = reconcile_text(text, JSONC, [])
    assert kept.new_text is None
    [stale] = kept.stale
    assert (stale.class_name, stale.binding, stale.removed, stale.line, stale.column) == (
        "OldSignupWorkflow",
        "WORKFLOW_OLD_SIGNUP",
        False,
        1,
        16,
    )
    [warning] = kept.warnings
    assert warning.code == "LW107"
    assert warning.severity is Severity.WARNING
    pruned = reconcile_text(text, JSONC, [], prune=True)
    assert pruned.new_text == '{"workflows": []}'
    assert pruned.stale[0].removed
    assert pruned.changes == (
        "workflows: removed stale OldSignupWorkflow (binding 'WORKFLOW_OLD_SIGNUP')",
    )


def test_hand_wired_entries_are_not_stale_unless_lunora_generated_them() -> None:
    text = '{"workflows": [{"binding": "SIGNUP", "class_name": "SignupFlow", "name": "signup"}]}'
    assert not reconcile_text(text, JSONC, [], prune=True).stale
    # ...but a class the previous generated module declared is ours even with another binding
    pruned = reconcile_text(text, JSONC, [], prune=True, previous_classes={"SignupFlow"})
    assert pruned.new_text == '{"workflows": []}'


def test_generated_classes_reads_only_generated_modules(tmp_path: Path) -> None:
    module = tmp_path / "workflows.py"
    module.write_text(
        "# Code generated by lunora codegen. DO NOT EDIT.\n# @generated\n"
        "from lunora_workflow.entrypoint import WorkflowEntrypoint\n"
        "class AWorkflow(WorkflowEntrypoint):\n    pass\n"
        "class Workflows:\n    pass\n",
        encoding="utf-8",
    )
    assert generated_classes(module) == {"AWorkflow"}
    module.write_text("class BWorkflow(WorkflowEntrypoint):\n    pass\n", encoding="utf-8")
    assert generated_classes(module) == frozenset()
    assert generated_classes(tmp_path / "missing.py") == frozenset()


def test_environments_with_a_workflows_key_are_reconciled_with_their_own_names() -> None:
    text = (
        '{"workflows": [], "env": {\n'
        '  "staging": {"workflows": [{"binding": "OLD", "class_name": "ChannelWelcomeWorkflow", "name": "welcome-stg"}]},\n'
        '  "production": {"vars": {}}\n'
        "}}"
    )
    result = reconcile_text(text, JSONC, [WELCOME, ORDERS])
    assert result.new_text is not None
    data = json5.loads(result.new_text)
    assert data["env"]["staging"]["workflows"] == [
        {
            "binding": "WORKFLOW_CHANNEL_WELCOME",
            "class_name": "ChannelWelcomeWorkflow",
            "name": "welcome-stg",
        },
        {
            "binding": "WORKFLOW_ORDER_PIPELINE",
            "class_name": "OrderPipelineWorkflow",
            "name": "order-pipeline-staging",
        },
    ]
    assert "workflows" not in data["env"]["production"]
    [warning] = result.warnings
    assert warning.code == "LW110"
    assert "env.production" in warning.message
    assert (warning.line, warning.column) == (3, 3)


def test_listed_environments_get_the_key_created() -> None:
    text = '{\n\t"env": {\n\t\t"production": {\n\t\t\t"name": "prod",\n\t\t},\n\t},\n}\n'
    result = reconcile_text(text, JSONC, [WELCOME], environments=["production", "nowhere"])
    assert result.new_text == (
        '{\n\t"env": {\n\t\t"production": {\n\t\t\t"name": "prod",\n'
        '\t\t\t"workflows": [\n\t\t\t\t{\n\t\t\t\t\t"binding": "WORKFLOW_CHANNEL_WELCOME",\n'
        '\t\t\t\t\t"class_name": "ChannelWelcomeWorkflow",\n\t\t\t\t\t"name": "channel-welcome-production",\n'
        "\t\t\t\t},\n\t\t\t],\n\t\t},\n\t},\n"
        '\t"workflows": [\n\t\t{\n\t\t\t"binding": "WORKFLOW_CHANNEL_WELCOME",\n'
        '\t\t\t"class_name": "ChannelWelcomeWorkflow",\n\t\t\t"name": "channel-welcome",\n\t\t},\n\t],\n}\n'
    )
    assert [w.code for w in result.warnings] == ["LW111"]


def test_json5_syntax_is_understood() -> None:
    text = "{\n  // JSON5: unquoted keys, single quotes, hex, Infinity\n  name: 'it\\'s',\n  n: 0x1F, x: +Infinity, 'w\\'q': .5,\n  workflows: [{class_name: 'ChannelWelcomeWorkflow', binding: 'OLD', name: 'channel-welcome'}],\n}\n"
    result = reconcile_text(text, JSONC, [WELCOME])
    assert result.new_text == text.replace("'OLD'", '"WORKFLOW_CHANNEL_WELCOME"')


def test_environment_names_that_break_workflow_name_rules_are_flagged() -> None:
    text = '{"env": {"dev box": {"workflows": []}}}'
    result = reconcile_text(text, JSONC, [WELCOME])
    assert [w.code for w in result.warnings] == ["LW112"]
    assert "channel-welcome-dev box" in result.warnings[0].message


def test_nothing_desired_and_nothing_there_changes_nothing() -> None:
    assert reconcile_text("{} // x\n", JSONC, []).new_text is None


def test_desired_must_be_unique() -> None:
    with pytest.raises(ValueError, match="binding"):
        reconcile_text("{}", JSONC, [WELCOME, WorkflowBinding(WELCOME.binding, "Other", "other")])


def test_write_is_atomic_idempotent_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "wrangler.jsonc"
    path.write_bytes(b"\xef\xbb\xbf{\r\n\t// hi\r\n}\r\n")
    path.chmod(0o640)
    result = reconcile(path, [WELCOME])
    assert result.diff().startswith("--- a/wrangler.jsonc\n+++ b/wrangler.jsonc\n")
    assert write_config(result)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf{\r\n\t// hi\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["wrangler.jsonc"]
    mtime = path.stat().st_mtime_ns
    second = reconcile(path, [WELCOME])
    assert second.new_text is None
    assert second.diff() == ""
    assert not write_config(second)
    assert path.stat().st_mtime_ns == mtime


def test_write_refuses_when_the_file_changed_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "wrangler.jsonc"
    path.write_text("{}", encoding="utf-8")
    result = reconcile(path, [WELCOME])
    path.write_text('{"name": "edited"}', encoding="utf-8")
    with pytest.raises(ConfigChangedError):
        write_config(result)
    assert path.read_text(encoding="utf-8") == '{"name": "edited"}'


def test_toml_reconcile_via_file(tmp_path: Path) -> None:
    path = tmp_path / "wrangler.toml"
    path.write_text('name = "x" # keep\n', encoding="utf-8")
    result = reconcile(path, [WELCOME])
    assert write_config(result)
    assert path.read_text(encoding="utf-8") == (
        'name = "x" # keep\n\n[[workflows]]\nbinding = "WORKFLOW_CHANNEL_WELCOME"\n'
        'class_name = "ChannelWelcomeWorkflow"\nname = "channel-welcome"\n'
    )
    assert reconcile(path, [WELCOME]).new_text is None
