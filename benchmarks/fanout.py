"""Benchmark ``ctx.parallel`` on the local test engine.

A parent fans out to N ``work`` children (tests/fanout/flows.py) that finish one after another,
so the parent is woken and replays once per child: about N replays of N cached spawn steps and
up to N waits each. Prints wall time, parent replays and step calls per N.

    .venv/bin/python benchmarks/fanout.py [--sizes 10,50,100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lunora_workflow.testing import WorkflowTestEnv
from tests.fanout import flows


async def one(size: int) -> tuple[float, int, int]:
    engine = WorkflowTestEnv()
    engine.register_generated(flows)
    items = [{"item": "x" * (n % 7 + 1), "delay": f"{n + 1} seconds"} for n in range(size)]
    started = time.perf_counter()
    parent = await engine.create("fan", {"items": items}, id="bench")
    await parent.wait_for_status("complete")
    elapsed = time.perf_counter() - started
    return elapsed, parent.replays, len(parent.steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,100")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, best of {args.repeat}")
    for size in (int(s) for s in args.sizes.split(",")):
        runs = [asyncio.run(one(size)) for _ in range(args.repeat)]
        best = min(runs)
        print(
            f"  {size:>3} branches: {best[0] * 1000:8.1f} ms  parent replays {best[1]:>3}  "
            f"parent steps {best[2]:>3}  ({best[0] * 1000 / size:.2f} ms per branch)"
        )


if __name__ == "__main__":
    main()
