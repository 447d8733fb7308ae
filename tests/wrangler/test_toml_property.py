"""Property tests for ``wrangler.toml``: random documents with comments, both line endings, a
BOM or not, a final newline or not, ``[[workflows]]`` tables or an inline array, environments,
a stale entry, with and without ``prune``.

After reconcile: the BOM, the line endings and the final-newline style are the file's own,
every comment is still there (but those on a pruned entry's own lines), every value outside
``workflows`` is unchanged, each generated class is bound exactly as planned (the user's other
fields kept), and a second run is a no-op.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lunora_codegen.wrangler import WorkflowBinding, reconcile_text

EXAMPLES = int(os.environ.get("LUNORA_WRANGLER_TOML_EXAMPLES", "1000"))
CONFIG = Path("wrangler.toml")
DESIRED = [
    WorkflowBinding("WORKFLOW_A", "AWorkflow", "a"),
    WorkflowBinding("WORKFLOW_B", "BWorkflow", "b"),
]
#: classes an existing entry may bind: two of ours, two of someone else's, and one lunora
#: made for a workflow that is gone (``WORKFLOW_OLD``/``OldWorkflow`` is lunora's naming
#: fingerprint, so it is stale and ``prune`` removes it)
CLASSES = ["AWorkflow", "BWorkflow", "BillingWorkflow", "Mailer", "OldWorkflow"]
STALE = "OldWorkflow"


@dataclass(frozen=True)
class TomlDoc:
    text: str
    #: comments that must survive whatever happens
    comments: tuple[str, ...]
    prune: bool
    #: comments on a stale entry's own lines: they go with the entry when it is pruned
    stale_comments: tuple[str, ...] = ()


def _comment(draw: st.DrawFn, tag: str) -> str:
    # unique text per comment, so "still there" is a precise check
    words = draw(st.sampled_from(["note", "keep me", "é ünïcode", "# hash", "x = 1"]))
    return f"# {tag}: {words}"


@st.composite
def toml_documents(draw: st.DrawFn) -> TomlDoc:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    comments: list[str] = []
    stale_comments: list[str] = []
    counter = iter(range(1000))
    prune = draw(st.booleans())

    def maybe_comment(prefix: str = "", *, owner: str = "") -> str:
        if not draw(st.booleans()):
            return ""
        text = _comment(draw, f"c{next(counter)}")
        (stale_comments if owner == STALE else comments).append(text)
        return prefix + text

    def blank() -> None:
        if draw(st.booleans()):
            lines.append("")

    head = maybe_comment()
    if head:
        lines.append(head)
    for key, value in (("name", '"app"'), ("main", '"src/entry.py"')):
        if draw(st.booleans()):
            trailing = maybe_comment(" ")
            lines.append(f"{key} = {value}{trailing}")
    blank()

    # a prefix of a permutation: distinct classes without filtering (no rejected examples)
    order = draw(st.permutations(CLASSES))
    entries = order[: draw(st.integers(0, 4))]
    inline = bool(entries) and draw(st.booleans())
    vars_first = draw(st.booleans())

    def vars_table() -> None:
        if draw(st.booleans()):
            lines.append(f"[vars]{maybe_comment(' ')}")
            lines.append('SUPPORT = "help@example.com"')
            blank()

    if vars_first:
        vars_table()
    if inline:
        items = ", ".join(
            f'{{binding = "{_binding(i, c)}", class_name = "{c}", name = "user-{i}"}}'
            for i, c in enumerate(entries)
        )
        lines.append(f"workflows = [{items}]{maybe_comment(' ')}")
        blank()
    else:
        for i, class_name in enumerate(entries):
            above = maybe_comment()
            if above:
                lines.append(above)
            lines.append(f"[[workflows]]{maybe_comment(' ', owner=class_name)}")
            lines.append(
                f'binding = "{_binding(i, class_name)}"{maybe_comment(" ", owner=class_name)}'
            )
            lines.append(f'class_name = "{class_name}"')
            lines.append(f'name = "user-{i}"')
            if draw(st.booleans()):
                lines.append("limits = { steps = 500 }")
            blank()
    if not vars_first:
        vars_table()
    if draw(st.booleans()):
        lines.append("[env.staging]")
        lines.append('name = "app-staging"')
        if draw(st.booleans()):
            blank()
            lines.append("[[env.staging.workflows]]")
            lines.append('binding = "STAGING_A"')
            lines.append('class_name = "AWorkflow"')
            lines.append('name = "a-stg"')
        blank()
    tail = maybe_comment()
    if tail:
        lines.append(tail)
    text = nl.join(lines)
    if text and draw(st.booleans()):
        text += nl
    if draw(st.booleans()):
        text = "\ufeff" + text
    return TomlDoc(text, tuple(comments), prune, tuple(stale_comments))


def _binding(index: int, class_name: str) -> str:
    return "WORKFLOW_OLD" if class_name == STALE else f"USER_{index}"


def _data(text: str) -> dict[str, Any]:
    return tomllib.loads(text.removeprefix("\ufeff"))


def _without_workflows(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "workflows"}
    env = out.get("env")
    if isinstance(env, dict):
        out["env"] = {
            name: {k: v for k, v in section.items() if k != "workflows"}
            for name, section in env.items()
        }
    return out


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(doc=toml_documents())
def test_toml_reconcile_keeps_the_file_and_binds_the_workflows(doc: TomlDoc) -> None:
    before = _data(doc.text)
    result = reconcile_text(doc.text, CONFIG, DESIRED, prune=doc.prune)
    new = result.new_text if result.new_text is not None else doc.text

    assert new.startswith("\ufeff") == doc.text.startswith("\ufeff")
    body = doc.text.removeprefix("\ufeff")
    if body:
        assert new.endswith("\n") == body.endswith("\n")
    if "\r\n" in body and "\n" not in body.replace("\r\n", ""):
        assert re.search(r"(?<!\r)\n", new) is None
    for comment in doc.comments + (() if doc.prune else doc.stale_comments):
        assert comment in new

    after = _data(new)
    assert _without_workflows(after) == _without_workflows(before)
    workflows = after["workflows"]
    for wanted in DESIRED:
        [entry] = [w for w in workflows if w["class_name"] == wanted.class_name]
        assert (entry["binding"], entry["name"]) == (wanted.binding, wanted.name)
        [old] = [
            w for w in before.get("workflows", []) if w["class_name"] == wanted.class_name
        ] or [{}]
        assert {k: v for k, v in entry.items() if k not in ("binding", "name")} == {
            "class_name": wanted.class_name,
            **{k: v for k, v in old.items() if k not in ("binding", "name", "class_name")},
        }
    ours = {w.class_name for w in DESIRED}
    assert [w for w in workflows if w["class_name"] not in ours] == [
        w
        for w in before.get("workflows", [])
        if w["class_name"] not in ours and not (doc.prune and w["class_name"] == STALE)
    ]

    again = reconcile_text(new, CONFIG, DESIRED, prune=doc.prune)
    assert again.new_text is None, again.changes
