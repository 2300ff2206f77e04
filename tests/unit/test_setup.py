"""Set-up behaviour a new developer meets first."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

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
    names |= {f"KB_{name.upper()}" for name in KBSettings.model_fields}
    missing = sorted(names - documented)
    assert not missing, f"settings missing from .env.example: {missing}"
