"""Set-up behaviour a new developer meets first."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from accounts.settings import AccountSettings
from bot.actions.settings import ActionSettings
from handoff_api.settings import Settings
from insights.settings import InsightsSettings
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
    # Settings.insights is the staff pages' InsightsSettings, a part, not a variable: its fields count.
    names = {name.upper() for name in Settings.model_fields if name != "insights"}
    names |= {name.upper() for name in InsightsSettings.model_fields} | {n.upper() for n in ActionSettings.model_fields}
    names |= {name.upper() for name in AccountSettings.model_fields}
    names |= {f"KB_{name.upper()}" for name in KBSettings.model_fields}
    missing = sorted(names - documented)
    assert not missing, f"settings missing from .env.example: {missing}"


def test_the_procfile_gives_rasa_its_api_token_off_the_command_line(tmp_path: Path) -> None:
    """Rasa gets RASA_API_TOKEN from the environment (bot/rasa_launcher.py), never as an argument
    that `ps` would show; a token that starts with "-" is no option either way."""
    import shlex

    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("rasa:"))
    command = line.split(":", 1)[1].split("exec ", 1)[1]
    token = "-starts-with-a-dash-0123456789"
    env = {"RASA_HOST": "127.0.0.1", "RASA_PORT": "5005", "RASA_CORS_ORIGINS": "http://a.example http://b.example"}
    env |= {"RASA_API_TOKEN": token, "PATH": "/usr/bin:/bin"}
    # The shell expands the line as honcho's would; Rasa's own parser, as the launcher sets it up, reads the result.
    argv = subprocess.run(
        ["sh", "-c", f"set -f; for a in {command.split(' ', 1)[1]}; do printf '%s\\0' \"$a\"; done"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")[:-1]
    assert not any(token in arg for arg in argv), argv
    parse = (
        "import sys; import rasa.__main__ as cli; from bot.rasa_launcher import _install_token_from_environment; "
        "_install_token_from_environment(cli); "
        "a = cli.create_argument_parser().parse_args(sys.argv[1:]); print(a.auth_token); print(' '.join(a.cors))"
    )
    rasa_py = ROOT / ".venvs/rasa/bin/python"
    done = subprocess.run(
        [str(rasa_py), "-c", parse, *argv[2:]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    parsed_token, cors = done.stdout.strip().splitlines()[-2:]
    assert parsed_token == token and cors == "http://a.example http://b.example"
    assert shlex.split(command)[0].endswith("python")


# --- .env: written by `make setup` (scripts/ensure_env.py) ----------------------------------
SECRETS = ("HANDOFF_BOT_TOKEN", "ACTION_SERVER_TOKEN", "RASA_API_TOKEN", "STAFF_SESSION_SECRET", "SLOT_SEAL_SECRET")


def ensure_env(folder: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/ensure_env.py")],
        cwd=folder,
        capture_output=True,
        text=True,
        check=check,
        env=env,
    )


def bash_reads(folder: Path) -> dict[str, str]:
    """What `make run` gets: the file sourced by bash with `set -a`, as scripts/stack_env.sh does."""
    done = subprocess.run(
        ["bash", "-c", "set -a; . ./.env; env -0"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr  # e.g. ".env: line 3: support: command not found"
    return dict(item.split("=", 1) for item in done.stdout.split("\0") if item)


def settings_read(folder: Path, names: list[str]) -> dict[str, str]:
    """What the services get: pydantic-settings (python-dotenv underneath) reading the same file."""
    from pydantic import create_model
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class FromEnvFile(BaseSettings):
        model_config = SettingsConfigDict(extra="ignore")

    fields: dict[str, Any] = {name.lower(): (str, ...) for name in names}
    read = create_model("EnvValues", __base__=FromEnvFile, **fields)(_env_file=folder / ".env")
    return {name: getattr(read, name.lower()) for name in names}


# Names no environment has, so that only the file speaks.
AWKWARD = {
    "T0_SPACES": "Nimbus support",
    "T0_PADDED": "  two spaces each side  ",
    "T0_EMPTY": "",
    "T0_SINGLE_QUOTE": "it's fixed",
    "T0_DOUBLE_QUOTES": 'say "hi"',
    "T0_DOLLAR": "costs $5, not $HOME or $(whoami)",
    "T0_BACKTICK": "`uname` stays",
    "T0_HASH": "blue # not a comment",
    "T0_LEADING_HASH": "#first",
    "T0_BACKSLASHES": r"C:\new\table and \\server\share",
    "T0_TRAILING_BACKSLASH": "ends with \\",
    "T0_QUOTES_AND_BACKSLASHES": r"""it's "quoted" \ here""",
    "T0_BACKSLASH_AND_DOLLAR": r"a\b $c",
    "T0_UNICODE": "Grüße ✓ 你好",
}


