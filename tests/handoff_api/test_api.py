"""The tickets API over HTTP on SQLite and PostgreSQL: create, read, idempotency, filters and
pagination, updates, notes and the audit trail, the customer status lookup, malformed requests."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt

import httpx
from fastapi.testclient import TestClient

from tests.handoff_api.conftest import BOT, STAFF_EMAIL, TestDatabase, basic, create, login, ticket_body


def test_create_and_read_ticket(client: TestClient, database: TestDatabase, staff) -> None:
    r = client.post(
        "/api/tickets",
        json=ticket_body(customer_name="Anna Berg", customer_verified=True),
        headers=BOT,
    )
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["id"].startswith("NIM-") and len(ticket["id"]) == 10 and ticket["id"][4:].isdigit()
    assert ticket["status"] == "new" and ticket["priority"] == "normal" and ticket["queue"] == "tier1"
    assert ticket["customer_name"] == "Anna Berg" and ticket["customer_verified"] is True
    assert ticket["expected_pickup_at"] and ticket["pickup_message"]
    for who in (BOT, staff):
        got = client.get(f"/api/tickets/{ticket['id']}", headers=who).json()
        assert [t["text"] for t in got["transcript"]] == [
            "my wifi keeps dropping",
            "Try restarting the router.",
            "talk to a person",
        ]
        assert got["transcript"][0]["intent"] == "wifi_dropout" and got["transcript"][0]["confidence"] == 0.97
        assert got["steps_tried"][0]["outcome"] == "not_fixed" and got["kb_articles"] == ["wifi-keeps-dropping"]
        assert [a["action"] for a in got["audit"]] == ["created"] and got["audit"][0]["actor"] == "bot"
    rows = database.rows("SELECT sender, text FROM transcript_turns WHERE ticket_id = ? ORDER BY seq", (ticket["id"],))
    assert rows[0] == ("customer", "my wifi keeps dropping") and len(rows) == 3


def test_priority_follows_the_reason_unless_given(client: TestClient) -> None:
    assert create(client, reason="customer_frustrated")["priority"] == "high"
    assert create(client, reason="account_action")["priority"] == "high"
    assert create(client, reason="no_kb_answer")["priority"] == "normal"
    assert create(client, reason="customer_asked", priority="urgent")["priority"] == "urgent"


def test_idempotent_create_returns_the_same_ticket(client: TestClient, database: TestDatabase) -> None:
    headers = BOT | {"Idempotency-Key": "esc-42"}
    first = client.post("/api/tickets", json=ticket_body(), headers=headers)
    again = client.post("/api/tickets", json=ticket_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert database.rows("SELECT count(*) FROM tickets")[0][0] == 1
    assert database.rows("SELECT count(*) FROM transcript_turns")[0][0] == 3
    # The same key with another body is a client bug: refused, nothing stored.
    other = client.post("/api/tickets", json=ticket_body(summary="something else"), headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    # Another key is another ticket.
    third = client.post("/api/tickets", json=ticket_body(), headers=BOT | {"Idempotency-Key": "esc-43"})
    assert third.json()["id"] != first.json()["id"]
    assert database.rows("SELECT count(*) FROM tickets")[0][0] == 2


def test_concurrent_retries_make_one_ticket(live_server, database: TestDatabase) -> None:
    """16 simultaneous creates with one key against a real uvicorn process: one ticket, one id."""

    def post(_: int) -> httpx.Response:
        return httpx.post(
            f"{live_server.url}/api/tickets",
            json=ticket_body(),
            headers=BOT | {"Idempotency-Key": "same-escalation"},
            timeout=30,
        )

    with cf.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, range(16)))
    assert {r.status_code for r in answers} == {201}, [r.text for r in answers if r.status_code != 201]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in answers) == 15
    assert database.rows("SELECT count(*) FROM tickets")[0][0] == 1
    assert database.rows("SELECT count(*) FROM ticket_audit")[0][0] == 1


def test_list_filters_and_pagination(client: TestClient, staff, clock) -> None:
    start = clock.now
    made = []
    for i in range(7):
        clock.now = start + dt.timedelta(minutes=i)
        made.append(
            create(
                client,
                queue="billing" if i % 2 else "tier1",
                reason="customer_frustrated" if i == 3 else "customer_asked",
                summary=f"case number {i}",
            )["id"]
        )
    clock.now = start + dt.timedelta(hours=1)
    page = client.get("/api/tickets", params={"limit": 3}, headers=staff).json()
    assert page["total"] == 7 and page["limit"] == 3 and [t["id"] for t in page["items"]] == made[::-1][:3]
    assert "transcript" not in page["items"][0]
    rest = client.get("/api/tickets", params={"limit": 3, "offset": 6}, headers=staff).json()
    assert [t["id"] for t in rest["items"]] == [made[0]]
    oldest = client.get("/api/tickets", params={"order": "oldest", "limit": 1}, headers=staff).json()
    assert oldest["items"][0]["id"] == made[0]

    def ids(**params) -> set[str]:
        return {t["id"] for t in client.get("/api/tickets", params=params, headers=staff).json()["items"]}

    assert ids(queue="billing") == {made[i] for i in (1, 3, 5)}
    assert ids(queue=["billing", "tier1"]) == set(made)
    assert ids(priority="high") == ids(reason="customer_frustrated") == {made[3]}
    assert ids(q="NUMBER 4") == {made[4]}
    assert ids(q="wifi keeps") == set(made)  # found in the transcript
    assert ids(q="100%") == set()
    assert ids(created_from=(start + dt.timedelta(minutes=5)).isoformat()) == {made[5], made[6]}
    assert ids(created_to=(start + dt.timedelta(minutes=2)).isoformat()) == {made[0], made[1]}
    assert ids(status="new") == set(made) and ids(status="open") == set()
    client.patch(f"/api/tickets/{made[2]}", json={"assignee": STAFF_EMAIL, "status": "open"}, headers=staff)
    assert ids(assignee=STAFF_EMAIL) == ids(status="open") == {made[2]}
    assert ids(assignee="none") == set(made) - {made[2]}
    assert client.get("/api/tickets", params={"status": "bogus"}, headers=staff).status_code == 422
    assert client.get("/api/tickets", params={"limit": 1000}, headers=staff).status_code == 422


def test_update_notes_and_audit_trail(client: TestClient, staff, database: TestDatabase) -> None:
    ticket = create(client)
    r = client.patch(
        f"/api/tickets/{ticket['id']}",
        json={"status": "open", "priority": "urgent", "assignee": STAFF_EMAIL.upper(), "queue": "tier2"},
        headers=staff,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["priority"], body["assignee"], body["queue"]) == (
        "open",
        "urgent",
        STAFF_EMAIL,
        "tier2",
    )
    # Sending the same values again changes nothing and records nothing.
    assert client.patch(f"/api/tickets/{ticket['id']}", json={"status": "open"}, headers=staff).status_code == 200
    note = client.post(f"/api/tickets/{ticket['id']}/notes", json={"text": "Called the ISP."}, headers=staff)
    assert note.status_code == 201 and note.json()["author"] == STAFF_EMAIL
    unassign = client.patch(f"/api/tickets/{ticket['id']}", json={"assignee": None}, headers=staff)
    assert unassign.json()["assignee"] is None
    got = client.get(f"/api/tickets/{ticket['id']}", headers=staff).json()
    trail = [(a["action"], a["old_value"], a["new_value"], a["actor"]) for a in got["audit"]]
    assert trail == [
        ("created", None, "tier1/normal", "bot"),
        ("status_changed", "new", "open", STAFF_EMAIL),
        ("priority_changed", "normal", "urgent", STAFF_EMAIL),
        ("queue_changed", "tier1", "tier2", STAFF_EMAIL),
        ("assignee_changed", None, STAFF_EMAIL, STAFF_EMAIL),
        ("note_added", None, "Called the ISP.", STAFF_EMAIL),
        ("assignee_changed", STAFF_EMAIL, None, STAFF_EMAIL),
    ]
    assert [n["text"] for n in got["notes"]] == ["Called the ISP."]
    assert database.rows("SELECT count(*) FROM ticket_audit WHERE ticket_id = ?", (ticket["id"],))[0][0] == 7
    # Refused: unknown assignee, null status, unknown field, empty body, unknown ticket, empty note
    for bad in ({"assignee": "nobody@example.com"}, {"status": None}, {"colour": "red"}, {}, {"status": "done"}):
        r = client.patch(f"/api/tickets/{ticket['id']}", json=bad, headers=staff)
        assert r.status_code == 422, (bad, r.text)
    assert client.patch("/api/tickets/NIM-000000", json={"status": "open"}, headers=staff).status_code == 404
    assert client.post(f"/api/tickets/{ticket['id']}/notes", json={"text": ""}, headers=staff).status_code == 422
    assert database.rows("SELECT count(*) FROM ticket_audit WHERE ticket_id = ?", (ticket["id"],))[0][0] == 7


def test_cookie_session_needs_the_csrf_header_to_change_things(client: TestClient, staff) -> None:
    ticket = create(client)
    assert login(client).status_code == 303
    assert client.get(f"/api/tickets/{ticket['id']}").status_code == 200  # reading with the cookie
    refused = client.patch(f"/api/tickets/{ticket['id']}", json={"status": "open"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = client.get("/staff").text.split('name="csrf_token" value="')[1].split('"')[0]
    ok = client.patch(f"/api/tickets/{ticket['id']}", json={"status": "open"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["status"] == "open"


def test_bot_and_staff_credentials_are_separate(client: TestClient, staff) -> None:
    ticket = create(client)
    # the bot token cannot list or change tickets, staff cannot create them
    assert client.get("/api/tickets", headers=BOT).status_code == 401
    assert client.patch(f"/api/tickets/{ticket['id']}", json={"status": "open"}, headers=BOT).status_code == 401
    assert client.post("/api/tickets", json=ticket_body(), headers=staff).status_code == 401
    assert client.get("/api/tickets", headers=basic(password="wrong password")).status_code == 401
    assert client.get(f"/api/tickets/{ticket['id']}", headers={"Authorization": "Bearer nope"}).status_code == 401
    r = client.post("/api/tickets", json=ticket_body(), headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "bot token" in r.json()["detail"]


def test_unknown_ticket_is_404(client: TestClient) -> None:
    r = client.get("/api/tickets/NIM-999999", headers=BOT)
    assert r.status_code == 404 and "NIM-999999" in r.json()["detail"]
    assert client.get("/api/tickets/not-an-id%00", headers=BOT).status_code == 404


def test_malformed_requests_are_refused_and_store_nothing(client: TestClient, database: TestDatabase) -> None:
    def refused(**kwargs) -> httpx.Response:
        r = client.post("/api/tickets", **kwargs)
        assert r.status_code == 422, r.text
        return r

    refused(content=b"{not json", headers=BOT | {"Content-Type": "application/json"})
    assert "reason" in refused(json=ticket_body(reason="bored"), headers=BOT).text
    refused(json=ticket_body(queue="sales"), headers=BOT)
    refused(json=ticket_body(priority="meh"), headers=BOT)
    refused(json=ticket_body(transcript=[]), headers=BOT)
    refused(json=ticket_body(transcript=[{"time": "yesterday", "sender": "customer", "text": "x"}]), headers=BOT)
    # A time whose UTC falls before year 1 (found by the fuzz): a clear 422, not a server error.
    early = [{"time": "0001-01-01T00:00:00+19:24", "sender": "bot", "text": "x"}]
    assert "time out of range" in refused(json=ticket_body(transcript=early), headers=BOT).text
    refused(
        json=ticket_body(transcript=[{"time": "2026-11-22T10:00:00Z", "sender": "alien", "text": "x"}]), headers=BOT
    )
    refused(json=ticket_body(summary="bad \x00 byte"), headers=BOT)
    long_turn = ticket_body()
    long_turn["transcript"][2]["text"] = "x" * 5001
    assert "turn 2 is 5001 characters; at most 5000" in refused(json=long_turn, headers=BOT).json()["detail"]
    many = ticket_body(transcript=ticket_body()["transcript"] * 400)  # 1200 turns
    assert "at most 1000" in refused(json=many, headers=BOT).json()["detail"]
    bad_key = client.post("/api/tickets", json=ticket_body(), headers=BOT | {"Idempotency-Key": "x" * 300})
    assert bad_key.status_code == 422
    for table in ("tickets", "transcript_turns", "ticket_audit"):
        assert database.rows(f"SELECT count(*) FROM {table}")[0][0] == 0


def test_status_lookup_shows_only_the_customers_view(client: TestClient) -> None:
    created = create(client, customer_email="Alex@Example.com", queue="billing")
    assert created["queue"] == "billing"
    r = client.post(f"/api/tickets/{created['id']}/status-lookup", json={"email": "alex@example.com"}, headers=BOT)
    assert r.status_code == 200
    assert set(r.json()) == {"id", "status", "created_at", "updated_at"}  # no transcript, no notes
    lower = client.post(
        f"/api/tickets/{created['id'].lower()}/status-lookup", json={"email": "alex@example.com"}, headers=BOT
    )
    assert lower.status_code == 200
    # someone else's email and an unknown id answer the same 404: ids cannot be probed
    wrong = client.post(f"/api/tickets/{created['id']}/status-lookup", json={"email": "x@example.com"}, headers=BOT)
    unknown = client.post("/api/tickets/NIM-000000/status-lookup", json={"email": "alex@example.com"}, headers=BOT)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["detail"].endswith("for that email") and unknown.json()["detail"].endswith("for that email")
    no_token = client.post(f"/api/tickets/{created['id']}/status-lookup", json={"email": "alex@example.com"})
    assert no_token.status_code == 401


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "migrations": "head"}
    assert client.get("/docs").status_code == 200
    assert "/api/tickets" in client.get("/openapi.json").json()["paths"]


def test_an_oversized_body_gets_413_and_nothing_is_stored(app_factory, database: TestDatabase) -> None:
    client = app_factory(database, max_request_bytes=50_000)
    r = client.post("/api/tickets", json=ticket_body(summary="x" * 60_000), headers=BOT)
    assert r.status_code == 413
    assert "over 50000 bytes" in r.json()["detail"]
    # No Content-Length (a chunked upload): counted as it arrives, refused the same way.
    chunks = (b"x" * 10_000 for _ in range(8))
    r = client.post("/api/tickets", content=chunks, headers=BOT | {"Content-Type": "application/json"})
    assert r.status_code == 413
    assert database.rows("SELECT count(*) FROM tickets") == [(0,)]
    assert client.post("/api/tickets", json=ticket_body(), headers=BOT).status_code == 201
