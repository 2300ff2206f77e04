"""`make reload` without a stack: the errors a content writer meets first, and the Rasa API token
that `make setup` writes into .env (the swap itself: tests/e2e/test_reload.py)."""

from __future__ import annotations

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
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/ensure_env.py")], cwd=folder, capture_output=True, text=True, check=True
    ).stdout


def test_setup_writes_a_random_rasa_api_token(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text((ROOT / ".env.example").read_text())
    ensure_env(tmp_path)
    values = dict(
        line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines() if "=" in line and line[0] != "#"
    )
    assert len(values["RASA_API_TOKEN"]) >= 40 and values["RASA_API_TOKEN"] != values["HANDOFF_BOT_TOKEN"]
    first = (tmp_path / ".env").read_text()
    ensure_env(tmp_path)
    assert (tmp_path / ".env").read_text() == first  # a second run changes nothing


def test_setup_gives_an_older_env_file_the_token_and_keeps_the_rest(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("RASA_PORT=5005\nHANDOFF_BOT_TOKEN=abc\n")
    assert "added RASA_API_TOKEN" in ensure_env(tmp_path)
    lines = env.read_text().splitlines()
    assert lines[:2] == ["RASA_PORT=5005", "HANDOFF_BOT_TOKEN=abc"]
    assert lines[-1].startswith("RASA_API_TOKEN=") and len(lines[-1]) > 50
    env.write_text("RASA_API_TOKEN=\nX=1\n")  # present but empty: Rasa would accept ?token=
    ensure_env(tmp_path)
    assert env.read_text().splitlines()[0] != "RASA_API_TOKEN=" and env.read_text().endswith("X=1\n")
    env.write_text("RASA_API_TOKEN=mine\n")
    assert ensure_env(tmp_path) == "" and env.read_text() == "RASA_API_TOKEN=mine\n"
