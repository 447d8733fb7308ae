"""Reconcile a wrangler config's ``workflows`` arrays with the generated classes.

:func:`reconcile` reads the file and computes the new text without writing;
:func:`write_config` writes it atomically, and only when the bytes differ. Planning
(:mod:`.plan`) is shared by both formats; JSON/JSONC text is edited by span splicing
(:mod:`.jsonc_config`), TOML through tomlkit (:mod:`.toml_edit`). Before a result is returned,
the new text is parsed again and compared with the data the plan promises, so a splice bug
can never reach the disk.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lunora_codegen.diagnostics import Diagnostic, LunoraToolError, Severity, UserCodeError
from lunora_codegen.jsonc_read import load_jsonc
from lunora_codegen.wrangler.jsonc_config import (
    JsonSection,
    entry_position,
    find_sections,
    json5_error_location,
    plan_edits,
    values_equal,
)
from lunora_codegen.wrangler.jsonc_edit import TextEdit, apply_edits, detect_style
from lunora_codegen.wrangler.jsonc_scan import (
    ArrayNode,
    ObjectNode,
    ScanError,
    line_col,
    scan_shared,
)
from lunora_codegen.wrangler.model import ReconcileResult, StaleEntry, WorkflowBinding
from lunora_codegen.wrangler.plan import (
    Problem,
    SectionPlan,
    apply_plan,
    describe,
    plan_section,
    section_label,
)
from lunora_codegen.wrangler.toml_edit import TomlConfig, TomlEditError
from lunora_workflow import naming

__all__ = [
    "BOM",
    "ConfigChangedError",
    "ReconcileBugError",
    "read_config_text",
    "reconcile",
    "reconcile_text",
    "write_config",
]


#: a UTF-8 byte order mark, as :func:`read_config_text` keeps it
BOM = "\ufeff"


class ConfigChangedError(LunoraToolError):
    """The config changed on disk between :func:`reconcile` and :func:`write_config`."""


class ReconcileBugError(LunoraToolError):
    """The edited text did not parse back to the planned data (a lunora bug; nothing written)."""


def read_config_text(path: Path) -> str:
    """The config's text, exactly: BOM kept as ``\\ufeff``, CRLF kept. Bad UTF-8 is a diagnostic."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", errors="replace")
        line, column = line_col(before, len(before))
        raise UserCodeError(
            [Diagnostic(path, line, column, f"{path.name} is not valid UTF-8", code="LW001")]
        ) from error


def reconcile(
    config_path: Path,
    desired: Sequence[WorkflowBinding],
    *,
    prune: bool = False,
    environments: Iterable[str] = (),
    previous_classes: Collection[str] = frozenset(),
) -> ReconcileResult:
    """Compute the edit that wires ``desired`` into ``config_path`` (nothing is written).

    ``desired`` lists the generated bindings in export order. ``prune`` removes stale entries
    (see :mod:`.plan` for the ownership rules). ``environments`` names ``env.<name>`` sections
    to reconcile even though they have no ``workflows`` key yet; sections that already have
    one are always reconciled. ``previous_classes`` are the classes the previous generated
    module declared (:func:`lunora_codegen.wrangler.generated_classes`), which marks entries
    lunora made as stale once their class is gone.

    Raises :class:`UserCodeError` (file untouched) when the config cannot be parsed or its
    ``workflows`` arrays are malformed, with ``path:line:col`` diagnostics.
    """
    return reconcile_text(
        read_config_text(config_path),
        config_path,
        desired,
        prune=prune,
        environments=environments,
        previous_classes=previous_classes,
    )


def _validate_desired(desired: Sequence[WorkflowBinding]) -> None:
    for attribute in ("binding", "class_name", "name"):
        counts = Counter(getattr(b, attribute) for b in desired)
        duplicates = sorted(v for v, n in counts.items() if n > 1)
        if duplicates:
            raise ValueError(f"desired bindings repeat {attribute} {duplicates}")


