"""Benchmark the lints: ``lunora check`` (all lints) and the gate ``lunora codegen`` runs.

A synthetic project holds N workflows (N = 10, 100, 1000) in ``lunora/workflows.py``, each with
a handful of steps (literal names, an f-string over a loop index, a ``ctx.run_step``), N/10
reusable steps in ``lunora/steps.py`` and an ``api.py`` that starts every workflow. Printed per N
(best of ``--repeat`` runs, wall time, in process):

- ``parse floor``: ``libcst.parse_module`` of the three files (the lints parse each once);
- ``codegen``: the pipeline without the gate (``run(..., check=True, lint=False)``);
- ``gate``: the error-level lints codegen runs before writing (``codegen_gate``) on a fresh
  parse cache, so it parses every file it reads itself;
- ``gate shared``: the gate on the cache a codegen run just filled (what ``lunora codegen``
  does: workflows.py and steps.py are not parsed again);
- ``gate warm``: the gate again with nothing changed (``lunora dev`` between saves; a CLI
  rerun gets the same per-file results from the on-disk cache);
- ``check``: everything ``lunora check`` does (codegen's model + every lint).

Usage: ``python benchmarks/lints.py [--sizes 10,100,1000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst

from lunora_codegen.extract import ParseCache
from lunora_codegen.lints import check_project, codegen_gate
from lunora_codegen.pipeline import generate, run
from lunora_codegen.project import load_project


def _project(root: Path, workflows: int) -> None:
    package = root / "lunora"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    (package / "__init__.py").write_text("")
    steps = max(1, workflows // 10)
    step_lines = [
        "from typing import Any\n",
        "from lunora_workflow import StepContext, define_step\n",
    ]
    for index in range(steps):
        step_lines.append(
            f"\n\n@define_step\nasync def step_{index}(ctx: StepContext, args: Any) -> Any:\n"
            f"    return {{'n': {index}}}\n"
        )
    (package / "steps.py").write_text("".join(step_lines))
    lines = [
        "import time\nfrom typing import Any\n\n",
        "from lunora_workflow import WorkflowContext, define_workflow\n\n",
        f"from .steps import {', '.join(f'step_{i}' for i in range(steps))}\n",
    ]
    for index in range(workflows):
        lines.append(
            f"\n\n@define_workflow\nasync def flow_{index}(ctx: WorkflowContext[Any]) -> Any:\n"
            '    first = await ctx.step.do("load", lambda: time.time())\n'
            '    for i in range(len(ctx.params["items"])):\n'
            '        await ctx.step.do(f"item-{i}", lambda: i)\n'
            f"    await ctx.run_step(step_{index % steps}, first)\n"
            '    await ctx.step.sleep("settle", "1 minute")\n'
            '    return await ctx.step.do("done", lambda: first)\n'
        )
    (package / "workflows.py").write_text("".join(lines))
    api = ["from typing import Any\n\nfrom ._generated.workflows import workflows\n\n\n"]
    api.append("async def start_all(env: Any) -> None:\n")
    api.extend(f'    await workflows(env).get("flow_{i}").create()\n' for i in range(workflows))
    (package / "api.py").write_text("".join(api))


def _best(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    print(
        f"{'workflows':>9} {'parse floor':>12} {'codegen':>9} {'gate':>9} {'gate shared':>12} "
        f"{'gate warm':>10} {'check':>9}  findings"
    )
    for size in (int(s) for s in options.sizes.split(",")):
        _measure(size, options.repeat)


def _measure(size: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _project(root, size)
        project = load_project(root)
        names = ("workflows.py", "steps.py", "api.py")
        sources = [(root / "lunora" / name).read_text() for name in names]
        model = generate(project).model
        floor = _best(repeat, lambda: [libcst.parse_module(s) for s in sources])
        codegen = _best(repeat, lambda: run(project, check=True, lint=False))
        gate = _best(repeat, lambda: codegen_gate(project, model))

        def shared() -> None:
            cache = ParseCache()
            run(project, check=True, lint=False, cache=cache)
            started = time.perf_counter()
            codegen_gate(project, model, cache)
            shared_times.append(time.perf_counter() - started)

        shared_times: list[float] = []
        _best(repeat, shared)
        warm_cache = ParseCache()
        run(project, check=True, cache=warm_cache)
        warm = _best(repeat, lambda: codegen_gate(project, model, warm_cache))
        findings: list[object] = []
        check = _best(repeat, lambda: findings.extend(check_project(project)))
        print(
            f"{size:>9} {floor * 1000:>10.0f}ms {codegen * 1000:>7.0f}ms "
            f"{gate * 1000:>7.0f}ms {min(shared_times) * 1000:>10.0f}ms {warm * 1000:>8.1f}ms "
            f"{check * 1000:>7.0f}ms  {len(findings) // repeat}"
        )


if __name__ == "__main__":
    main()
