"""Costs inside real Pyodide 0.28.2 with the real workers-runtime-sdk (what Python Workers run).

Drives ``node tests/pyodide/harness.mjs --bench`` (setup: ``sh tests/pyodide/setup.sh``) and
prints: the import time of the SDK, of ``lunora_workflow``, of ``lunora_workflow.entrypoint``
and of the example app's generated module (each on top of the previous ones, first import in a
fresh interpreter, .py compiled on the fly), and the per-step cost of ``ctx.step.do`` against
the SDK's bare ``step.do`` decorator, both run by the same JS engine (median of N rounds of M
sequential steps; engine and JS<->Python crossings are in both numbers, so the ratio is the
runtime's overhead on a realistic step).

    .venv/bin/python benchmarks/pyodide.py [steps] [runs]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_once(steps: int) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        sys.exit("benchmarks/pyodide.py: Node.js >= 20 is required (apt-get install nodejs npm)")
    proc = subprocess.run(
        [node, str(ROOT / "tests" / "pyodide" / "harness.mjs"), "--bench", "--steps", str(steps)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode == 2:
        sys.exit("benchmarks/pyodide.py: run `sh tests/pyodide/setup.sh` first")
    if proc.returncode != 0:
        sys.exit(f"harness failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    results = [run_once(steps) for _ in range(runs)]
    first = results[0]
    print(f"Pyodide {first['pyodide']}, workers-runtime-sdk {first['sdk']}, {runs} process(es)")
    print(
        f"boot (load Pyodide + install SDK/runtime/app): min {min(r['bootMs'] for r in results)} ms"
    )
    print("first import, ms (min over processes; each on top of the rows above):")
    for key in first["importMs"]:
        print(f"  {key:28s} {min(r['importMs'][key] for r in results):8.1f}")
    bare = min(r["perStepUs"]["sdkBareStepDo"] for r in results)
    ours = min(r["perStepUs"]["ctxStepDo"] for r in results)
    print(f"per step, {steps} sequential steps, median of {first['rounds']} rounds, best process:")
    print(f"  SDK bare step.do             {bare:8d} us")
    print(f"  lunora ctx.step.do           {ours:8d} us")
    print(f"  ratio ctx.step.do / step.do  {ours / bare:8.2f}")


if __name__ == "__main__":
    main()
