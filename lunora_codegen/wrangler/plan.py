"""Ownership rules: which ``workflows[]`` entries lunora may touch, and what it would change.

This module is format-free: it sees one section's entries as parsed values and returns a
:class:`SectionPlan` that the JSONC and TOML writers carry out in their own syntax. One plan
drives both the write and ``--check``.

Rules (also in docs/wrangler.md):

* **Ours**: an entry without ``script_name`` whose ``class_name`` is a generated class. Its
  ``binding`` and (top level only) ``name`` are set to the generated values; every other field
  (``limits``, ``schedules``, ...) is the user's and kept. Missing entries are appended in the
  order given.
* **Not ours**: other classes, and any entry with ``script_name`` (it binds another Worker's
  class). Never touched; only checked for clashes with the bindings and names we need.
* **Stale**: not ours, no ``script_name``, its class is not generated any more, *and* lunora
  can tell it made that entry: the class was declared by the previous generated module
  (``previous_classes``), or the entry carries lunora's naming fingerprint (``class_name`` is
  ``<Stem>Workflow`` and ``binding`` is exactly ``binding_name(<Stem>)``, the pair
  :mod:`lunora_workflow.naming` derives). Stale entries are reported; ``prune`` removes them.
* **Environments**: wrangler does not inherit ``workflows`` into ``env.<name>``. In an
  environment section lunora owns ``binding`` but not ``name``: a workflow name is global to the
  account, so a new entry is named ``<name>-<env>`` (staging must not take over production's
  instances) and an existing entry keeps whatever name the user gave it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from lunora_codegen.wrangler.model import WorkflowBinding
from lunora_workflow import naming

__all__ = [
    "FIELDS",
    "Problem",
    "SectionPlan",
    "apply_plan",
    "describe",
    "env_workflow_name",
    "looks_generated",
    "plan_section",
    "section_label",
]

#: The fields lunora writes into a new entry, in this order (TS-lunora's order).
FIELDS = ("binding", "class_name", "name")


@dataclass(frozen=True)
class Problem:
    """Something wrong in a section: at entry ``entry`` (``None``: the array), field ``key``."""

    entry: int | None
    key: str | None
    message: str
    code: str


@dataclass
class SectionPlan:
    """The edits one section needs. Entry indexes refer to the array as it is in the file."""

    env: str | None
    exists: bool
    updates: dict[int, dict[str, str]] = field(default_factory=dict)
    appends: list[dict[str, str]] = field(default_factory=list)
    removals: frozenset[int] = frozenset()
    stale: list[int] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``workflows`` or ``env.<name>.workflows``."""
        return section_label(self.env)

    @property
    def is_noop(self) -> bool:
        """True when the section needs no edit."""
        return not (self.updates or self.appends or self.removals)


def section_label(env: str | None) -> str:
    """How messages name a section's array."""
    return "workflows" if env is None else f"env.{env}.workflows"


def env_workflow_name(name: str, env: str | None) -> str:
    """The deployed name lunora gives a *new* entry in ``env``: ``<name>-<env>``."""
    return name if env is None else f"{name}-{env}"


def looks_generated(binding: object, class_name: str) -> bool:
    """True when ``(binding, class_name)`` is exactly the pair lunora derives for some export."""
    suffix = "Workflow"
    if not class_name.endswith(suffix) or len(class_name) == len(suffix):
        return False
    stem = class_name[: -len(suffix)]
    try:
        return naming.class_name(stem) == class_name and binding == naming.binding_name(stem)
    except ValueError:
        return False


