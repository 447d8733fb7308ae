"""Every lint against its positive and negative fixture projects (fixtures/lints/<code>/).

Each fixture line that must produce a finding carries an ``# expect: <code>`` marker; the test
compares the exact multiset of ``(file, line, code)`` with what ``lunora check`` finds, so a
negative fixture (no markers) must be entirely clean and a positive one must produce exactly
its marked findings and nothing else.
"""

from __future__ import annotations

import pytest

from lunora_codegen.lints import RULES, check_project
from lunora_codegen.project import load_project
from tests.lints.conftest import CASES, FIXTURES, actual_findings, expected_findings


@pytest.mark.parametrize("case", CASES)
def test_fixture_findings_match_markers(case: str) -> None:
    root = FIXTURES / case
    diagnostics = check_project(load_project(root))
    assert actual_findings(root, diagnostics) == expected_findings(root), "\n".join(
        d.format(root) for d in diagnostics
    )


@pytest.mark.parametrize("code", sorted(c for c in RULES if c != "source_error"))
def test_every_lint_has_positive_and_negative_fixtures(code: str) -> None:
    cases = [c.split("/")[1] for c in CASES if c.startswith(f"{code}/")]
    assert any(c.startswith("positive") for c in cases), f"{code}: no positive fixture"
    assert any(c.startswith("negative") for c in cases), f"{code}: no negative fixture"
    positive_codes = {
        finding[2]
        for c in cases
        if c.startswith("positive")
        for finding in expected_findings(FIXTURES / code / c)
    }
    assert code in positive_codes, f"{code}: the positive fixtures expect no {code} finding"


def test_fixture_diagnostics_carry_severity_and_hint() -> None:
    root = FIXTURES / "unawaited_step" / "positive"
    diagnostics = check_project(load_project(root))
    assert diagnostics
    for diagnostic in diagnostics:
        assert diagnostic.code in RULES
        assert diagnostic.severity is RULES[diagnostic.code].severity
        assert diagnostic.hint
