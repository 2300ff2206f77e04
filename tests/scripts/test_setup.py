"""Set-up behaviour a new developer meets first."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from accounts.settings import AccountSettings
from bot.actions.settings import ActionSettings
from handoff_api.settings import Settings
from kb_index.settings import KBSettings

ROOT = Path(__file__).resolve().parents[2]
FIND = ROOT / "scripts/find-python310.sh"


def test_python310_is_found_here() -> None:
    result = subprocess.run([str(FIND)], capture_output=True, text=True, check=True)
    out = subprocess.run([result.stdout.strip(), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("Python 3.10")


def test_missing_python310_stops_with_advice(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYENV_ROOT": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run([str(FIND)], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert "Rasa 3.6 needs Python 3.10" in result.stderr and "TIER0_PYTHON310" in result.stderr


def test_a_wrong_python310_setting_is_named(tmp_path: Path) -> None:
    env = dict(os.environ, TIER0_PYTHON310="/usr/bin/false")
    result = subprocess.run([str(FIND)], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "/usr/bin/false" in result.stderr


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    names = {name.upper() for name in Settings.model_fields} | {name.upper() for name in ActionSettings.model_fields}
    names |= {name.upper() for name in AccountSettings.model_fields}
    names |= {f"KB_{name.upper()}" for name in KBSettings.model_fields}
    missing = sorted(names - documented)
    assert not missing, f"settings missing from .env.example: {missing}"


def test_the_procfile_passes_a_token_that_starts_with_a_dash_to_rasa(tmp_path: Path) -> None:
    """Random tokens may begin with "-"; written as a separate argument argparse would take one
    for an option and Rasa would not start (about one install in 64)."""
    import shlex
    import subprocess

    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("rasa:"))
    command = line.split(":", 1)[1].split("exec ", 1)[1]
    env = {"RASA_HOST": "127.0.0.1", "RASA_PORT": "5005", "RASA_CORS_ORIGINS": "http://a.example http://b.example"}
    env |= {"RASA_API_TOKEN": "-starts-with-a-dash-0123456789", "PATH": "/usr/bin:/bin"}
    # The shell expands the line as honcho's would; Rasa's own parser reads the result.
    argv = subprocess.run(
        ["sh", "-c", f"set -f; for a in {command.split(' ', 1)[1]}; do printf '%s\\0' \"$a\"; done"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")[:-1]
    parse = (
        "import sys; from rasa.__main__ import create_argument_parser; "
        "a = create_argument_parser().parse_args(sys.argv[1:]); print(a.auth_token); print(' '.join(a.cors))"
    )
    rasa_py = ROOT / ".venvs/rasa/bin/python"
    done = subprocess.run([str(rasa_py), "-c", parse, *argv[2:]], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    token, cors = done.stdout.strip().splitlines()[-2:]
    assert token == "-starts-with-a-dash-0123456789" and cors == "http://a.example http://b.example"
    assert shlex.split(command)[0].endswith("python")
