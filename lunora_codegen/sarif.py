"""SARIF 2.1.0 output for ``lunora check --format sarif`` (what GitHub code scanning reads).

One run, one rule per registered lint (id, shortDescription, fullDescription, helpUri to the
docs anchor, default level), one result per diagnostic. File locations are relative URIs
resolved against ``%SRCROOT%``: the enclosing git checkout (so a project in a subfolder of a
repository still points at the right files on GitHub), or the project root outside git.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lunora_codegen.diagnostics import Diagnostic, Severity
from lunora_codegen.lints.registry import Rule

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "source_root", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_BASE_ID = "%SRCROOT%"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def source_root(project_root: Path) -> Path:
    """The git checkout holding ``project_root`` (a ``.git`` folder or file), else itself."""
    start = project_root.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _location(path: Path, line: int, column: int, root: Path) -> dict[str, Any]:
    resolved = path.resolve()
    try:
        artifact: dict[str, Any] = {
            "uri": resolved.relative_to(root).as_posix(),
            "uriBaseId": _BASE_ID,
        }
    except ValueError:
        artifact = {"uri": resolved.as_uri()}
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": max(line, 1), "startColumn": max(column, 1)},
        }
    }


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": "".join(part.capitalize() for part in rule.code.split("_")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "helpUri": rule.help_uri,
        "help": {"text": f"{rule.description}\nFix: {rule.hint}"},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
    }


def to_sarif(
    diagnostics: Iterable[Diagnostic],
    *,
    root: Path,
    rules: Mapping[str, Rule],
    version: str,
) -> dict[str, Any]:
    """The SARIF log for ``diagnostics``; paths are made relative to ``root`` (see above)."""
    root = root.resolve()
    index = {code: position for position, code in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for diagnostic in diagnostics:
        text = diagnostic.message
        if diagnostic.hint:
            text += f"\nHint: {diagnostic.hint}"
        result: dict[str, Any] = {
            "ruleId": diagnostic.code or "source_error",
            "level": _LEVELS[diagnostic.severity],
            "message": {"text": text},
            "locations": [_location(diagnostic.path, diagnostic.line, diagnostic.column, root)],
        }
        if result["ruleId"] in index:
            result["ruleIndex"] = index[result["ruleId"]]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lunora",
                        "version": version,
                        "rules": [_rule(rules[code]) for code in rules],
                    }
                },
                "originalUriBaseIds": {_BASE_ID: {"uri": root.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
