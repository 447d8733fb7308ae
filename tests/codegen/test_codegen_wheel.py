"""The wheel built from this repository installs into a fresh venv and runs ``lunora codegen``
on a copy of the example app, with templates found inside the installed package."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import EXAMPLE, REPO


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.mark.slow
def test_wheel_installs_and_generates_the_example(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, REPO, cwd=tmp_path)
    (wheel,) = dist.glob("lunora_workflow-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", f"{wheel}[cli]", cwd=tmp_path)

    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("_generated", "__pycache__"))
    where = _run(
        python, "-c", "import lunora_codegen.templating as t; print(t.templates_dir())", cwd=app
    )
    assert Path(where.stdout.strip()).is_relative_to(env_dir)

    result = _run(env_dir / "bin" / "lunora", "codegen", cwd=app)
    assert "created src/lunora/_generated/workflows.py" in result.stdout
    for name in ("__init__.py", "workflows.py"):
        produced = (app / "src" / "lunora" / "_generated" / name).read_text()
        committed = (EXAMPLE / "src" / "lunora" / "_generated" / name).read_text()
        assert produced == committed
    _run(env_dir / "bin" / "lunora", "codegen", "--check", cwd=app)
    version = _run(env_dir / "bin" / "lunora", "--version", cwd=app)
    assert "0.1.0" in version.stdout
