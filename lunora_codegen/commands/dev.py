"""``lunora dev``: codegen in watch mode, next to the user's dev server.

Runs codegen once, starts the dev server (``pywrangler dev`` for workers-py projects, else
``npx wrangler dev``; ``--server-cmd`` / ``LUNORA_DEV_SERVER_CMD`` override it), then
regenerates on every relevant save until Ctrl-C, SIGTERM or SIGHUP (the terminal closed), and
finally stops the dev server's whole process group. Arguments after ``--`` go to the dev server.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from lunora_codegen.commands.options import project_option
from lunora_codegen.diagnostics import display_path
from lunora_codegen.watch.loop import DevLoop
from lunora_codegen.watch.server import SERVER_CMD_ENV, DevServer, resolve_server_command

__all__ = ["dev"]


@click.command(
    "dev",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@project_option()
@click.option("--no-wrangler", is_flag=True, help="Only watch and regenerate; start no dev server.")
@click.option(
    "--server-cmd",
    envvar=SERVER_CMD_ENV,
    default=None,
    metavar="COMMAND",
    help=f"Dev server command line to run instead of wrangler (env: {SERVER_CMD_ENV}).",
)
@click.option(
    "--stop-timeout",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Seconds to wait for the dev server after SIGTERM before killing it.",
)
@click.argument("server_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- WRANGLER_ARGS]...")
def dev(
    project_dir: Path | None,
    no_wrangler: bool,
    server_cmd: str | None,
    stop_timeout: float,
    server_args: tuple[str, ...],
) -> None:
    """Regenerate lunora/_generated/ on every save and run the dev server alongside.

    Watches the lunora package, the wrangler config and pyproject.toml. A broken save prints
    path:line:col and keeps the last good generated files; the next good save recovers.
    """
    loop = DevLoop(project_dir if project_dir is not None else Path.cwd(), settle_heap=True)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # SIGHUP too: closing the terminal hangs up ``lunora dev``, and the dev server, in a
    # session of its own, would not hear it and keep running (and holding its port).
    stop_signals = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        stop_signals.append(signal.SIGHUP)
    previous = {sig: signal.signal(sig, _stop) for sig in stop_signals}
    server: DevServer | None = None
    try:
        loop.regenerate()
        if not no_wrangler:
            argv = resolve_server_command(loop.project.root, server_args, server_cmd)

            def _exited(code: int) -> None:
                loop.console.error(
                    f"lunora: the dev server exited with code {code}; still regenerating "
                    "(Ctrl-C to quit)"
                )

            server = DevServer(argv, loop.project.root, on_exit=_exited)
            server.start()
        where = display_path(loop.project.package_dir)
        loop.console.info(f"lunora dev: watching {where}/ (Ctrl-C to stop)")
        loop.watch(stop)
    finally:
        if server is not None:
            server.stop(timeout=stop_timeout)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
