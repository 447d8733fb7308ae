"""Benchmark the local test engine: a 1,000-step workflow with 100 sleeps.

Every sleep hibernates the instance, so the body is replayed 100 times and the engine answers
about 50,000 cached step calls on the way. Prints the engine's wall time, the time of calling
the same step functions directly (no engine), and the overhead ratio.

    .venv/bin/python benchmarks/engine.py [--steps 1000] [--sleeps 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from lunora_workflow.testing import WorkflowStep, WorkflowTestEnv

#: step calls the bodies made, replays included (the engine answers most from storage)
CALLS = [0]


async def work(index: int) -> dict[str, int]:
    """The step function: a little real work so the direct baseline is not empty."""
    return {"index": index, "square": index * index}


def make_workflow(steps: int, sleeps: int) -> type:
    every = max(1, steps // sleeps) if sleeps else steps + 1

    class Big:
        def __init__(self, ctx: Any, env: Any) -> None:
            self.env = env

        async def run(self, event: Any, step: WorkflowStep) -> Any:
            total = 0
            naps = 0
            for index in range(steps):

                @step.do(f"step-{index}")
                async def one() -> Any:
                    return await work(index)  # noqa: B023 - awaited in this iteration

                CALLS[0] += 1
                total += (await one())["square"]
                if (index + 1) % every == 0 and naps < sleeps:
                    naps += 1
                    await step.sleep(f"nap-{naps}", "1 hour")
            return {"total": total, "naps": naps}

    return Big


async def engine_run(steps: int, sleeps: int) -> tuple[float, int, Any]:
    env = WorkflowTestEnv()
    env.register(make_workflow(steps, sleeps), name="big")
    instance = await env.create("big")
    started = time.perf_counter()
    await instance.wait_for_status("complete")
    return time.perf_counter() - started, instance.replays, instance.output


async def direct_run(steps: int) -> float:
    started = time.perf_counter()
    total = 0
    for index in range(steps):
        total += (await work(index))["square"]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--sleeps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    engine_times, direct_times = [], []
    replays, output = 0, None
    for _ in range(args.repeat):
        CALLS[0] = 0
        elapsed, replays, output = asyncio.run(engine_run(args.steps, args.sleeps))
        engine_times.append(elapsed)
        direct_times.append(asyncio.run(direct_run(args.steps)))
    engine_best, direct_best = min(engine_times), min(direct_times)
    print(f"workflow: {args.steps} steps, {args.sleeps} sleeps -> {replays} replays, {output}")
    print(f"engine:   {engine_best * 1000:9.1f} ms (best of {args.repeat})")
    print(f"direct:   {direct_best * 1000:9.3f} ms (same step functions, no engine)")
    print(f"overhead: {engine_best / direct_best:9.0f}x")
    print(
        f"          {engine_best / args.steps * 1e6:.0f} µs per workflow step; the bodies made "
        f"{CALLS[0]} step calls in {replays + 1} executions: "
        f"{engine_best / CALLS[0] * 1e6:.1f} µs per step call"
    )


if __name__ == "__main__":
    main()
