"""The live takeover when the chat service (Rasa) is away, on SQLite and PostgreSQL: the agent is
told, and nothing changes on the ticket, so the ticket and the customer's chat never disagree about
who is answering. (The takeover itself, with a real Rasa, is tests/e2e/test_takeover.py.)"""

from __future__ import annotations

from pathlib import Path

from tests.handoff_api.conftest import STAFF_EMAIL, TestDatabase, add_staff, basic, create, free_port


def test_without_rasa_a_takeover_is_refused_and_changes_nothing(app_factory, database: TestDatabase, tmp_path: Path):
    client = app_factory(
        database,
        rasa_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        rasa_timeout_seconds=2,
        tracker_db_url=f"sqlite:///{tmp_path / 'no-tracker-yet.db'}",
    )
    add_staff(database.url)
    ticket = create(client)
    refused = client.post(f"/api/tickets/{ticket['id']}/takeover", headers=basic())
    assert refused.status_code == 503
    assert "unreachable" in refused.json()["detail"] and "nothing changed" in refused.json()["detail"]
    after = client.get(f"/api/tickets/{ticket['id']}", headers=basic())
    assert after.status_code == 200  # no tracker store yet: the ticket's own transcript
    body = after.json()
    assert body["held_by"] is None and body["status"] == "new" and body["assignee"] is None
    assert [a["action"] for a in body["audit"]] == ["created"]
    assert body["transcript"] == ticket["transcript"]
    assert database.rows("SELECT held_by FROM tickets WHERE id = ?", (ticket["id"],)) == [(None,)]
    # Nothing held, so nothing to write in or hand back.
    assert client.post(f"/api/tickets/{ticket['id']}/messages", headers=basic(), json={"text": "hi"}).status_code == 409
    assert client.post(f"/api/tickets/{ticket['id']}/release", headers=basic()).status_code == 409
    assert STAFF_EMAIL not in str(database.rows("SELECT actor FROM ticket_audit"))


def test_customer_typing_takes_the_bot_token_and_a_well_formed_conversation(client, database: TestDatabase) -> None:
    from tests.handoff_api.conftest import BOT

    add_staff(database.url)
    assert client.post("/api/conversations/conv-1/typing", headers=BOT).status_code == 204
    assert client.post("/api/conversations/conv-1/typing", headers=basic()).status_code == 401
    assert client.post(f"/api/conversations/{'c' * 129}/typing", headers=BOT).status_code == 422
    assert client.post("/api/conversations/a%00b/typing", headers=BOT).status_code == 422
    # Nobody holds conv-1: nothing was stored.
    assert database.rows("SELECT count(*) FROM tickets WHERE customer_typing_at IS NOT NULL") == [(0,)]
