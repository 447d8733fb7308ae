# ruff: noqa: E501  (config texts and messages read best unsplit)
"""Every reconciled document also parses with ``jsonc-parser``, the parser wrangler uses.

A batch of generated documents is reconciled in Python, then checked by ONE ``node`` process
(starting node per document would dominate the run time). Like wrangler's
``removeBOMAndValidate``, the harness drops a UTF-8 BOM before parsing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from lunora_codegen.wrangler import reconcile_text

from .jsonc_gen import GeneratedDoc, documents, expected_data

ROOT = Path(__file__).resolve().parents[2]
PARSER = ROOT / ".cache" / "node" / "node_modules" / "jsonc-parser"
BATCH = int(os.environ.get("LUNORA_WRANGLER_NODE_EXAMPLES", "200"))

HARNESS = r"""
const jsonc = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const canon = (v) => Array.isArray(v) ? v.map(canon)
  : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon(v[k])]))
  : v;
const failures = [];
cases.forEach((c, i) => {
  const text = c.text.charCodeAt(0) === 0xfeff ? c.text.slice(1) : c.text;
  const errors = [];
  const value = jsonc.parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) failures.push({ i, errors: errors.map(e => jsonc.printParseErrorCode(e.error) + "@" + e.offset) });
  else if (JSON.stringify(canon(value)) !== JSON.stringify(canon(c.expected))) failures.push({ i, value });
});
process.stdout.write(JSON.stringify({ checked: cases.length, failures }));
"""


@pytest.fixture(scope="module")
def jsonc_parser() -> Path:
    if shutil.which("node") is None:
        pytest.fail(
            "node is needed to check output with wrangler's jsonc-parser: install Node 20 and npm"
        )
    if not (PARSER / "package.json").is_file():
        subprocess.run(
            ["sh", str(Path(__file__).with_name("setup_node.sh"))], check=True, timeout=300
        )
    return PARSER


@pytest.mark.slow
def test_reconciled_documents_parse_with_wranglers_jsonc_parser(jsonc_parser: Path) -> None:
    cases: list[dict[str, Any]] = []

    @settings(
        max_examples=BATCH,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(doc=documents())
    def collect(doc: GeneratedDoc) -> None:
        result = reconcile_text(
            doc.text,
            Path("wrangler.jsonc"),
            doc.desired,
            prune=doc.prune,
            environments=doc.environments,
        )
        text = result.new_text if result.new_text is not None else doc.text
        cases.append({"text": text, "expected": expected_data(doc)})

    collect()
    assert len(cases) >= BATCH // 2
    run = subprocess.run(
        ["node", "-e", HARNESS, str(jsonc_parser)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report = json.loads(run.stdout)
    assert report["checked"] == len(cases)
    failures = report["failures"]
    assert not failures, [(cases[f["i"]]["text"], f) for f in failures[:3]]


def test_harness_rejects_what_jsonc_parser_rejects(jsonc_parser: Path) -> None:
    # The harness must be able to fail: a missing comma is an error for jsonc-parser.
    cases = [{"text": '{"a": 1 "b": 2}', "expected": {"a": 1, "b": 2}}]
    run = subprocess.run(
        ["node", "-e", HARNESS, str(jsonc_parser)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(run.stdout)["failures"]
