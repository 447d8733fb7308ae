"""Save-to-written latency of ``lunora dev``: p50/p95 over atomic saves of ``workflows.py``.

For each project size (workflows in one ``workflows.py``), this starts the real
``lunora dev --no-wrangler`` as a subprocess, then repeatedly saves ``workflows.py`` the way
editors do (temp file + rename) with the last workflow renamed, and measures the time until
``_generated/workflows.py`` holds the new class. It also times, in-process, the parts of one
run (libcst parse of the file alone, and a whole warm ``pipeline.run`` after the edit), so the
watcher's own overhead can be told apart from codegen's.

Every save renames a workflow, so the wrangler-config reconciler edits ``wrangler.jsonc`` on
every run; ``--no-config`` leaves the config out to time codegen and the lint gate alone.

``--phases`` also prints where one ``lunora dev`` run's time goes (in-process, a real
:class:`DevLoop` with the heap settled as ``lunora dev`` does): generation, the lint gate, the
wrangler planner (of which the reconciler and the config checks), the write, the content
snapshots.

Usage: ``python benchmarks/watch.py [--sizes 100 1000] [--saves 20] [--no-config] [--phases]``
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libcst

from lunora_codegen import pipeline
from lunora_codegen.extract import ParseCache
from lunora_codegen.pipeline import Planner, run
from lunora_codegen.project import load_project
from lunora_codegen.watch import loop as loop_module
from lunora_codegen.watch.incremental import IncrementalParser
from lunora_codegen.watch.loop import Console, DevLoop
from lunora_codegen.wrangler import planner as wrangler_planner

WRANGLER = (
    '{\n  "name": "bench",\n  "main": "src/entry.py",\n  "compatibility_date": "2026-06-01",\n}\n'
)
HEADER = (
    '"""Benchmark workflows."""\n\nfrom __future__ import annotations\n\n'
    "from lunora_workflow import WorkflowContext, define_workflow\n"
)
NO_CONFIG = '[project]\nname = "bench"\nversion = "0"\n\n[tool.lunora]\npackage = "src/lunora"\n'
SUMMARY = re.compile(r"(regenerated \d+ files?|up to date|codegen failed) in (\d+) ms")


def source(count: int, last: str) -> str:
    """A workflows.py with ``count`` workflows, the last one named ``last``."""
    names = [f"wf_{i}" for i in range(count - 1)] + [last]
    blocks = [
        f"\n\n@define_workflow\nasync def {name}(ctx: WorkflowContext[dict[str, object]]) "
        "-> dict[str, object]:\n"
        f'    """Workflow {name}."""\n'
        f'    await ctx.step.sleep("settle", "1 minute")\n'
        "    return {}\n"
        for name in names
    ]
    return HEADER + "".join(blocks)


def save(path: Path, text: str) -> None:
    """An editor's safe write: a temp file in the same folder, then a rename."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".bench-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temp, path)


def make_project(root: Path, count: int, *, config: bool = True) -> Path:
    """The project; without ``config`` there is no wrangler config to reconcile (a
    pyproject.toml names the package instead), which isolates codegen and the lint gate."""
    (root / "src" / "lunora").mkdir(parents=True)
    if config:
        (root / "wrangler.jsonc").write_text(WRANGLER, encoding="utf-8")
    else:
        (root / "pyproject.toml").write_text(NO_CONFIG, encoding="utf-8")
    (root / "src" / "entry.py").write_text('"""entry"""\n', encoding="utf-8")
    (root / "src" / "lunora" / "__init__.py").write_text("", encoding="utf-8")
    save(root / "src" / "lunora" / "workflows.py", source(count, "wf_last"))
    return root


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _reader(stream: object, lines: queue.Queue[str]) -> None:
    assert hasattr(stream, "readline")
    for line in iter(stream.readline, ""):
        lines.put(line.rstrip("\n"))


