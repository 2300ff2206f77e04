"""handoff_api over HTTP (in-process ASGI client) with a real SQLite database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from handoff_api.main import create_app
from handoff_api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "unit-test-token"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "handoff.db"


@pytest.fixture
def client(db_path: Path):
    settings = Settings(
        database_url=f"sqlite:///{db_path}",
        handoff_bot_token=TOKEN,
        web_vendor_dir=ROOT / "web/node_modules",
        kb_source_dir=ROOT / "kb/articles",
        _env_file=None,
    )
    with TestClient(create_app(settings)) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def ticket_body(**overrides) -> dict:
    body = {
        "conversation_id": "conv-1",
        "reason": "customer_asked",
        "summary": "Customer asked for a person.",
        "customer_email": "anna@example.com",
        "transcript": [
            {
                "time": "2026-11-22T10:00:00Z",
                "sender": "customer",
                "text": "my wifi keeps dropping",
                "intent": "wifi_dropout",
                "confidence": 0.97,
                "entities": [],
            },
            {"time": "2026-11-22T10:00:01Z", "sender": "bot", "text": "Try restarting the router."},
            {
                "time": "2026-11-22T10:00:30Z",
                "sender": "customer",
                "text": "talk to a person",
                "intent": "request_human",
                "confidence": 0.99,
                "entities": [],
            },
        ],
        "slots": {"device": "router"},
        "kb_articles": ["wifi-keeps-dropping"],
    }
    return body | overrides


def test_create_and_read_ticket(client: TestClient, db_path: Path) -> None:
    r = client.post("/api/tickets", json=ticket_body(), headers=AUTH)
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["id"].startswith("NIM-") and len(ticket["id"]) == 10 and ticket["id"][4:].isdigit()
    assert ticket["status"] == "new"
    got = client.get(f"/api/tickets/{ticket['id']}", headers=AUTH).json()
    assert [t["text"] for t in got["transcript"]] == [
        "my wifi keeps dropping",
        "Try restarting the router.",
        "talk to a person",
    ]
    assert got["transcript"][0]["intent"] == "wifi_dropout" and got["transcript"][0]["confidence"] == 0.97
    # the rows are really in the database file
    rows = (
        sqlite3.connect(db_path)
        .execute("SELECT sender, text FROM transcript_turns WHERE ticket_id = ? ORDER BY seq", (ticket["id"],))
        .fetchall()
    )
    assert rows[0] == ("customer", "my wifi keeps dropping") and len(rows) == 3


def test_tickets_need_the_bot_token(client: TestClient) -> None:
    assert client.post("/api/tickets", json=ticket_body()).status_code == 401
    r = client.post("/api/tickets", json=ticket_body(), headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "bot token" in r.json()["detail"]
    assert client.get("/api/tickets/NIM-000000").status_code == 401


def test_unknown_ticket_is_404(client: TestClient) -> None:
    r = client.get("/api/tickets/NIM-999999", headers=AUTH)
    assert r.status_code == 404 and "NIM-999999" in r.json()["detail"]


def test_malformed_requests_are_rejected_clearly(client: TestClient) -> None:
    r = client.post("/api/tickets", content=b"{not json", headers=AUTH | {"Content-Type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/tickets", json=ticket_body(reason="bored"), headers=AUTH)
    assert r.status_code == 422 and "reason" in r.text
    r = client.post("/api/tickets", json=ticket_body(transcript=[]), headers=AUTH)
    assert r.status_code == 422


def test_over_long_message_is_refused_and_nothing_is_stored(client: TestClient, db_path: Path) -> None:
    body = ticket_body()
    body["transcript"][0]["text"] = "x" * 5001
    r = client.post("/api/tickets", json=body, headers=AUTH)
    assert r.status_code == 422 and "at most 5000" in r.json()["detail"]
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["database"] == "ok"


def test_readiness_reports_a_broken_database(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", _env_file=None)
    # Not entered as a context manager: no start-up, so no attempt to create tables there.
    r = TestClient(create_app(settings)).get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"


def test_demo_page_and_article_pages(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/vendor/socket.io/socket.io.min.js" in page.text
    assert client.get("/vendor/socket.io/socket.io.min.js").status_code == 200
    article = client.get("/help/articles/reset-password")
    assert article.status_code == 200 and "<ol>" in article.text
    assert client.get("/help/articles/nope").status_code == 404
    assert client.get("/help/articles/..%2f..%2fetc%2fpasswd").status_code == 404


def test_queue_is_kept_and_status_lookup_shows_only_the_customers_view(client: TestClient) -> None:
    created = client.post(
        "/api/tickets", json=ticket_body(customer_email="Alex@Example.com", queue="billing"), headers=AUTH
    ).json()
    assert created["queue"] == "billing"
    r = client.post(f"/api/tickets/{created['id']}/status-lookup", json={"email": "alex@example.com"}, headers=AUTH)
    assert r.status_code == 200
    assert set(r.json()) == {"id", "status", "created_at", "updated_at"}  # no transcript, no notes
    # someone else's email and an unknown id answer the same 404: ids cannot be probed
    wrong = client.post(f"/api/tickets/{created['id']}/status-lookup", json={"email": "x@example.com"}, headers=AUTH)
    unknown = client.post("/api/tickets/NIM-000000/status-lookup", json={"email": "alex@example.com"}, headers=AUTH)
    assert wrong.status_code == unknown.status_code == 404
    no_token = client.post(f"/api/tickets/{created['id']}/status-lookup", json={"email": "alex@example.com"})
    assert no_token.status_code == 401
    bad_queue = client.post("/api/tickets", json=ticket_body(queue="sales"), headers=AUTH)
    assert bad_queue.status_code == 422
