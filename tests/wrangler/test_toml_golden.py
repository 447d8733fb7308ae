# ruff: noqa: E501  (config texts and messages read best unsplit)
"""wrangler.toml goldens: ``fixtures/wrangler/toml/<case>.toml`` -> ``<case>.expected.toml``.

``bom.toml`` starts with a UTF-8 BOM, which wrangler ignores and lunora keeps. Each case is
reconciled with the chat-app's two workflows (``prune`` for ``prune.toml``,
``environments=["staging", "production"]`` for ``environments.toml``);
the output must equal the golden byte for byte, parse with ``tomllib``, and be a fixed point.
Regenerate after an intended change with ``LUNORA_UPDATE_GOLDENS=1`` and review the diff.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from lunora_codegen.wrangler import WorkflowBinding, reconcile_text

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "wrangler" / "toml"
DESIRED = [
    WorkflowBinding("WORKFLOW_CHANNEL_WELCOME", "ChannelWelcomeWorkflow", "channel-welcome"),
    WorkflowBinding("WORKFLOW_ORDER_PIPELINE", "OrderPipelineWorkflow", "order-pipeline"),
]
INPUTS = sorted(p for p in CASES.glob("*.toml") if not p.name.endswith(".expected.toml"))


@pytest.mark.parametrize("source", INPUTS, ids=[p.stem for p in INPUTS])
def test_toml_golden(source: Path) -> None:
    text = source.read_bytes().decode("utf-8")
    prune = source.stem == "prune"
    envs = ["staging", "production"] if source.stem == "environments" else []
    result = reconcile_text(text, Path("wrangler.toml"), DESIRED, prune=prune, environments=envs)
    output = result.new_text if result.new_text is not None else text
    golden = source.with_name(f"{source.stem}.expected.toml")
    if os.environ.get("LUNORA_UPDATE_GOLDENS"):
        golden.write_bytes(output.encode("utf-8"))
    assert output == golden.read_bytes().decode("utf-8")
    tomllib.loads(output.removeprefix("\ufeff"))  # wrangler strips a BOM; tomllib does not
    again = reconcile_text(output, Path("wrangler.toml"), DESIRED, prune=prune, environments=envs)
    assert again.new_text is None


def test_toml_comments_all_survive() -> None:
    text = (CASES / "comments.toml").read_text(encoding="utf-8")
    result = reconcile_text(text, Path("wrangler.toml"), DESIRED)
    assert result.new_text is not None
    comments = [line[line.index("#") :] for line in text.splitlines() if "#" in line]
    for comment in comments:
        assert comment in result.new_text
    assert result.changes == (
        "workflows: ChannelWelcomeWorkflow: binding 'WELCOME' -> 'WORKFLOW_CHANNEL_WELCOME'",
        "workflows: added WORKFLOW_ORDER_PIPELINE (class OrderPipelineWorkflow, name 'order-pipeline')",
        "env.staging.workflows: added WORKFLOW_ORDER_PIPELINE (class OrderPipelineWorkflow,"
        " name 'order-pipeline-staging')",
    )
    assert [w.code for w in result.warnings] == ["LW110"]  # env.production has no workflows


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_pruning_the_last_table_of_a_file_without_a_final_newline_adds_none(nl: str) -> None:
    """Found by the TOML property test: the blank line before the pruned table was left at
    the end, so the file gained a final newline it never had."""
    kept = 'name = "channel-welcome"\nbinding = "WORKFLOW_CHANNEL_WELCOME"\nclass_name = "ChannelWelcomeWorkflow"'
    stale = 'name = "old"\nbinding = "WORKFLOW_OLD"\nclass_name = "OldWorkflow"'
    text = f'name = "app"\n\n[[workflows]]\n{kept}\n\n[[workflows]]\n{stale}'.replace("\n", nl)
    result = reconcile_text(text, Path("wrangler.toml"), DESIRED[:1], prune=True)
    assert result.new_text == f'name = "app"\n\n[[workflows]]\n{kept}'.replace("\n", nl)
