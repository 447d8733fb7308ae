"""Helpers for the ``lunora dev`` / ``lunora generate`` tests: temp projects, saves, polling."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lunora_codegen.watch.loop import Console, DevLoop

WRANGLER_JSONC = """\
// a test project
{
  "name": "watch-test",
  "main": "src/entry.py",
  "compatibility_date": "2026-06-01",
  "compatibility_flags": ["python_workers"],
}
"""

#: a run's summary line: a mark, then "regenerated ...", "up to date ..." or "codegen failed ..."
SUMMARY = re.compile(r"^(?:✔|✖|ok:|error:) (?:regenerated|up to date|codegen failed) ")

HEADER = "from lunora_workflow import WorkflowContext, define_workflow\n"


def workflow_source(*exports: str) -> str:
    """A ``workflows.py`` declaring one trivial workflow per export."""
    blocks = [
        "\n\n@define_workflow\n"
        f"async def {name}(ctx: WorkflowContext[dict[str, object]]) -> dict[str, object]:\n"
        "    return {}\n"
        for name in exports
    ]
    return HEADER + "".join(blocks)


def make_project(root: Path, *exports: str) -> Path:
    """A minimal Python Worker project using lunora, under ``root``."""
    (root / "src" / "lunora").mkdir(parents=True)
    (root / "wrangler.jsonc").write_text(WRANGLER_JSONC, encoding="utf-8")
    (root / "src" / "entry.py").write_text('"""entry"""\n', encoding="utf-8")
    (root / "src" / "lunora" / "__init__.py").write_text("", encoding="utf-8")
    save(root / "src" / "lunora" / "workflows.py", workflow_source(*exports))
    return root


def save(path: Path, text: str) -> None:
    """Save like an editor's "safe write": a temp file in the same folder, then a rename."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".save-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temp, path)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds.

    The default is generous on purpose: a passing wait returns as soon as the condition holds,
    and a small shared CI machine may take seconds to start a ``lunora dev`` subprocess.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def generated(root: Path) -> str:
    """The generated workflows module's text ('' while it does not exist)."""
    path = root / "src" / "lunora" / "_generated" / "workflows.py"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


class RecordingConsole(Console):
    """Keeps every line the loop prints (thread-safe enough: list.append is atomic)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def error(self, message: str) -> None:
        self.lines.append(message)

    def text(self) -> str:
        return "\n".join(self.lines)

    def summaries(self) -> list[str]:
        """The one-line run summaries only (warnings and diagnostics left out)."""
        return [line for line in self.lines if SUMMARY.match(line)]


@contextmanager
def running_loop(root: Path, **options: Any) -> Iterator[tuple[DevLoop, RecordingConsole]]:
    """A real :class:`DevLoop` watching ``root`` in a thread; stopped and joined on exit.

    ``options`` go to :class:`DevLoop` (e.g. ``step_ms``).
    """
    console = RecordingConsole()
    loop = DevLoop(root, console=console, **options)
    loop.regenerate()
    stop = threading.Event()
    ready = threading.Event()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            loop.watch(stop, ready.set)
        except BaseException as error:  # surfaced in the test thread below
            errors.append(error)
            ready.set()

    thread = threading.Thread(target=target, name="dev-loop", daemon=True)
    thread.start()
    assert ready.wait(30), "the watcher never became ready"
    try:
        yield loop, console
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the dev loop did not stop"
        if errors:
            raise errors[0]


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone: nobody may reap it in a container)."""
    if Path("/proc/self/stat").exists():  # Linux (a runtime test: mypy narrows sys.platform)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
