"""Project discovery: where the wrangler config, the worker entry and the ``lunora`` package are.

Python Workers import modules relative to the directory of ``main`` (for ``main =
"src/entry.py"`` that is ``src/``), so the user's package is ``src/lunora/`` there.
``[tool.lunora]`` in the project's ``pyproject.toml`` can override it::

    [tool.lunora]
    package = "src/lunora"          # the folder holding workflows.py, steps.py, _generated/
    config = "wrangler.jsonc"       # the wrangler config to reconcile

A ``pyproject.toml`` that does not parse, or a ``[tool.lunora]`` setting of the wrong type, is
a :class:`~lunora_codegen.diagnostics.UserCodeError` pointing at the file, line and column:
silently falling back to the defaults would run codegen on the wrong folder. So is a wrangler
config that does not parse when the package's place comes from its ``main``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lunora_codegen.diagnostics import Diagnostic, ProjectNotFoundError, UserCodeError

__all__ = ["CONFIG_NAMES", "Project", "find_project", "load_project", "read_wrangler_config"]

#: wrangler's own precedence (findWranglerConfig): json, then jsonc, then toml.
CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


@dataclass(frozen=True)
class Project:
    """A user's Worker project, with every path the toolchain needs resolved."""

    root: Path
    config_path: Path | None
    entry_path: Path | None
    package_dir: Path

    @property
    def generated_dir(self) -> Path:
        """``<package>/_generated``: the only folder codegen writes on its own."""
        return self.package_dir / "_generated"

    @property
    def workflows_file(self) -> Path:
        """``<package>/workflows.py``: where workflows are declared."""
        return self.package_dir / "workflows.py"

    @property
    def steps_file(self) -> Path:
        """``<package>/steps.py``: where reusable steps are declared."""
        return self.package_dir / "steps.py"

    def source_files(self) -> list[Path]:
        """The user's own modules, sorted: the package's (``_generated/``, hidden folders and
        ``__pycache__`` left out), then the worker entry when it lies outside the package."""
        files: list[Path] = []
        if self.package_dir.is_dir():
            for path in sorted(self.package_dir.rglob("*.py")):
                relative = path.relative_to(self.package_dir).parts
                if relative[0] == "_generated" or any(
                    part.startswith(".") or part == "__pycache__" for part in relative
                ):
                    continue
                files.append(path)
        entry = self.entry_path
        if entry is not None and entry.suffix == ".py" and entry.is_file() and entry not in files:
            files.append(entry)
        return files

    @property
    def package_name(self) -> str:
        """The import name of the user's package (``lunora`` by default)."""
        return self.package_dir.name