def _wait_line(lines: queue.Queue[str], pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no line matching {pattern.pattern!r}")
        line = lines.get(timeout=remaining)
        match = pattern.search(line)
        if match:
            return match


def in_process(root: Path, count: int) -> dict[str, float]:
    """Medians in ms of the parts of one run after an edit, measured in this process.

    ``parse``: libcst parsing workflows.py alone; ``full``: ``pipeline.run`` with a plain parse
    cache (what ``lunora codegen`` does); ``incremental``: with ``lunora dev``'s incremental
    parser; ``no_lint``: the same without the lint gate; ``no_wrangler``: incremental, with
    the gate, without the wrangler-config reconciler (the planner that re-parses and
    re-verifies ``wrangler.jsonc``, whose ``workflows`` array has an entry per workflow).
    """
    project = load_project(root)
    path = project.workflows_file
    no_planners: list[Planner] = []
    variants = {
        "full": (ParseCache(), True, None),
        "incremental": (ParseCache(parse=IncrementalParser().parse), True, None),
        "no_lint": (ParseCache(parse=IncrementalParser().parse), False, None),
        "no_wrangler": (ParseCache(parse=IncrementalParser().parse), True, no_planners),
    }
    for cache, lint, planners in variants.values():
        run(project, cache=cache, lint=lint, planners=planners)
    times: dict[str, list[float]] = {"parse": [], **{name: [] for name in variants}}
    for index in range(3):
        text = source(count, f"probe_{index}")
        started = time.perf_counter()
        libcst.parse_module(text)
        times["parse"].append((time.perf_counter() - started) * 1000)
        save(path, text)
        for name, (cache, lint, planners) in variants.items():
            started = time.perf_counter()
            run(project, cache=cache, lint=lint, planners=planners)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


class _Quiet(Console):
    def info(self, message: str) -> None:
        pass

    def error(self, message: str) -> None:
        pass


#: (module, function, label) timed by :func:`phases`
PHASES = [
    (pipeline, "generate", "generate"),
    (pipeline, "_gate", "lint gate"),
    (pipeline, "_default_plan", "wrangler plan"),
    (wrangler_planner, "reconcile", "  reconcile"),
    (wrangler_planner, "check_config", "  config checks"),
    (pipeline, "apply", "write"),
    (loop_module, "snapshot", "snapshots"),
]


@contextlib.contextmanager
def _timing(times: dict[str, list[float]]) -> Iterator[None]:
    """Wrap each :data:`PHASES` function to add its time (ms) to ``times[label]``."""
    saved = [(module, name, getattr(module, name)) for module, name, _label in PHASES]
    for (module, name, label), (_m, _n, original) in zip(PHASES, saved, strict=True):

        def timed(*args: Any, __f: Any = original, __label: str = label, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return __f(*args, **kwargs)
            finally:
                times[__label][-1] += (time.perf_counter() - started) * 1000

        setattr(module, name, functools.wraps(original)(timed))
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def phases(count: int, runs: int) -> dict[str, float]:
    """Median ms per run of each phase of ``lunora dev`` runs after a rename (see PHASES)."""
    with tempfile.TemporaryDirectory(prefix=f"lunora-phases-{count}-") as folder:
        root = make_project(Path(folder), count)
        loop = DevLoop(root, console=_Quiet(), settle_heap=True)
        target = root / "src/lunora/workflows.py"
        times: dict[str, list[float]] = {label: [] for _m, _n, label in PHASES}
        times["run"] = []
        try:
            loop.regenerate()
            for index in range(3):  # warm: imports, caches, the first config edits
                save(target, source(count, f"warm_{index}"))
                loop.regenerate([target.resolve()])
            with _timing(times):
                for index in range(runs):
                    save(target, source(count, f"phase_{index}"))
                    for values in times.values():
                        values.append(0.0)
                    started = time.perf_counter()
                    loop.regenerate([target.resolve()])
                    times["run"][-1] = (time.perf_counter() - started) * 1000
        finally:
            gc.unfreeze()
    return {label: statistics.median(values) for label, values in times.items()}


def measure(count: int, saves: int, config: bool = True) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"lunora-watch-{count}-") as folder:
        root = make_project(Path(folder), count, config=config)
        parts = in_process(root, count)
        save(root / "src/lunora/workflows.py", source(count, "wf_last"))
        lunora = Path(sys.executable).with_name("lunora")
        process = subprocess.Popen(
            [str(lunora), "dev", "--no-wrangler", "--project", str(root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
        latencies: list[float] = []
        loop_ms: list[float] = []
        try:
            _wait_line(lines, re.compile(r"lunora dev: watching"), 120)
            time.sleep(0.5)  # let the watcher install its watches
            generated = root / "src/lunora/_generated/workflows.py"
            target = root / "src/lunora/workflows.py"
            for index in range(saves):
                expected = f"class WfSave{index}Workflow("
                text = source(count, f"wf_save_{index}")
                before = generated.stat().st_mtime_ns
                started = time.perf_counter()
                save(target, text)
                while True:
                    stat = generated.stat()
                    if stat.st_mtime_ns != before and expected in generated.read_text("utf-8"):
                        break
                    time.sleep(0.001)
                latencies.append((time.perf_counter() - started) * 1000)
                summary = _wait_line(lines, SUMMARY, 60)
                loop_ms.append(float(summary.group(2)))
                time.sleep(0.05)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {
        "workflows": count,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        "loop_p50": statistics.median(loop_ms),
        **parts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument(
        "--phases", action="store_true", help="also time the phases of one run (in-process)"
    )
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="no wrangler.jsonc: time codegen and the lint gate without the reconciler",
    )
    args = parser.parse_args()
    print(f"lunora dev save->written latency, {args.saves} atomic saves per size (ms)")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    header = (
        f"{'workflows':>9} {'p50':>8} {'p95':>8} {'max':>8} "
        f"{'run(loop)':>10} {'full':>8} {'incr':>8} {'no-lint':>8} {'no-wrgl':>8} {'libcst':>8}"
    )
    print(header)
    for count in args.sizes:
        row = measure(count, args.saves, config=not args.no_config)
        print(
            f"{row['workflows']:>9.0f} {row['p50']:>8.0f} {row['p95']:>8.0f} {row['max']:>8.0f} "
            f"{row['loop_p50']:>10.0f} {row['full']:>8.0f} {row['incremental']:>8.0f} "
            f"{row['no_lint']:>8.0f} {row['no_wrangler']:>8.0f} {row['parse']:>8.0f}",
            flush=True,
        )
    print(
        "p50/p95/max: save -> generated file updated (watch event + debounce + run);"
        " run(loop): the loop's own run time (p50).\nOne in-process pipeline.run after an"
        " edit: full = whole-file parse + lint gate (lunora codegen); incr = incremental"
        " parse + lint gate (lunora dev);\nno-lint = incremental parse, no lint gate;"
        " no-wrgl = incremental parse + lint gate, without the wrangler reconciler;"
        " libcst = parsing workflows.py alone (the floor of a whole-file parse)."
    )
    if args.phases:
        print("\none lunora dev run after a rename, median ms per phase (15 runs, in-process)")
        for count in args.sizes:
            row = phases(count, 15)
            cells = "  ".join(f"{label.strip()} {value:.1f}" for label, value in row.items())
            print(f"{count:>9}  {cells}", flush=True)


if __name__ == "__main__":
    main()
