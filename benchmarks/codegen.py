"""Benchmark ``lunora codegen`` against the floor of any libcst-based tool: parsing the files.

A synthetic project holds N workflows (N = 10, 100, 1000). Codegen reads exactly two files,
``lunora/workflows.py`` (every workflow: params/output dataclasses from imported modules,
a handler with a few steps) and ``lunora/steps.py`` (N/10 reusable steps); the params and
output types live in M = N/10 further ``lunora/models_*.py`` modules that workflows.py imports
but codegen never reads (it resolves names from the import statements alone). So the honest
floor is ``libcst.parse_module`` of workflows.py + steps.py, which is what is timed.

Printed per N (best of ``--repeat`` runs, wall time):

- ``parse floor``: libcst parse of the two files, nothing else;
- ``cold``: the in-process pipeline with an empty parse cache and no ``_generated/``
  (extract + model + render + compile + write);
- ``no-change``: the same pipeline again with the cache kept warm (what ``lunora dev``'s
  long-lived process does) and nothing to write;
- ``lint gate``: the error-level lints (``lunora_codegen.lints.codegen_gate``) that
  ``lunora codegen`` runs after rendering; the ``cold`` and ``no-change`` columns exclude it
  (``run(..., lint=False)``); ``gate cold`` is the gate on the trees a cold run parsed (what
  ``lunora codegen`` does; it also parses every other module of the package that can hold a
  workflow body or start), ``gate warm`` the gate again with nothing changed;
- ``cold+gate``: the whole cold ``lunora codegen`` in process (``run(...)``, gate included),
  and its ratio to the floor;
- ``cli cold`` / ``cli rerun`` (``--subprocess``): ``lunora codegen`` as a fresh process,
  interpreter start, imports and the lint gate included; cold starts without the on-disk
  cache (its ratio to the floor is printed too), the rerun finds it (``$LUNORA_CACHE_DIR``)
  and parses nothing; ``rerun imports`` lists the heavy modules (libcst, pydantic, Jinja,
  json5, tomlkit, the runtime) that rerun imported: ``-`` is the goal, since imports were
  most of a rerun's time.

Usage: ``python benchmarks/codegen.py [--sizes 10,100,1000] [--repeat 3] [--subprocess]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst

from lunora_codegen.extract import ParseCache
from lunora_codegen.lints import codegen_gate
from lunora_codegen.pipeline import run
from lunora_codegen.project import load_project

PER_MODEL_FILE = 10


def _workflow(i: int) -> str:
    return f'''

@define_workflow{'(name="flow-v' + str(i) + '")' if i % 7 == 0 else ""}
async def flow_{i:04d}(ctx: WorkflowContext[Params{i:04d}]) -> Output{i:04d}:
    """Workflow number {i}."""
    params = ctx.params
    await ctx.step.do("fetch", lambda: {{"id": params.item_id}})
    await ctx.step.sleep("pause", "1 minute")
    if params.count > 3:
        await ctx.step.do("big", lambda: {{"count": params.count}})
    ctx.log.info("done", item_id=params.item_id)
    return Output{i:04d}(item_id=params.item_id, ok=True)
'''


def _model(i: int) -> str:
    return f"""

@dataclass
class Params{i:04d}:
    item_id: str
    count: int = 0


@dataclass
class Output{i:04d}:
    item_id: str
    ok: bool
"""


def _step(i: int) -> str:
    return f'''

@define_step(name="step-{i}", retries={{"limit": 3, "delay": "1 second"}})
async def step_{i:04d}(ctx: StepContext, args: dict[str, int]) -> int:
    """Step number {i}."""
    return sum(args.values()) + {i}
'''


def build_project(root: Path, n: int) -> list[Path]:
    """Write the synthetic project; return the files codegen parses."""
    package = root / "lunora"
    package.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    (package / "__init__.py").write_text("")
    imports = []
    for first in range(0, n, PER_MODEL_FILE):
        ids = range(first, min(first + PER_MODEL_FILE, n))
        module = f"models_{first // PER_MODEL_FILE:03d}"
        body = "from __future__ import annotations\n\nfrom dataclasses import dataclass\n"
        (package / f"{module}.py").write_text(body + "".join(_model(i) for i in ids))
        names = ", ".join(f"Output{i:04d}, Params{i:04d}" for i in ids)
        imports.append(f"from .{module} import {names}  # noqa: E501")
    head = (
        '"""Synthetic workflows."""\n\nfrom __future__ import annotations\n\n'
        "from lunora_workflow import WorkflowContext, define_workflow\n\n"
        + "\n".join(imports)
        + "\n"
    )
    (package / "workflows.py").write_text(head + "".join(_workflow(i) for i in range(n)))
    steps_head = (
        '"""Synthetic steps."""\n\nfrom __future__ import annotations\n\n'
        "from lunora_workflow import StepContext, define_step\n"
    )
    steps = max(1, n // 10)
    (package / "steps.py").write_text(steps_head + "".join(_step(i) for i in range(steps)))
    return [package / "workflows.py", package / "steps.py"]


def best(
    repeat: int, action: Callable[[], object], before: Callable[[], None] | None = None
) -> tuple[float, float]:
    """The best wall time and the best CPU time of ``repeat`` runs of ``action``.

    CPU time (``time.process_time``) is printed too because on a shared machine other
    processes inflate wall time far more than this process's own CPU time.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