def reconcile_text(
    text: str,
    config_path: Path,
    desired: Sequence[WorkflowBinding],
    *,
    prune: bool = False,
    environments: Iterable[str] = (),
    previous_classes: Collection[str] = frozenset(),
) -> ReconcileResult:
    """:func:`reconcile` on a text already read (``config_path`` names the file and its format)."""
    _validate_desired(desired)
    goal = _Goal(desired, prune, list(dict.fromkeys(environments)), previous_classes)
    if config_path.suffix == ".toml":
        return _reconcile_toml(text, config_path, goal)
    return _reconcile_json(text, config_path, goal)


@dataclass(frozen=True)
class _Goal:
    """What :func:`reconcile` was asked for, whichever the file's format."""

    desired: Sequence[WorkflowBinding]
    prune: bool
    environments: list[str]
    previous_classes: Collection[str]


@dataclass(frozen=True)
class _Planned:
    """The plans for every section, the data they promise, and what to report."""

    plans: list[SectionPlan]
    expected: dict[str, Any]
    stale: list[StaleEntry]
    warnings: list[Diagnostic]

    def result(
        self, path: Path, text: str, new_text: str, edits: Sequence[TextEdit] = ()
    ) -> ReconcileResult:
        """The result of editing ``text`` into ``new_text``."""
        changed = new_text != text
        return ReconcileResult(
            path=path,
            old_text=text,
            new_text=new_text if changed else None,
            changes=tuple(c for plan in self.plans for c in plan.changes),
            stale=tuple(self.stale),
            warnings=tuple(self.warnings),
            edits=tuple(sorted(edits)) if changed else (),
        )


def _error(path: Path, line: int, column: int, message: str, code: str) -> UserCodeError:
    return UserCodeError([Diagnostic(path, line, column, message, code=code)])


def _select_envs(
    data: dict[str, Any], path: Path, goal: _Goal, locate_env: Any
) -> tuple[list[str], list[Diagnostic]]:
    """Environment sections to reconcile, and warnings about the ones left alone."""
    wanted, desired = goal.environments, goal.desired
    envs = data.get("env")
    envs = envs if isinstance(envs, dict) else {}
    chosen: list[str] = []
    warnings: list[Diagnostic] = []
    for name, section in envs.items():
        if not isinstance(section, dict):
            continue
        if "workflows" in section or name in wanted:
            chosen.append(name)
        elif desired:
            line, column = locate_env(name)
            warnings.append(
                Diagnostic(
                    path,
                    line,
                    column,
                    f"env.{name} declares no workflows; wrangler does not inherit them from the"
                    f" top level, so `wrangler deploy --env {name}` would deploy without"
                    " workflow bindings",
                    severity=Severity.WARNING,
                    code="LW110",
                    hint=f'add "workflows": [] to env.{name} (lunora then fills it in), or list'
                    f' "{name}" in [tool.lunora] environments',
                )
            )
    for name in wanted:
        if name not in chosen:
            warnings.append(
                Diagnostic(
                    path,
                    1,
                    1,
                    f"environment {name!r} is listed for lunora but {path.name} has no"
                    f" env.{name} table",
                    severity=Severity.WARNING,
                    code="LW111",
                )
            )
    return chosen, warnings


def _copy_data(value: Any) -> Any:
    """A deep copy of a parsed config: new dicts and lists, the (immutable) scalars shared.
    ``copy.deepcopy`` did the same ~3x slower (~6 ms for 1,000 workflows on every run)."""
    if isinstance(value, dict):
        return {key: _copy_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_data(item) for item in value]
    return value


