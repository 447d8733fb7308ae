"""``lunora check --format sarif`` against the official SARIF 2.1.0 schema (see sarif_schema.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

# jsonschema ships no type information and the dev extra has no types-jsonschema.
import jsonschema  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli
from lunora_codegen.lints import RULES
from tests.lints.conftest import FIXTURES
from tests.lints.sarif_schema import sarif_schema

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = sarif_schema()
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _sarif(project: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["check", "--project", str(project), "--format", "sarif"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("code", ["unawaited_step", "config_compat_date", "workflow_unused"])
def test_sarif_output_validates_against_the_schema(
    validator: jsonschema.Draft4Validator, code: str
) -> None:
    exit_code, log = _sarif(FIXTURES / code / "positive")
    validator.validate(log)
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["results"], "the positive fixture must produce results"
    assert exit_code == (1 if RULES[code].severity.value == "error" else 0)


def test_sarif_clean_project_validates(validator: jsonschema.Draft4Validator) -> None:
    exit_code, log = _sarif(FIXTURES / "step_in_step" / "negative")
    validator.validate(log)
    assert exit_code == 0
    assert log["runs"][0]["results"] == []


def test_the_schema_rejects_a_broken_log(validator: jsonschema.Draft4Validator) -> None:
    """The validation above can fail: the same log with a 0 line number is rejected."""
    _exit, log = _sarif(FIXTURES / "unawaited_step" / "positive")
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert not validator.is_valid(broken)
    del broken["version"]
    assert not validator.is_valid(broken)


def test_sarif_rules_and_locations_are_what_code_scanning_needs() -> None:
    _exit, log = _sarif(FIXTURES / "unawaited_step" / "positive")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    for entry in rules:
        assert entry["shortDescription"]["text"]
        assert entry["helpUri"].endswith(f"#{entry['id']}")
    # the checkout root is the repository: URIs are relative to it, with a base id
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == REPO.resolve().as_uri() + "/"
    result = run["results"][0]
    assert result["ruleId"] == "unawaited_step"
    assert rules[result["ruleIndex"]]["id"] == "unawaited_step"
    assert result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "fixtures/lints/unawaited_step/positive/lunora/workflows.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 12, "startColumn": 5}
    assert "Hint: write `await ctx.step.do(...)`" in result["message"]["text"]


def test_sarif_outside_a_checkout_is_relative_to_the_project(
    validator: jsonschema.Draft4Validator, make_project: Any
) -> None:
    root = make_project(
        {
            "lunora/__init__.py": "",
            "lunora/workflows.py": (
                "from typing import Any\n\nfrom lunora_workflow import WorkflowContext, "
                "define_workflow\n\n\n@define_workflow\nasync def w(ctx: WorkflowContext[Any])"
                ' -> None:\n    ctx.step.sleep("s", "1 second")\n'
            ),
        }
    )
    exit_code, log = _sarif(root)
    validator.validate(log)
    assert exit_code == 1
    run = log["runs"][0]
    locations = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    assert {loc["artifactLocation"]["uri"] for loc in locations} == {"lunora/workflows.py"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
