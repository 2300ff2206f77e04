"""Rasa's own checks: the training data validates, and every test story in tests/stories/ (each flow's
happy and unhappy paths) is predicted exactly by the trained model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from authoring.validate import benign
from harness.stack import RASA_BIN, ROOT, base_env, trained_test_model

pytestmark = pytest.mark.e2e


def rasa(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(RASA_BIN), *args], cwd=cwd, env=base_env(), capture_output=True, text=True)


def test_rasa_data_validate_is_clean() -> None:
    result = rasa("data", "validate", "--data", "bot/data", "--domain", "domain.yml", "--config", "config.yml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "No story structure conflicts found" in log
    # Rasa 3.6 cannot see that forms use utter_ask_*, its fallback uses utter_default, and actions
    # utter responses by name; any other unused response, unknown intent or entity is a real mistake.
    warnings = [line for line in log.splitlines() if "UserWarning" in line and not benign(line)]
    assert warnings == []


def test_every_test_story_is_predicted_exactly(tmp_path: Path) -> None:
    model = trained_test_model()
    result = rasa(
        "test", "core", "--model", str(model), "--stories", str(ROOT / "tests/stories"),
        "--out", str(tmp_path), "--fail-on-prediction-errors",
    )  # fmt: skip
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, detail