def test_setup_writes_a_env_that_bash_and_the_services_read_alike(tmp_path: Path, monkeypatch) -> None:
    from dotenv import set_key

    for name in ("SUPPORT_TEAM_NAME", "HANDOFF_BOT_TOKEN", "MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)  # only the file speaks

    # The example as a developer might have extended it: python-dotenv's own quoting, which bash
    # would read differently (or stop on).
    example = tmp_path / ".env.example"
    example.write_text((ROOT / ".env.example").read_text())
    for name, value in AWKWARD.items():
        set_key(example, name, value)
    ensure_env(tmp_path)
    by_bash = bash_reads(tmp_path)
    assert {name: by_bash.get(name) for name in AWKWARD} == AWKWARD
    assert settings_read(tmp_path, list(AWKWARD)) == AWKWARD
    # The product's own settings read the same file the same way.
    settings = Settings(_env_file=tmp_path / ".env")
    assert settings.support_team_name == by_bash["SUPPORT_TEAM_NAME"] == "Nimbus support"
    assert settings.handoff_bot_token == by_bash["HANDOFF_BOT_TOKEN"] and len(settings.handoff_bot_token) >= 40
    assert AccountSettings(_env_file=tmp_path / ".env").mail_from == by_bash["MAIL_FROM"]


def test_setup_quotes_an_older_env_and_keeps_its_values(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    secrets = "".join(f"{name}={name.lower()}-{'x' * 30}\n" for name in SECRETS)
    env.write_text(f"# mine\nSUPPORT_TEAM_NAME=Nimbus support\nRASA_PORT=5099\nexport X=1 # a note\n{secrets}")
    said = ensure_env(tmp_path).stdout
    assert "every value is now quoted" in said
    values = bash_reads(tmp_path)
    assert values["SUPPORT_TEAM_NAME"] == "Nimbus support" and values["RASA_PORT"] == "5099" and values["X"] == "1"
    assert all(values[name] == f"{name.lower()}-{'x' * 30}" for name in SECRETS)  # strong: kept
    assert env.read_text().startswith("# mine\nSUPPORT_TEAM_NAME='Nimbus support'\n")
    first = env.read_text()
    assert ensure_env(tmp_path).stdout == "" and env.read_text() == first  # a second run changes nothing


def test_a_value_bash_and_the_services_cannot_read_alike_stops_setup_with_its_name(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    # python-dotenv reads "it's $5". Bash needs the $ in single quotes, which cannot hold the ';
    # in double quotes python-dotenv would keep the backslash of \$. No form fits both readers.
    env.write_text('SUPPORT_TEAM_NAME="it\'s $5"\n')
    done = ensure_env(tmp_path, check=False)
    assert done.returncode == 1 and "SUPPORT_TEAM_NAME" in done.stderr and "change it in .env" in done.stderr
    assert env.read_text() == 'SUPPORT_TEAM_NAME="it\'s $5"\n'  # left as it was


def test_setup_writes_random_secrets_into_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text((ROOT / ".env.example").read_text())
    ensure_env(tmp_path)
    values = bash_reads(tmp_path)
    assert all(len(values[name]) >= 40 for name in SECRETS)
    assert len({values[name] for name in SECRETS}) == len(SECRETS)  # five different secrets
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    first = (tmp_path / ".env").read_text()
    ensure_env(tmp_path)
    assert (tmp_path / ".env").read_text() == first  # a second run changes nothing


def test_setup_gives_an_older_env_file_the_secrets_it_lacks_and_keeps_the_rest(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    mine = "m" * 40
    env.write_text(f"RASA_PORT=5005\nHANDOFF_BOT_TOKEN=dev-bot-token\nRASA_API_TOKEN={mine}\n")
    said = ensure_env(tmp_path).stdout
    assert "HANDOFF_BOT_TOKEN" in said and "ACTION_SERVER_TOKEN" in said and "RASA_API_TOKEN" not in said
    values = bash_reads(tmp_path)
    assert env.read_text().splitlines()[0] == "RASA_PORT='5005'"
    assert values["HANDOFF_BOT_TOKEN"] != "dev-bot-token" and values["RASA_API_TOKEN"] == mine
    env.write_text("RASA_API_TOKEN=\nX=1\n")  # present but empty: Rasa would accept ?token=
    ensure_env(tmp_path)
    assert len(bash_reads(tmp_path)["RASA_API_TOKEN"]) >= 40 and "X='1'\n" in env.read_text()


def test_setup_replaces_the_old_allow_every_site_cors_default_and_keeps_a_chosen_origin(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("RASA_CORS_ORIGINS=*\nRASA_PORT=5005\n")
    assert "RASA_CORS_ORIGINS" in ensure_env(tmp_path).stdout
    assert bash_reads(tmp_path)["RASA_CORS_ORIGINS"] == ""  # scripts/stack_env.sh: the help site's origin
    env.write_text("RASA_CORS_ORIGINS=https://help.nimbus.example\n")
    ensure_env(tmp_path)
    assert bash_reads(tmp_path)["RASA_CORS_ORIGINS"] == "https://help.nimbus.example"


def test_setup_moves_an_old_account_backend_path_to_its_new_package(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ACCOUNT_BACKEND=bot.actions.accounts.demo.DemoAccountBackend\n")
    ensure_env(tmp_path)
    assert bash_reads(tmp_path)["ACCOUNT_BACKEND"] == "accounts.demo.DemoAccountBackend"
