"""wrangler.jsonc goldens: ``fixtures/wrangler/jsonc/<case>.jsonc`` -> ``<case>.expected.jsonc``.

Reconciled with the chat-app's two workflows; ``prune.jsonc`` with ``prune=True``. The output
must equal the golden byte for byte and be a fixed point. Regenerate after an intended change
with ``LUNORA_UPDATE_GOLDENS=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lunora_codegen.wrangler import WorkflowBinding, reconcile_text

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "wrangler" / "jsonc"
DESIRED = [
    WorkflowBinding("WORKFLOW_CHANNEL_WELCOME", "ChannelWelcomeWorkflow", "channel-welcome"),
    WorkflowBinding("WORKFLOW_ORDER_PIPELINE", "OrderPipelineWorkflow", "order-pipeline"),
]
INPUTS = sorted(p for p in CASES.glob("*.jsonc") if not p.name.endswith(".expected.jsonc"))


@pytest.mark.parametrize("source", INPUTS, ids=[p.stem for p in INPUTS])
def test_jsonc_golden(source: Path) -> None:
    text = source.read_bytes().decode("utf-8")
    prune = source.stem == "prune"
    result = reconcile_text(text, Path("wrangler.jsonc"), DESIRED, prune=prune)
    output = result.new_text if result.new_text is not None else text
    golden = source.with_name(f"{source.stem}.expected.jsonc")
    if os.environ.get("LUNORA_UPDATE_GOLDENS"):
        golden.write_bytes(output.encode("utf-8"))
    assert output == golden.read_bytes().decode("utf-8")
    assert reconcile_text(output, Path("wrangler.jsonc"), DESIRED, prune=prune).new_text is None
