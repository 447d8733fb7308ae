"""``--project DIR`` is one shared option: every command refuses a folder that does not exist
instead of walking up from it to whatever project encloses the current directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lunora_codegen.cli import COMMANDS, LazyGroup, cli
from lunora_codegen.commands.options import PROJECT_DIR

from .conftest import EXAMPLE, copy_project, snapshot


def _commands(command: click.Command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None
            yield from _commands(sub, (*path, name))


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


def _with_project() -> list[tuple[str, ...]]:
    found = []
    for name in COMMANDS:
        top = LazyGroup.get_command(cli, click.Context(cli), name)
        assert top is not None
        for path in _commands(top, (name,)):
            if any(p.name and "--project" in p.opts for p in _command(path).params):
                found.append(path)
    return found


def test_every_project_option_is_the_shared_one() -> None:
    paths = _with_project()
    # every command that reads the project takes it (generate's through its subcommands)
    assert {p[0] for p in paths} >= {
        "check",
        "codegen",
        "dev",
        "generate",
        "run",
        "studio",
        "workflows",
    }
    for path in paths:
        (option,) = [p for p in _command(path).params if "--project" in p.opts]
        assert option.type is PROJECT_DIR, path


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--project", "typo"],
        ["codegen", "--project", "typo"],
        ["generate", "workflow", "--name", "extra", "--project", "typo"],
        ["generate", "step", "--name", "extra", "--project", "typo"],
        ["run", "channel_welcome", "--project", "typo"],
        ["studio", "--project", "typo", "--port", "0"],
        ["workflows", "--local", "--max-retries", "0", "--project", "typo", "list", "x"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_missing_project_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """Run from inside a real project: without ``exists=True`` the walk up from ``typo``
    would find that project and lint, regenerate, scaffold into, run or serve it. (``dev``
    is left to the test above: with the old option it would start watching and never end.)"""
    root = copy_project(EXAMPLE, tmp_path / "app")
    monkeypatch.chdir(root)
    before = snapshot(root)
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2, result.output
    assert "'typo' does not exist" in result.output
    assert snapshot(root) == before
