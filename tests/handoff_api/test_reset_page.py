"""The demo tenant's password reset page behind the link the demo account backend mails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accounts import reset_backend
from accounts.demo import DemoAccountBackend
from accounts.mail import read_outbox
from accounts.settings import AccountSettings


@pytest.fixture
def mailed_token(tmp_path: Path):
    settings = AccountSettings(
        accounts_db_path=tmp_path / "accounts.db", mail_outbox_dir=tmp_path / "outbox", help_site_url="http://help"
    )
    backend = DemoAccountBackend(settings)
    reset_backend(backend)
    backend.send_reset_link("alex@example.com")
    body = read_outbox(tmp_path / "outbox", to="alex@example.com")[-1].get_body().get_content()
    link = re.search(r"http://help/reset\?token=(\S+)", body)
    assert link, body
    yield link.group(1)
    reset_backend(None)


def submit(client: TestClient, token: str, password: str = "a-long-new-password", repeat: str | None = None):
    return client.post(
        "/reset", data={"token": token, "password": password, "repeat": password if repeat is None else repeat}
    )


def test_the_mailed_link_opens_a_form_and_sets_the_password_once(client: TestClient, mailed_token: str) -> None:
    page = client.get("/reset", params={"token": mailed_token})
    assert page.status_code == 200 and "New password" in page.text and mailed_token in page.text
    done = submit(client, mailed_token)
    assert done.status_code == 200 and "password has been changed for alex@example.com" in done.text
    again = submit(client, mailed_token)
    assert again.status_code == 410 and "expired or was already used" in again.text


def test_bad_input_is_refused_and_keeps_the_link_usable(client: TestClient, mailed_token: str) -> None:
    short = submit(client, mailed_token, password="short")
    assert short.status_code == 422 and "at least 10 characters" in short.text and mailed_token in short.text
    differ = submit(client, mailed_token, repeat="another-long-password")
    assert differ.status_code == 422 and "not the same" in differ.text
    assert submit(client, mailed_token).status_code == 200  # nothing was used up by the mistakes


def test_an_unknown_or_missing_token_gets_a_clear_page(client: TestClient, mailed_token: str) -> None:
    assert submit(client, "not-a-token").status_code == 410
    missing = client.get("/reset")
    assert missing.status_code == 400 and "incomplete" in missing.text
