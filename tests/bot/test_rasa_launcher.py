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


PARSE = r"""
import sys
import rasa.__main__ as cli
from bot.rasa_launcher import _install_token_from_environment

_install_token_from_environment(cli)
print(cli.create_argument_parser().parse_args(sys.argv[1:]).auth_token)
"""


def parse_rasa_command_line(*argv: str, token: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(RASA_PY), "-c", PARSE, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env | {"RASA_API_TOKEN": token},
    )


def test_rasa_takes_its_api_token_from_the_environment_and_refuses_it_as_an_argument() -> None:
    token = "a-token-only-the-environment-holds-0123"
    done = parse_rasa_command_line("run", "--enable-api", token=token)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == token, done.stderr[-2000:]
    # On the command line (also abbreviated, as argparse allows) it would be public: refused with the fix.
    for given in (["--auth-token=" + "x" * 30], ["--auth-tok", "x" * 30]):
        refused = parse_rasa_command_line("run", "--enable-api", *given, token=token)
        assert refused.returncode == 2 and "set RASA_API_TOKEN in the environment" in refused.stderr, refused.stderr
