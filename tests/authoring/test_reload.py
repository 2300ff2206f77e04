"""`make reload` without a stack: the errors a content writer meets first (the swap itself:
tests/e2e/test_reload.py; the Rasa API token that `make setup` writes into .env:
tests/scripts/test_setup.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring.reload import RasaAPI, ReloadError, default_url, main, model_id, reload_model
from harness.stack import free_port


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


def test_broken_flows_are_named_and_the_running_ones_are_said_to_stay(tmp_path: Path, monkeypatch) -> None:
    import shutil

    from authoring.reload import check_flows
    from bot.actions.flow_content import FLOWS_DIR

    shutil.copytree(FLOWS_DIR, tmp_path / "flows")
    monkeypatch.setenv("BOT_FLOWS_DIR", str(tmp_path / "flows"))
    check_flows()  # the shipped flows load
    (tmp_path / "flows/questions.yml").write_text("questions: [broken", encoding="utf-8")
    with pytest.raises(ReloadError, match="(?s)questions.yml: not valid YAML.*keeps running the previous flows"):
        check_flows()
