"""Text that is not valid Unicode (a lone UTF-16 surrogate in JSON, bytes that are no UTF-8 in a
form) gets a 422 that says what is wrong and where, on every route and both databases; nothing
is stored, and the ticket stays readable."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.handoff_api.conftest import BOT, TestDatabase, create, csrf_from, login, ticket_body

JSON = {"Content-Type": "application/json"}


def raw_json(value: Any) -> bytes:
    # json.dumps writes a lone surrogate as the escape \ud800 (valid JSON); httpx's encoder would refuse it.
    return json.dumps(value).encode()


def refused_at(response: httpx.Response, *loc: str | int) -> str:
    assert response.status_code == 422, (response.status_code, response.text)
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", *loc]
    return error["msg"]


def test_a_lone_surrogate_in_a_ticket_is_refused_wherever_it_is(client: TestClient, database: TestDatabase) -> None:
    def post(body: dict[str, Any]) -> httpx.Response:
        return client.post("/api/tickets", content=raw_json(body), headers=BOT | JSON)

    message = refused_at(post(ticket_body(summary="wifi \ud800 drops")), "summary")
    assert "lone UTF-16 surrogate (\\ud800)" in message and "not a Unicode character" in message
    refused_at(post(ticket_body(conversation_id="conv-\udc00")), "conversation_id")
    refused_at(post(ticket_body(slots={"device": {"name": "router \ud83d"}})), "slots", "device", "name")
    refused_at(post(ticket_body(slots={"\ud800": "x"})), "slots", "\\ud800")  # a key, shown as its escape
    turns = ticket_body()["transcript"]
    turns[1] = turns[1] | {"text": "\udfff"}
    refused_at(post(ticket_body(transcript=turns)), "transcript", 1, "text")
    refused_at(post(ticket_body(reason="\ud800")), "reason")  # a field that would fail anyway: still no 500
    for table in ("tickets", "transcript_turns", "ticket_audit", "webhook_deliveries"):
        assert database.rows(f"SELECT count(*) FROM {table}")[0][0] == 0

    # A surrogate pair (how JSON escapes an emoji) is one character, and welcome.
    made = post(ticket_body(summary="thanks \ud83d\ude00", slots={"mood": "\ud83d\ude00"}))
    assert made.status_code == 201, made.text
    read = client.get(f"/api/tickets/{made.json()['id']}", headers=BOT).json()
    assert read["summary"] == "thanks 😀" and read["slots"]["mood"] == "😀"


def test_json_that_is_not_utf8_is_refused(client: TestClient, database: TestDatabase) -> None:
    body = raw_json(ticket_body(summary="SUMMARY")).replace(b"SUMMARY", b"caf\xe9")  # Latin-1, not UTF-8
    assert "not valid UTF-8" in refused_at(client.post("/api/tickets", content=body, headers=BOT | JSON))
    assert database.rows("SELECT count(*) FROM tickets") == [(0,)]


def test_staff_notes_and_changes_with_a_lone_surrogate_are_refused(
    client: TestClient, database: TestDatabase, staff: dict[str, str]
) -> None:
    ticket = create(client)
    note = client.post(
        f"/api/tickets/{ticket['id']}/notes", content=raw_json({"text": "call \ud800"}), headers=staff | JSON
    )
    assert "lone UTF-16 surrogate" in refused_at(note, "text")
    change = client.patch(
        f"/api/tickets/{ticket['id']}", content=raw_json({"assignee": "\ud800"}), headers=staff | JSON
    )
    refused_at(change, "assignee")
    # Chunked (no Content-Length) is read and checked the same way.
    chunked = client.post(
        f"/api/tickets/{ticket['id']}/notes", content=iter([b'{"text": "call ', b'\\ud800"}']), headers=staff | JSON
    )
    refused_at(chunked, "text")
    after = client.get(f"/api/tickets/{ticket['id']}", headers=BOT)
    assert after.status_code == 200 and after.json()["notes"] == [] and after.json()["assignee"] is None


def test_a_staff_form_with_bytes_that_are_no_utf8_is_refused(client: TestClient, database: TestDatabase, staff) -> None:
    ticket = create(client)
    assert login(client).status_code == 303
    token = csrf_from(client.get(f"/staff/tickets/{ticket['id']}").text)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # %ED%A0%80: U+D800 written as if it were a character (what a lone surrogate becomes as bytes).
    body = f"text=call+me+%ED%A0%80+back&csrf_token={token}".encode()
    r = client.post(f"/staff/tickets/{ticket['id']}/notes", content=body, headers=form, follow_redirects=False)
    assert "not valid UTF-8" in refused_at(r, "text")
    assert database.rows("SELECT count(*) FROM ticket_notes") == [(0,)]
    # The same form with real text goes through.
    ok = client.post(
        f"/staff/tickets/{ticket['id']}/notes",
        data={"text": "call me back ✓", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert [n["text"] for n in client.get(f"/api/tickets/{ticket['id']}", headers=BOT).json()["notes"]] == [
        "call me back ✓"
    ]
