"""``lunora codegen`` through click's CliRunner (and the console entry for exit code 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli, main
from lunora_codegen.commands.codegen import codegen
from lunora_codegen.extract import ParseCache
from lunora_codegen.pipeline import generate
from lunora_codegen.project import load_project

from .conftest import EXAMPLE, FIXTURES, copy_project, snapshot


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(FIXTURES / "call_form", tmp_path / "app")
    monkeypatch.chdir(root)
    return root


def test_help_lists_every_option() -> None:
    result = CliRunner().invoke(codegen, ["--help"])
    assert result.exit_code == 0
    for option in ("--project", "--check", "--json", "--prune"):
        assert option in result.output


def test_writes_then_reports_up_to_date(project: Path) -> None:
    first = CliRunner().invoke(codegen, [])
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[:2] == [
        "created lunora/_generated/__init__.py",
        "created lunora/_generated/workflows.py",
    ]
    assert "lunora codegen: 3 workflows, 2 files changed in " in first.stdout
    second = CliRunner().invoke(codegen, [])
    assert second.exit_code == 0
    assert "lunora codegen: 3 workflows, up to date (" in second.stdout


def test_check_exits_1_with_diff_and_hint(project: Path) -> None:
    assert CliRunner().invoke(codegen, []).exit_code == 0
    assert CliRunner().invoke(codegen, ["--check"]).exit_code == 0
    workflows = project / "lunora" / "workflows.py"
    workflows.write_text(workflows.read_text().replace('name="orders"', 'name="orders-v2"'))
    before = snapshot(project / "lunora" / "_generated")
    result = CliRunner().invoke(codegen, ["--check"])
    assert result.exit_code == 1
    assert "stale: lunora/_generated/workflows.py (would be updated)" in result.stdout
    assert '-        name="orders",' in result.stdout
    assert '+        name="orders-v2",' in result.stdout
    assert "Run `lunora codegen` to regenerate." in result.stderr
    assert snapshot(project / "lunora" / "_generated") == before


def test_check_on_a_fresh_project_lists_missing_files(project: Path) -> None:
    result = CliRunner().invoke(codegen, ["--check"])
    assert result.exit_code == 1
    assert "stale: lunora/_generated/__init__.py (would be created)" in result.stdout
    assert not (project / "lunora" / "_generated").exists()


def test_json_report(project: Path) -> None:
    result = CliRunner().invoke(codegen, ["--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["mode"] == "write"
    assert [c["action"] for c in report["changes"]] == ["create", "create"]
    assert [
        (w["export"], w["class_name"], w["binding"], w["name"]) for w in report["workflows"]
    ] == [
        ("audit_log", "AuditLogWorkflow", "WORKFLOW_AUDIT_LOG", "audit-log"),
        ("order_pipeline", "OrderPipelineWorkflow", "WORKFLOW_ORDER_PIPELINE", "orders"),
        ("refund", "RefundWorkflow", "WORKFLOW_REFUND", "refund"),
    ]
    stale = json.loads(CliRunner().invoke(codegen, ["--json", "--check"]).stdout)
    assert stale["ok"] is True
    assert stale["changes"] == []


def test_project_option_from_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_project(FIXTURES / "src_layout", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(codegen, ["--project", "app"])
    assert result.exit_code == 0, result.output
    assert "created app/src/lunora/_generated/workflows.py" in result.stdout
    assert (root / "src" / "lunora" / "_generated" / "workflows.py").is_file()


def test_missing_package_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["codegen", "--project", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "no lunora package at" in capsys.readouterr().err


def test_committed_example_output_is_up_to_date() -> None:
    result = CliRunner().invoke(codegen, ["--check", "--project", str(EXAMPLE)])
    assert result.exit_code == 0, result.output


def test_cli_rerun_reuses_the_on_disk_cache(project: Path, lunora_cache_dir: Path) -> None:
    assert CliRunner().invoke(codegen, []).exit_code == 0
    (cache_file,) = lunora_cache_dir.glob("codegen-*.pickle")
    cache = ParseCache.load(cache_file)
    out = generate(load_project(project), cache=cache)
    assert cache.parsed == 0  # a fresh process would not parse anything
    assert out is cache.memo["generate"].generated  # type: ignore[attr-defined]  # nor render
    workflows = project / "lunora" / "workflows.py"
    workflows.write_text(workflows.read_text().replace('name="orders"', 'name="orders-v3"'))
    assert CliRunner().invoke(codegen, []).exit_code == 0
    assert 'name="orders-v3"' in (project / "lunora" / "_generated" / "workflows.py").read_text()


def test_corrupt_cache_is_ignored(project: Path, lunora_cache_dir: Path) -> None:
    assert CliRunner().invoke(codegen, []).exit_code == 0
    (cache_file,) = lunora_cache_dir.glob("codegen-*.pickle")
    cache_file.write_bytes(b"not a pickle")
    (project / "lunora" / "_generated" / "workflows.py").unlink()
    result = CliRunner().invoke(codegen, [])
    assert result.exit_code == 0
    assert "created lunora/_generated/workflows.py" in result.stdout
    assert ParseCache.load(cache_file).dirty is False


def test_a_mistyped_project_folder_is_a_usage_error(project: Path) -> None:
    # without exists=True the walk up from "typo" would find and regenerate ``project``
    result = CliRunner().invoke(codegen, ["--project", "typo"])
    assert result.exit_code == 2
    assert "'typo' does not exist" in result.output
    assert not (project / "lunora" / "_generated").exists()


def test_a_broken_pyproject_is_reported_with_its_position(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.lunora]\npackage = \n")
    before = snapshot(project)
    result = CliRunner().invoke(codegen, [])
    assert result.exit_code == 1
    line = len(pyproject.read_text().splitlines())
    error, summary = result.stderr.splitlines()
    # tomllib's wording varies by Python version; the position is the value that is missing
    assert error.startswith(f"pyproject.toml:{line}:11: error: cannot parse pyproject.toml: ")
    assert "(at line" not in error  # the position is not repeated in the message
    assert summary == "Found 1 error; nothing was written."
    assert snapshot(project) == before


def test_wrongly_typed_settings_are_errors_not_ignored(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text() + '\n[tool.lunora]\n# paths\npackage = 5\nconfig = ["a"]\n'
    pyproject.write_text(text)
    line = text.splitlines().index("package = 5") + 1
    result = CliRunner().invoke(codegen, ["--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(d["path"], d["line"], d["column"]) for d in report["diagnostics"]] == [
        ("pyproject.toml", line, 1),
        ("pyproject.toml", line + 1, 1),
    ]
    assert "package must be a string" in report["diagnostics"][0]["message"]
    assert not (project / "lunora" / "_generated").exists()


def test_a_configured_config_that_is_missing_is_named(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.lunora]\nconfig = "wrangler.prod.jsonc"\n'
    )
    result = CliRunner().invoke(codegen, [])
    assert result.exit_code == 0, result.output
    assert (
        "warning: wrangler.prod.jsonc (set by [tool.lunora] config in pyproject.toml) does not"
        " exist: the workflows are not bound" in result.stderr
    )


@pytest.mark.parametrize(
    ("content", "position", "message"),
    [
        (b'[project]\nname = "t"\n\n[tool.lunora]\nline-length = "100"\n', (5, 1), "line-length"),
        (b'[project]\nname = "t\xff"\n', (2, 10), "pyproject.toml is not valid UTF-8"),
    ],
)
def test_more_pyproject_problems(
    project: Path, content: bytes, position: tuple[int, int], message: str
) -> None:
    (project / "pyproject.toml").write_bytes(content)
    result = CliRunner().invoke(codegen, [])
    assert result.exit_code == 1
    line, column = position
    assert result.stderr.startswith(f"pyproject.toml:{line}:{column}: error: ")
    assert message in result.stderr.splitlines()[0]


@pytest.mark.parametrize(
    ("name", "config", "position"),
    [
        (
            "wrangler.jsonc",
            '{\n  "name": "app",\n  "main" "src/entry.py",\n}\n',
            (3, 10),
        ),
        ("wrangler.toml", 'name = "app"\nmain = "src/entry.py\n', (2, 21)),
    ],
)
def test_a_config_that_does_not_parse_is_reported_not_a_missing_package(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    config: str,
    position: tuple[int, int],
) -> None:
    """The package's place comes from the config's ``main`` (``src/lunora``). A config that
    does not parse used to make discovery guess ``<root>/lunora``, and codegen and check then
    reported "no lunora package at lunora" instead of the config's own syntax error."""
    root = copy_project(EXAMPLE, tmp_path / "app")
    (root / "wrangler.jsonc").unlink()
    (root / name).write_text(config, encoding="utf-8")
    monkeypatch.chdir(root)
    before = snapshot(root)
    line, column = position
    for command in (["codegen"], ["codegen", "--check"], ["check"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, (command, result.output)
        assert f"{name}:{line}:{column}: error LW001: cannot parse {name}: " in result.output
        assert "no lunora package" not in result.output
    assert snapshot(root) == before

    # with [tool.lunora] package the config says nothing about the package: discovery works
    # and codegen reports the same error when it reconciles the config (nothing written)
    with (root / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write('\n[tool.lunora]\npackage = "src/lunora"\n')
    assert load_project(root).package_dir == root / "src/lunora"
    result = CliRunner().invoke(cli, ["codegen"])
    assert result.exit_code == 1
    assert f"{name}:{line}:{column}: error LW001: cannot parse {name}: " in result.output
    assert not (root / "src/lunora/_generated").exists()


def test_a_missing_package_message_names_functions_and_a_misplaced_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project may have functions and no workflows.py: the message must not read as if
    workflows.py were the only thing codegen wants, must say why the package is looked for
    where it is (the entry's folder), and must point at a package put somewhere else."""
    root = copy_project(EXAMPLE, tmp_path / "app")
    (root / "src/lunora/workflows.py").unlink()
    (root / "src/lunora/steps.py").unlink()
    (root / "src/lunora").rename(root / "lunora")  # functions only, in the wrong folder
    monkeypatch.chdir(root)
    with pytest.raises(SystemExit) as exit_info:
        main(["codegen"])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert message.startswith(
        "no lunora package at src/lunora (beside the worker entry src/entry.py, main in "
        "wrangler.jsonc): codegen reads workflows from src/lunora/workflows.py and functions "
        "from the other modules of src/lunora/"
    )
    assert 'lunora/ holds Python modules: if that is your package, set `package = "lunora"`' in (
        message
    )
    assert not (root / "lunora/_generated").exists()

    # moved where the message says, the functions-only package generates what applies
    (root / "lunora").rename(root / "src/lunora")
    result = CliRunner().invoke(cli, ["codegen"])
    assert result.exit_code == 1  # the entry still starts workflows that no longer exist
    assert "there is no src/lunora/workflows.py" in result.output
    assert "no lunora package" not in result.output
