"""`make reload` without a stack: the errors a content writer meets first, and the Rasa API token
that `make setup` writes into .env (the swap itself: tests/e2e/test_reload.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from authoring.reload import RasaAPI, ReloadError, default_url, main, model_id, reload_model
from tests.stack import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_a_stack_that_is_not_running_is_named_with_what_to_do() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ReloadError, match=rf"Rasa is not running at {url} \(start the stack with `make run`\)"):
        RasaAPI(url, "token").status()


def test_without_a_token_nothing_is_trained_or_sent(monkeypatch, capsys) -> None:
    monkeypatch.delenv("RASA_API_TOKEN", raising=False)
    assert main(["--no-train", "--no-index"]) == 1
    assert "RASA_API_TOKEN is not set" in capsys.readouterr().err


def test_a_missing_or_foreign_model_file_is_refused_before_rasa_is_asked(tmp_path: Path) -> None:
    api = RasaAPI(f"http://127.0.0.1:{free_port()}", "token")  # never reached
    with pytest.raises(ReloadError, match="no model at"):
        reload_model(api, tmp_path / "missing.tar.gz")
    not_a_model = tmp_path / "notes.tar.gz"
    not_a_model.write_text("hello")
    with pytest.raises(ReloadError, match="is not a Rasa model"):
        model_id(not_a_model)


def test_the_rasa_address_follows_the_stack_settings(monkeypatch) -> None:
    monkeypatch.delenv("RASA_URL", raising=False)
    monkeypatch.setenv("RASA_HOST", "0.0.0.0")
    monkeypatch.setenv("RASA_PORT", "5999")
    assert default_url() == "http://127.0.0.1:5999"
    monkeypatch.setenv("RASA_URL", "http://rasa.internal:5005/")
    assert default_url() == "http://rasa.internal:5005"


def ensure_env(folder: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/ensure_env.py")],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


SECRETS = ("HANDOFF_BOT_TOKEN", "ACTION_SERVER_TOKEN", "RASA_API_TOKEN", "STAFF_SESSION_SECRET", "SLOT_SEAL_SECRET")


def values_of(env: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in env.read_text().splitlines() if "=" in line and line[0] != "#")


def test_setup_writes_random_secrets_into_a_file_only_its_owner_reads(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text((ROOT / ".env.example").read_text())
    ensure_env(tmp_path)
    values = values_of(tmp_path / ".env")
    assert all(len(values[name]) >= 40 for name in SECRETS)
    assert len({values[name] for name in SECRETS}) == len(SECRETS)  # four different secrets
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    first = (tmp_path / ".env").read_text()
    ensure_env(tmp_path)
    assert (tmp_path / ".env").read_text() == first  # a second run changes nothing


def test_setup_gives_an_older_env_file_the_secrets_it_lacks_and_keeps_the_rest(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    mine = "m" * 40
    env.write_text(f"RASA_PORT=5005\nHANDOFF_BOT_TOKEN=dev-bot-token\nRASA_API_TOKEN={mine}\n")
    said = ensure_env(tmp_path)
    assert "HANDOFF_BOT_TOKEN" in said and "ACTION_SERVER_TOKEN" in said and "RASA_API_TOKEN" not in said
    values = values_of(env)
    assert env.read_text().splitlines()[0] == "RASA_PORT=5005"
    assert values["HANDOFF_BOT_TOKEN"] != "dev-bot-token" and values["RASA_API_TOKEN"] == mine
    env.write_text("RASA_API_TOKEN=\nX=1\n")  # present but empty: Rasa would accept ?token=
    ensure_env(tmp_path)
    assert env.read_text().splitlines()[0] != "RASA_API_TOKEN=" and "X=1\n" in env.read_text()


def test_setup_replaces_the_old_allow_every_site_cors_default_and_keeps_a_chosen_origin(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("RASA_CORS_ORIGINS=*\nRASA_PORT=5005\n")
    assert "RASA_CORS_ORIGINS" in ensure_env(tmp_path)
    assert values_of(env)["RASA_CORS_ORIGINS"] == ""  # scripts/stack_env.sh: the help site's origin
    env.write_text("RASA_CORS_ORIGINS=https://help.nimbus.example\n")
    ensure_env(tmp_path)
    assert values_of(env)["RASA_CORS_ORIGINS"] == "https://help.nimbus.example"


def test_setup_moves_an_old_account_backend_path_to_its_new_package(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ACCOUNT_BACKEND=bot.actions.accounts.demo.DemoAccountBackend\n")
    ensure_env(tmp_path)
    assert values_of(env)["ACCOUNT_BACKEND"] == "accounts.demo.DemoAccountBackend"
