"""Import cost of the runtime (`import lunora_workflow`), as a Worker's cold start pays it.

Runs `python -X importtime -c "import lunora_workflow"` N times in fresh interpreters and prints
the minimum (least disturbed by other load) of: the cumulative time of `lunora_workflow`, the
part spent in the runtime's own modules, and the stdlib modules it pulled in. Also checks that
pydantic is not imported.

Bytecode is cached in a temporary ``PYTHONPYCACHEPREFIX`` (and ``PYTHONDONTWRITEBYTECODE`` is
dropped for the child processes) after one warm-up run, so the numbers measure importing, not
compiling. On a busy machine take the numbers as upper bounds (the load average is printed).

    .venv/bin/python benchmarks/runtime_import.py [runs]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "lunora-import-bench")


def one_run() -> tuple[int, int, dict[str, int], bool]:
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import sys, lunora_workflow; print('pydantic' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    )
    total = own = 0
    stdlib: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self" in line:
            continue
        self_us, cumulative, name = (p.strip() for p in line[len("import time:") :].split("|"))
        module = name
        if module == "lunora_workflow":
            total = int(cumulative)
        if module.startswith("lunora_workflow"):
            own += int(self_us)
        else:
            stdlib[module] = int(self_us)
    return total, own, stdlib, proc.stdout.strip() == "True"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    one_run()  # warm-up: writes the bytecode cache
    results = [one_run() for _ in range(runs)]
    best = min(results, key=lambda r: r[0])
    total, own, stdlib, pydantic = best
    top = sorted(stdlib.items(), key=lambda kv: kv[1], reverse=True)[:6]
    print(f"python {sys.version.split()[0]}, {runs} runs, best run:")
    print(f"  import lunora_workflow (cumulative): {total / 1000:.1f} ms")
    print(f"  runtime's own modules (self time):   {own / 1000:.1f} ms")
    print(f"  stdlib pulled in (self time):        {sum(stdlib.values()) / 1000:.1f} ms")
    print("  largest stdlib modules: " + ", ".join(f"{k} {v / 1000:.1f} ms" for k, v in top))
    print(f"  pydantic imported: {pydantic}")
    if hasattr(os, "getloadavg"):
        print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
