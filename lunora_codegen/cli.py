"""The ``lunora`` command line.

Subcommands live in :mod:`lunora_codegen.commands`, one module each, and are imported only when
they run, so ``lunora --help`` and ``lunora codegen`` do not pay for the Studio's web server or
the REST client's HTTP stack.

Exit codes: 0 success; 1 findings in the user's files or stale output (``--check``); 2 usage
errors and crashes (click's ``UsageError`` is already 2).
"""

from __future__ import annotations

import importlib
import sys

import click

from lunora_codegen.diagnostics import LunoraToolError

__all__ = ["main"]

#: command name -> (module under lunora_codegen.commands, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("check", "check", "Lint workflow wiring, step calls and replay determinism."),
    "codegen": ("codegen", "codegen", "Generate lunora/_generated/ and reconcile wrangler config."),
    "dev": ("dev", "dev", "Regenerate on every save and run the dev server alongside."),
    "generate": ("generate", "generate", "Scaffold a workflow or a step into your lunora package."),
    "run": ("run", "run", "Run a workflow on the local test engine and print its timeline."),
    "studio": ("studio", "studio", "Serve a local web panel to start, watch and drive workflows."),
    "workflows": ("workflows", "workflows", "Inspect and operate instances (Workflows REST API)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attribute, _help = entry
        module = importlib.import_module(f"lunora_codegen.commands.{module_name}")
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help comes from the registry so that --help imports no command module.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _version() -> str:
    # deferred: importlib.metadata costs more than the rest of `lunora --help`
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lunora-workflow")
    except PackageNotFoundError:  # running from a checkout without an install
        return "0+unknown"


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    # click.version_option would need the version when the CLI is defined, on every run
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"lunora, version {_version()}", color=ctx.color)
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """lunora: durable workflows for Cloudflare Python Workers."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI, mapping toolchain errors to exit codes."""
    try:
        code = cli.main(args=argv, prog_name="lunora", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except LunoraToolError as error:
        click.echo(str(error), err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    # without standalone mode click returns ctx.exit(n)'s code instead of exiting with it
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":  # `python -m lunora_codegen.cli` (e.g. with -X importtime)
    main()
