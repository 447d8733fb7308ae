"""Property tests: reconcile random JSONC documents and check what changed, byte by byte.

"Only the edited spans change" is checked precisely, as four properties of a result:

1. ``result.edits`` (offsets into the original) spliced into the original give ``new_text``;
2. every edit lies inside a region lunora may edit: a reconciled ``workflows`` array, or, when
   a reconciled section (the root, or an environment listed in ``environments``) has no
   ``workflows`` key, the inside of that section's object;
3. what an edit deletes is only whitespace, separating commas, a value token of an entry lunora
   owns (``binding``/``name``), or, with ``prune``, whole stale entries; never a comment, a
   user's entry or a field the user added;
4. so every other byte of the original (BOM, comments, newlines, indentation, key order,
   unicode) is in the output unchanged and in order.

Then: the output parses with json5 to exactly the oracle's data, and a second run is a no-op.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import json5
import pytest
from hypothesis import HealthCheck, given, settings

from lunora_codegen.wrangler import reconcile_text
from lunora_codegen.wrangler.jsonc_edit import apply_edits

from .jsonc_gen import GeneratedDoc, documents, expected_data

EXAMPLES = int(os.environ.get("LUNORA_WRANGLER_EXAMPLES", "2000"))
settings.register_profile(
    "wrangler-property",
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("wrangler-property")
CONFIG = Path("wrangler.jsonc")


def _regions(doc: GeneratedDoc) -> list[tuple[int, int]]:
    regions = []
    for section in doc.sections.values():
        if section.array is not None:
            regions.append(section.array)
        else:
            start, end = section.holder
            regions.append((start + 1, end - 1))
    return regions


def _deletion_allowed(doc: GeneratedDoc, start: int, end: int) -> bool:
    if (start, end) in doc.owned_tokens:
        return True
    deleted = doc.text[start:end]
    if doc.prune:
        for s, e in sorted(doc.stale_spans, reverse=True):
            if start <= s and e <= end:
                deleted = deleted[: s - start] + deleted[e - start :]
    return re.fullmatch(r"[\s,]*", deleted) is not None and deleted.count(",") <= 1 + len(
        doc.stale_spans
    )


@pytest.mark.slow
@settings(PROFILE)
@given(doc=documents())
def test_reconcile_edits_only_what_it_owns(doc: GeneratedDoc) -> None:
    result = reconcile_text(
        doc.text, CONFIG, doc.desired, prune=doc.prune, environments=doc.environments
    )
    expected = expected_data(doc)
    new = result.new_text if result.new_text is not None else doc.text

    # 1. the splices are the whole story
    assert apply_edits(doc.text, result.edits) == new
    assert (result.new_text is None) == (not result.edits)
    # 2 + 3. inside lunora's regions, deleting only what lunora may delete
    regions = _regions(doc)
    for edit in result.edits:
        assert any(s <= edit.start and edit.end <= e for s, e in regions), (edit, regions)
        if edit.end > edit.start:
            assert _deletion_allowed(doc, edit.start, edit.end), (
                edit,
                doc.text[edit.start : edit.end],
            )
    # the data is exactly the oracle's
    assert json5.loads(new) == expected
    # idempotent
    again = reconcile_text(new, CONFIG, doc.desired, prune=doc.prune, environments=doc.environments)
    assert again.new_text is None, again.changes
    assert not again.changes
