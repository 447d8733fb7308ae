"""Hypothesis strategy: random wrangler.jsonc documents that remember where everything is.

Each generated :class:`GeneratedDoc` carries the text, the data it must parse to, the desired
bindings, and the spans the property test needs: each reconciled ``workflows`` array, the root
object, the value tokens of entries lunora owns, and the stale entries. Comments (line and
block, with JSON-looking text inside), blank lines and trailing commas are drawn for every
position where JSONC allows them; newline (LF/CRLF), indent (tabs, 2 or 4 spaces), a BOM and
one-line versus multi-line containers are drawn per document or per container.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from lunora_codegen.wrangler import WorkflowBinding
from lunora_workflow import naming

POOL = ["channel_welcome", "order_pipeline", "expense_approval", "nightly_report"]
COMMENT_TEXT = [
    "",
    "note",
    '"workflows": [',
    '{ "binding": "FAKE", "class_name": "FakeWorkflow", "name": "fake" },',
    "] } ,",
    "unicode ✓ é 日本",
    "a * star / slash",
    "// nested",
    "TODO: remove",
]
STRINGS = [
    "plain",
    "// not a comment",
    "/* not a comment */",
    'quote " inside',
    "back\\slash",
    "héllo ✓",
    "[{,:}]",
    "",
    "tab\tin",
]
USER_KEYS = ["name", "main", "compatibility_date", "vars", "routes", "kv_namespaces", "weird key ✓"]


def binding_for(export: str) -> WorkflowBinding:
    """The binding lunora derives for ``export``."""
    return WorkflowBinding(
        naming.binding_name(export), naming.class_name(export), naming.deployed_name(export)
    )


@dataclass
class Section:
    """One place with a ``workflows`` array (or the root, where the key may be missing)."""

    env: str | None
    holder: tuple[int, int] = (0, 0)
    array: tuple[int, int] | None = None


@dataclass
class GeneratedDoc:
    """A generated document and everything the oracle needs about it."""

    text: str
    data: dict[str, Any]
    desired: list[WorkflowBinding]
    prune: bool
    sections: dict[str | None, Section]
    environments: list[str] = field(default_factory=list)
    owned_tokens: set[tuple[int, int]] = field(default_factory=set)
    stale_spans: list[tuple[int, int]] = field(default_factory=list)


class _Writer:
    def __init__(self, draw: st.DrawFn, newline: str, unit: str) -> None:
        self.draw = draw
        self.nl = newline
        self.unit = unit
        self.parts: list[str] = []
        self.pos = 0

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.pos += len(text)

    def indent(self, depth: int) -> str:
        return self.unit * depth

    def comment(self, depth: int) -> None:
        """A comment that leaves us where we were: a line comment ends with newline + indent."""
        text = self.draw(st.sampled_from(COMMENT_TEXT))
        if self.draw(st.booleans()):
            self.emit(f" // {text}{self.nl}{self.indent(depth)}")
        else:
            body = self.draw(st.sampled_from([text, f"{text}{self.nl}{self.indent(depth)} * more"]))
            self.emit(f" /* {body} */ " if self.draw(st.booleans()) else f"/*{body}*/")

    def small(self, depth: int) -> None:
        """Trivia between tokens on one line: nothing, a space, or a comment."""
        choice = self.draw(st.integers(0, 7))
        if choice == 1:
            self.emit(" ")
        elif choice == 2:
            self.comment(depth)

    def gap(self, depth: int, multiline: bool) -> None:
        """Trivia before an item (or before the closing bracket at ``depth``)."""
        open_line_comment = False
        for _ in range(self.draw(st.integers(0, 4)) // 3):
            kind = self.draw(st.integers(0, 2))
            if kind == 0:
                self.emit(self.nl)  # a blank line
                open_line_comment = False
            elif kind == 1:
                text = self.draw(st.sampled_from(COMMENT_TEXT))
                self.emit(f"{self.nl}{self.indent(depth)}// {text}")
                open_line_comment = True
            else:
                if open_line_comment:
                    self.emit(self.nl + self.indent(depth))
                self.comment(depth)
                open_line_comment = False
        if multiline or open_line_comment:
            self.emit(self.nl + self.indent(depth))
        else:
            self.small(depth)

    def container(
        self, opening: str, closing: str, items: list[Callable[[int], None]], depth: int
    ) -> tuple[int, int]:
        multiline = self.draw(st.booleans()) if items else self.draw(st.integers(0, 3)) == 0
        trailing = bool(items) and self.draw(st.booleans())
        start = self.pos
        self.emit(opening)
        for index, item in enumerate(items):
            self.gap(depth + 1, multiline)
            item(depth + 1)
            self.small(depth + 1)
            if index < len(items) - 1 or trailing:
                self.emit(",")
                if self.draw(st.integers(0, 4)) == 0:
                    self.comment(depth + 1)
        self.gap(depth, multiline)
        self.emit(closing)
        return start, self.pos

    def key(self, name: str, depth: int) -> None:
        self.emit(json.dumps(name, ensure_ascii=self.draw(st.booleans())))
        self.small(depth)
        self.emit(":")
        self.small(depth)
        if self.draw(st.booleans()):
            self.emit(" ")

    def scalar(self, value: Any) -> tuple[int, int]:
        start = self.pos
        self.emit(json.dumps(value, ensure_ascii=False))
        return start, self.pos


def _user_value(draw: st.DrawFn, depth: int) -> Any:
    if depth >= 2:
        return draw(
            st.one_of(st.sampled_from(STRINGS), st.integers(-5, 99), st.booleans(), st.none())
        )
    return draw(
        st.one_of(
            st.sampled_from(STRINGS),
            st.integers(-5, 99),
            st.just([]),
            st.dictionaries(st.sampled_from(["A", "url"]), st.sampled_from(STRINGS), max_size=2),
            st.lists(st.sampled_from(STRINGS), max_size=2),
        )
    )


def _write_value(w: _Writer, value: Any, depth: int) -> None:
    if isinstance(value, dict):
        items = [_member_item(w, k, v) for k, v in value.items()]
        w.container("{", "}", items, depth)
    elif isinstance(value, list):
        w.container("[", "]", [functools.partial(_write_value, w, v) for v in value], depth)
    else:
        w.scalar(value)


def _member_item(w: _Writer, key: str, value: Any) -> Callable[[int], None]:
    def item(depth: int) -> None:
        w.key(key, depth)
        _write_value(w, value, depth)

    return item


@st.composite
def documents(draw: st.DrawFn) -> GeneratedDoc:
    """A random wrangler.jsonc document (see the module docstring)."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    unit = draw(st.sampled_from(["\t", "  ", "    "]))
    w = _Writer(draw, newline, unit)
    desired_exports = draw(st.lists(st.sampled_from(POOL), unique=True, max_size=4))
    desired = [binding_for(e) for e in desired_exports]
    prune = draw(st.booleans())
    counter = iter(range(10_000))
    environments: list[str] = []

    owned_tokens: set[tuple[int, int]] = set()
    stale_spans: list[tuple[int, int]] = []
    sections: dict[str | None, Section] = {}

    def entries_for() -> list[tuple[str, dict[str, Any]]]:
        kinds = draw(st.lists(st.sampled_from(["owned", "foreign", "script", "stale"]), max_size=3))
        pool = list(draw(st.permutations(POOL)))
        out: list[tuple[str, dict[str, Any]]] = []
        for kind in kinds:
            i = next(counter)
            if kind == "owned" and pool:
                b = binding_for(pool.pop())
                entry: dict[str, Any] = {"class_name": b.class_name}
                binding = draw(st.sampled_from([b.binding, f"OLD_BINDING_{i}", None]))
                if binding is not None:
                    entry["binding"] = binding
                name = draw(st.sampled_from([b.name, f"old-name-{i}", None]))
                if name is not None:
                    entry["name"] = name
            elif kind == "stale":
                b = binding_for(f"old_thing_{i}")
                entry = {"binding": b.binding, "class_name": b.class_name, "name": b.name}
            elif kind == "script":
                entry = {
                    "binding": f"USER_{i}",
                    "class_name": binding_for(draw(st.sampled_from(POOL))).class_name,
                    "name": f"user-{i}",
                    "script_name": "other-worker",
                }
            else:
                entry = {"binding": f"USER_{i}", "class_name": f"Handmade{i}", "name": f"user-{i}"}
                kind = "foreign"
            if draw(st.booleans()):
                entry["limits"] = {"steps": draw(st.integers(1, 25_000))}
            keys = draw(st.permutations(list(entry)))
            out.append((kind, {k: entry[k] for k in keys}))
        return out

    def write_entry(kind: str, entry: dict[str, Any], depth: int) -> None:  # depth last: partial
        spans: dict[str, tuple[int, int]] = {}

        def member(key: str, value: Any) -> Callable[[int], None]:
            def item(d: int) -> None:
                w.key(key, d)
                if isinstance(value, str):
                    spans[key] = w.scalar(value)
                else:
                    _write_value(w, value, d)

            return item

        start, end = w.container("{", "}", [member(k, v) for k, v in entry.items()], depth)
        if kind == "owned":
            owned_tokens.update(spans[k] for k in ("binding", "name") if k in spans)
        if (
            "script_name" not in entry
            and _fingerprint(entry)
            and not any(b.class_name == entry["class_name"] for b in desired)
        ):
            stale_spans.append((start, end))

    def workflows_item(
        env: str | None, entries: list[tuple[str, dict[str, Any]]]
    ) -> Callable[[int], None]:
        def item(depth: int) -> None:
            w.key("workflows", depth)
            span = w.container(
                "[", "]", [functools.partial(write_entry, k, e) for k, e in entries], depth
            )
            sections[env].array = span

        return item

    def section_items(env: str | None, data: dict[str, Any]) -> list[Callable[[int], None]]:
        items: list[Callable[[int], None]] = []
        for key in draw(st.lists(st.sampled_from(USER_KEYS), unique=True, max_size=2)):
            value = _user_value(draw, 1)
            data[key] = value
            items.append(_member_item(w, key, value))
        sections[env] = Section(env)
        if draw(st.booleans()):
            entries = entries_for()
            data["workflows"] = [e for _, e in entries]
            position = draw(st.integers(0, len(items)))
            items.insert(position, workflows_item(env, entries))
        return items

    data: dict[str, Any] = {}
    items = section_items(None, data)
    env_names = draw(
        st.lists(st.sampled_from(["staging", "production", "dev ✓"]), unique=True, max_size=2)
    )
    if env_names:
        envs: dict[str, Any] = {}
        env_items: list[Callable[[int], None]] = []
        for name in env_names:
            env_data: dict[str, Any] = {}
            inner = section_items(name, env_data)
            if "workflows" not in env_data:
                # wrangler does not inherit workflows: lunora leaves the environment alone
                # unless it is listed (``environments=``), and then creates the key
                if draw(st.booleans()):
                    environments.append(name)
                else:
                    del sections[name]
            envs[name] = env_data

            def env_item(
                depth: int, name: str = name, inner: list[Callable[[int], None]] = inner
            ) -> None:
                w.key(name, depth)
                span = w.container("{", "}", inner, depth)
                if name in sections:
                    sections[name].holder = span

            env_items.append(env_item)
        data["env"] = envs

        def env_member(depth: int) -> None:
            w.key("env", depth)
            w.container("{", "}", env_items, depth)

        items.insert(draw(st.integers(0, len(items))), env_member)

    if draw(st.booleans()):
        w.emit("\ufeff")
    if draw(st.booleans()):
        w.emit(f"// wrangler config ✓{newline}")
    if draw(st.booleans()):
        w.emit(f'/** banner{newline} * "workflows": [] */{newline}')
    root = w.container("{", "}", items, 0)
    sections[None].holder = root
    if draw(st.booleans()):
        w.emit(newline)
    if draw(st.booleans()):
        w.emit(f"// end{newline}")
    return GeneratedDoc(
        text="".join(w.parts),
        data=data,
        desired=desired,
        prune=prune,
        sections=sections,
        environments=environments,
        owned_tokens=owned_tokens,
        stale_spans=stale_spans,
    )


