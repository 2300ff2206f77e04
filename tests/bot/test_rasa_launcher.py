"""The Rasa launcher's faster action-response validation accepts and rejects what Rasa's does."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RASA_PY = ROOT / ".venvs/rasa/bin/python"

SCRIPT = r"""
import jsonschema
from rasa.core.actions.action import RemoteAction
from bot.rasa_launcher import _install_fast_action_validation

good = {"events": [{"event": "slot", "name": "x", "value": ["a"]}], "responses": [{"text": "hi", "buttons": []}]}
bad = {"events": [{"event": "slot"}], "responses": []}
action = RemoteAction("action_answer_from_kb", None)

def outcome(result):
    try:
        return action._validate_action_result(result)
    except jsonschema.ValidationError as e:
        return "rejected: " + e.message

before = (outcome(good), outcome(bad))
_install_fast_action_validation()
after = (outcome(good), outcome(bad))
assert before == after, (before, after)
assert after[0] is True and after[1].startswith("rejected") and "Action server response" in after[1]
print("same verdicts")
"""


def test_patched_validation_gives_rasas_verdicts() -> None:
    result = subprocess.run(
        [str(RASA_PY), "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "same verdicts" in result.stdout
