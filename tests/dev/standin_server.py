"""A stand-in for ``wrangler dev`` in tests: records its pid (and a grandchild's), then sleeps.

Usage: ``python standin_server.py PIDFILE [--ignore-term] [ARGS...]``. Like wrangler, it starts
a child of its own (``workerd``'s part), so a test can check that the whole group goes away.
With ``--ignore-term`` both ignore SIGTERM, so only the SIGKILL escalation can stop them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    pidfile = Path(sys.argv[1])
    ignore_term = "--ignore-term" in sys.argv[2:]
    if ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild_code = "import signal, time\n"
    if ignore_term:
        grandchild_code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    grandchild_code += "time.sleep(120)\n"
    grandchild = subprocess.Popen([sys.executable, "-c", grandchild_code])
    record = {"pid": os.getpid(), "grandchild": grandchild.pid, "argv": sys.argv[2:]}
    temp = pidfile.with_suffix(".tmp")
    temp.write_text(json.dumps(record), encoding="utf-8")
    temp.replace(pidfile)
    print("stand-in dev server ready", flush=True)
    time.sleep(120)


if __name__ == "__main__":
    main()
