"""mypy --strict accepts typing_cases.py: the fan-out API types outputs in declaration order."""

from __future__ import annotations

from pathlib import Path

import pytest

CASES = Path(__file__).with_name("typing_cases.py")


def test_fan_out_typing_holds_under_mypy_strict(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api")
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path),
            "--config-file",
            "",
            str(CASES),
        ]
    )
    assert status == 0, stdout + stderr


def test_a_wrong_claim_is_caught(tmp_path: Path) -> None:
    """The check can fail: a deliberately wrong assert_type is reported."""
    api = pytest.importorskip("mypy.api")
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        CASES.read_text().replace(
            "assert_type(pair, tuple[Tags, Thumb])", "assert_type(pair, tuple[Thumb, Tags])"
        )
    )
    stdout, _, status = api.run(
        ["--strict", "--cache-dir", str(tmp_path / "cache"), "--config-file", "", str(wrong)]
    )
    assert status == 1
    assert "tuple[Thumb, Tags]" in stdout
