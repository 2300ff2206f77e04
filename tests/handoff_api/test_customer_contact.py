"""Reaching a customer who may leave: the address they type after the handoff, whether their chat is
open, the signed link that reopens it (the agent's emailed reply itself: tests/e2e)."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from accounts.mail import Mailer, read_outbox
from accounts.settings import AccountSettings
from handoff_api import customer_contact, reopen_links
from handoff_api.db import Database
from handoff_api.models import Ticket
from handoff_api.settings import Settings
from tests.handoff_api.conftest import BOT, TestDatabase, create, csrf_from, login, make_settings

GIVEN = "robin.k@example.org"


def contact(client: TestClient, conversation_id: str, body: object, headers: dict | None = None):
    return client.post(
        f"/api/conversations/{conversation_id}/contact", json=body, headers=BOT if headers is None else headers
    )


def presence(client: TestClient, conversation_id: str, online: bool):
    r = client.post(f"/api/conversations/{conversation_id}/presence", json={"online": online}, headers=BOT)
    assert r.status_code == 204, r.text


def test_a_typed_address_goes_on_the_ticket_as_given_not_verified(client: TestClient, staff) -> None:
    ticket = create(client, conversation_id="conv-given", customer_email=None)
    r = contact(client, "conv-given", {"email": " Robin.K@Example.org "})
    assert r.status_code == 200 and r.json() == {"tickets": [ticket["id"]]}
    stored = client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()
    assert stored["customer_email"] == GIVEN and stored["customer_verified"] is False
    assert any(a["action"] == "contact_given" and a["new_value"] == GIVEN for a in stored["audit"])


def test_the_staff_page_says_given_not_verified(client: TestClient, staff) -> None:
    ticket = create(client, conversation_id="conv-page", customer_email=None)
    contact(client, "conv-page", {"email": GIVEN})
    login(client)
    page = client.get(f"/staff/tickets/{ticket['id']}").text
    assert re.search(rf"{re.escape(GIVEN)}\s*<span class=\"unverified\">given, not verified</span>", page)
    assert csrf_from(page)


def test_a_verified_address_is_never_replaced(client: TestClient) -> None:
    ticket = create(client, conversation_id="conv-verified", customer_email="anna@example.com", customer_verified=True)
    assert contact(client, "conv-verified", {"email": GIVEN}).json() == {"tickets": []}
    assert client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()["customer_email"] == "anna@example.com"


@pytest.mark.parametrize("body", [{"email": "robin at example"}, {"email": "a@b"}, {}, {"email": GIVEN, "x": 1}, []])
def test_what_is_no_address_is_refused_and_nothing_changes(client: TestClient, body: object) -> None:
    ticket = create(client, conversation_id="conv-bad", customer_email=None)
    r = contact(client, "conv-bad", body)
    assert r.status_code == 422, r.text
    assert client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()["customer_email"] is None


def test_only_the_bot_passes_addresses_on(client: TestClient) -> None:
    create(client, conversation_id="conv-anon", customer_email=None)
    assert contact(client, "conv-anon", {"email": GIVEN}, headers={}).status_code == 401
    assert contact(client, "conv-anon", {"email": GIVEN}, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_presence_marks_a_customer_who_left(client: TestClient, database: TestDatabase, clock) -> None:
    ticket = create(client, conversation_id="conv-away", customer_email=None)
    db = client.app.state.db

    def away() -> bool:
        with db.read_session() as session:
            return customer_contact.customer_away(session.get(Ticket, ticket["id"]))

    assert not away()  # never seen: nothing to go on, so no mail on a guess
    presence(client, "conv-away", True)
    assert not away()
    clock.now += dt.timedelta(seconds=5)
    presence(client, "conv-away", False)
    assert away()
    clock.now += dt.timedelta(seconds=5)
    presence(client, "conv-away", True)  # back (a reload, the link from the mail)
    assert not away()
    r = client.post("/api/conversations/conv-away/presence", json={"online": "maybe"}, headers=BOT)
    assert r.status_code == 422


def test_a_reply_is_mailed_only_to_a_customer_who_left(tmp_path, sqlite_database: TestDatabase, app_factory, clock):
    client = app_factory(sqlite_database)
    ticket_id = create(client, conversation_id="conv-mail", customer_email=None)["id"]
    contact(client, "conv-mail", {"email": GIVEN})
    settings: Settings = client.app.state.settings
    mailer = Mailer(AccountSettings(_env_file=None, mail_outbox_dir=tmp_path / "outbox"))
    db: Database = client.app.state.db

    def reply() -> str | None:
        with db.read_session() as session:
            return customer_contact.mail_reply(settings, mailer, session.get(Ticket, ticket_id), "Ana Lopez", "Hi!")

    presence(client, "conv-mail", True)
    assert reply() is None and not read_outbox(tmp_path / "outbox")
    clock.now += dt.timedelta(seconds=1)
    presence(client, "conv-mail", False)
    assert reply() == GIVEN
    mail = read_outbox(tmp_path / "outbox", to=GIVEN)[-1]
    body = mail.get_body().get_content()
    assert mail["Subject"] == f"Re: your ticket {ticket_id}" and "Ana Lopez from Nimbus support" in body
    link = re.search(r"http://\S+", body).group(0)
    token = link.split("conversation=", 1)[1]
    assert reopen_links.conversation_from_token(settings, token) == "conv-mail"


def test_the_reopen_link_shows_the_history_and_refuses_forgeries(client: TestClient, tmp_path) -> None:
    create(client, conversation_id="conv-link")
    settings: Settings = client.app.state.settings
    page = client.get("/", params={"conversation": reopen_links.reopen_token(settings, "conv-link")}).text
    history = json.loads(unescape(re.search(r'data-conversation="([^"]*)"', page).group(1)))
    assert history["sessionId"] == "conv-link"
    assert [m["from"] for m in history["messages"]][:2] == ["user", "bot"]
    assert history["messages"][0]["text"] == "my wifi keeps dropping"

    other = make_settings(settings.database_url, tmp_path, reopen_link_secret="another secret")
    forged = reopen_links.reopen_token(other, "conv-link")
    for token in (forged, "not-a-token", reopen_links.reopen_token(settings, "no-such-conversation")):
        page = client.get("/", params={"conversation": token}).text
        assert "data-conversation" not in page and "expired or is not valid" in page


def test_an_expired_link_is_refused(client: TestClient, monkeypatch) -> None:
    settings: Settings = client.app.state.settings
    token = reopen_links.reopen_token(settings, "conv-old")
    later = 10**10  # far beyond REOPEN_LINK_DAYS
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert reopen_links.conversation_from_token(settings, token) is None
