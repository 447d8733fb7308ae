"""Run the harness's runtime and example scenarios on CPython with ``lunora_workflow.testing``.

Reads the scenario list (``node tests/pyodide/harness.mjs --specs``) on stdin and prints, for
each scenario and step mode, every instance's status and output as JSON. ``test_pyodide.py``
compares this with what the same workflows did on real Pyodide with the real SDK, so every
place where the CPython test engine and the platform disagree shows up as a test failure (or
as an entry in the documented list of known differences).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from lunora_workflow.testing import WorkflowTestEnv

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [
    str(ROOT / "tests" / "pyodide" / "fixtures"),
    str(ROOT / "examples" / "chat-app" / "src"),
]


class Clock:
    """``env.CLOCK``: lets a step spend virtual time (to trip a step timeout)."""

    def __init__(self) -> None:
        self.engine: WorkflowTestEnv | None = None

    def advance(self, ms: float) -> None:
        assert self.engine is not None
        self.engine.clock.advance_to(self.engine.clock.now_ms + ms)


async def run_scenario(spec: dict[str, Any], mode: str) -> dict[str, Any]:
    clock = Clock()
    engine = WorkflowTestEnv(mode=mode, vars={"CLOCK": clock, **spec.get("vars", {})})
    clock.engine = engine
    if spec.get("specsModule"):
        engine.register_generated(importlib.import_module(spec["specsModule"]))
    else:
        module = importlib.import_module(spec["module"])
        for wf in spec["workflows"]:
            engine.register(
                getattr(module, wf["className"]), name=wf["name"], binding=wf["binding"]
            )
    for start in spec["start"]:
        await engine.create(start["workflow"], start["params"], id=start["id"])
    elapsed = 0
    for event in sorted(spec.get("events", []), key=lambda e: e["at"]):
        await engine.advance(event["at"] - elapsed)
        elapsed = event["at"]
        await engine.instance(event["id"]).send_event(event["type"], event["payload"])
    await engine.run_until_idle()
    instances = {}
    for inst in engine.instances:
        error = inst.error
        status = inst.status() if callable(inst.status) else inst.status
        instances[inst.id] = {
            "status": status,
            "output": inst.output,
            "error": None if error is None else {"name": error.name, "message": error.message},
        }
    return {"instances": instances}


async def main(out: TextIO) -> None:
    specs = json.load(sys.stdin)
    report: dict[str, dict[str, Any]] = {}
    for spec in specs:
        if spec["module"] == "sdk_workflows" or spec.get("patched") or spec.get("onSuspend"):
            continue  # SDK-only, or needs the harness's patches / cancellation
        report[spec["id"]] = {}
        for mode in ("implicit", "legacy"):
            try:
                report[spec["id"]][mode] = await run_scenario(spec, mode)
            except Exception as exc:  # reported, compared, and shown by the test
                report[spec["id"]][mode] = {"crash": f"{type(exc).__name__}: {exc}"}
    json.dump(report, out, default=repr)


if __name__ == "__main__":
    report_stream = sys.stdout
    # ctx.log writes info lines to stdout under CPython; keep stdout for the JSON report.
    with contextlib.redirect_stdout(sys.stderr):
        asyncio.run(main(report_stream))
