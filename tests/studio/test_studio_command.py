"""``lunora studio`` as users run it: a real process serving the example app on loopback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from lunora_codegen.cli import cli, main


def test_help_lists_the_options() -> None:
    result = CliRunner().invoke(cli, ["studio", "--help"])
    assert result.exit_code == 0
    for option in ("--project", "--port", "--remote", "--speed", "[real|fast]"):
        assert option in result.output
    assert "studio" in CliRunner().invoke(cli, ["--help"]).output


@pytest.fixture
def studio_process(chat_app: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    lunora = Path(sys.executable).parent / "lunora"
    if not lunora.exists():
        pytest.fail(f"the lunora console script is not installed next to {sys.executable}")
    process = subprocess.Popen(
        [str(lunora), "studio", "--project", str(chat_app), "--port", "0", "--speed", "fast"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # A process that hangs before printing its URL would block the read below for ever: kill
    # it after a generous minute, which ends the read and fails the test with its output.
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            found = re.search(r"open (http://127\.0\.0\.1:\d+)/", line)
            if found:
                watchdog.cancel()
                yield process, found.group(1)
                break
        else:
            pytest.fail("lunora studio exited without serving:\n" + "".join(lines))
    finally:
        watchdog.cancel()
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_the_command_serves_the_project_on_loopback(
    studio_process: tuple[subprocess.Popen[str], str],
) -> None:
    _process, url = studio_process
    # The URL is printed just before uvicorn binds: give it a moment (30 s: generous).
    deadline = time.monotonic() + 30
    while True:
        try:
            response = httpx.get(url + "/workflows", timeout=5)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                pytest.fail(f"nothing answered on {url}")
            time.sleep(0.1)
    assert response.status_code == 200
    assert "expense_approval" in response.text
    assert "local engine" in response.text


def test_a_busy_port_is_reported_clearly(
    chat_app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exited:
            main(["studio", "--project", str(chat_app), "--port", str(port)])
    assert exited.value.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
