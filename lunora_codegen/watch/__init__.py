"""Watch mode for ``lunora dev``: the regenerate loop and the dev-server child process."""

from __future__ import annotations

from lunora_codegen.watch.inputs import InputFilter, input_files, snapshot, watch_dirs
from lunora_codegen.watch.loop import Console, DevLoop, RunOutcome
from lunora_codegen.watch.server import (
    SERVER_CMD_ENV,
    DevServer,
    DevServerError,
    resolve_server_command,
    uses_workers_py,
)

__all__ = [
    "SERVER_CMD_ENV",
    "Console",
    "DevLoop",
    "DevServer",
    "DevServerError",
    "InputFilter",
    "RunOutcome",
    "input_files",
    "resolve_server_command",
    "snapshot",
    "uses_workers_py",
    "watch_dirs",
]