def read_wrangler_config(path: Path) -> dict[str, Any]:
    """Parse a wrangler config for discovery. Raises ``ValueError`` with a location on bad input."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".toml":
        data: Any = tomllib.loads(text)
    else:
        # JSONC through the stdlib json fast path, json5 only for JSON5 syntax or errors:
        # pure-Python json5 costs ~0.6 s on a 1,000-workflow config, paid on every run.
        from lunora_codegen.jsonc_read import load_jsonc

        data = load_jsonc(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the top level must be an object")
    return data


def find_project(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding a wrangler config or a pyproject."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in (*CONFIG_NAMES, "pyproject.toml")):
            return folder
    raise ProjectNotFoundError(
        "no wrangler.jsonc, wrangler.json, wrangler.toml or pyproject.toml found "
        f"at or above {start}"
    )


#: tomllib's location suffix before Python 3.13 put it on the exception
_TOML_WHERE = re.compile(r" \(at (?:line (\d+), column (\d+)|end of document)\)$")
#: a table header, ``[tool.lunora]`` or ``[ tool . "lunora" ]``
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]*?)\s*\]")
_SETTING_TYPES: dict[str, tuple[type, str]] = {
    "package": (str, "a string (a path relative to pyproject.toml)"),
    "config": (str, "a string (a path relative to pyproject.toml)"),
    "line-length": (int, "an integer"),
}


def _toml_error(path: Path, text: str, error: tomllib.TOMLDecodeError) -> UserCodeError:
    message = str(error).splitlines()[0]
    line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
    where = _TOML_WHERE.search(message)
    if where is not None:
        message = message[: where.start()]
        if line is None:
            if where.group(1) is not None:
                line, column = int(where.group(1)), int(where.group(2))
            else:  # end of document
                line = text.count("\n") + 1
                column = len(text) - (text.rfind("\n") + 1) + 1
    return UserCodeError(
        [Diagnostic(path, line or 1, column or 1, f"cannot parse {path.name}: {message}")]
    )


def _setting_position(text: str, key: str) -> tuple[int, int]:
    """Where ``key`` is set under ``[tool.lunora]`` (the header itself, or 1:1, when the
    line cannot be found)."""
    table: str | None = None
    header: tuple[int, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TABLE.match(line)
        if match is not None and not line.lstrip().startswith("[["):
            table = re.sub(r"[\s\"']", "", match.group(1))
            if table == "tool.lunora":
                header = (number, line.index("[") + 1)
            continue
        stripped = line.lstrip()
        if table == "tool.lunora" and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number, len(line) - len(stripped) + 1
        if table is None and re.match(rf"tool\s*\.\s*lunora\s*\.\s*{re.escape(key)}\b", stripped):
            return number, len(line) - len(stripped) + 1
    return header or (1, 1)


def _tool_settings(root: Path) -> dict[str, Any]:
    """``[tool.lunora]`` of ``root/pyproject.toml``. Raises :class:`UserCodeError` (file, line,
    column) when the file does not parse or a setting has the wrong type."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    raw = pyproject.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise UserCodeError(
            [Diagnostic(pyproject, line, column, f"{pyproject.name} is not valid UTF-8")]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(pyproject, text, error) from None
    tool = data.get("tool", {})
    settings = tool.get("lunora", {}) if isinstance(tool, dict) else {}
    if not isinstance(settings, dict):
        line, column = _setting_position(text, "lunora")
        raise UserCodeError([Diagnostic(pyproject, line, column, "[tool.lunora] must be a table")])
    problems = []
    for key, (expected, kind) in _SETTING_TYPES.items():
        value = settings.get(key)
        if value is not None and (not isinstance(value, expected) or isinstance(value, bool)):
            line, column = _setting_position(text, key)
            problems.append(
                Diagnostic(
                    pyproject,
                    line,
                    column,
                    f"[tool.lunora] {key} must be {kind}, got {type(value).__name__}: {value!r}",
                )
            )
    if problems:
        raise UserCodeError(problems)
    return settings


def _config_error(path: Path) -> UserCodeError:
    """The diagnostic of a wrangler config that does not parse: the reconciler's own (same
    ``path:line:col``, message and code as ``lunora codegen`` reports when it edits it)."""
    # deferred: the reconciler (tomlkit, the JSONC editor) loads only for a broken config
    from lunora_codegen.wrangler.reconcile import read_config_text, reconcile_text

    try:
        reconcile_text(read_config_text(path), path, [])
    except UserCodeError as error:
        return error
    except OSError as error:
        return UserCodeError(
            [Diagnostic(path, 1, 1, f"cannot read {path.name}: {error.strerror}", code="LW001")]
        )
    # read_wrangler_config refused what the reconciler reads (not expected): still say where
    return UserCodeError([Diagnostic(path, 1, 1, f"cannot parse {path.name}", code="LW001")])


def load_project(start: Path | None = None) -> Project:
    """Discover the project at or above ``start`` (default: the current directory).

    Raises :class:`ProjectNotFoundError` when there is none, and :class:`UserCodeError` when
    its ``pyproject.toml`` does not parse or ``[tool.lunora]`` is malformed, or when the
    wrangler config does not parse and the package's place depends on its ``main`` (no
    ``package`` under ``[tool.lunora]``).
    """
    root = find_project(start if start is not None else Path.cwd())
    settings = _tool_settings(root)

    config_path: Path | None = None
    if isinstance(settings.get("config"), str):
        config_path = root / settings["config"]
    else:
        config_path = next((root / n for n in CONFIG_NAMES if (root / n).is_file()), None)

    package_set = isinstance(settings.get("package"), str)
    entry_path: Path | None = None
    if config_path is not None and config_path.is_file():
        try:
            main = read_wrangler_config(config_path).get("main")
        except (ValueError, OSError):
            if not package_set:
                # The package's place comes from ``main``: guessing ``<root>/lunora`` would
                # report a missing package instead of the config's own syntax error.
                raise _config_error(config_path) from None
            main = None  # the reconciler reports a broken config with its exact location
        if isinstance(main, str):
            entry_path = root / main

    if package_set:
        package_dir = root / settings["package"]
    elif entry_path is not None:
        package_dir = entry_path.parent / "lunora"
    else:
        package_dir = root / "lunora"
    return Project(
        root=root, config_path=config_path, entry_path=entry_path, package_dir=package_dir
    )