def _plan_all(
    data: dict[str, Any], envs: list[str], goal: _Goal
) -> tuple[list[SectionPlan], list[tuple[str | None, Problem]], dict[str, Any]]:
    plans: list[SectionPlan] = []
    problems: list[tuple[str | None, Problem]] = []
    expected = _copy_data(data)
    for env in [None, *envs]:
        holder = data if env is None else data["env"][env]
        entries = holder.get("workflows")
        if "workflows" in holder and not isinstance(entries, list):
            kind = describe(entries)
            problems.append(
                (
                    env,
                    Problem(
                        None, None, f"{section_label(env)} must be an array, got {kind}", "LW002"
                    ),
                )
            )
            continue
        plan, found = plan_section(
            env, entries, goal.desired, prune=goal.prune, previous_classes=goal.previous_classes
        )
        plans.append(plan)
        problems.extend((env, p) for p in found)
        if not plan.is_noop:
            target = expected if env is None else expected["env"][env]
            target["workflows"] = apply_plan(entries or [], plan)
    return plans, problems, expected


def _stale(
    plans: Sequence[SectionPlan],
    data: dict[str, Any],
    path: Path,
    locate: Any,
) -> tuple[list[StaleEntry], list[Diagnostic]]:
    stale: list[StaleEntry] = []
    warnings: list[Diagnostic] = []
    for plan in plans:
        holder = data if plan.env is None else data["env"][plan.env]
        for index in plan.stale:
            entry = holder["workflows"][index]
            line, column = locate(plan.env, index, None)
            removed = index in plan.removals
            binding = entry.get("binding")
            stale.append(
                StaleEntry(
                    plan.label,
                    binding if isinstance(binding, str) else None,
                    entry["class_name"],
                    line,
                    column,
                    removed,
                )
            )
            if not removed:
                warnings.append(
                    Diagnostic(
                        path,
                        line,
                        column,
                        f"{plan.label}[{index}] binds {entry['class_name']!r}, which lunora no"
                        " longer generates; wrangler will reject a class the worker does not"
                        " export",
                        severity=Severity.WARNING,
                        code="LW107",
                        hint="remove the entry, or run `lunora codegen --prune` to remove it",
                    )
                )
    return stale, warnings


def _env_name_warnings(plans: Sequence[SectionPlan], path: Path, locate: Any) -> list[Diagnostic]:
    """``<name>-<env>`` can break Cloudflare's name rules (length, characters): say so."""
    warnings = []
    for plan in plans:
        for entry in plan.appends if plan.env is not None else ():
            problem = naming.deployed_name_problem(entry["name"])
            if problem is not None:
                line, column = locate(plan.env, None, None)
                warnings.append(
                    Diagnostic(
                        path,
                        line,
                        column,
                        f"{plan.label}: {problem}",
                        severity=Severity.WARNING,
                        code="LW112",
                        hint="rename the entry's `name` by hand; lunora keeps environment names",
                    )
                )
    return warnings


def _plan(
    data: dict[str, Any],
    path: Path,
    envs: list[str],
    goal: _Goal,
    locate: Any,
    warnings: list[Diagnostic],
) -> _Planned:
    """Plan every section; raise its problems as diagnostics (the file stays untouched)."""
    plans, problems, expected = _plan_all(data, envs, goal)
    if problems:
        diagnostics = []
        for env, problem in problems:
            line, column = locate(env, problem.entry, problem.key)
            diagnostics.append(Diagnostic(path, line, column, problem.message, code=problem.code))
        raise UserCodeError(diagnostics)
    stale, stale_warnings = _stale(plans, data, path, locate)
    stale_warnings += _env_name_warnings(plans, path, locate)
    return _Planned(plans, expected, stale, warnings + stale_warnings)


def _verify(path: Path, reparse: Callable[[], Any], errors: type[Exception], expected: Any) -> None:
    """Refuse (:class:`ReconcileBugError`) new text that does not parse back to ``expected``."""
    try:
        reparsed = reparse()
    except errors as error:
        raise ReconcileBugError(
            f"lunora produced unparsable {path.name} ({error}); not written"
        ) from error
    if not values_equal(reparsed, expected):
        raise ReconcileBugError(
            f"lunora's edit of {path.name} does not match its plan; not written"
        )


