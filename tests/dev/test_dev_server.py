"""The dev-server child of ``lunora dev``: command choice, start, and a clean group shutdown."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lunora_codegen.watch.server import (
    SERVER_CMD_ENV,
    DevServer,
    DevServerError,
    resolve_server_command,
    uses_workers_py,
)

from .conftest import generated, make_project, pid_alive, save, wait_for, workflow_source

STANDIN = Path(__file__).with_name("standin_server.py")
LUNORA = Path(sys.executable).with_name("lunora")


def _standin_cmd(pidfile: Path, *extra: str) -> str:
    return shlex.join([sys.executable, str(STANDIN), str(pidfile), *extra])


def _record(pidfile: Path) -> dict[str, object]:
    wait_for(pidfile.exists, what="the stand-in server's pid file")
    data = json.loads(pidfile.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ('[dependency-groups]\ndev = ["workers-py", "pytest"]\n', True),
        ('[dependency-groups]\ndev = ["Workers_Py>=1.0"]\n', True),
        ('[project]\nname = "x"\ndependencies = ["workers-py"]\n', True),
        ("[project.optional-dependencies]\ndev = [\"workers-py ; python_version>'3'\"]\n", True),
        ('[tool.uv]\ndev-dependencies = ["workers-py"]\n', True),
        ('[dependency-groups]\ndev = ["workers-runtime-sdk", "workers-pyx"]\n', False),
        ("not toml [", False),
    ],
)
def test_workers_py_detection(tmp_path: Path, pyproject: str, expected: bool) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    assert uses_workers_py(tmp_path) is expected


def test_server_command_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SERVER_CMD_ENV, raising=False)
    assert resolve_server_command(tmp_path, ["--port", "9"]) == [
        "npx",
        "wrangler",
        "dev",
        "--port",
        "9",
    ]
    (tmp_path / "pyproject.toml").write_text(
        '[dependency-groups]\ndev = ["workers-py"]\n', encoding="utf-8"
    )
    argv = resolve_server_command(tmp_path, ["--port", "9"])
    assert argv[-4:] == ["pywrangler", "dev", "--port", "9"] or argv[-4:-2] == ["dev", "--port"]
    assert "dev" in argv
    assert "npx" not in argv
    monkeypatch.setenv(SERVER_CMD_ENV, "my-server --flag 'two words'")
    assert resolve_server_command(tmp_path, ["x"]) == ["my-server", "--flag", "two words", "x"]
    assert resolve_server_command(tmp_path, [], override="other") == ["other"]
    with pytest.raises(DevServerError):
        resolve_server_command(tmp_path, [], override="  ")


def test_a_missing_command_is_a_clear_error(tmp_path: Path) -> None:
    server = DevServer(["lunora-no-such-dev-server-binary"], tmp_path)
    with pytest.raises(DevServerError, match="could not start the dev server"):
        server.start()


@pytest.mark.parametrize("ignore_term", [False, True], ids=["terminates", "needs-kill"])
def test_stop_ends_the_whole_process_group(tmp_path: Path, ignore_term: bool) -> None:
    pidfile = tmp_path / "server.json"
    extra = ["--ignore-term"] if ignore_term else []
    server = DevServer(shlex.split(_standin_cmd(pidfile, *extra)), tmp_path)
    server.start()
    record = _record(pidfile)
    pids = [int(str(record["pid"])), int(str(record["grandchild"]))]
    assert all(pid_alive(pid) for pid in pids)
    assert server.pid == pids[0]
    assert os.getpgid(pids[0]) == pids[0] != os.getpgid(0)  # its own process group
    started = time.monotonic()
    code = server.stop(timeout=1.0)
    took = time.monotonic() - started
    wait_for(lambda: not any(pid_alive(pid) for pid in pids), what="no orphans")
    if ignore_term:
        assert code == -signal.SIGKILL  # only the escalation could end it...
        assert took >= 0.9  # ...and it came after the grace period
    else:
        assert code == -signal.SIGTERM  # SIGTERM was enough: no kill
    assert server.stop() == code  # idempotent


def test_an_exit_of_its_own_is_reported(tmp_path: Path) -> None:
    codes: list[int] = []
    server = DevServer(
        [sys.executable, "-c", "raise SystemExit(3)"], tmp_path, on_exit=codes.append
    )
    server.start()
    wait_for(lambda: codes == [3], what="the exit report")
    assert server.stop() == 3


def _run_dev(root: Path, pidfile: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, SERVER_CMD_ENV: _standin_cmd(pidfile)}
    return subprocess.Popen(
        [str(LUNORA), "dev", "--project", str(root), *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize(
    "signum",
    [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
    ids=["ctrl-c", "sigterm", "terminal-closed"],
)
def test_lunora_dev_runs_the_server_regenerates_and_shuts_down(
    tmp_path: Path, signum: signal.Signals
) -> None:
    root = make_project(tmp_path / "app", "first")
    pidfile = tmp_path / "server.json"
    process = _run_dev(root, pidfile, "--", "--port", "8799")
    try:
        record = _record(pidfile)
        assert record["argv"] == ["--port", "8799"]
        pids = [int(str(record["pid"])), int(str(record["grandchild"]))]
        wait_for(lambda: "class FirstWorkflow" in generated(root), what="the first codegen")
        # No need to wait for the watcher: a save made before its watches exist is caught up.
        save(root / "src/lunora/workflows.py", workflow_source("first", "second"))
        wait_for(lambda: "class SecondWorkflow" in generated(root), what="regeneration")
        process.send_signal(signum)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "stand-in dev server ready" in output
    assert "regenerated" in output
    assert not any(pid_alive(pid) for pid in pids), "the dev server outlived lunora dev"


def test_lunora_dev_no_wrangler_starts_no_server(tmp_path: Path) -> None:
    root = make_project(tmp_path / "app", "first")
    pidfile = tmp_path / "server.json"
    process = _run_dev(root, pidfile, "--no-wrangler")
    try:
        wait_for(lambda: "class FirstWorkflow" in generated(root), what="the first codegen")
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert not pidfile.exists()