def expected_data(doc: GeneratedDoc) -> dict[str, Any]:
    """The oracle: what the reconciled document must parse to (from the rules, not the code)."""
    import copy

    result = copy.deepcopy(doc.data)
    by_class = {b.class_name: b for b in doc.desired}
    for env in doc.sections:
        holder = result if env is None else result["env"][env]
        entries = holder.get("workflows")
        out: list[Any] = []
        owned: set[str] = set()
        for entry in entries or []:
            target = by_class.get(entry["class_name"])
            if target is not None and "script_name" not in entry:
                owned.add(target.class_name)
                entry = {**entry, "binding": target.binding}
                if env is None:
                    entry["name"] = target.name
                elif "name" not in entry:
                    entry["name"] = f"{target.name}-{env}"
            elif doc.prune and "script_name" not in entry and _fingerprint(entry):
                continue
            out.append(entry)
        for target in doc.desired:
            if target.class_name not in owned:
                name = target.name if env is None else f"{target.name}-{env}"
                out.append(
                    {"binding": target.binding, "class_name": target.class_name, "name": name}
                )
        if entries is not None or out:
            holder["workflows"] = out
    return result


def _fingerprint(entry: dict[str, Any]) -> bool:
    class_name = entry["class_name"]
    if not class_name.endswith("Workflow"):
        return False
    stem = class_name[: -len("Workflow")]
    return naming.class_name(stem) == class_name and entry.get("binding") == naming.binding_name(
        stem
    )