def plan_section(
    env: str | None,
    entries: Sequence[Any] | None,
    desired: Sequence[WorkflowBinding],
    *,
    prune: bool,
    previous_classes: Collection[str],
) -> tuple[SectionPlan, list[Problem]]:
    """Plan one section. ``entries`` is the parsed array, or ``None`` when the key is absent."""
    plan = SectionPlan(env=env, exists=entries is not None)
    problems: list[Problem] = []
    label = plan.label
    items = list(entries or [])
    wanted = {b.class_name: b for b in desired}

    owner: dict[str, int] = {}
    seen_binding: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    for index, entry in enumerate(items):
        if not isinstance(entry, dict):
            problems.append(
                Problem(
                    index,
                    None,
                    f"{label}[{index}] must be an object, got {describe(entry)}",
                    "LW003",
                )
            )
            continue
        binding = entry.get("binding")
        if isinstance(binding, str):
            if binding in seen_binding:
                problems.append(
                    Problem(
                        index,
                        "binding",
                        f"duplicate binding {binding!r} in {label}"
                        f" (also {label}[{seen_binding[binding]}])",
                        "LW004",
                    )
                )
            seen_binding.setdefault(binding, index)
        name = entry.get("name")
        if isinstance(name, str):
            if name in seen_name:
                problems.append(
                    Problem(
                        index,
                        "name",
                        f"duplicate workflow name {name!r} in {label}"
                        f" (also {label}[{seen_name[name]}]);"
                        " wrangler rejects it",
                        "LW005",
                    )
                )
            seen_name.setdefault(name, index)
        class_name = entry.get("class_name")
        if "script_name" in entry or not isinstance(class_name, str):
            continue
        if class_name in wanted:
            if class_name in owner:
                problems.append(
                    Problem(
                        index,
                        "class_name",
                        f"class {class_name!r} is bound twice in {label}"
                        f" (also {label}[{owner[class_name]}]);"
                        " lunora owns one entry per generated class",
                        "LW008",
                    )
                )
            owner.setdefault(class_name, index)
        elif looks_generated(binding, class_name) or class_name in previous_classes:
            plan.stale.append(index)

    for class_name, index in owner.items():
        target = wanted[class_name]
        entry = items[index]
        goal = {"binding": target.binding}
        if env is None or not isinstance(entry.get("name"), str):
            goal["name"] = env_workflow_name(target.name, env)
        fields = {k: v for k, v in goal.items() if entry.get(k) != v}
        if fields:
            plan.updates[index] = fields
            for key, value in fields.items():
                old = entry.get(key)
                was = "missing" if key not in entry else repr(old)
                plan.changes.append(f"{label}: {class_name}: {key} {was} -> {value!r}")

    for target in desired:
        if target.class_name in owner:
            continue
        new = {
            "binding": target.binding,
            "class_name": target.class_name,
            "name": env_workflow_name(target.name, env),
        }
        plan.appends.append(new)
        plan.changes.append(
            f"{label}: added {target.binding} (class {target.class_name}, name {new['name']!r})"
        )

    if prune:
        plan.removals = frozenset(plan.stale)
        for index in plan.stale:
            entry = items[index]
            plan.changes.append(
                f"{label}: removed stale {entry.get('class_name')}"
                f" (binding {entry.get('binding')!r})"
            )

    reported = {(p.entry, p.key) for p in problems}
    problems.extend(
        p
        for p in _clashes(plan, items, set(owner.values()), label)
        if (p.entry, p.key) not in reported
    )
    return plan, problems


def _clashes(
    plan: SectionPlan, items: list[Any], owned: Collection[int], label: str
) -> list[Problem]:
    """Bindings and names lunora needs that an entry it does not own already uses."""
    final = apply_plan(items, plan)
    kept = [i for i in range(len(items)) if i not in plan.removals]
    # ``final`` lists the kept entries in order, then the appended ones.
    ours: dict[str, dict[str, str]] = {"binding": {}, "name": {}}
    for position, entry in enumerate(final):
        is_ours = position >= len(kept) or kept[position] in owned
        if is_ours:
            for key in ours:
                if isinstance(entry.get(key), str):
                    ours[key][entry[key]] = entry["class_name"]
    problems: list[Problem] = []
    for i, entry in enumerate(items):
        if i in owned or i in plan.removals or not isinstance(entry, dict):
            continue
        for key, code in (("binding", "LW004"), ("name", "LW005")):
            value = entry.get(key)
            if isinstance(value, str) and value in ours[key]:
                problems.append(
                    Problem(
                        i,
                        key,
                        f"{key} {value!r} in {label}[{i}] belongs to an entry lunora does not own,"
                        f" but lunora needs it for class {ours[key][value]!r}; rename one of them",
                        code,
                    )
                )
    return problems


def apply_plan(entries: Sequence[Any], plan: SectionPlan) -> list[Any]:
    """The section's array after ``plan``, as plain values (what the written file must parse to)."""
    result: list[Any] = []
    for index, entry in enumerate(entries):
        if index in plan.removals:
            continue
        if index in plan.updates:
            entry = {**entry, **plan.updates[index]}
        result.append(entry)
    result.extend(dict(new) for new in plan.appends)
    return result


def describe(value: object) -> str:
    """How messages name the JSON type of ``value`` ("an array", "null", ...)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