def _reconcile_json(text: str, path: Path, goal: _Goal) -> ReconcileResult:
    try:
        data = load_jsonc(text)
    except ValueError as error:
        line, column, message = json5_error_location(str(error))
        raise _error(path, line, column, f"cannot parse {path.name}: {message}", "LW001") from error
    if not isinstance(data, dict):
        raise _error(path, 1, 1, f"{path.name} must hold an object at the top level", "LW007")
    try:
        # shared with the config checks, which read the same text in the same run
        root = scan_shared(text)
    except ScanError as error:  # json5 accepted something the scanner cannot place
        line, column = line_col(text, error.offset)
        raise _error(path, line, column, f"cannot edit {path.name}: {error}", "LW001") from error
    assert isinstance(root, ObjectNode)

    env_member = root.get("env")

    def locate_env(name: str) -> tuple[int, int]:
        if env_member is not None and isinstance(env_member.value, ObjectNode):
            member = env_member.value.get(name)
            if member is not None:
                return line_col(text, member.key_start)
        return 1, 1

    envs, warnings = _select_envs(data, path, goal, locate_env)
    sections = find_sections(root, envs)

    def locate(env: str | None, index: int | None, key: str | None) -> tuple[int, int]:
        section = sections[env]
        if index is None and section.array is None:
            return line_col(text, section.holder.start)
        return entry_position(text, section, index, key)

    planned = _plan(data, path, envs, goal, locate, warnings)
    style = detect_style(text, root)
    edits: list[TextEdit] = []
    for plan in planned.plans:
        section: JsonSection = sections[plan.env]
        assert section.array is None or isinstance(section.array, ArrayNode)
        edits.extend(plan_edits(text, section, plan, style))
    new_text = apply_edits(text, edits)
    if new_text != text:
        _verify(path, lambda: load_jsonc(new_text), ValueError, planned.expected)
    return planned.result(path, text, new_text, edits)


def _reconcile_toml(text: str, path: Path, goal: _Goal) -> ReconcileResult:
    # wrangler reads a BOM-prefixed wrangler.toml (removeBOMAndValidate) but TOML itself has
    # no BOM: edit the rest and put the BOM back in front
    if text.startswith(BOM):
        result = _reconcile_toml(text[len(BOM) :], path, goal)
        return replace(
            result,
            old_text=text,
            new_text=None if result.new_text is None else BOM + result.new_text,
        )
    try:
        config = TomlConfig(text)
    except TomlEditError as error:
        raise _error(
            path, error.line, error.column, f"cannot parse {path.name}: {error}", "LW001"
        ) from error
    data = config.data

    def locate_env(name: str) -> tuple[int, int]:
        return 1, 1

    envs, warnings = _select_envs(data, path, goal, locate_env)
    planned = _plan(data, path, envs, goal, config.locate, warnings)
    if all(plan.is_noop for plan in planned.plans):
        return planned.result(path, text, text)
    try:
        new_text = config.render(planned.plans)
    except TomlEditError as error:
        raise _error(path, error.line, error.column, str(error), "LW009") from error
    _verify(
        path,
        lambda: _plain(tomllib.loads(new_text)),
        tomllib.TOMLDecodeError,
        _plain(planned.expected),
    )
    return planned.result(path, text, new_text)


def _plain(value: Any) -> Any:
    """tomllib and tomlkit agree on values but not on container types; compare plain ones."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def write_config(result: ReconcileResult) -> bool:
    """Write ``result.new_text`` atomically (temp file + ``os.replace``); ``False`` if unchanged.

    Refuses (:class:`ConfigChangedError`) when the file no longer holds ``result.old_text``,
    so an edit the user saved in between is never overwritten. Keeps the file's permissions.
    """
    if result.new_text is None:
        return False
    path = result.path
    if read_config_text(path) != result.old_text:
        raise ConfigChangedError(
            f"{path} changed while lunora was editing it; run the command again"
        )
    data = result.new_text.encode("utf-8")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True
