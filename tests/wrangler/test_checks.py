# ruff: noqa: E501  (config texts and messages read best unsplit)
"""check_config: warnings about main, the entry's re-exports, compatibility flags and date."""

from __future__ import annotations

from pathlib import Path

from lunora_codegen.diagnostics import Severity
from lunora_codegen.wrangler import MIN_COMPATIBILITY_DATE, check_config

CLASSES = ["ChannelWelcomeWorkflow", "OrderPipelineWorkflow"]
GOOD_CONFIG = (
    '{\n  "main": "src/entry.py",\n  "compatibility_date": "2026-06-01",\n'
    '  "compatibility_flags": ["python_workers"],\n}\n'
)


def _project(tmp_path: Path, config: str, entry: str | None, name: str = "wrangler.jsonc") -> Path:
    path = tmp_path / name
    path.write_text(config, encoding="utf-8")
    if entry is not None:
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "entry.py").write_text(entry, encoding="utf-8")
    return path


def _codes(
    tmp_path: Path, config: str, entry: str | None, name: str = "wrangler.jsonc"
) -> list[str]:
    found = check_config(_project(tmp_path, config, entry, name), CLASSES)
    assert all(d.severity is Severity.WARNING and d.hint for d in found)
    return [d.code or "" for d in found]


def test_a_good_project_has_no_warnings(tmp_path: Path) -> None:
    entry = (
        "from lunora._generated.workflows import ChannelWelcomeWorkflow, OrderPipelineWorkflow\n"
    )
    assert _codes(tmp_path, GOOD_CONFIG, entry) == []


def test_star_import_and_relative_module_count_as_exports(tmp_path: Path) -> None:
    assert _codes(tmp_path, GOOD_CONFIG, "from .lunora._generated.workflows import *\n") == []


def test_the_example_app_passes() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "chat-app"
    found = check_config(example / "wrangler.jsonc", ["ChannelWelcomeWorkflow"])
    assert found == []


def test_missing_export_points_at_the_generated_import(tmp_path: Path) -> None:
    entry = '"""Entry."""\n\nfrom lunora._generated.workflows import ChannelWelcomeWorkflow as Welcome\n'
    [warning] = check_config(_project(tmp_path, GOOD_CONFIG, entry), CLASSES)
    assert warning.code == "LW103"
    assert (warning.line, warning.column) == (3, 1)
    assert (
        "ChannelWelcomeWorkflow, OrderPipelineWorkflow" in warning.message
    )  # aliased = not exported
    assert warning.hint is not None
    assert "from lunora._generated.workflows import" in warning.hint


def test_missing_from_dunder_all(tmp_path: Path) -> None:
    entry = (
        "from lunora._generated.workflows import ChannelWelcomeWorkflow, OrderPipelineWorkflow\n"
        '__all__ = ["ChannelWelcomeWorkflow"]\n'
    )
    [warning] = check_config(_project(tmp_path, GOOD_CONFIG, entry), CLASSES)
    assert warning.code == "LW104"
    assert warning.message.startswith("OrderPipelineWorkflow is imported")


def test_entry_that_does_not_parse(tmp_path: Path) -> None:
    [warning] = check_config(_project(tmp_path, GOOD_CONFIG, "def broken(:\n"), CLASSES)
    assert warning.code == "LW100"
    assert warning.line == 1


def test_main_missing_or_pointing_nowhere(tmp_path: Path) -> None:
    config = '{"compatibility_date": "2026-06-01", "compatibility_flags": ["python_workers"]}'
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _codes(tmp_path / "a", config, None) == ["LW101"]
    assert _codes(tmp_path / "b", GOOD_CONFIG, None) == ["LW102"]


def test_flags_and_date(tmp_path: Path) -> None:
    config = '{\n  "main": "src/entry.py",\n  "compatibility_date": "2025-11-02",\n  "compatibility_flags": [],\n}\n'
    found = check_config(
        _project(tmp_path, config, "from lunora._generated.workflows import *\n"), CLASSES
    )
    assert [(d.code, d.line, d.column) for d in found] == [("LW105", 4, 26), ("LW106", 3, 25)]
    assert MIN_COMPATIBILITY_DATE in found[1].message


def test_toml_config(tmp_path: Path) -> None:
    config = 'main = "src/entry.py"\ncompatibility_date = 2026-01-01\n'
    found = check_config(
        _project(tmp_path, config, "from lunora._generated.workflows import *\n", "wrangler.toml"),
        CLASSES,
    )
    assert [(d.code, d.line) for d in found] == [("LW105", 1), ("LW106", 2)]


def test_unparsable_config_is_left_to_reconcile(tmp_path: Path) -> None:
    assert check_config(_project(tmp_path, "{", None), CLASSES) == []


def test_toml_config_with_a_bom(tmp_path: Path) -> None:
    # wrangler reads a BOM-prefixed wrangler.toml, so its checks must not go quiet on one
    config = '\ufeffmain = "src/entry.py"\r\ncompatibility_date = 2026-01-01\r\n'
    found = check_config(
        _project(tmp_path, config, "from lunora._generated.workflows import *\n", "wrangler.toml"),
        CLASSES,
    )
    assert [(d.code, d.line) for d in found] == [("LW105", 1), ("LW106", 2)]


def test_flags_that_opt_out_of_what_lunora_runs_on(tmp_path: Path) -> None:
    config = (
        '{\n  "main": "src/entry.py",\n  "compatibility_date": "2026-06-01",\n'
        '  "compatibility_flags": ["python_workers", "disable_python_external_sdk",'
        ' "no_python_workflows_implicit_dependencies"],\n}\n'
    )
    found = check_config(
        _project(tmp_path, config, "from lunora._generated.workflows import *\n"), CLASSES
    )
    # legacy step mode (no_python_workflows_implicit_dependencies) is supported: no warning
    assert [(d.code, d.line) for d in found] == [("LW108", 4)]
    assert '"disable_python_external_sdk"' in found[0].message
