"""The outbound webhook against a real local HTTP receiver: signed, retried with backoff after
failures, and kept in the database across a restart."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from handoff_api.webhooks import verify
from tests.handoff_api.conftest import STAFF_EMAIL, TestDatabase, add_staff, basic, create, free_port

SECRET = "webhook-test-secret"


class Receiver:
    """A help desk stand-in: answers 500 to the first `fail_first` requests, then 200."""

    def __init__(self, fail_first: int = 0, port: int | None = None) -> None:
        self.fail_first = fail_first
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "at": time.monotonic()})
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/tier0"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"got {len(self.requests)} of {count} requests"
        return self.requests

    def successful(self) -> list[dict]:
        return self.requests[self.fail_first :]


def webhook_settings(url: str) -> dict:
    return {
        "webhook_url": url,
        "webhook_secret": SECRET,
        "webhook_backoff_base_seconds": 0.3,
        "webhook_poll_seconds": 0.1,
        "webhook_max_attempts": 6,
    }


@pytest.fixture
def receiver():
    r = Receiver(fail_first=2)
    yield r
    r.close()


def test_events_are_signed_and_retried_until_delivered(app_factory, database: TestDatabase, receiver: Receiver) -> None:
    client: TestClient = app_factory(database, **webhook_settings(receiver.url))
    ticket = create(client)
    attempts = receiver.wait_for(3)
    # The same delivery three times: two 500s, then accepted; the waits grow (0.3 s, then 0.6 s).
    # Only lower bounds: a busy machine can stretch any wait, never shorten one.
    assert len({a["headers"]["X-Tier0-Delivery"] for a in attempts}) == 1
    gaps = [attempts[1]["at"] - attempts[0]["at"], attempts[2]["at"] - attempts[1]["at"]]
    assert gaps[0] > 0.25 and gaps[1] > 0.55, gaps
    for attempt in attempts:
        headers = attempt["headers"]
        assert headers["X-Tier0-Event"] == "ticket.created"
        assert headers["X-Tier0-Signature"].startswith("sha256=")
        assert verify(SECRET, headers["X-Tier0-Timestamp"], attempt["body"], headers["X-Tier0-Signature"])
        assert not verify("wrong-secret", headers["X-Tier0-Timestamp"], attempt["body"], headers["X-Tier0-Signature"])
        assert not verify(
            SECRET, str(int(headers["X-Tier0-Timestamp"]) + 1), attempt["body"], headers["X-Tier0-Signature"]
        )
    payload = json.loads(attempts[2]["body"])
    assert payload["event"] == "ticket.created" and payload["id"] == attempts[2]["headers"]["X-Tier0-Delivery"]
    assert payload["ticket"]["id"] == ticket["id"] and len(payload["ticket"]["transcript"]) == 3
    # The receiver has answered; the service records that a moment later.
    query = "SELECT status, attempts, last_error FROM webhook_deliveries"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and database.rows(query) != [("delivered", 3, None)]:
        time.sleep(0.05)
    assert database.rows(query) == [("delivered", 3, None)]

    add_staff(database.url)
    client.patch(f"/api/tickets/{ticket['id']}", json={"status": "open"}, headers=basic())
    client.post(f"/api/tickets/{ticket['id']}/notes", json={"text": "On it."}, headers=basic())
    later = receiver.wait_for(5)[3:]
    events = {r["headers"]["X-Tier0-Event"]: json.loads(r["body"]) for r in later}
    assert events["ticket.updated"]["changes"] == [{"field": "status", "old": "new", "new": "open"}]
    assert events["ticket.updated"]["actor"] == STAFF_EMAIL
    assert events["ticket.note_added"]["note"]["text"] == "On it."
    assert all(
        verify(SECRET, r["headers"]["X-Tier0-Timestamp"], r["body"], r["headers"]["X-Tier0-Signature"]) for r in later
    )


def test_deliveries_survive_a_restart(app_factory, database: TestDatabase) -> None:
    port = free_port()  # nothing listens here yet: every attempt fails
    first = app_factory(database, **webhook_settings(f"http://127.0.0.1:{port}/hooks/tier0"))
    ticket = create(first)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not database.rows(
        "SELECT attempts FROM webhook_deliveries WHERE attempts > 0"
    ):
        time.sleep(0.05)
    first.__exit__(None, None, None)  # the service stops with the delivery still pending
    ((status, attempts),) = database.rows("SELECT status, attempts FROM webhook_deliveries")
    assert status == "pending" and attempts >= 1

    receiver = Receiver(port=port)
    try:
        app_factory(database, **webhook_settings(receiver.url))  # a new process would do the same
        (delivered,) = receiver.wait_for(1)
        assert json.loads(delivered["body"])["ticket"]["id"] == ticket["id"]
        deadline = time.monotonic() + 5
        while (
            time.monotonic() < deadline and database.rows("SELECT status FROM webhook_deliveries")[0][0] != "delivered"
        ):
            time.sleep(0.05)
        assert database.rows("SELECT status FROM webhook_deliveries") == [("delivered",)]
    finally:
        receiver.close()


def test_webhook_off_stores_no_deliveries(client: TestClient, database: TestDatabase) -> None:
    create(client)
    assert database.rows("SELECT count(*) FROM webhook_deliveries")[0][0] == 0


def test_a_webhook_url_needs_a_secret(app_factory, sqlite_database: TestDatabase) -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        app_factory(sqlite_database, webhook_url="http://127.0.0.1:9/x", webhook_secret="")
