"""The user's dev server (``pywrangler dev`` or ``npx wrangler dev``), a child of ``lunora dev``.

The child gets its own session (so its own process group): the terminal's Ctrl-C reaches only
``lunora dev``, which then stops the child's *whole group* (wrangler spawns node and workerd)
in order: SIGTERM, a grace period, SIGKILL. Its stdout and stderr are the terminal's own, so
wrangler keeps its colours; stdin is closed, because a process outside the terminal's
foreground group must not read it (wrangler then also skips its interactive hotkeys).

``LUNORA_DEV_SERVER_CMD`` (or ``lunora dev --server-cmd``) replaces the command, e.g. for tests
or for a custom script; it is split like a shell command line, without a shell.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lunora_codegen.diagnostics import LunoraToolError

__all__ = [
    "SERVER_CMD_ENV",
    "DevServer",
    "DevServerError",
    "resolve_server_command",
    "uses_workers_py",
]

#: Environment variable that overrides the dev server command.
SERVER_CMD_ENV = "LUNORA_DEV_SERVER_CMD"

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class DevServerError(LunoraToolError):
    """The dev server command could not be started."""

    exit_code = 2


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(values: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(values, list):
        for value in values:
            if isinstance(value, str) and (match := _REQUIREMENT_NAME.match(value)):
                names.add(_normalized(match.group(1)))
    return names


def uses_workers_py(root: Path) -> bool:
    """True when the project's pyproject depends on ``workers-py`` (Cloudflare's ``pywrangler``).

    Looked for in ``[project] dependencies``, every optional-dependency extra, every PEP 735
    ``[dependency-groups]`` group and uv's ``[tool.uv] dev-dependencies``.
    """
    pyproject = root / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project", {})
    lists: list[Any] = [project.get("dependencies")]
    for table in (project.get("optional-dependencies"), data.get("dependency-groups")):
        if isinstance(table, dict):
            lists.extend(table.values())
    tool_uv = data.get("tool", {}).get("uv", {})
    if isinstance(tool_uv, dict):
        lists.append(tool_uv.get("dev-dependencies"))
    return any("workers-py" in _requirement_names(values) for values in lists)


def resolve_server_command(
    root: Path, extra_args: Sequence[str] = (), override: str | None = None
) -> list[str]:
    """The dev server's argv: the override, else ``pywrangler dev`` or ``npx wrangler dev``.

    ``pywrangler`` is looked up on ``PATH``, then in the project's ``.venv``; when only ``uv``
    is available it runs as ``uv run pywrangler dev``.
    """
    if override is None:
        override = os.environ.get(SERVER_CMD_ENV) or None
    if override is not None:
        argv = shlex.split(override)
        if not argv:
            raise DevServerError(f"{SERVER_CMD_ENV} / --server-cmd is empty")
        return [*argv, *extra_args]
    if uses_workers_py(root):
        local = root / ".venv" / ("Scripts" if sys.platform == "win32" else "bin") / "pywrangler"
        if shutil.which("pywrangler"):
            base = ["pywrangler", "dev"]
        elif local.is_file():
            base = [str(local), "dev"]
        elif shutil.which("uv"):
            base = ["uv", "run", "pywrangler", "dev"]
        else:
            base = ["pywrangler", "dev"]
        return [*base, *extra_args]
    return ["npx", "wrangler", "dev", *extra_args]


def _live_group_member(pgid: int) -> bool:
    """Whether group ``pgid`` has a member that is not a zombie.

    An orphaned member that already died stays a zombie until init reaps it, and some
    container inits never do; ``killpg(pgid, 0)`` still succeeds for those. Linux's ``/proc``
    tells the two apart; elsewhere every member counts as alive.
    """
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


class DevServer:
    """A child process in its own process group, stopped with its whole group."""

    def __init__(
        self,
        argv: Sequence[str],
        cwd: Path,
        *,
        on_exit: Callable[[int], None] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self._on_exit = on_exit
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()

    @property
    def pid(self) -> int | None:
        """The child's pid (also its process group id), once started."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the child; raises :class:`DevServerError` when the command cannot run."""
        try:
            self._process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as error:
            raise DevServerError(
                f"could not start the dev server `{shlex.join(self.argv)}`: "
                f"{error.strerror or error}; install it, set {SERVER_CMD_ENV}, "
                "or run `lunora dev --no-wrangler`"
            ) from None
        threading.Thread(target=self._watch_exit, name="lunora-dev-server", daemon=True).start()

    def _watch_exit(self) -> None:
        process = self._process
        assert process is not None
        code = process.wait()
        if not self._stopping.is_set() and self._on_exit is not None:
            self._on_exit(code)

    def _signal_group(self, signum: int) -> bool:
        """Send ``signum`` to the child's group; False when the group no longer exists."""
        assert self._process is not None
        try:
            os.killpg(self._process.pid, signum)
        except ProcessLookupError:
            return False
        except PermissionError:  # the group id was reused by someone else's processes
            return False
        return True

    def _group_alive(self) -> bool:
        """True while a live (non-zombie) process remains in the child's group."""
        if not self._signal_group(0):
            return False
        assert self._process is not None
        return _live_group_member(self._process.pid)

    def stop(self, timeout: float = 5.0) -> int | None:
        """Terminate the child's group, wait up to ``timeout`` s, then kill what is left.

        Returns the child's exit code (``None`` if it was never started). Idempotent.
        """
        process = self._process
        if process is None:
            return None
        self._stopping.set()
        self._signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        # The leader may be gone while its children (node, workerd) still run: wait for the
        # whole group, then kill whatever ignored SIGTERM.
        while self._group_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._group_alive():
            self._signal_group(signal.SIGKILL)
        code = process.wait()
        return code
