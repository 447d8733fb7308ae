"""Benchmark function calls and function discovery.

1. ``ctx.run`` in-process: a workflow making N calls of a TypedDict-typed mutation inside one
   step, against the same handler awaited directly (the cost of validation, JSON round trip,
   result parsing and dedup-id pinning).
2. ``ctx.run`` over HTTP: N dispatches to a real server on 127.0.0.1 (per-call latency).
3. Codegen: generating a project with M function modules (K functions each), cold (fresh
   cache) and warm (nothing changed), and after touching one module.

    .venv/bin/python benchmarks/functions.py [--calls 2000] [--http 200] [--modules 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypedDict

from lunora_codegen.extract import ParseCache
from lunora_codegen.pipeline import generate
from lunora_codegen.project import load_project
from lunora_workflow import WorkflowContext, define_workflow
from lunora_workflow.functions import FunctionBuilder, FunctionReference, QueryCtx
from lunora_workflow.testing import WorkflowTestEnv


class NoteArgs(TypedDict):
    title: str
    priority: int


class NoteResult(TypedDict):
    note_id: str


async def _add(ctx: QueryCtx, args: NoteArgs) -> NoteResult:
    return {"note_id": f"{args['title']}-{args['priority']}"}


add = FunctionBuilder("query", package=None, context=QueryCtx)(_add)


def bench_in_process(calls: int) -> None:
    @define_workflow
    async def many(ctx: WorkflowContext[Any]) -> int:
        async def body() -> int:
            for index in range(calls):
                await ctx.run(add, NoteArgs(title="t", priority=index))
            return calls

        return int(await ctx.step.do("all", body))

    async def run_engine() -> float:
        env = WorkflowTestEnv()
        env.register_definition(many, export="many")
        started = time.perf_counter()
        instance = await env.create("many", {}, id="b-1")
        await instance.wait_for_status("complete")
        return time.perf_counter() - started

    async def run_direct() -> float:
        ctx = add.context(None)
        started = time.perf_counter()
        for index in range(calls):
            await add.handler(ctx, NoteArgs(title="t", priority=index))
        return time.perf_counter() - started

    engine = min(asyncio.run(run_engine()) for _ in range(3))
    direct = min(asyncio.run(run_direct()) for _ in range(3))
    print(
        f"in-process ctx.run: {calls} calls in {engine * 1000:.1f} ms "
        f"({engine / calls * 1e6:.1f} us/call; direct handler {direct / calls * 1e6:.2f} us/call)"
    )


def bench_http(calls: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            data = json.dumps({"result": {"echo": body["args"]}}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    echo = FunctionReference[dict[str, int], dict[str, Any]]("remote:echo")

    @define_workflow
    async def remote(ctx: WorkflowContext[Any]) -> int:
        async def body() -> int:
            for index in range(calls):
                await ctx.run(echo, {"n": index})
            return calls

        return int(await ctx.step.do("all", body))

    async def run() -> float:
        env = WorkflowTestEnv(vars={"LUNORA_ORIGIN_URL": url, "LUNORA_ADMIN_TOKEN": "t"})
        env.register_definition(remote, export="remote")
        started = time.perf_counter()
        instance = await env.create("remote", {}, id="h-1")
        await instance.wait_for_status("complete")
        return time.perf_counter() - started

    elapsed = min(asyncio.run(run()) for _ in range(2))
    server.shutdown()
    print(
        f"HTTP ctx.run (127.0.0.1): {calls} calls in {elapsed * 1000:.0f} ms "
        f"({elapsed / calls * 1000:.2f} ms/call, one httpx client per call)"
    )


MODULE = """\
from __future__ import annotations

from typing import TypedDict

from ._generated.server import MutationCtx, mutation


class Args{i}(TypedDict):
    value: int

"""

FUNCTION = '''

@mutation
async def fn_{j}(ctx: MutationCtx, args: Args{i}) -> int:
    """Function {j} of module {i}."""
    return args["value"] + {j}
'''


def bench_codegen(modules: int, per_module: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="lunora-fn-bench-"))
    try:
        (root / "pyproject.toml").write_text('[project]\nname = "b"\nversion = "0"\n')
        package = root / "lunora"
        package.mkdir()
        (package / "__init__.py").write_text("")
        for i in range(modules):
            text = MODULE.format(i=i) + "".join(
                FUNCTION.format(i=i, j=j) for j in range(per_module)
            )
            (package / f"mod_{i}.py").write_text(text)
        lines = sum(len(p.read_text().splitlines()) for p in package.glob("*.py"))
        project = load_project(root)
        started = time.perf_counter()
        cache = ParseCache()
        first = generate(project, cache=cache)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        again = generate(project, cache=cache)
        warm = time.perf_counter() - started
        assert again is first
        touched = package / "mod_0.py"
        touched.write_text(touched.read_text() + "\n# edited\n")
        os.utime(touched, ns=(time.time_ns() - 10**10,) * 2)  # out of the racy window
        started = time.perf_counter()
        generate(project, cache=cache)
        one = time.perf_counter() - started
        api = next(text for path, text in first.files.items() if path.name == "api.py")
        api_lines = len(api.splitlines())
        print(
            f"codegen, {modules} function modules x {per_module} functions ({lines} lines, "
            f"api.py {api_lines} lines): cold {cold * 1000:.0f} ms, unchanged "
            f"{warm * 1000:.1f} ms, one module edited {one * 1000:.0f} ms"
        )
    finally:
        shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--http", type=int, default=200)
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--per-module", type=int, default=10)
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    bench_in_process(options.calls)
    bench_http(options.http)
    bench_codegen(options.modules, options.per_module)


if __name__ == "__main__":
    main()