#: runs ``lunora codegen`` and prints the heavy modules it imported
_PROBE = """
import sys
from lunora_codegen.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    if done.code:
        raise
heavy = ("libcst", "pydantic", "jinja2", "json5", "tomlkit", "lunora_workflow")
print(" ".join(m for m in heavy if m in sys.modules))
"""


def measure(n: int, repeat: int, with_subprocess: bool) -> tuple[dict[str, float], list[str]]:
    """Time every variant for one project size; with ``with_subprocess``, also the heavy
    modules a CLI rerun imported."""
    root = Path(tempfile.mkdtemp(prefix=f"lunora-bench-{n}-"))
    try:
        files = build_project(root, n)
        sources = [f.read_text() for f in files]
        project = load_project(root)

        def clean() -> None:
            shutil.rmtree(project.generated_dir, ignore_errors=True)

        # Interleave floor and cold runs so that load from other processes on a shared
        # machine hits both alike; keep the best of each.
        floor = cold = floor_cpu = cold_cpu = float("inf")
        for _ in range(repeat):
            wall, cpu = best(1, lambda: [libcst.parse_module(s) for s in sources])
            floor, floor_cpu = min(floor, wall), min(floor_cpu, cpu)
            wall, cpu = best(1, lambda: run(project, cache=ParseCache(), lint=False), before=clean)
            cold, cold_cpu = min(cold, wall), min(cold_cpu, cpu)

        cache = ParseCache()
        model = run(project, cache=cache, lint=False).generated.model
        warm, _ = best(repeat, lambda: run(project, cache=cache, lint=False))
        assert not run(project, cache=cache, lint=False).changes
        # The error-level lints `lunora codegen` also runs (lunora_codegen.lints, another
        # component): timed on their own so that the codegen numbers stay comparable.
        gate_cache = ParseCache()
        run(project, cache=gate_cache, lint=False)
        gate, _ = best(1, lambda: codegen_gate(project, model, gate_cache))
        gate_warm, _ = best(repeat, lambda: codegen_gate(project, model, gate_cache))
        full, _ = best(repeat, lambda: run(project, cache=ParseCache()), before=clean)

        result = {"lines": float(sum(s.count("\n") for s in sources)), "floor": floor}
        result |= {"cold": cold, "nochange": warm, "floor_cpu": floor_cpu, "cold_cpu": cold_cpu}
        result |= {"gate": gate, "gate_warm": gate_warm, "full": full}
        if with_subprocess:
            lunora = Path(sys.executable).parent / "lunora"
            command = [str(lunora), "codegen", "--project", str(root)]
            cache_dir = root.parent / f"{root.name}-cache"
            env = {**os.environ, "LUNORA_CACHE_DIR": str(cache_dir)}

            def cli() -> None:
                subprocess.run(command, check=True, capture_output=True, env=env)

            def clean_all() -> None:
                clean()
                shutil.rmtree(cache_dir, ignore_errors=True)

            result["cli_cold"] = best(repeat, cli, before=clean_all)[0]
            cli()
            result["cli_rerun"] = best(repeat, cli)[0]
            probe = [sys.executable, "-c", _PROBE, "codegen", "--project", str(root)]
            done = subprocess.run(probe, check=True, capture_output=True, text=True, env=env)
            heavy = done.stdout.splitlines()[-1].split()
            shutil.rmtree(cache_dir, ignore_errors=True)
            return result, heavy
        return result, []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Parse arguments, run every size, print a table of times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subprocess", action="store_true", help="also time the CLI")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    header = (
        f"{'N':>5} {'lines':>6} {'parse floor':>12} {'cold':>9} {'cold/floor':>10} "
        f"{'cpu ratio':>9} {'no-change':>10} {'nochg/cold':>10} {'gate cold':>10} "
        f"{'gate warm':>10} {'cold+gate':>10} {'/floor':>7}"
    )
    if args.subprocess:
        header += f" {'cli cold':>9} {'/floor':>7} {'cli rerun':>9} {'rerun/cold':>9}"
        header += "  rerun imports"
    print(header)
    for n in sizes:
        r, heavy = measure(n, args.repeat, args.subprocess)
        line = (
            f"{n:>5} {int(r['lines']):>6} {r['floor'] * 1000:>10.1f}ms {r['cold'] * 1000:>7.1f}ms "
            f"{r['cold'] / r['floor']:>9.2f}x {r['cold_cpu'] / r['floor_cpu']:>8.2f}x "
            f"{r['nochange'] * 1000:>8.1f}ms "
            f"{r['nochange'] / r['cold']:>9.3f}x {r['gate'] * 1000:>8.0f}ms "
            f"{r['gate_warm'] * 1000:>8.1f}ms {r['full'] * 1000:>8.0f}ms "
            f"{r['full'] / r['floor']:>6.2f}x"
        )
        if args.subprocess:
            line += f" {r['cli_cold'] * 1000:>7.0f}ms {r['cli_cold'] / r['floor']:>6.2f}x"
            line += f" {r['cli_rerun'] * 1000:>7.0f}ms"
            line += f" {r['cli_rerun'] / r['cli_cold']:>8.3f}x"
            line += f"  {' '.join(heavy) or '-'}"
        print(line, flush=True)
    print(
        "targets: cold/floor <= 1.5x at N=1000; no-change/cold <= 0.2x "
        "(no-change = warm in-process cache, as in `lunora dev`)"
    )


if __name__ == "__main__":
    main()
