"""``mypy --strict`` sees the precise types of every ``define_step`` form and of
``ctx.run_step``: ``fixtures/step_typing/step_forms.py`` marks each line with the type
``reveal_type`` must show (``# R: ...``) and the error codes expected there (``# E: ...``),
checked with and without ``lunora_codegen.mypy_plugin`` (``R-np``/``E-np`` markers override).
Any other error (an "untyped decorator", a false positive) fails the test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "step_typing" / "step_forms.py"
MYPY = Path(sys.executable).parent / "mypy"

_MARKER = re.compile(r"\b([RE](?:-np)?):\s*(.*?)\s*(?=\s[RE](?:-np)?:|$)")
_OUTPUT = re.compile(r"^[^:]+:(\d+):\d+: (error|note): (.*?)(?:  \[([\w-]+)\])?$")
_TYPED_DICT = re.compile(r"TypedDict\((?:\w+\.)*(\w+), \{.*?\}\)")
_QUALIFIED = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])")


def expected(plugin: bool) -> tuple[dict[int, str], dict[int, set[str]]]:
    """Revealed types and error codes by line, read from the fixture's markers."""
    reveals: dict[int, str] = {}
    errors: dict[int, set[str]] = {}
    for number, line in enumerate(FIXTURE.read_text(encoding="utf-8").splitlines(), 1):
        if "  # " not in line:
            continue
        markers = dict(_MARKER.findall(line.split("  # ", 1)[1]))
        for kind in ("R", "E"):
            value = markers.get(f"{kind}-np") if not plugin else None
            if value is None:
                value = markers.get(kind)
            if value is None:
                continue
            if kind == "R":
                reveals[number] = value
            elif value:
                errors[number] = set(value.split(","))
    return reveals, errors


def short(type_text: str) -> str:
    """mypy's revealed type without module prefixes, ``StepDefinition`` as ``Step``."""
    bare = _QUALIFIED.sub("", _TYPED_DICT.sub(r"\1", type_text))
    return bare.replace("StepDefinition[", "Step[")


def check(tmp_path: Path, plugin: bool) -> tuple[dict[int, str], dict[int, set[str]], list[str]]:
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\n" + ("plugins = lunora_codegen.mypy_plugin\n" if plugin else ""),
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            str(MYPY),
            "--strict",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--show-column-numbers",
            "--no-error-summary",
            "--no-pretty",
            FIXTURE.name,
        ],
        cwd=FIXTURE.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    reveals: dict[int, str] = {}
    errors: dict[int, set[str]] = {}
    lines = result.stdout.splitlines()
    for line in lines:
        match = _OUTPUT.match(line)
        if match is None:
            continue
        number, severity, message, code = int(match[1]), match[2], match[3], match[4]
        if severity == "note" and message.startswith("Revealed type is "):
            reveals[number] = short(message.removeprefix("Revealed type is ").strip('"'))
        elif severity == "error":
            errors.setdefault(number, set()).add(code or "")
    return reveals, errors, lines


@pytest.mark.slow
@pytest.mark.parametrize("plugin", [True, False], ids=["plugin", "no-plugin"])
def test_step_forms_have_the_expected_types(tmp_path: Path, plugin: bool) -> None:
    reveals, errors, lines = check(tmp_path, plugin)
    want_reveals, want_errors = expected(plugin)
    assert want_reveals  # the markers were read
    assert want_errors
    assert not [line for line in lines if "untyped-decorator" in line]
    assert reveals == want_reveals, "\n".join(lines)
    assert errors == want_errors, "\n".join(lines)


def test_markers_are_read() -> None:
    """The fixture's markers parse as intended (so the mypy tests compare real expectations)."""
    reveals, errors = expected(plugin=False)
    with_plugin_reveals, with_plugin_errors = expected(plugin=True)
    lookup = next(n for n, text in with_plugin_reveals.items() if "list[Any]" in text)
    assert with_plugin_reveals[lookup] == "Step[dict[str, Any], list[Any]]"
    assert reveals[lookup] == "Step[Any, Any]"
    assert "assignment" in set().union(*with_plugin_errors.values())
    source = FIXTURE.read_text(encoding="utf-8").splitlines()
    also_wrong = next(n for n, line in enumerate(source, 1) if "also_wrong: int =" in line)
    assert with_plugin_errors[also_wrong] == {"assignment"}
    assert also_wrong not in errors  # without the plugin that result is Any
    assert (
        short(
            "lunora_workflow.define_step.StepDefinition[TypedDict(m.C, {'t': builtins.str}), m.R]"
        )
        == "Step[C, R]"
    )
